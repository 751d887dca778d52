"""One test for the whole platform's region scope.

It walks every registered URL, finds the model each route serves, creates a
sample in 兰溪镇 and proves a 泉交河镇 officer gets 404 on its detail/edit
routes and never sees it in lists or exports — for every app that registers
its samples (see shuxiang.testing).
"""

import importlib
import re

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver

from shuxiang import testing
from shuxiang.core import scope

PUBLIC_PREFIXES = ("api/schema", "api/docs", "login", "logout", "healthz", "__bench__", "static", "media")


def load_samples():
    for config in apps.get_app_configs():
        if config.name.startswith("shuxiang."):
            try:
                importlib.import_module(f"{config.name}.tests.samples")
            except ModuleNotFoundError as exc:
                if not exc.name.startswith(f"{config.name}.tests"):
                    raise
    return testing.samples


def iter_patterns(patterns=None, prefix=""):
    patterns = get_resolver().url_patterns if patterns is None else patterns
    for p in patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            yield from iter_patterns(p.url_patterns, route)
        elif isinstance(p, URLPattern):
            yield route, p.callback


def is_public(callback):
    for holder in (callback, getattr(callback, "cls", None), getattr(callback, "view_class", None)):
        if holder is not None and getattr(holder, "scope_public", False):
            return True
    return False


def route_model(callback):
    """(model, lookup field, kind) of a route, or None when it serves no single model."""
    if is_public(callback):
        return None
    cls = getattr(callback, "cls", None)
    if cls is not None and getattr(cls, "queryset", None) is not None:
        actions = getattr(callback, "actions", {}) or {}
        return cls.queryset.model, cls.lookup_url_kwarg or cls.lookup_field, actions
    view_class = getattr(callback, "view_class", None)
    if view_class is not None and getattr(view_class, "model", None) is not None:
        return view_class.model, getattr(view_class, "lookup_field", "pk"), {}
    if getattr(callback, "scope_model", None) is not None:
        return callback.scope_model, callback.scope_lookup, {}
    return None


GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)|<(?:\w+:)?(\w+)>")


def build_path(route, values):
    """Turn a route (path or regex syntax) into a concrete URL, or None if a kwarg is unknown."""
    missing = []

    def sub(match):
        name = match.group(1) or match.group(2)
        if name not in values:
            missing.append(name)
            return ""
        return str(values[name])

    path = GROUP.sub(sub, route)
    if missing:
        return None
    path = path.replace("^", "").replace("$", "").replace("\\", "").replace("/?", "/")
    return "/" + path.lstrip("/")


def routed():
    rows = []
    for route, callback in iter_patterns():
        if route.lstrip("^").startswith(PUBLIC_PREFIXES) or "(?P<format>" in route:
            continue
        info = route_model(callback)
        if info is None:
            continue
        model, lookup, actions = info
        if model in scope.unscoped:
            continue  # county-wide reference data (thresholds, categories), declared with its reason
        rows.append((route, model, lookup, actions))
    return rows


def test_every_model_of_the_platform_declares_its_scope():
    undeclared = [
        m.__name__
        for m in apps.get_models()
        if m.__module__.startswith("shuxiang.") and m not in scope.registry and m not in scope.unscoped
    ]
    assert undeclared == [], f"declare with @scoped(...) or declare_unscoped(...): {undeclared}"


def test_every_routed_model_has_a_sample_for_the_scope_walk():
    samples = load_samples()
    missing = sorted({m.__name__ for _, m, _, _ in routed() if m not in samples})
    assert missing == [], f"register a factory in <app>/tests/samples.py: {missing}"


@pytest.mark.django_db
def test_township_officer_gets_404_for_other_townships_objects_on_every_route(
    cast, places, client_for, api_for
):
    samples = load_samples()
    officer_web, officer_api = client_for(cast.township_a), api_for(cast.township_a)
    objects = {}
    for _, model, _, _ in routed():
        if model not in objects:
            objects[model] = (
                samples[model](places.hamlet_a, f"本镇样本{model.__name__}"),
                samples[model](places.hamlet_b, f"外镇样本{model.__name__}"),
            )
    leaks, checked = [], 0
    for route, model, lookup, _actions in routed():
        own, other = objects[model]
        client = officer_api if route.startswith("api/") else officer_web
        lookup_value = getattr(other, lookup if lookup != "pk" else "pk", None)
        kwargs = {lookup: lookup_value, "pk": other.pk, "code": getattr(other, "code", other.pk)}
        url = build_path(route, kwargs)
        if url is None:
            continue
        has_kwarg = GROUP.search(route) is not None
        if has_kwarg:
            methods = (
                ("get", "post", "put", "patch", "delete") if route.startswith("api/") else ("get", "post")
            )
            for method in methods:
                response = getattr(client, method)(url)
                checked += 1
                # 403 is the route's gate refusing the role before any lookup (the same answer whether
                # or not the object exists), so it reveals nothing about the other township's object.
                if response.status_code not in (403, 404, 405):
                    leaks.append(f"{method.upper()} {url} → {response.status_code}")
        else:
            marker = f"外镇样本{model.__name__}"
            for suffix in ("", "?page_size=1000", "?export=csv"):
                response = client.get(url + suffix)
                checked += 1
                if response.status_code == 200 and marker in response.content.decode("utf-8", "replace"):
                    leaks.append(f"GET {url}{suffix} shows {marker}")
    assert checked > 20
    assert leaks == []
    for model, (_, other) in objects.items():
        assert model._base_manager.filter(pk=other.pk).exists(), f"{model.__name__} outside scope was deleted"


@pytest.mark.django_db
def test_lists_do_show_the_officers_own_objects(cast, places, client_for):
    """The walk above would pass on empty pages; this proves the same lists do show what is in scope."""
    samples = load_samples()
    web = client_for(cast.township_a)
    for path, model in (("/people/", "Person"), ("/units/", "Unit"), ("/places/", "Place")):
        model_cls = apps.get_model("core", model)
        samples[model_cls](places.hamlet_a, f"本镇可见{model}")
        assert f"本镇可见{model}" in web.get(path + "?page_size=1000").content.decode()
