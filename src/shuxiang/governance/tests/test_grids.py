from datetime import timedelta

import pytest
from django.utils import timezone

from shuxiang.cases.models import Case, CaseCategory
from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError
from shuxiang.governance import services
from shuxiang.governance.models import Grid, Patrol

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[112.60, 28.47], [112.61, 28.47], [112.61, 28.48], [112.60, 28.48], [112.60, 28.47]]],
}
SHIFTED = {
    "type": "Polygon",
    "coordinates": [
        [[112.605, 28.47], [112.615, 28.47], [112.615, 28.48], [112.605, 28.48], [112.605, 28.47]]
    ],
}
BESIDE = {
    "type": "Polygon",
    "coordinates": [[[112.61, 28.47], [112.62, 28.47], [112.62, 28.48], [112.61, 28.48], [112.61, 28.47]]],
}


@pytest.fixture
def grid(places, cast):
    return services.do_create_grid(
        actor=cast.township_a,
        village=places.village_a,
        name="清水村第一网格",
        hamlets=[places.hamlet_a],
        workers=[cast.grid_a],
    )


@pytest.fixture
def category(db):
    return CaseCategory.objects.create(
        code="env-test", name="环境卫生", group="人居环境", case_type="complaint", is_public=True
    )


def test_a_grid_overlapping_another_is_refused_and_nothing_is_written(places, cast, grid):
    with pytest.raises(ServiceError) as exc:
        services.do_create_grid(
            actor=cast.township_a, village=places.village_a, name="重复", hamlets=[places.hamlet_a]
        )
    assert "第一网格" in exc.value.fields["hamlets"][0]
    services.do_create_grid(actor=OPERATOR, village=places.village_a, name="西片", geometry=SQUARE)
    with pytest.raises(ServiceError) as exc:
        services.do_create_grid(actor=OPERATOR, village=places.village_a, name="交叠", geometry=SHIFTED)
    assert "重叠" in exc.value.fields["geometry"][0]
    services.do_create_grid(
        actor=OPERATOR, village=places.village_a, name="东片", geometry=BESIDE
    )  # touching is fine
    assert sorted(Grid.objects.values_list("name", flat=True)) == ["东片", "清水村第一网格", "西片"]


def test_a_grid_worker_of_another_village_cannot_be_named(places, cast):
    with pytest.raises(ServiceError) as exc:
        services.do_create_grid(
            actor=OPERATOR,
            village=places.village_a,
            name="x",
            hamlets=[places.hamlet_a],
            workers=[cast.grid_b],
        )
    assert "workers" in exc.value.fields and not Grid.objects.exists()


def test_a_patrol_event_opens_a_case_of_its_category(cast, grid, category):
    now = timezone.now()
    patrol = services.do_record_patrol(
        grid,
        actor=cast.grid_a,
        started_at=now - timedelta(hours=2),
        ended_at=now,
        checked=["environment", "safety"],
        seen="村道旁垃圾堆积",
        route=[[112.600, 28.470, 1], [112.601, 28.470, 60], [112.601, 28.471, 120]],
        events=[{"category": "env-test", "description": "村道旁垃圾堆积，需清运"}],
        submission_key="patrol-1",
    )
    assert 150 < patrol.distance_m < 250
    case = patrol.cases.get()
    assert case.category == category and case.channel == "staff" and case.place_id == grid.hamlets.get().pk
    assert Case.objects.count() == 1
    again = services.do_record_patrol(
        grid,
        actor=cast.grid_a,
        started_at=now - timedelta(hours=2),
        ended_at=now,
        seen="x",
        submission_key="patrol-1",
    )
    assert again.pk == patrol.pk and Patrol.objects.count() == 1


def test_a_bad_event_writes_no_patrol(cast, grid):
    now = timezone.now()
    with pytest.raises(ServiceError):
        services.do_record_patrol(
            grid,
            actor=cast.grid_a,
            started_at=now - timedelta(hours=1),
            ended_at=now,
            seen="x",
            events=[{"category": "no-such", "description": "某问题描述"}],
        )
    assert not Patrol.objects.exists() and not Case.objects.exists()


def test_patrol_times_and_checklist_are_checked(cast, grid):
    now = timezone.now()
    with pytest.raises(ServiceError) as exc:
        services.do_record_patrol(
            grid, actor=cast.grid_a, started_at=now, ended_at=now - timedelta(hours=1), seen="x"
        )
    assert "ended_at" in exc.value.fields
    with pytest.raises(ServiceError) as exc:
        services.do_record_patrol(
            grid, actor=cast.grid_a, started_at=now - timedelta(hours=1), ended_at=now, checked=["ghost"]
        )
    assert "checked" in exc.value.fields


def test_only_the_grid_s_workers_log_its_patrols(places, cast, grid):
    now = timezone.now()
    with pytest.raises(ServiceError) as exc:
        services.do_record_patrol(
            grid, actor=cast.grid_b, started_at=now - timedelta(hours=1), ended_at=now, seen="x"
        )
    assert exc.value.status in (403, 404)
    assert not Patrol.objects.exists()


def test_grid_pages_show_workload_and_the_phone_form_records_a_patrol(cast, grid, category, client_for):
    web = client_for(cast.grid_a)
    assert "清水村第一网格" in web.get("/grids/").content.decode()
    form = web.get(f"/grids/{grid.code}/patrol/").content.decode()
    assert "环境卫生" in form and "巡查事项" in form
    now = timezone.localtime()
    r = web.post(
        f"/grids/{grid.code}/patrol/",
        {
            "started_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "ended_at": now.strftime("%Y-%m-%dT%H:%M"),
            "checked": ["environment"],
            "seen": "河道漂浮物",
            "event_category": "env-test",
            "event_description": "河道漂浮物较多，需要打捞",
            "route": "[]",
        },
    )
    assert r.status_code == 302, r.content.decode()[:1500]
    page = web.get(f"/grids/{grid.code}/").content.decode()
    assert "河道漂浮物" in page and "工作量" in page
    assert Case.objects.get().grid_worker_id in (None, cast.grid_a.pk)


def test_grid_and_patrol_api(places, cast, grid, api_for, category):
    api = api_for(cast.grid_a)
    data = api.get("/api/v1/grids/").json()
    assert data["count"] == 1 and data["results"][0]["village"] == places.village_a.code
    assert api.get("/api/v1/grids/?format=geojson").json()["type"] == "FeatureCollection"
    now = timezone.now()
    r = api.post(
        "/api/v1/grids/patrols/",
        {
            "grid": grid.code,
            "started_at": (now - timedelta(hours=1)).isoformat(),
            "ended_at": now.isoformat(),
            "seen": "巡查正常",
            "checked": ["policy"],
            "events": [{"category": "env-test", "description": "路灯损坏需要维修"}],
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    assert len(r.json()["cases"]) == 1
    assert api.get("/api/v1/grids/patrols/").json()["count"] == 1
    bad = api.post(
        "/api/v1/grids/patrols/",
        {"grid": grid.code, "started_at": "x", "ended_at": now.isoformat()},
        format="json",
    )
    assert bad.status_code == 400 and "started_at" in bad.json()["fields"]
    other = api_for(cast.township_b).get(f"/api/v1/grids/{grid.code}/")
    assert other.status_code == 404
