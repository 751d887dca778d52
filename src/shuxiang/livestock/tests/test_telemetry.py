"""What livestock derives from telemetry: the feed-intake drop alarm, the dawn-oxygen forecast, and the
plan's pigs-on-digital-feeding figure counted from feeders and the herd book."""

import json
import math
import random
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from shuxiang.core.actors import OPERATOR, Actor
from shuxiang.core.errors import ServiceError
from shuxiang.indicators.models import Indicator
from shuxiang.indicators.periods import parse_period
from shuxiang.iot import services as iot
from shuxiang.iot.models import Alarm, Reading
from shuxiang.livestock import indicators, services, telemetry
from shuxiang.livestock.models import Pond

NOW = datetime(2025, 8, 20, 12, 0, tzinfo=timezone.get_fixed_timezone(480))


def feed(pen, kg_per_day, start, days):
    """A feeder reporting every hour: kg_per_day spread over 24 readings."""
    for d in range(days):
        values = [("FEED", start + timedelta(days=d, hours=h + 1), kg_per_day / 24) for h in range(24)]
        iot.do_ingest_one(
            pen.feeder.code, values, actor=Actor.device(pen.feeder.code), now=start + timedelta(days=d + 1)
        )


@time_machine.travel(NOW, tick=False)
def test_a_pen_eating_a_quarter_less_than_its_week_raises_the_intake_alarm_and_a_case(
    pens, cast, django_capture_on_commit_callbacks
):
    finishing, nursery = pens
    services.do_record_entry(finishing, actor=OPERATOR, kind="purchase", count=400)
    start = NOW - timedelta(days=8)
    feed(finishing, 1000, start, 7)  # a week at 1000 kg a day
    feed(finishing, 740, start + timedelta(days=7), 1)  # the last 24 h: 26 % less
    feed(nursery, 300, start, 8)  # steady
    with django_capture_on_commit_callbacks(execute=True):
        drop = telemetry.do_check_intake(finishing, actor=Actor.system("livestock"), now=NOW)
    assert drop == pytest.approx(26.0)
    assert telemetry.do_check_intake(nursery, actor=Actor.system("livestock"), now=NOW) == pytest.approx(0.0)
    alarm = Alarm.objects.get(status="active")
    assert alarm.rule.name == "采食量下降" and alarm.sensor.device == finishing.feeder
    intake = telemetry.intake(finishing, NOW)
    assert (intake.last_24h, intake.mean_7d, intake.per_head) == (740.0, 1000.0, 1.85)
    from shuxiang.cases.models import Case

    case = Case.objects.get(case_type="livestock.alarm")
    assert "采食量下降" in case.title and case.place == finishing.farm.place


def test_feed_readings_from_an_unregistered_feeder_are_refused(pens):
    with pytest.raises(ServiceError) as exc:
        iot.do_ingest_one("FD-NOBODY", [("FEED", timezone.now(), 12.5)], actor=Actor.system("listener"))
    assert exc.value.code == "unknown_device" and not Reading.objects.exists()


