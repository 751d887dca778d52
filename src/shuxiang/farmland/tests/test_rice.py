"""The rice platform and the seedling factory: stages from dates, calendar reminders on a moved clock,
capacity, quality and delivery, greenhouse sensors on the iot engine."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from shuxiang.core.actors import OPERATOR, Actor
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import Notification
from shuxiang.farmland import rice, services
from shuxiang.farmland.models import Planting, RiceReminder, RiceVariety

pytestmark = pytest.mark.django_db
BEIJING = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def variety():
    return RiceVariety.objects.create(
        name="中早39",
        rice_type="early",
        growth_days=110,
        stages=[["秧田期", 0], ["分蘖期", 30], ["拔节孕穗期", 55], ["抽穗扬花期", 75], ["灌浆结实期", 85]],
        tasks=[[3, "秧田保温防冻"], [25, "移栽前施送嫁肥"], [40, "施分蘖肥、晒田控蘖"], [72, "防治稻瘟病"]],
    )


@pytest.fixture
def field(fields_a, variety, cast):
    return services.do_record_rice_season(
        actor=cast.grid_a,
        parcel=fields_a[0],
        season="2026-early",
        variety=variety,
        sowing_date=date(2026, 3, 25),
        transplant="machine",
        transplant_date=date(2026, 4, 20),
        grower_name="周氏家庭农场",
    )


def test_a_rice_field_counts_as_a_rice_planting_of_the_whole_polygon(field, fields_a):
    planting = Planting.objects.get()
    assert planting.crop == "rice" and planting.variety == "中早39"
    assert planting.area_m2 == pytest.approx(fields_a[0].area_m2, rel=1e-3)


def test_the_stage_follows_the_days_since_sowing_unless_corrected(field, cast):
    assert rice.stage_of(field, date(2026, 4, 1)) == "秧田期"
    assert rice.stage_of(field, date(2026, 5, 1)) == "分蘖期"
    assert rice.stage_of(field, date(2026, 6, 10)) == "抽穗扬花期"
    assert rice.stage_of(field, date(2026, 8, 1)) == "已成熟"
    services.do_update_rice_season(field, actor=cast.grid_a, stage_override="拔节孕穗期")
    assert rice.stage_of(field, date(2026, 5, 1)) == "拔节孕穗期"
    with pytest.raises(ServiceError):
        services.do_update_rice_season(field, actor=cast.grid_a, stage_override="开花期")


def test_calendar_reminders_reach_the_village_on_the_day_and_only_once(
    field, cast, django_capture_on_commit_callbacks
):
    day_24 = time_machine.travel(datetime(2026, 4, 18, 8, 0, tzinfo=BEIJING), tick=False)
    with day_24, django_capture_on_commit_callbacks(execute=True):
        assert rice.do_send_reminders(actor=OPERATOR) == 0  # nothing due
    day_25 = time_machine.travel(datetime(2026, 4, 19, 8, 0, tzinfo=BEIJING), tick=False)
    with day_25, django_capture_on_commit_callbacks(execute=True):
        assert rice.do_send_reminders(actor=OPERATOR) == 1  # 送嫁肥
        assert rice.do_send_reminders(actor=OPERATOR) == 0
    notes = Notification.objects.filter(title__contains="移栽前施送嫁肥")
    assert {n.recipient for n in notes} == {cast.village_a, cast.grid_a}
    assert RiceReminder.objects.get().day == 25
    # a run missed for two days still catches the task up, once
    with time_machine.travel(datetime(2026, 5, 6, 8, 0, tzinfo=BEIJING), tick=False):
        assert rice.do_send_reminders(actor=OPERATOR) == 1  # day 40 was 05-04


def test_a_second_rice_record_for_the_same_field_and_season_is_refused(field, variety, fields_a, cast):
    with pytest.raises(ServiceError) as caught:
        services.do_record_rice_season(
            actor=cast.grid_a, parcel=fields_a[0], season="2026-early", variety=variety,
            sowing_date=date(2026, 3, 26), transplant="manual",
        )  # fmt: skip
    assert caught.value.fields["season"] == ["该田块本季已有水稻记录"]


@pytest.fixture
def factory(places, cast):
    return services.do_create_seedling_factory(
        actor=cast.department, code="YY01", name="泉交河育秧工厂", place=places.village_a,
        capacity_trays=5000, device_code="GH-YY01",
    )  # fmt: skip


def test_a_seedling_factory_registers_its_greenhouse_sensors_and_rules_in_iot(factory):
    from shuxiang.iot.models import AlarmRule, Sensor

    assert factory.device.code == "GH-YY01"
    assert set(Sensor.objects.filter(device=factory.device).values_list("key", flat=True)) == {
        "T",
        "RH",
        "LUX",
    }
    rules = AlarmRule.objects.filter(device=factory.device)
    assert rules.get(name="棚温过高（烧苗风险）").threshold == 35


def test_greenhouse_telemetry_above_35_degrees_raises_an_alarm(factory):
    from django.utils import timezone

    from shuxiang.iot import services as iot
    from shuxiang.iot.models import Alarm

    now = timezone.now()
    iot.caches.clear()
    readings = [("T", now - timezone.timedelta(minutes=20), 36.5), ("T", now, 37.0)]
    iot.do_ingest([iot.Message("GH-YY01", readings)], actor=Actor.device("GH-YY01"))
    assert Alarm.objects.filter(rule__name="棚温过高（烧苗风险）").exists()


def test_batches_are_planned_within_capacity_checked_and_delivered(factory, variety, fields_a, cast):
    batch = services.do_create_batch(
        actor=cast.township_a, factory=factory, code="2026-YY01-001", variety=variety, trays=4000,
        sowing_date=date(2026, 3, 10), target_transplant_date=date(2026, 4, 8), parcels=fields_a[:2],
    )  # fmt: skip
    with pytest.raises(ServiceError) as caught:
        services.do_create_batch(
            actor=cast.township_a, factory=factory, code="2026-YY01-002", variety=variety, trays=1500,
            sowing_date=date(2026, 3, 12), target_transplant_date=date(2026, 4, 10),
        )  # fmt: skip
    assert "最多还能排 1000 盘" in caught.value.fields["trays"][0]
    with pytest.raises(ServiceError):
        services.do_deliver_batch(batch, actor=cast.township_a, trays=100)  # not checked yet
    services.do_check_batch(batch, actor=cast.township_a, germination_rate=91.5, note="秧苗整齐")
    assert batch.status == "ready"
    services.do_deliver_batch(batch, actor=cast.township_a, trays=4000)
    assert batch.status == "delivered" and batch.delivered_trays == 4000


def test_the_daily_task_sends_the_reminders_as_the_platforms_tasks_actor(field, cast):
    from shuxiang.farmland.tasks import send_rice_reminders

    with time_machine.travel(datetime(2026, 4, 19, 7, 10, tzinfo=BEIJING), tick=False):
        assert send_rice_reminders.call_local() == 1
    assert RiceReminder.objects.filter(rice_season=field, day=25).exists()
