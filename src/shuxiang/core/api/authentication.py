from rest_framework import authentication, exceptions

from shuxiang.core.services import authenticate_token


class TokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>`, looked up by keyed digest (core.models.ApiToken)."""

    def authenticate_credentials(self, key):
        user = authenticate_token(key)
        if user is None:
            raise exceptions.AuthenticationFailed("接口令牌无效或用户已停用")
        return (user, key)
