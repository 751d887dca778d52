"""Bases every app's API builds on: scoped querysets, place codes, errors through services."""

from rest_framework import permissions, serializers, viewsets

from shuxiang.core.models import Place
from shuxiang.core.permissions import has_perm


class PlaceCodeField(serializers.SlugRelatedField):
    """Places appear as their division code on every API, in and out."""

    default_error_messages = {
        "does_not_exist": "区划代码 {value} 不存在",
        "invalid": "区划代码格式错误",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "code")
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", Place.objects.all())
        super().__init__(**kwargs)


class ScopedViewSetMixin:
    """Restricts the queryset to the user's region for every action, so details outside it are 404."""

    def get_queryset(self):
        return super().get_queryset().restrict(self.request.user)


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class HasRolePermission(permissions.BasePermission):
    """`required_perms = {"list": "audit.view", ...}` or `required_perm` for all actions."""

    @staticmethod
    def _perm(view):
        return getattr(view, "required_perms", {}).get(view.action) or getattr(view, "required_perm", None)

    def has_permission(self, request, view):
        perm = self._perm(view)
        if perm is None:
            return True
        lookup = getattr(view, "lookup_url_kwarg", None) or getattr(view, "lookup_field", "pk")
        if lookup in view.kwargs:
            # Detail actions decide after the scoped lookup: outside the region is 404, not 403.
            return request.user.is_authenticated
        return has_perm(request.user, perm)

    def has_object_permission(self, request, view, obj):
        perm = self._perm(view)
        return perm is None or has_perm(request.user, perm)
