"""Django's password backend, reading the signed-in user the way every request needs it.

Every request reads its user (from the session); nearly every page then reads the user's place (scope,
the header, the menu). Django would load that place on first use with every column — including its
boundary, GeoJSON that for a real township or county runs to hundreds of kilobytes parsed on every
request. Here the user comes with the place in the same query, the boundary left for the few pages
that draw it (read then, on access).
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend


def with_place(queryset, prefix=""):
    """Users (or rows reaching a user through `prefix`) with the place joined, its boundary deferred."""
    return queryset.select_related(f"{prefix}place").defer(f"{prefix}place__geometry")


class ModelBackend(DjangoModelBackend):
    def get_user(self, user_id):
        user_model = get_user_model()
        try:
            user = with_place(user_model._default_manager.all()).get(pk=user_id)
        except user_model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
