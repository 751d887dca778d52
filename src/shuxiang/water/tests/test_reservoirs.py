from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from shuxiang.core.actors import OPERATOR, Actor
from shuxiang.core.errors import ServiceError
from shuxiang.iot import services as iot
from shuxiang.iot.models import Alarm, AlarmRule
from shuxiang.water import services
from shuxiang.water.models import Reservoir


def level(reservoir, value, at=None):
    at = at or timezone.now()
    return iot.do_ingest_one(
        reservoir.device.code, [("Z", at, value)], actor=Actor.device(reservoir.device.code), now=at
    )


def test_a_reservoir_comes_with_its_rtu_sensors_and_standard_alarm_rules(reservoir):
    assert reservoir.device.protocol == "sl651" and len(reservoir.device.code) == 10
    assert set(reservoir.device.sensors.values_list("key", flat=True)) == {"Z", "PJ", "VT"}
    rules = {r.name: r for r in AlarmRule.objects.filter(device=reservoir.device)}
    assert rules["超汛限水位"].threshold == 84.5 and rules["接近坝顶"].threshold == 86.5
    assert rules["遥测中断"].kind == "no_data"


def test_levels_out_of_order_are_refused_in_chinese_and_nothing_is_saved(places):
    with pytest.raises(ServiceError) as exc:
        services.do_create_reservoir(
            actor=OPERATOR,
            code="BAD-1",
            place=places.village_a,
            rtu_code="0099000001",
            name="错库",
            scale="small2",
            dam_type="earth",
            capacity=10.0,
            normal_level=80.0,
            flood_limit_level=81.0,
            crest_elevation=79.0,
        )
    assert "flood_limit_level" in exc.value.fields and "crest_elevation" in exc.value.fields
    assert not Reservoir.objects.exists()
    from shuxiang.iot.models import Device

    assert not Device.objects.exists()


def test_a_township_officer_may_not_create_a_reservoir(places, cast):
    with pytest.raises(ServiceError) as exc:
        services.do_create_reservoir(
            actor=cast.township_a,
            code="X",
            place=places.village_a,
            name="某库",
            scale="small2",
            dam_type="earth",
            capacity=10.0,
            normal_level=80.0,
            flood_limit_level=79.0,
            crest_elevation=82.0,
        )
    assert exc.value.code == "forbidden"


def test_the_table_puts_reservoirs_over_their_flood_limit_first_with_the_margin(
    reservoir, places, cast, client_for
):
    other = services.do_create_reservoir(
        actor=OPERATOR,
        code="HS-SK-T02",
        place=places.village_a,
        rtu_code="0099000002",
        name="马鞍塘水库",
        scale="small1",
        dam_type="core",
        capacity=150.0,
        normal_level=60.0,
        flood_limit_level=59.0,
        crest_elevation=62.0,
    )
    level(reservoir, 84.2)
    level(other, 59.4)
    page = client_for(cast.township_a).get("/water/reservoirs/").content.decode()
    assert page.index("马鞍塘水库") < page.index("清水冲水库")
    assert "+0.40" in page and "超汛限" in page
    data = client_for(cast.township_a).get("/water/reservoirs/map.json").json()["reservoirs"]
    assert {r["name"]: r["status"] for r in data} == {"清水冲水库": "near", "马鞍塘水库": "over"}


def test_over_limit_filter_and_api_show_current_level_and_status(reservoir, cast, api_for):
    level(reservoir, 85.2)
    rows = api_for(cast.district).get("/api/v1/water/reservoirs/", {"status": "over"}).json()["results"]
    assert [(r["code"], r["level"], r["status"], r["place"]) for r in rows] == [
        ("HS-SK-T01", 85.2, "over", reservoir.place.code)
    ]
    assert (
        api_for(cast.district).get("/api/v1/water/reservoirs/", {"status": "normal"}).json()["results"] == []
    )


def test_the_detail_page_shows_the_level_against_its_limits(reservoir, cast, client_for):
    level(reservoir, 85.0)
    page = client_for(cast.township_a).get(f"/water/reservoirs/{reservoir.pk}/").content.decode()
    assert "85.00 m" in page and "超汛限" in page and "0.50 m" in page
    assert f'data-flood-limit="{reservoir.flood_limit_level}"' in page


def test_another_township_gets_404_for_the_reservoir(reservoir, cast, client_for, api_for):
    assert client_for(cast.township_b).get(f"/water/reservoirs/{reservoir.pk}/").status_code == 404
    assert api_for(cast.township_b).get(f"/api/v1/water/reservoirs/{reservoir.pk}/").status_code == 404
    assert client_for(cast.township_b).get("/water/reservoirs/map.json").json() == {"reservoirs": []}


def test_changing_the_flood_limit_moves_the_alarm_threshold(reservoir, cast):
    services.do_update_reservoir_levels(reservoir, actor=cast.department, flood_limit_level=84.0)
    assert AlarmRule.objects.get(device=reservoir.device, name="超汛限水位").threshold == 84.0
    level(reservoir, 84.2)
    assert Alarm.objects.get().rule.name == "超汛限水位"


def test_a_reservoir_alarm_opens_a_case_for_the_owner_unit(reservoir, django_capture_on_commit_callbacks):
    from shuxiang.cases.models import Case

    rule = AlarmRule.objects.get(device=reservoir.device, name="超汛限水位")
    iot.do_update_rule(rule, actor=OPERATOR, actions=["water.open_case"])
    at = datetime.now(UTC) - timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        level(reservoir, 85.0, at)
    case = Case.objects.get(source_ref=f"water.reservoir:{reservoir.pk}")
    assert case.case_type == "water.alarm" and case.priority == "urgent"
    assert case.extra == {"alarm": Alarm.objects.get().pk}
    assert case.unit == reservoir.owner_unit and "清水冲水库" in case.title


def test_a_reservoir_alarm_drafts_a_warning_for_the_downstream_villages(
    reservoir, django_capture_on_commit_callbacks
):
    from shuxiang.warnings.models import Warning

    rule = AlarmRule.objects.get(device=reservoir.device, name="超汛限水位")
    iot.do_update_rule(
        rule, actor=OPERATOR, actions=["water.issue_warning"], action_config={"colour": "orange"}
    )
    with django_capture_on_commit_callbacks(execute=True):
        level(reservoir, 85.0)
    warning = Warning.objects.get()
    assert warning.status == "pending" and warning.colour == "orange"
    assert "清水冲水库" in warning.headline


def test_a_rule_configured_for_immediate_issue_issues_the_warning_at_once(
    reservoir, django_capture_on_commit_callbacks
):
    from shuxiang.warnings.models import Warning

    rule = AlarmRule.objects.get(device=reservoir.device, name="超汛限水位")
    iot.do_update_rule(
        rule,
        actor=OPERATOR,
        actions=["water.issue_warning"],
        action_config={"colour": "yellow", "immediate": True},
    )
    with django_capture_on_commit_callbacks(execute=True):
        level(reservoir, 85.0)
    assert Warning.objects.get().status == "issued"
