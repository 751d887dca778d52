"""A farm's own staff (the producer role, operators of the farm's producer) keep its herd book and
nothing else; the animal-husbandry office edits the barn standards by stage in the browser and over
the API (audited, applied rules follow; bad figures write nothing)."""

import pytest

from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import AuditEntry
from shuxiang.iot.models import AlarmRule
from shuxiang.livestock import services, stage_standards, standards
from shuxiang.livestock.models import HerdEntry, StageStandard
from shuxiang.livestock.tests.conftest import code
from shuxiang.trace import services as trace


@pytest.fixture
def own_staff(farm, cast):
    trace.do_add_operator(farm.producer, cast.producer, actor=OPERATOR)
    return cast.producer


@pytest.fixture
def other_farm(places):
    from shuxiang.trace.models import Producer

    neighbour = Producer.objects.create(
        name="赫山区邻村养猪家庭农场", kind="family_farm", place=places.village_a
    )
    farm = services.do_create_farm(
        actor=OPERATOR,
        code=code("ZC"),
        name="邻村养猪场",
        kind="pig",
        producer=neighbour,
        place=places.village_a,
        design_capacity=800,
    )
    pen = services.do_create_pen(farm, actor=OPERATOR, code="F01", stage="finishing", capacity=400)
    return farm, pen


def test_a_farms_own_staff_see_and_keep_only_their_farms_herd_book(
    pens, own_staff, other_farm, client_for, api_for
):
    finishing, nursery = pens
    farm, their_pen = other_farm
    c = client_for(own_staff)
    listing = c.get("/livestock/").content.decode()
    assert finishing.farm.name in listing and farm.name not in listing
    assert c.get(f"/livestock/farms/{finishing.farm_id}/").status_code == 200
    assert c.get(f"/livestock/farms/{farm.pk}/").status_code == 404
    # the phone form: a purchase, then a move
    answer = c.post(
        f"/livestock/pens/{finishing.pk}/entries/", {"kind": "purchase", "count": 120, "submission_key": "k1"}
    )
    assert answer.status_code == 302
    finishing.refresh_from_db()
    assert finishing.head_count == 120
    api = api_for(own_staff)
    moved = api.post(
        f"/api/v1/livestock/pens/{finishing.pk}/inventory/",
        {"kind": "move", "count": 20, "to_pen": nursery.pk},
        format="json",
    )
    assert moved.status_code == 201 and moved.json()["head_count"] == 100
    assert api.get(f"/api/v1/livestock/pens/{finishing.pk}/inventory/").status_code == 200
    # the neighbour's barn does not exist for them, by page, API or service
    assert c.get(f"/livestock/pens/{their_pen.pk}/entries/").status_code == 404
    assert api.get(f"/api/v1/livestock/pens/{their_pen.pk}/inventory/").status_code == 404
    with pytest.raises(ServiceError) as exc:
        services.do_record_entry(their_pen, actor=own_staff, kind="birth", count=3)
    assert exc.value.status == 403 and "本经营主体" in exc.value.message
    assert not HerdEntry.objects.filter(pen=their_pen).exists()
    # they register nothing, and confirm no disease report
    assert c.get("/coldchain/vehicles/new/").status_code == 403


def test_the_office_edits_a_stage_in_the_browser_audited_and_applied_rules_follow(pens, cast, client_for):
    finishing, _ = pens
    services.do_apply_barn_rules(finishing, actor=OPERATOR)
    tuned = AlarmRule.objects.get(device=finishing.environment, name="育肥舍硫化氢超标")
    tuned.threshold = 9  # staff tuned this one on the iot rule page: left as they set it
    tuned.save()
    c = client_for(cast.district)
    assert "育肥舍" in c.get("/livestock/standards/").content.decode()
    bad = c.post(
        "/livestock/standards/finishing/",
        {"t_min": 25, "t_max": 20, "nh3": 25, "h2s": 10, "co2": 1500, "minutes": 30, "update_rules": "on"},
    )
    assert bad.status_code == 400 and "最高温度应高于最低温度" in bad.content.decode()
    assert not StageStandard.objects.exists()
    ok = c.post(
        "/livestock/standards/finishing/",
        {"t_min": 16, "t_max": 24, "nh3": 20, "h2s": 8, "co2": 1500, "minutes": 20, "update_rules": "on"},
    )
    assert ok.status_code == 302
    assert standards.barn_stage("finishing")["t_max"] == 24
    high = AlarmRule.objects.get(device=finishing.environment, name="育肥舍温度过高")
    assert (high.threshold, high.duration_minutes) == (24, 20)
    tuned.refresh_from_db()
    assert tuned.threshold == 9
    entry = AuditEntry.objects.filter(object_type="livestock.stagestandard").latest("pk")
    assert entry.actor == cast.district and entry.changes["t_max"] == [23, 24]
    page = c.get("/livestock/standards/").content.decode()
    assert "已修改" in page and "最高温度 23→24" in page
    # a township officer reads the standards but may not change them
    township = client_for(cast.township_a)
    assert township.get("/livestock/standards/").status_code == 200
    assert township.post("/livestock/standards/finishing/", {"t_min": 1}).status_code == 403


def test_the_standards_over_the_api(cast, api_for):
    api = api_for(cast.department)
    listing = api.get("/api/v1/livestock/stage-standards/").json()
    assert listing["count"] == 4 and {r["stage"] for r in listing["results"]} >= {"farrowing", "nursery"}
    body = {"t_min": 27, "t_max": 32, "nh3": 18, "h2s": 8, "co2": 1300, "minutes": 30}
    answer = api.put("/api/v1/livestock/stage-standards/farrowing/", body, format="json")
    assert answer.status_code == 200 and answer.json()["t_min"] == 27 and answer.json()["edited"] is True
    refused = api.put("/api/v1/livestock/stage-standards/farrowing/", {**body, "co2": -1}, format="json")
    assert (
        refused.status_code == 400
        and refused.json()["code"] == "invalid"
        and "co2" in refused.json()["fields"]
    )
    assert StageStandard.objects.get(stage="farrowing").co2 == 1300
    assert (
        api_for(cast.township_a)
        .put("/api/v1/livestock/stage-standards/farrowing/", body, format="json")
        .status_code
        == 403
    )


def test_a_stage_standard_needs_every_figure(cast):
    with pytest.raises(ServiceError) as exc:
        stage_standards.do_update_stage_standard("nursery", actor=cast.district, t_min=20)
    assert {"t_max", "nh3", "minutes"} <= set(exc.value.fields)
    assert not StageStandard.objects.exists()
