"""Telemetry that lasts years (issue 23): on PostgreSQL readings live in month partitions made ahead by a
periodic task, a reading whose month has no partition yet waits in the default partition and moves when it
comes, and retention drops whole months instead of deleting rows. Moved clock across months."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection

from shuxiang.core.actors import OPERATOR, Actor
from shuxiang.iot import partitions, rollups, services
from shuxiang.iot.models import Reading

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions are PostgreSQL's"),
]


def _rows_in(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{table}"')
        return cursor.fetchone()[0]


@pytest.fixture
def gauge(places):
    services.caches.clear()
    services.do_register_device(
        actor=OPERATOR,
        code="PART-1",
        protocol="http",
        place=places.hamlet_a,
        sensors=[{"key": "Z", "name": "水位", "unit": "m", "min_value": 0, "max_value": 100}],
    )
    return "PART-1"


def test_the_readings_table_is_partitioned_by_month_with_months_ahead():
    assert partitions.is_partitioned()
    names = {name for name, *_ in partitions.partitions()}
    now = datetime.now(UTC)
    this = partitions.month_start(now)
    assert partitions.partition_name(this) in names
    assert partitions.partition_name(partitions.next_month(this)) in names
    assert partitions.DEFAULT in names


def test_a_moved_clock_makes_the_next_months_and_their_readings_land_in_them(gauge):
    later = datetime(2031, 3, 10, 8, 0, tzinfo=UTC)
    with time_machine.travel(later, tick=False):
        made = partitions.ensure_partitions()
        assert made == ["iot_reading_y2031m03", "iot_reading_y2031m04", "iot_reading_y2031m05"]
        assert partitions.ensure_partitions() == []  # made once
        services.do_ingest_one(gauge, [("Z", later - timedelta(minutes=1), 12.5)], actor=Actor.device(gauge))
    assert _rows_in("iot_reading_y2031m03") == 1
    assert Reading.objects.get(ts=later - timedelta(minutes=1)).value == 12.5


def test_a_reading_without_its_month_waits_in_the_default_partition_and_moves_when_the_month_is_made(gauge):
    far = datetime(2033, 7, 1, 12, 0, tzinfo=UTC)
    with time_machine.travel(far, tick=False):
        services.do_ingest_one(gauge, [("Z", far, 3.0)], actor=Actor.device(gauge))  # no partition: default
        assert _rows_in(partitions.DEFAULT) == 1
        partitions.ensure_partitions()
    assert _rows_in(partitions.DEFAULT) == 0 and _rows_in("iot_reading_y2033m07") == 1
    assert Reading.objects.filter(ts=far).count() == 1


def test_retention_drops_whole_months_and_trims_the_one_across_the_horizon(gauge, settings):
    from shuxiang.iot import conf

    start = datetime(2035, 1, 15, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        partitions.ensure_partitions(ahead=4)
        for day in (1, 40, 70, 100):  # Jan 16, Feb 24, Mar 26, Apr 25
            at = start + timedelta(days=day)
            with time_machine.travel(at, tick=False):
                services.do_ingest_one(gauge, [("Z", at, float(day))], actor=Actor.device(gauge))
    horizon_now = start + timedelta(days=100 + 50)  # mid June; keep 60 days → horizon ~ Apr 14
    old = conf.RETENTION_DAYS
    conf.RETENTION_DAYS = 60
    try:
        rollups.purge_old_readings(now=horizon_now)
    finally:
        conf.RETENTION_DAYS = old
    names = {name for name, *_ in partitions.partitions()}
    assert "iot_reading_y2035m01" not in names and "iot_reading_y2035m03" not in names  # dropped whole
    assert "iot_reading_y2035m04" in names  # straddles the horizon: kept, trimmed
    assert sorted(Reading.objects.filter(sensor__device__code=gauge).values_list("value", flat=True)) == [
        100.0
    ]
