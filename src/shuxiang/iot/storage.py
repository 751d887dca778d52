"""The write path for readings: one batch, duplicates ignored, the new rows returned.

PostgreSQL: binary COPY into a session temp table, then one
INSERT … SELECT … ON CONFLICT DO NOTHING whose answer is the rows that were
already stored (small batches skip the COPY and insert from binary arrays). SQLite: multi-row
INSERT … ON CONFLICT DO NOTHING RETURNING in chunks under the variable limit.
The caller holds the transaction.
"""

from contextlib import contextmanager
from datetime import UTC, datetime

from django.db import connection, transaction

from shuxiang.iot import conf
from shuxiang.iot.choices import AlarmStatus

TABLE = "iot_reading"
TEMP = "iot_reading_in"
SQLITE_CHUNK = 5000  # 3 parameters a row, well under SQLite's 32,766-variable limit


def _utc(ts: datetime) -> datetime:
    return ts.astimezone(UTC)


def _sqlite_ts(ts: datetime) -> str:
    """Django's SQLite storage format for an aware datetime (naive UTC text), without its per-call overhead."""
    return ts.astimezone(UTC).replace(tzinfo=None).isoformat(" ")


def insert_readings(rows: list[tuple[int, datetime, float]]) -> list[tuple[int, datetime, float]]:
    """Store (sensor_id, ts, value) rows; returns the rows that were new (not already stored)."""
    if not rows:
        return []
    rows = _unique(rows)
    if connection.vendor == "postgresql":
        return _insert_pg(rows)
    return _insert_sqlite(rows)


def _unique(rows):
    """One row per (sensor, instant), the first one winning: ON CONFLICT may not meet the same key
    twice in one statement, and each row's position must stand for exactly one stored row."""
    seen = {}
    for row in rows:
        seen.setdefault((row[0], row[1]), row)
    return list(seen.values()) if len(seen) < len(rows) else rows


# The database answers with the positions of the rows it already had (an anti-join against what
# the INSERT returned): usually none, so nothing comes back to be parsed on the hot path.
_INSERT_FROM = (
    "WITH {source}ins AS (INSERT INTO " + TABLE + " (sensor_id, ts, value) "
    "SELECT sensor_id, ts, value FROM {src} ON CONFLICT DO NOTHING RETURNING sensor_id, ts) "
    "SELECT s.n FROM {src} AS s LEFT JOIN ins USING (sensor_id, ts) WHERE ins.sensor_id IS NULL"
)
_FROM_ARRAYS = _INSERT_FROM.format(
    source="src AS (SELECT * FROM unnest(%b::int8[], %b::timestamptz[], %b::float8[], %b::int4[]) "
    "AS t(sensor_id, ts, value, n)), ",
    src="src",
)
_FROM_STAGING = _INSERT_FROM.format(
    source=f"src AS (SELECT sensor_id, ts, value, n FROM {TEMP} WHERE batch = %s), ", src="src"
)


def _insert_pg(rows):
    """Small batches: one INSERT from binary arrays. Large ones: binary COPY into the session's
    staging table (emptied by the commit), then the same INSERT from it. One round trip fewer than
    COPY + INSERT + TRUNCATE, and no returned timestamps to parse."""
    with _raw_cursor() as cur:
        if len(rows) < conf.COPY_THRESHOLD:
            cur.execute(
                _FROM_ARRAYS,
                [[r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], list(range(len(rows)))],
            )
        else:
            batch = _next_staging_batch(cur)
            with cur.copy(f"COPY {TEMP} (batch, sensor_id, ts, value, n) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(["int8", "int8", "timestamptz", "float8", "int4"])
                for n, (sensor_id, ts, value) in enumerate(rows):
                    copy.write_row((batch, sensor_id, ts, value, n))
            cur.execute(_FROM_STAGING, [batch])
        already = {n for (n,) in cur.fetchall()}
    if not already:
        return rows
    return [row for n, row in enumerate(rows) if n not in already]


def _next_staging_batch(cur) -> int:
    """The staging table lives as long as the database session and is emptied by each commit.
    It is created (IF NOT EXISTS) until a transaction that created it has committed — a rolled-back
    one takes the table with it — and not asked for again on that connection after that (a replaced
    connection is a new object). Rows carry their batch's number, so batches inside one longer
    transaction do not see each other."""
    raw = cur.connection
    if not getattr(raw, "_shuxiang_staging", False):
        cur.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {TEMP} "
            "(batch bigint, sensor_id bigint, ts timestamptz, value float8, n int4) ON COMMIT DELETE ROWS"
        )
        transaction.on_commit(lambda: setattr(raw, "_shuxiang_staging", True))
    batch = getattr(raw, "_shuxiang_staging_batch", 0) + 1
    raw._shuxiang_staging_batch = batch
    return batch


