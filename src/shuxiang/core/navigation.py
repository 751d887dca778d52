"""What apps plug into the shell: menu entries and "my pending work" panels.

Apps register in their AppConfig.ready(); core never imports them.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from shuxiang.core.permissions import has_perm, in_domain, type_level_key


@dataclass
class MenuItem:
    label: str
    url_name: str
    perm: str | None = None
    roles: tuple = ()
    # A department user sees the entry only when their unit holds this duty (e.g. "monitoring").
    domain: str | None = None

    @property
    def url(self) -> str | None:
        return _route(self.url_name)[0]


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
    _menu_version[0] += 1  # menus computed before are stale


_menu_version = [0]


def register_pending(provider: Callable):
    """`provider(user) -> list[PendingItem]`; it must scope its own queries with .restrict(user)."""
    pending_providers.append(provider)
    return provider


def _route(url_name: str) -> tuple[str | None, object]:
    """(path, declaration) of a named route, or (None, None) when it does not exist."""
    return _route_under(url_name, get_script_prefix())


@functools.cache
def _route_under(url_name: str, prefix: str) -> tuple[str | None, object]:
    # The URLconf does not change while a process runs: every page's menu asked it ~50 times
    # (reverse + resolve per entry), a third of a list page's CPU before this was cached.
    from django.urls import NoReverseMatch, resolve, reverse

    from shuxiang.core.access import declaration

    try:
        path = reverse(url_name)
        return path, declaration(resolve(path).func)
    except NoReverseMatch:
        return None, None


@receiver(setting_changed)
def _forget_routes(setting, **kwargs):
    if setting == "ROOT_URLCONF":
        _route_under.cache_clear()
        _menus.clear()
        _markups.clear()


def item_allowed(user, item: MenuItem) -> bool:
    """A menu entry shows when the user may open the page it leads to (its route's declaration)."""
    from shuxiang.core.access import allowed

    if item.roles and user.role not in item.roles and not user.is_superuser:
        return False
    if item.domain and not in_domain(user, item.domain):
        return False
    if item.perm is not None:
        return has_perm(user, item.perm)
    path, decl = _route(item.url_name)
    return path is not None and allowed(user, decl)


def menu_for(user):
    """The menu groups `user` may open, computed once per process for each distinct set of permissions.

    Deciding ~45 entries (role, domain, a permission check each) took ~3 ms of every signed-in page;
    the answer depends only on what `type_level_key` holds (role, unit domains, the grant rows read on
    this request), so users of one role share it and a changed grant changes the key at once.
    """
    key = type_level_key(user)
    if key is None:
        return _menu_for(user)
    key = (key, _menu_version[0], get_script_prefix())
    groups = _menus.get(key)
    if groups is None:
        if len(_menus) >= 256:  # a bound, not a policy: distinct keys are few (roles × personal grants)
            _menus.clear()
        _markups.clear()
        groups = _menus[key] = Menu(_menu_for(user))
        groups.key = key
    answer = Menu(groups)
    answer.key = key
    return answer


class Menu(list):
    """menu_for's groups; `key` is what the same menu (and its markup) is kept under in this process."""

    key = None


_menus: dict[tuple, Menu] = {}
_markups: dict[tuple, str] = {}


def _menu_for(user):
    from shuxiang.core.access import may_use_web

    if not may_use_web(user):
        return []
    groups = []
    for group in sorted(menu.values(), key=lambda g: g.order):
        items = [i for i in group.items if item_allowed(user, i)]
        if items:
            groups.append(MenuGroup(group.label, items, group.order))
    return groups


def menu_html(groups) -> str:
    """The menu's markup for `menu_for(user)`'s groups, written once per process for each distinct menu.

    Every signed-in page drew its ~45 entries through the template engine (~1.4 ms a page); users of
    one role see the same menu, so it is written once and reused — looked up by the menu's key, without
    even reading the entries' routes again.
    """
    key = getattr(groups, "key", None)
    if key is not None and key in _markups:
        return _markups[key]
    html = _menu_markup(tuple((g.label, tuple((i.url, i.label) for i in g.items)) for g in groups))
    if key is not None:
        if len(_markups) >= 256:
            _markups.clear()
        _markups[key] = html
    return html


@functools.lru_cache(maxsize=256)
def _menu_markup(groups: tuple) -> str:
    return mark_safe(
        "".join(
            format_html(
                '\n    <div class="nav-group" tabindex="-1"><button type="button" class="nav-label">{}</button>'
                '\n      <div class="nav-items">{}</div>\n    </div>\n    ',
                label,
                format_html_join("", '<a href="{}">{}</a>', items),
            )
            for label, items in groups
        )
    )


def pending_for(user) -> list[PendingItem]:
    items = []
    for provider in pending_providers:
        items.extend(i for i in provider(user) if i.count)
    return items
