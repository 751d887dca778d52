"""The one region-scope mechanism.

Every model a signed-in user can reach uses `ScopedQuerySet` and says where
its place is (`scope_field`, a lookup path ending at a core.Place). A user's
scope is the subtree under their place (the whole district for admin,
district and department roles). Views, viewsets, exports and searches call
`Model.objects.restrict(user)`; nothing else filters by region, so one test of
this module covers every list in the platform.
"""

from django.core.exceptions import ImproperlyConfigured
from django.db import models

from shuxiang.core.choices import DISTRICT_WIDE_ROLES

# model -> scope_field, filled as models are defined; the scope meta-test reads it.
registry: dict[type[models.Model], str] = {}
# Models that a signed-in user never lists (internal bookkeeping) are declared here with why.
unscoped: dict[type[models.Model], str] = {}


def user_scope_path(user) -> str | None:
    """The place path prefix a user may see, or None for no access at all."""
    from shuxiang.core.actors import Actor

    if isinstance(user, Actor):
        if not user.is_person:
            return ""  # the platform's own actors work county-wide, bounded by their grants
        user = user.person
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return ""
    place = user.place
    if place is None:
        return None
    if user.role in DISTRICT_WIDE_ROLES:
        # A district-level role sees the whole tree under its district root.
        root = place.path.split("/")[1]
        return f"/{root}/"
    return place.path


class ScopedQuerySet(models.QuerySet):
    def restrict(self, user, action: str = "view"):
        """Only the rows the user's grants allow for `action`, inside the user's region.

        `user` is a User or a core.actors.Actor. No grant for the type and action: no rows.
        """
        from shuxiang.core.permissions import grant_filter

        allowed = grant_filter(user, self.model._meta.label_lower, action)
        if allowed is None:
            return self.none()
        qs = self
        if allowed:  # a constraint: a subquery keeps joins through many-to-many from duplicating rows
            qs = self.filter(pk__in=self.model._default_manager.filter(allowed).values("pk"))
        path = user_scope_path(user)
        if path is None:
            return self.none()
        if path == "":
            return qs
        return qs._in_region(path)

    def _in_region(self, path: str):
        field = scope_field_of(self.model)
        if not field:
            return self.filter(path__startswith=path)
        # A subquery over the small place table lets the database use the index on the
        # big table's place_id instead of joining every row to its place.
        from shuxiang.core.models import Place

        return self.filter(**{f"{field}__in": Place.objects.filter(path__startswith=path).values("pk")})


def scope_field_of(model) -> str:
    try:
        return registry[model]
    except KeyError:
        raise ImproperlyConfigured(f"{model.__name__} is not registered with core.scope") from None


def scoped(scope_field: str):
    """Class decorator: register a model's path to its place ("" when it is a Place)."""

    def wrap(model):
        registry[model] = scope_field
        return model

    return wrap


def declare_unscoped(model, reason: str):
    unscoped[model] = reason
    return model


def place_in_scope(user, place) -> bool:
    """Whether `place` is inside the user's region (always, for the platform's own actors)."""
    path = user_scope_path(user)
    return path is not None and place is not None and place.path.startswith(path)