def test_a_feeder_reports_through_the_http_endpoint_with_its_token(pens, client):
    finishing, _ = pens
    token = iot.do_rotate_device_token(finishing.feeder, actor=OPERATOR)["token"]
    response = client.post(
        "/api/v1/iot/telemetry",
        data=json.dumps({"FEED": 3.2}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )
    assert response.status_code in (200, 201, 202)
    assert Reading.objects.get().value == 3.2


# --- the plan's figure -----------------------------------------------------------------------


def test_pigs_on_digital_feeding_count_only_pens_whose_feeders_reported_in_24_hours(pens, places):
    finishing, nursery = pens
    q3 = parse_period("2025Q3")
    at = datetime(2025, 9, 30, 20, 0, tzinfo=timezone.get_fixed_timezone(480))
    with time_machine.travel(at - timedelta(days=20), tick=False):
        services.do_record_entry(finishing, actor=OPERATOR, kind="purchase", count=480)
        services.do_record_entry(nursery, actor=OPERATOR, kind="birth", count=350)
    with time_machine.travel(at, tick=False):
        # the finishing pen's feeder reported two hours ago; the nursery's went silent three days ago
        iot.do_ingest_one(finishing.feeder.code, [("FEED", at - timedelta(hours=2), 40)], actor=OPERATOR)
        iot.do_ingest_one(nursery.feeder.code, [("FEED", at - timedelta(days=3), 30)], actor=OPERATOR)
        rows = indicators.pigs_on_digital_feeding(q3)
        assert rows == [(places.village_a.pk, Decimal(480) / 10000, None)]
        stock = indicators.pig_stock_registered(q3)
        assert stock == [(places.village_a.pk, Decimal(830) / 10000, None)]


def test_a_past_quarter_is_counted_with_the_head_count_it_had_then(pens, places):
    finishing, _ = pens
    end_q2 = datetime(2025, 6, 30, 22, 0, tzinfo=timezone.get_fixed_timezone(480))
    with time_machine.travel(end_q2 - timedelta(hours=1), tick=False):
        services.do_record_entry(finishing, actor=OPERATOR, kind="purchase", count=200)
        iot.do_ingest_one(finishing.feeder.code, [("FEED", end_q2 - timedelta(hours=3), 20)], actor=OPERATOR)
    with time_machine.travel(end_q2 + timedelta(days=30), tick=False):
        services.do_record_entry(finishing, actor=OPERATOR, kind="sale", count=150)
        rows = indicators.pigs_on_digital_feeding(parse_period("2025Q2"))
    assert rows == [(places.village_a.pk, Decimal(200) / 10000, None)]


def test_the_plan_indicator_is_computed_by_livestock_not_typed(places):
    from shuxiang.plan.loader import load_file

    try:
        load_file(actor=OPERATOR)
    except ServiceError as exc:
        raise AssertionError(exc.fields) from exc
    indicator = Indicator.objects.get(code="digital_feeding_pigs")
    assert indicator.source == "computed" and indicator.computed_by == "livestock.pigs_on_digital_feeding"


# --- night oxygen ----------------------------------------------------------------------------

SH = timezone.get_fixed_timezone(480)


def replay_night(pond, day, profile, noise, seed):
    """Replay one night's DO every 10 minutes from 18:00 to 07:00 through the ingest path, the forecast
    running after each reading as the periodic task would. Returns (first forecast alarm, first fixed
    alarm) times."""
    rng = random.Random(seed)
    t = datetime(2025, 7, day, 18, 0, tzinfo=SH)
    end = t + timedelta(hours=13)
    while t <= end:
        hours = (t - datetime(2025, 7, day, 18, 0, tzinfo=SH)).total_seconds() / 3600
        value = max(profile(hours) + rng.uniform(-noise, noise), 0.2)
        iot.do_ingest_one(pond.device.code, [("DO", t, round(value, 2))], actor=OPERATOR, now=t)
        telemetry.do_forecast_oxygen(pond, actor=Actor.system("livestock"), now=t)
        t += timedelta(minutes=10)
    first = {}
    for alarm in Alarm.objects.filter(sensor__device=pond.device).select_related("rule"):
        first.setdefault(alarm.rule.key, alarm.started_at)
    return first.get("DOF"), first.get("DO")


# Nights as ponds have them: a still, hot night after a cloudy day (steady decline to ~1.5 mg/L),
# an algae crash (decline accelerating after midnight), and a good night that stays above 5 mg/L.
NIGHTS = {
    "steady": (lambda h: 8.5 - 0.55 * h, 0.15),
    "accelerating": (lambda h: 9.0 - 0.3 * h - 0.035 * h * h, 0.2),
    "slow_start": (lambda h: 7.5 - 0.8 * h * (1 - math.exp(-h / 4)), 0.1),
}


@pytest.mark.parametrize("name", sorted(NIGHTS))
def test_the_dawn_forecast_warns_two_hours_before_the_fixed_3_mg_alarm_on_replayed_nights(name, pond):
    profile, noise = NIGHTS[name]
    with time_machine.travel(datetime(2025, 7, 12, 7, 30, tzinfo=SH), tick=False):
        forecast_at, fixed_at = replay_night(pond, 11, profile, noise, seed=len(name))
    assert fixed_at is not None, "the replayed night must reach the fixed alarm"
    assert forecast_at is not None
    assert fixed_at - forecast_at >= timedelta(hours=2), (forecast_at, fixed_at)


def test_a_good_night_raises_no_forecast_alarm(pond):
    with time_machine.travel(datetime(2025, 7, 12, 7, 30, tzinfo=SH), tick=False):
        forecast_at, fixed_at = replay_night(pond, 11, lambda h: 9.0 - 0.2 * h, 0.1, seed=3)
    assert forecast_at is None and fixed_at is None


def test_the_forecast_needs_an_hour_of_the_night_before_it_speaks(pond):
    dusk = datetime(2025, 7, 11, 18, 0, tzinfo=SH)
    with time_machine.travel(dusk + timedelta(hours=2), tick=False):
        for i in range(4):
            iot.do_ingest_one(
                pond.device.code, [("DO", dusk + timedelta(minutes=10 * i), 8 - i * 0.5)], actor=OPERATOR
            )
        assert (
            telemetry.do_forecast_oxygen(
                Pond.objects.get(pk=pond.pk),
                actor=Actor.system("livestock"),
                now=dusk + timedelta(minutes=40),
            )
            is None
        )