def _insert_sqlite(rows):
    """Multi-row VALUES in chunks; timestamps come back as the stored text, not parsed."""
    new = []
    memo = {}

    def adapt(ts):  # a message's values share one timestamp: convert it once
        stored = memo.get(ts)
        if stored is None:
            stored = memo[ts] = _sqlite_ts(ts)
        return stored

    for start in range(0, len(rows), SQLITE_CHUNK):
        chunk = rows[start : start + SQLITE_CHUNK]
        by_key = {}
        params = []
        for sensor_id, ts, value in chunk:
            stored_ts = adapt(ts)
            by_key[(sensor_id, stored_ts)] = (sensor_id, ts, value)
            params += [sensor_id, stored_ts, value]
        placeholders = ",".join(["(%s,%s,%s)"] * len(chunk))
        sql = (
            f"INSERT INTO {TABLE} (sensor_id, ts, value) VALUES {placeholders} "
            "ON CONFLICT DO NOTHING RETURNING sensor_id, ts || %s"
        )
        params.append("")  # text concatenation: the value comes back as stored, no datetime parsing
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            returned = cursor.fetchall()
        for key in returned:
            if key in by_key:
                new.append(by_key.pop(key))
    return new


@contextmanager
def _raw_cursor():
    """A plain psycopg cursor: server-side parameter binding, unlike Django's client-side cursor,
    so array parameters are not spliced into the SQL text in Python. Errors still surface as
    Django's (OperationalError on a lost connection), which the listeners retry on."""
    import psycopg

    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        yield cursor


def update_latest(latest: dict[int, tuple[datetime, float]]) -> None:
    """Move each sensor's last_value/last_ts forward (never back: late arrivals do not overwrite)."""
    if not latest:
        return
    items = sorted(latest.items())  # one lock order for every writer
    if connection.vendor == "postgresql":
        with _raw_cursor() as cursor:
            # three array parameters instead of 3×n placeholders: the statement stays small and cheap to send
            cursor.execute(
                "UPDATE iot_sensor AS s SET last_value = v.value, last_ts = v.ts "
                "FROM unnest(%b::int8[], %b::timestamptz[], %b::float8[]) AS v(id, ts, value) "
                "WHERE s.id = v.id AND (s.last_ts IS NULL OR s.last_ts < v.ts)",
                [
                    [sensor_id for sensor_id, _ in items],
                    [ts for _, (ts, _) in items],
                    [value for _, (_, value) in items],
                ],
            )
        return
    stamps = {}  # a batch's readings share few instants (a message's values, a minute's uploads): convert each once
    params = []
    for sensor_id, (ts, value) in items:
        stamp = stamps.get(ts)
        if stamp is None:
            stamp = stamps[ts] = _sqlite_ts(ts)
        params.append((value, stamp, sensor_id, stamp))
    with connection.cursor() as cursor:
        cursor.executemany(
            "UPDATE iot_sensor SET last_value = %s, last_ts = %s "
            "WHERE id = %s AND (last_ts IS NULL OR last_ts < %s)",
            params,
        )


def touch_devices(device_ids, now: datetime) -> None:
    if not device_ids:
        return
    ids = sorted(set(device_ids))
    if connection.vendor == "postgresql":
        with _raw_cursor() as cursor:
            cursor.execute(
                "UPDATE iot_device SET last_seen_at = %s WHERE id = ANY(%b::int8[]) "
                "AND (last_seen_at IS NULL OR last_seen_at < %s)",
                [_utc(now), ids, _utc(now)],
            )
        return
    placeholders = ",".join(["%s"] * len(ids))
    stamp = _sqlite_ts(now)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE iot_device SET last_seen_at = %s WHERE id IN ({placeholders}) "
            "AND (last_seen_at IS NULL OR last_seen_at < %s)",
            [stamp, *ids, stamp],
        )


def active_alarm_ids(rule_ids, sensor_ids) -> list[int]:
    """Ids of the active alarms among these rules × sensors. Usually none: asked with two array
    parameters on PostgreSQL rather than hundreds of bound values."""
    if connection.vendor == "postgresql":
        with _raw_cursor() as cursor:
            cursor.execute(
                "SELECT id FROM iot_alarm WHERE status = %s "
                "AND rule_id = ANY(%b::int8[]) AND sensor_id = ANY(%b::int8[])",
                [AlarmStatus.ACTIVE.value, sorted(rule_ids), sorted(sensor_ids)],
            )
            return [row[0] for row in cursor.fetchall()]
    from shuxiang.iot.models import Alarm

    return list(
        Alarm.objects.filter(
            status=AlarmStatus.ACTIVE, rule_id__in=rule_ids, sensor_id__in=sensor_ids
        ).values_list("pk", flat=True)
    )


def update_alarm_repeats(alarms) -> None:
    """Write the repeats of a batch (value, time and count of the latest matching reading) in one statement."""
    if not alarms:
        return
    alarms = sorted(alarms, key=lambda a: a.pk)  # one lock order for every writer
    if connection.vendor == "postgresql":
        with _raw_cursor() as cursor:
            cursor.execute(
                "UPDATE iot_alarm AS a SET last_value = v.value, last_at = v.at, repeat_count = v.count "
                "FROM unnest(%b::int8[], %b::float8[], %b::timestamptz[], %b::int8[]) AS v(id, value, at, count) "
                "WHERE a.id = v.id",
                [
                    [a.pk for a in alarms],
                    [a.last_value for a in alarms],
                    [a.last_at for a in alarms],
                    [a.repeat_count for a in alarms],
                ],
            )
        return
    with connection.cursor() as cursor:
        cursor.executemany(
            "UPDATE iot_alarm SET last_value = %s, last_at = %s, repeat_count = %s WHERE id = %s",
            [(a.last_value, _sqlite_ts(a.last_at), a.repeat_count, a.pk) for a in alarms],
        )
