"""Rice stages follow effective accumulated temperature (有效积温) from the weather stations' readings in iot:
the township's own stations first, the county mean where the township has none, the day count when the
temperatures do not cover the season; a stage corrected by hand stays as it was set."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from shuxiang.core.actors import OPERATOR
from shuxiang.farmland import rice, services, thermal
from shuxiang.farmland.models import DailyAirTemperature, RiceVariety
from shuxiang.iot import services as iot

pytestmark = pytest.mark.django_db
DAYS = 20  # sown 20 days ago; readings for the 20 days through yesterday


def daily_mean(i: int) -> float:
    """Day i after sowing: 20, 21, 22, 20, 21, 22, … ℃ → 10, 11, 12 effective degree-days above 10 ℃."""
    return 20 + i % 3


# Hand-computed: i = 0..19 has seven days of 10, seven of 11 and six of 12 degree-days.
TOTAL = 7 * 10 + 7 * 11 + 6 * 12  # 219


@pytest.fixture(autouse=True)
def fresh_iot_caches():
    """The iot registry cache follows a version number that each test's rollback resets: start and leave
    it empty, so the devices registered here are neither missed now nor haunting the next test."""
    iot.caches.clear()
    yield
    iot.caches.clear()


@pytest.fixture
def variety():
    return RiceVariety.objects.create(
        name="积温测试稻", rice_type="late", growth_days=118,
        stages=[["秧田期", 0], ["分蘖期", 30], ["拔节孕穗期", 58], ["抽穗扬花期", 78], ["灌浆结实期", 92]],
        stages_gdd=[["秧田期", 0], ["分蘖期", 100], ["拔节孕穗期", 200], ["抽穗扬花期", 300], ["灌浆结实期", 350]],
        maturity_gdd=500, tasks=[],
    )  # fmt: skip


@pytest.fixture
def station(places):
    """A weather station in 清水村 (泉交河镇) reporting air temperature (SL 651 element AI) four times a
    day: mean − 2, mean + 2, mean − 1, mean + 1 — so each day's mean is exactly daily_mean(i)."""
    device, _ = iot.do_register_device(
        actor=OPERATOR, code="QX-TEST-01", protocol="mqtt", place=places.village_a, name="清水村气象站",
        kind=thermal.STATION_KIND, sensors=[{"key": "AI", "name": "气温", "unit": "℃"}],
    )  # fmt: skip
    today = timezone.localdate()
    sown = today - timedelta(days=DAYS)
    values = []
    for i in range(DAYS):
        day = sown + timedelta(days=i)
        for hour, delta in ((2, -2), (8, 2), (14, -1), (20, 1)):
            at = datetime.combine(day, time(hour), tzinfo=thermal.BEIJING)
            values.append(("AI", at, daily_mean(i) + delta))
    outcomes = iot.do_ingest([iot.Message(device.code, values)], actor=OPERATOR)
    assert outcomes[0].ok, outcomes[0].error
    thermal.do_compute_daily_temperatures(sown, today, actor=OPERATOR)
    return device


@pytest.fixture
def fields(fields_a, field_b, variety):
    """One field in 清水村 (the station's township) and one in 荷花村 (兰溪镇, no station), both sown 20 days ago."""
    sown = timezone.localdate() - timedelta(days=DAYS)
    return [
        services.do_record_rice_season(
            actor=OPERATOR,
            parcel=parcel,
            season=f"{sown.year}-late",
            variety=variety,
            sowing_date=sown,
            transplant="machine",
        )  # fmt: skip
        for parcel in (fields_a[0], field_b)
    ]


def test_daily_means_per_township_and_county_are_computed_idempotently(station, places):
    today = timezone.localdate()
    sown = today - timedelta(days=DAYS)
    rows = DailyAirTemperature.objects.filter(place=places.township_a).order_by("day")
    assert [r.mean for r in rows] == [daily_mean(i) for i in range(DAYS)]
    assert {r.station_names for r in rows} == {"清水村气象站"} and {r.readings for r in rows} == {4}
    assert DailyAirTemperature.objects.filter(place__level=1).count() == DAYS
    assert not DailyAirTemperature.objects.filter(place=places.township_b).exists()
    before = DailyAirTemperature.objects.count()
    thermal.do_compute_daily_temperatures(sown, today, actor=OPERATOR)
    assert DailyAirTemperature.objects.count() == before == 2 * DAYS


def test_a_station_day_with_too_few_readings_is_left_out(places):
    device, _ = iot.do_register_device(
        actor=OPERATOR, code="QX-TEST-02", protocol="mqtt", place=places.village_b, name="荷花村气象站",
        kind=thermal.STATION_KIND, sensors=[{"key": "AI", "name": "气温", "unit": "℃"}],
    )  # fmt: skip
    day = timezone.localdate() - timedelta(days=2)
    at = datetime.combine(day, time(14), tzinfo=thermal.BEIJING)
    iot.do_ingest(
        [iot.Message(device.code, [("AI", at, 31.0), ("AI", at + timedelta(hours=1), 32.0)])], actor=OPERATOR
    )
    assert thermal.do_compute_daily_temperatures(day, day, actor=OPERATOR) == 0
    assert not DailyAirTemperature.objects.exists()


