"""The region walk over this app's routes (the core walk's helpers, run on trace alone).

An object of another township must be a 404 on every route with a parameter, and absent from every
list and export. A method a route never accepts is refused before the lookup (403 or 405, the same
answer for the officer's own object): such a refusal says nothing about the object, so it is no leak.
"""

import pytest

from shuxiang.core.tests import test_scope_walk as walk
from shuxiang.trace.models import DirectoryEntry, Lot, Producer

pytestmark = pytest.mark.django_db


def trace_routes():
    # The directory is not a township officer's at all (403 on every route, tested in test_access):
    # this walk proves region, for the types the officer may view.
    return [r for r in walk.routed() if r[1]._meta.app_label == "trace" and r[1] is not DirectoryEntry]


def test_every_trace_route_is_404_or_invisible_for_an_officer_of_another_township(
    cast, places, client_for, api_for
):
    samples = walk.load_samples()
    web, api = client_for(cast.township_a), api_for(cast.township_a)
    objects, leaks, checked = {}, [], 0
    for route, model, lookup, _actions in trace_routes():
        if model not in objects:
            objects[model] = (
                samples[model](places.hamlet_a, f"本镇样本{model.__name__}"),
                samples[model](places.hamlet_b, f"外镇样本{model.__name__}"),
            )
        own, other = objects[model]
        client = api if route.startswith("api/") else web
        if walk.GROUP.search(route) is None:
            marker = f"外镇样本{model.__name__}"
            for suffix in ("", "?page_size=1000", "?export=csv"):
                response = client.get(walk.build_path(route, {}) + suffix)
                checked += 1
                if response.status_code == 200 and marker in response.content.decode("utf-8", "replace"):
                    leaks.append(f"GET {route}{suffix} shows {marker}")
            continue
        methods = ("get", "post", "put", "patch", "delete") if route.startswith("api/") else ("get", "post")
        for method in methods:
            outside = getattr(client, method)(walk.build_path(route, {lookup: other.pk, "pk": other.pk}))
            checked += 1
            if outside.status_code in (404, 405):
                continue
            inside = getattr(client, method)(walk.build_path(route, {lookup: own.pk, "pk": own.pk}))
            if not (outside.status_code in (403, 405) and inside.status_code == outside.status_code):
                leaks.append(f"{method.upper()} {route} → {outside.status_code} (own: {inside.status_code})")
    assert checked > 40
    assert leaks == []
    for model, (_, other) in objects.items():
        assert model._base_manager.filter(pk=other.pk).exists(), f"{model.__name__} outside scope was deleted"


def test_the_directory_shows_a_department_officer_entities_of_every_township(cast, places, api_for):
    samples = walk.load_samples()
    samples[DirectoryEntry](places.hamlet_a, "本镇名录主体")
    samples[DirectoryEntry](places.hamlet_b, "外镇名录主体")
    names = {r["name"] for r in api_for(cast.department).get("/api/v1/trace/directory/").json()["results"]}
    assert {"本镇名录主体", "外镇名录主体"} <= names


def test_the_officers_own_lots_and_producers_are_listed(cast, places, client_for):
    samples = walk.load_samples()
    web = client_for(cast.township_a)
    samples[Producer](places.hamlet_a, "本镇可见主体")
    samples[Lot](places.hamlet_a, "本镇可见批次")
    assert "本镇可见主体" in web.get("/trace/producers/?page_size=1000").content.decode()
    assert "本镇可见批次" in web.get("/trace/lots/?page_size=1000").content.decode()
