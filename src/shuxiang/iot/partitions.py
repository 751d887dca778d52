"""Readings partitioned by month on PostgreSQL (docs/iot.md, docs/operations.md).

`iot_reading` is a table PARTITION BY RANGE (ts) with one partition per calendar month (UTC),
`iot_reading_yYYYYmMM`, and a DEFAULT partition that catches a reading no month partition holds yet (a clock
far off, a task that did not run). The periodic task makes the partitions of this month and the next
`AHEAD` months every day; retention detaches and drops whole months older than SHUXIANG_IOT_RETENTION_DAYS
instead of deleting row by row (the month that straddles the horizon is trimmed with DELETE). The primary key
(sensor_id, ts) includes the partition key, so ingestion's INSERT … ON CONFLICT DO NOTHING works unchanged.

SQLite keeps one table: these functions do nothing there.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import connection, transaction

TABLE = "iot_reading"
DEFAULT = "iot_reading_default"
AHEAD = 2


def enabled() -> bool:
    return connection.vendor == "postgresql"


def month_start(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def next_month(start: datetime) -> datetime:
    return datetime(start.year + (start.month == 12), start.month % 12 + 1, 1, tzinfo=UTC)


def partition_name(start: datetime) -> str:
    return f"{TABLE}_y{start.year:04d}m{start.month:02d}"


def is_partitioned() -> bool:
    if not enabled():
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid WHERE c.relname = %s",
            [TABLE],
        )
        return cursor.fetchone() is not None


def partitions() -> list[tuple[str, datetime | None, datetime | None]]:
    """(name, from, to) of every partition; the default partition has no bounds."""
    if not enabled():
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent "
            "WHERE p.relname = %s ORDER BY c.relname",
            [TABLE],
        )
        rows = cursor.fetchall()
    found = []
    for name, bound in rows:
        if bound == "DEFAULT":
            found.append((name, None, None))
            continue
        # FOR VALUES FROM ('2026-12-01 00:00:00+00') TO ('2027-01-01 00:00:00+00')
        parts = bound.split("'")
        found.append((name, datetime.fromisoformat(parts[1]), datetime.fromisoformat(parts[3])))
    return found


@transaction.atomic
def ensure_month(start: datetime) -> bool:
    """Make the partition of the month beginning at `start`; readings of that month waiting in the default
    partition move into it. Returns whether it was made."""
    name = partition_name(start)
    end = next_month(start)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_class WHERE relname = %s", [name])
        if cursor.fetchone():
            return False
        cursor.execute(f'CREATE TABLE "{name}" (LIKE "{TABLE}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)')
        cursor.execute(
            f'WITH moved AS (DELETE FROM "{DEFAULT}" WHERE ts >= %s AND ts < %s RETURNING sensor_id, ts, value) '
            f'INSERT INTO "{name}" (sensor_id, ts, value) SELECT sensor_id, ts, value FROM moved',
            [start, end],
        )
        cursor.execute(
            f'ALTER TABLE "{TABLE}" ATTACH PARTITION "{name}" FOR VALUES FROM (%s) TO (%s)', [start, end]
        )
    return True


def ensure_partitions(now: datetime | None = None, ahead: int = AHEAD) -> list[str]:
    """This month's and the next `ahead` months' partitions (the daily task, and after migrating)."""
    if not is_partitioned():
        return []
    start = month_start(now or datetime.now(UTC))
    made = []
    for _ in range(ahead + 1):
        if ensure_month(start):
            made.append(partition_name(start))
        start = next_month(start)
    return made


def drop_before(horizon: datetime) -> list[str]:
    """Detach and drop every month partition that ends at or before `horizon` (retention)."""
    dropped = []
    for name, _start, end in partitions():
        if end is not None and end <= horizon:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f'ALTER TABLE "{TABLE}" DETACH PARTITION "{name}"')
                cursor.execute(f'DROP TABLE "{name}"')
            dropped.append(name)
    return dropped


def convert_table(schema_editor) -> None:
    """The migration: the plain table becomes a partitioned one, its rows copied month by month."""
    cursor = schema_editor.connection.cursor()
    cursor.execute(f'ALTER TABLE "{TABLE}" RENAME TO "{TABLE}_unpartitioned"')
    cursor.execute(
        f'ALTER TABLE "{TABLE}_unpartitioned" RENAME CONSTRAINT "{TABLE}_pkey" TO "{TABLE}_unpartitioned_pkey"'
    )
    cursor.execute(
        f'CREATE TABLE "{TABLE}" (sensor_id bigint NOT NULL, ts timestamptz NOT NULL, value double precision NOT NULL, '
        f'CONSTRAINT "{TABLE}_pkey" PRIMARY KEY (sensor_id, ts)) PARTITION BY RANGE (ts)'
    )
    cursor.execute(f'CREATE TABLE "{DEFAULT}" PARTITION OF "{TABLE}" DEFAULT')
    cursor.execute(f'SELECT min(ts), max(ts) FROM "{TABLE}_unpartitioned"')
    low, high = cursor.fetchone()
    now = datetime.now(UTC)
    start = month_start(low or now)
    stop = next_month(month_start(max(high or now, now) + timedelta(days=31 * AHEAD)))
    while start < stop:
        end = next_month(start)
        name = partition_name(start)
        cursor.execute(
            f'CREATE TABLE "{name}" PARTITION OF "{TABLE}" FOR VALUES FROM (%s) TO (%s)', [start, end]
        )
        start = end
    cursor.execute(
        f'INSERT INTO "{TABLE}" (sensor_id, ts, value) SELECT sensor_id, ts, value FROM "{TABLE}_unpartitioned"'
    )
    cursor.execute(f'DROP TABLE "{TABLE}_unpartitioned"')


def unconvert_table(schema_editor) -> None:
    cursor = schema_editor.connection.cursor()
    cursor.execute(
        f'CREATE TABLE "{TABLE}_plain" (sensor_id bigint NOT NULL, ts timestamptz NOT NULL, value double precision NOT NULL)'
    )
    cursor.execute(f'INSERT INTO "{TABLE}_plain" SELECT sensor_id, ts, value FROM "{TABLE}"')
    cursor.execute(f'DROP TABLE "{TABLE}" CASCADE')
    cursor.execute(f'ALTER TABLE "{TABLE}_plain" RENAME TO "{TABLE}"')
    cursor.execute(f'ALTER TABLE "{TABLE}" ADD CONSTRAINT "{TABLE}_pkey" PRIMARY KEY (sensor_id, ts)')