def test_degree_days_accumulate_from_the_township_station_as_hand_computed(station, fields):
    own, _ = fields
    yesterday = timezone.localdate() - timedelta(days=1)
    acc = thermal.Thermal().accumulation(own, yesterday)
    assert acc.gdd == TOTAL == 219
    assert (acc.kind, acc.station_days, acc.county_days, acc.projected_days) == ("station", DAYS, 0, 0)
    assert acc.source == "积温取自站点清水村气象站"
    # 219 ℃·d is past 拔节孕穗期 (200) although 19 days after sowing the day calendar says 秧田期
    assert rice.stage_of(own, yesterday) == "拔节孕穗期"
    assert rice.stage_by_days(own, yesterday) == "秧田期"
    # the first days: 10 + 11 + 12
    assert thermal.Thermal().accumulation(own, own.sowing_date + timedelta(days=2)).gdd == 33


def test_days_after_the_last_measured_one_are_projected_from_the_last_week(station, fields):
    own, _ = fields
    later = timezone.localdate() + timedelta(days=2)  # 3 days past the last measured day
    acc = thermal.Thermal().accumulation(own, later)
    # the last seven measured days (i = 13..19) average (11+12+10+11+12+10+11)/7 = 11 ℃·d
    assert (acc.gdd, acc.projected_days) == (TOTAL + 3 * 11, 3)
    assert "近期均温外推 3 天" in acc.source
    too_far = timezone.localdate() + timedelta(days=thermal.PROJECT_DAYS + 1)
    assert thermal.Thermal().accumulation(own, too_far).gdd is None


def test_the_base_temperature_cuts_each_day_at_zero(station, fields, variety):
    own, _ = fields
    variety.base_temperature = 21
    variety.save()
    own.refresh_from_db()
    # max(0, 20-21) + max(0, 21-21) + max(0, 22-21) over 20 days: six days of 1
    assert thermal.Thermal().accumulation(own, timezone.localdate() - timedelta(days=1)).gdd == 6


def test_a_township_without_a_station_takes_the_county_mean_then_the_day_count(station, fields, places):
    own, other = fields
    yesterday = timezone.localdate() - timedelta(days=1)
    acc = thermal.Thermal().accumulation(other, yesterday)
    assert (acc.gdd, acc.kind, acc.source) == (TOTAL, "county", "积温取自全区站点均值")
    # the township's station misses a day: that day comes from the county mean
    gap = own.sowing_date + timedelta(days=5)
    DailyAirTemperature.objects.filter(place=places.township_a, day=gap).delete()
    acc = thermal.Thermal().accumulation(own, yesterday)
    assert (acc.gdd, acc.kind, acc.station_days, acc.county_days) == (TOTAL, "mixed", DAYS - 1, 1)
    # a day with no mean anywhere: the whole field falls back to the day count
    DailyAirTemperature.objects.filter(day=gap).delete()
    for record in (own, other):
        stage, acc = rice.stage_info(record, yesterday)
        assert (stage, acc.gdd, acc.source) == ("秧田期", None, "按天数估算")


def test_without_any_temperature_or_degree_day_calendar_the_day_count_applies(fields, variety):
    own, _ = fields
    assert rice.stage_info(own)[1].source == "按天数估算"
    variety.stages_gdd = []
    variety.save()
    own.refresh_from_db()
    assert rice.stage_of(own) == rice.stage_by_days(own, timezone.localdate())


def test_a_stage_corrected_by_hand_stays_over_the_degree_days(station, fields, cast, client_for, api_for):
    own, _ = fields
    services.do_update_rice_season(own, actor=cast.township_a, stage_override="分蘖期")
    own.refresh_from_db()
    assert rice.stage_of(own) == "分蘖期"
    page = client_for(cast.township_a).get(f"/rice/fields/{own.pk}/").content.decode()
    assert "分蘖期" in page and "人工修正" in page
    row = api_for(cast.district).get(f"/api/v1/rice/fields/{own.pk}/").json()
    assert (row["stage"], row["stage_source"], row["degree_days"]) == ("分蘖期", "override", None)


def test_the_field_page_and_api_say_where_the_stage_came_from(station, fields, cast, client_for, api_for):
    own, other = fields
    page = client_for(cast.district).get(f"/rice/fields/{own.pk}/").content.decode()
    assert "积温取自站点清水村气象站" in page and "拔节孕穗期" in page
    assert 'id="gdd-stages"' in page and "尚未达到" in page
    rows = {r["id"]: r for r in api_for(cast.district).get("/api/v1/rice/fields/").json()["results"]}
    assert rows[own.pk]["stage_source"] == "station" and rows[other.pk]["stage_source"] == "county"
    assert rows[own.pk]["stage"] == "拔节孕穗期"
    # today is projected one day from the last week: 219 + 11
    assert rows[own.pk]["degree_days"] == TOTAL + 11


def test_the_nightly_task_and_the_command_compute_the_same_rows(station, places, capsys):
    from django.core.management import call_command

    from shuxiang.farmland.tasks import compute_daily_temperatures

    DailyAirTemperature.objects.all().delete()
    compute_daily_temperatures()  # the last three days, as the tasks actor
    assert DailyAirTemperature.objects.filter(place=places.township_a).count() == 3
    start = (timezone.localdate() - timedelta(days=DAYS)).isoformat()
    call_command("farmland", "temperatures", "--from", start)
    assert DailyAirTemperature.objects.count() == 2 * DAYS
    assert "已计算日平均气温 40 条" in capsys.readouterr().out
