"""What each role may do, as data. Region is separate (core.scope): a permission
here says "may change units", scope says "which units"."""

from shuxiang.core.choices import Role
from shuxiang.core.errors import Forbidden

ROLE_PERMISSIONS: dict[str, set[str]] = {
    Role.ADMIN: {
        "place.change",
        "unit.change",
        "user.change",
        "person.change",
        "audit.view",
        "import.run",
    },
    Role.DISTRICT: {"place.change", "unit.change", "person.change", "audit.view", "import.run"},
    Role.DEPARTMENT: {"person.change"},
    Role.TOWNSHIP: {"person.change"},
    Role.VILLAGE: {"person.change"},
    Role.GRID: {"person.change"},
    Role.CLIENT: set(),  # machines get exactly what their app grants them
}


# Apps add their own permissions per role at import time (e.g. "case.dispatch").
def grant(role: str, *perms: str) -> None:
    ROLE_PERMISSIONS.setdefault(role, set()).update(perms)


def has_perm(user, perm: str) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if perm == "pii.reveal":
        return bool(user.can_reveal_pii)
    return perm in ROLE_PERMISSIONS.get(user.role, set())


def require(user, perm: str) -> None:
    if not has_perm(user, perm):
        raise Forbidden()


def in_domain(user, domain: str) -> bool:
    """Department users act across the district only in their unit's domains (e.g. "water", "cases").

    Other roles are bounded by region, not domain, so this is True for them.
    """
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser or user.role != Role.DEPARTMENT:
        return True
    return user.unit is not None and domain in (user.unit.domains or [])
