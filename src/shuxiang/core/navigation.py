"""What apps plug into the shell: menu entries and "my pending work" panels.

Apps register in their AppConfig.ready(); core never imports them.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from shuxiang.core.permissions import has_perm


@dataclass
class MenuItem:
    label: str
    url_name: str
    perm: str | None = None
    roles: tuple = ()


@dataclass
class MenuGroup:
    label: str
    items: list[MenuItem] = field(default_factory=list)
    order: int = 100


@dataclass
class PendingItem:
    """One line on the home page: "3 cases wait for your acceptance"."""

    title: str
    count: int
    url: str
    level: str = "info"  # info / warning / danger


menu: dict[str, MenuGroup] = {}
pending_providers: list[Callable] = []


def register_menu(group_label: str, *items: MenuItem, order: int = 100):
    group = menu.setdefault(group_label, MenuGroup(group_label, order=order))
    group.items.extend(items)


def register_pending(provider: Callable):
    """`provider(user) -> list[PendingItem]`; it must scope its own queries with .restrict(user)."""
    pending_providers.append(provider)
    return provider


def menu_for(user):
    groups = []
    for group in sorted(menu.values(), key=lambda g: g.order):
        items = [
            i
            for i in group.items
            if (i.perm is None or has_perm(user, i.perm))
            and (not i.roles or user.role in i.roles or user.is_superuser)
        ]
        if items:
            groups.append(MenuGroup(group.label, items, group.order))
    return groups


def pending_for(user) -> list[PendingItem]:
    items = []
    for provider in pending_providers:
        items.extend(i for i in provider(user) if i.count)
    return items
