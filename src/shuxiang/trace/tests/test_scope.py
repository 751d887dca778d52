"""The core scope walk, run over this app's routes alone (so it can be run and read on its own)."""

import pytest

from shuxiang.core.tests import test_scope_walk as walk

pytestmark = pytest.mark.django_db


def trace_routes():
    return [r for r in walk.routed() if r[1]._meta.app_label == "trace"]


def test_every_trace_route_is_404_or_invisible_for_an_officer_of_another_township(
    cast, places, client_for, api_for, monkeypatch
):
    routes = trace_routes()
    assert len(routes) > 15
    monkeypatch.setattr(walk, "routed", lambda: routes)
    walk.test_township_officer_gets_404_for_other_townships_objects_on_every_route(
        cast, places, client_for, api_for
    )


def test_the_officers_own_lots_and_producers_are_listed(cast, places, client_for):
    samples = walk.load_samples()
    from shuxiang.trace.models import Lot, Producer

    web = client_for(cast.township_a)
    samples[Producer](places.hamlet_a, "本镇可见主体")
    samples[Lot](places.hamlet_a, "本镇可见批次")
    assert "本镇可见主体" in web.get("/trace/producers/?page_size=1000").content.decode()
    assert "本镇可见批次" in web.get("/trace/lots/?page_size=1000").content.decode()
