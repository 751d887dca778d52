"""The declared access matrix, walked: every route × every role, none skipped.

Every registered route (HTML and API, with and without URL parameters) must declare what it needs
(core.access). For each route and role the walk computes from the declarations and the role's grants
whether the role may use it, requests it as that role, and compares:

- a role without the permission gets 403 on every method — whether or not the object exists — and
  nothing is written;
- a role with it is not refused by the route's gate (403 appears only where a service's own rule, such
  as a department's domain, refuses).

A second walk renders every GET page and API answer as every role and fails on an unmasked ID or phone
number: full numbers only ever leave the server through the audited reveal (a POST).
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from shuxiang.core.access import PUBLIC, SIGNED_IN, declaration, may_use_web
from shuxiang.core.choices import Role
from shuxiang.core.permissions import has_perm
from shuxiang.core.tests.test_scope_walk import build_path, load_samples, route_model

SKIP_PREFIXES = ("static", "media")  # files served by whitenoise / storage, not views
API_METHODS = ("get", "post", "put", "patch", "delete")


def iter_routes(patterns=None, prefix=""):
    patterns = get_resolver().url_patterns if patterns is None else patterns
    for p in patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            yield from iter_routes(p.url_patterns, route)
        elif isinstance(p, URLPattern):
            if (
                "(?P<format>" in route
                or "<drf_format_suffix" in route
                or route.lstrip("^").startswith(SKIP_PREFIXES)
            ):
                continue  # DRF's format-suffix twin of a route already walked
            yield route, p.callback


def is_api(route: str, callback) -> bool:
    return getattr(callback, "cls", None) is not None


def methods_of(route, callback):
    """The HTTP methods a route answers, with the viewset action each maps to."""
    actions = getattr(callback, "actions", None)
    if actions:
        return [(m, a) for m, a in actions.items() if m in API_METHODS]
    cls = getattr(callback, "cls", None)
    if cls is not None:  # an APIView: the methods it handles (others are 405 for everyone)
        return [(m, None) for m in API_METHODS if hasattr(cls, m)]
    return [("get", None), ("post", None)]


def expected(user, callback, method, action, api: bool) -> bool:
    decl = declaration(callback, method.upper(), action)
    assert decl is not None, "undeclared"
    if decl == PUBLIC:
        return True
    if not api and not may_use_web(user):
        return False
    if decl == SIGNED_IN:
        return True
    return has_perm(user, decl)


DEFAULT_KWARGS = {
    "pk": 999999,
    "code": "430903103201",
    "number": "1",
    "service_code": "x",
    "service_request_id": "x",
    "action": "accept",
    "verb": "approve",
    "token": "x",
    "gtin": "06901234567892",
    "lot_number": "x",
    "username": "t_grid",
    "fmt": "json",
    "kind": "permanent",
    "stage": "farrowing",
}


def url_for(route, callback, objects):
    info = route_model(callback)
    values = dict(DEFAULT_KWARGS)
    if info is not None and info[0] in objects:
        obj = objects[info[0]]
        lookup = info[1]
        values.update(
            {lookup: getattr(obj, lookup, obj.pk), "pk": obj.pk, "code": getattr(obj, "code", obj.pk)}
        )
    return build_path(route, values)


def all_routes():
    return list(iter_routes())


def test_every_route_declares_what_it_needs():
    undeclared = []
    for route, callback in all_routes():
        for method, action in methods_of(route, callback):
            if declaration(callback, method.upper(), action) is None:
                undeclared.append(f"{method.upper()} {route} ({action or '-'})")
    assert undeclared == [], (
        "declare with @requires/@signed_in/@public_view or required_perms:\n" + "\n".join(undeclared)
    )


@pytest.fixture
def roles(cast):
    return {**cast.staff(), **cast.clients()}


@pytest.fixture
def sample_objects(places):
    objects = {}
    for model, factory in load_samples().items():
        try:
            objects[model] = factory(places.hamlet_a, f"矩阵样本{model.__name__}")
        except Exception as exc:  # noqa: BLE001  (a sample that cannot be built is reported, not hidden)
            pytest.fail(f"sample for {model.__name__} failed: {exc!r}")
    return objects


ID_NUMBER = re.compile(r"(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])")
# Not inside a longer token: a uuid4 form key (hex) once held "a13812345678".
PHONE = re.compile(r"(?<![\dA-Za-z])1[3-9]\d{9}(?![\dA-Za-z])")


def _valid_id(number: str) -> bool:
    from shuxiang.core.pii import id_check_char

    return id_check_char(number[:17]) == number[17].upper()


def pii_in(response, secrets) -> list[str]:
    """Unmasked ID or phone numbers in a page or API answer (files such as PDFs are not text)."""
    if response.status_code != 200 or response.get("Content-Type", "").startswith(
        ("application/pdf", "image/", "application/vnd", "audio/")
    ):
        return []
    text = response.content.decode("utf-8", "replace")
    found = [s for s in secrets if s in text]
    found += [m for m in ID_NUMBER.findall(text) if _valid_id(m)]
    found += PHONE.findall(text)
    return sorted(set(found))


@pytest.mark.django_db
def test_every_route_answers_every_role_as_the_matrix_says_and_shows_no_unmasked_numbers(
    roles, sample_objects, client_for, api_for
):
    """One walk for both checks (each request is made once): the matrix, and the personal-data scan."""
    from shuxiang.core.models import AuditEntry, Person

    secrets = set()
    for person in Person.objects.all():
        secrets.update(v for v in (person.id_number, person.phone) if v)
    assert secrets, "the samples hold no personal numbers to look for"
    mismatches, leaks, checked = [], [], 0
    clients = {name: (client_for(u), api_for(u)) for name, u in roles.items()}
    for route, callback in all_routes():
        api = is_api(route, callback)
        url = url_for(route, callback, sample_objects)
        assert url is not None, f"cannot build {route}"
        for name, user in roles.items():
            client = clients[name][1] if api else clients[name][0]
            for method, action in methods_of(route, callback):
                allowed = expected(user, callback, method, action, api)
                if allowed and method != "get":
                    continue  # writes by permitted roles are each app's own tests
                before = AuditEntry.objects.exclude(action="refused").count() if not allowed else 0
                response = getattr(client, method)(url)
                checked += 1
                status = response.status_code
                if not allowed:
                    if status != 403:
                        mismatches.append(f"{name}: {method.upper()} {url} → {status}, expected 403")
                    elif AuditEntry.objects.exclude(action="refused").count() != before:
                        mismatches.append(f"{name}: {method.upper()} {url} refused but wrote audit changes")
                    continue
                if status == 403 and user.role != Role.DEPARTMENT:
                    mismatches.append(f"{name}: GET {url} → 403 although granted")
                elif status >= 500:
                    mismatches.append(f"{name}: GET {url} → {status}")
                found = pii_in(response, secrets)
                if found:
                    leaks.append(f"{name}: GET {url} shows {found[:3]}")
    assert checked > 1000
    assert mismatches == [], f"{len(mismatches)} mismatches:\n" + "\n".join(mismatches[:80])
    assert leaks == [], "unmasked numbers:\n" + "\n".join(leaks[:50])
