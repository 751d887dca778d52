"""Farms, pens and the herd book: head counts kept by entries, refused when they would go wrong."""

import pytest

from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import AuditEntry
from shuxiang.iot.models import AlarmRule
from shuxiang.livestock import services
from shuxiang.livestock.models import Farm, HerdEntry


def test_a_farm_is_owned_by_a_producer_of_the_traceability_registry(farm, producer):
    assert farm.producer == producer and producer.farms.get() == farm
    assert farm.has_manure_facility


def test_a_farm_without_a_producer_is_refused_and_nothing_is_written(places):
    with pytest.raises(ServiceError) as exc:
        services.do_create_farm(
            actor=OPERATOR, code="ZC-X1", name="无主猪场", kind="pig", producer=None, place=places.village_a
        )
    assert exc.value.code == "invalid" and "producer" in exc.value.fields
    assert not Farm.objects.filter(code="ZC-X1").exists()


def test_a_pen_with_an_environment_device_gets_its_stages_rules_from_the_standards(pens):
    finishing, _ = pens
    rules = {r.name: r for r in AlarmRule.objects.filter(device=finishing.environment)}
    assert rules["育肥舍温度过高"].threshold == 23 and rules["育肥舍温度过低"].threshold == 15
    assert rules["育肥舍氨气超标"].threshold == 25 and rules["育肥舍温度过高"].duration_minutes == 30
    # one click again adds nothing: the rules are there (and may have been edited)
    assert services.do_apply_barn_rules(finishing, actor=OPERATOR) == 0


def test_births_sales_and_deaths_move_the_head_count(pens, cast):
    finishing, _ = pens
    services.do_record_entry(finishing, actor=cast.grid_a, kind="purchase", count=300, weight_kg=7500)
    services.do_record_entry(finishing, actor=cast.grid_a, kind="sale", count=40, weight_kg=4600)
    services.do_record_entry(finishing, actor=cast.grid_a, kind="death", count=2)
    finishing.refresh_from_db()
    assert finishing.head_count == 258
    assert list(finishing.entries.values_list("delta", flat=True)) == [-2, -40, 300]


def test_a_move_writes_both_pens(pens, cast):
    finishing, nursery = pens
    services.do_record_entry(nursery, actor=cast.grid_a, kind="birth", count=120)
    services.do_record_entry(nursery, actor=cast.grid_a, kind="move", count=100, to_pen=finishing)
    nursery.refresh_from_db()
    finishing.refresh_from_db()
    assert (nursery.head_count, finishing.head_count) == (20, 100)
    move_in = finishing.entries.get()
    assert move_in.kind == "move_in" and move_in.other_pen == nursery


def test_a_move_from_an_empty_pen_is_refused_and_nothing_is_written(pens, cast):
    finishing, nursery = pens
    audit = AuditEntry.objects.count()
    with pytest.raises(ServiceError) as exc:
        services.do_record_entry(nursery, actor=cast.grid_a, kind="move", count=10, to_pen=finishing)
    assert exc.value.code == "negative_head_count" and "当前无存栏" in exc.value.message
    assert not HerdEntry.objects.exists() and AuditEntry.objects.count() == audit
    finishing.refresh_from_db()
    assert finishing.head_count == 0


def test_selling_more_than_the_pen_holds_is_refused(pens, cast):
    finishing, _ = pens
    services.do_record_entry(finishing, actor=cast.grid_a, kind="purchase", count=5)
    with pytest.raises(ServiceError) as exc:
        services.do_record_entry(finishing, actor=cast.grid_a, kind="sale", count=6)
    assert exc.value.fields == {"count": ["不能超过现有存栏 5 头"]}
    finishing.refresh_from_db()
    assert finishing.head_count == 5


@pytest.mark.parametrize("count", [-3, 0, 2.5, "十"])
def test_a_head_count_below_one_or_not_whole_is_refused(pens, cast, count):
    finishing, _ = pens
    with pytest.raises(ServiceError) as exc:
        services.do_record_entry(finishing, actor=cast.grid_a, kind="birth", count=count)
    assert "count" in exc.value.fields and not HerdEntry.objects.exists()


def test_a_repeated_submission_is_answered_with_the_first_entry(pens, cast):
    finishing, _ = pens
    first = services.do_record_entry(
        finishing, actor=cast.grid_a, kind="birth", count=11, submission_key="phone-1"
    )
    again = services.do_record_entry(
        finishing, actor=cast.grid_a, kind="birth", count=11, submission_key="phone-1"
    )
    finishing.refresh_from_db()
    assert first.pk == again.pk and finishing.head_count == 11


def test_a_grid_worker_of_another_village_cannot_record_for_this_farm(pens, cast):
    finishing, _ = pens
    with pytest.raises(ServiceError) as exc:
        services.do_record_entry(finishing, actor=cast.grid_b, kind="birth", count=1)
    assert exc.value.status == 404 and not HerdEntry.objects.exists()


def test_a_producers_recorder_account_gets_nothing_here(pens, cast):
    finishing, _ = pens
    with pytest.raises(ServiceError) as exc:
        services.do_record_entry(finishing, actor=cast.producer, kind="birth", count=1)
    assert exc.value.status == 403


def test_a_full_lagoon_and_a_missed_cleaning_raise_alarms_and_a_record_resets_the_clock(
    places, producer, cast, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from shuxiang.iot import services as iot
    from shuxiang.iot.models import Alarm

    farm = services.do_create_farm(
        actor=OPERATOR,
        code="ZC-L1",
        name="清水猪场",
        kind="pig",
        producer=producer,
        place=places.village_a,
        manure_type="lagoon",
        manure_capacity_m3=800,
        lagoon_code="LG-L1",
    )
    start = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        services.do_record_manure(
            farm, actor=cast.grid_a, kind="transport", volume_m3=120, destination="清水村水稻基地还田"
        )
        for minutes, level in ((0, 88), (20, 93), (40, 95), (60, 96)):
            at = start + timedelta(minutes=minutes)
            with time_machine.travel(at, tick=False):
                iot.do_ingest_one(farm.lagoon.code, [("LV", at, level)], actor=OPERATOR, now=at)
    assert Alarm.objects.get(status="active").rule.name == "粪污池将满"
    with (
        time_machine.travel(start + timedelta(days=8), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        iot.do_check_no_data(actor=OPERATOR)
    assert set(Alarm.objects.values_list("rule__name", flat=True)) == {"粪污池将满", "粪污清运超期"}
    from shuxiang.cases.models import Case

    assert (
        Case.objects.filter(case_type="livestock.alarm", source_ref=f"livestock.farm:{farm.pk}").count() == 1
    )
    with pytest.raises(ServiceError):
        services.do_record_manure(farm, actor=cast.grid_a, kind="cleaning", volume_m3=0)
