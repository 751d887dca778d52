"""The write path for readings: one batch, duplicates ignored, the new rows returned.

PostgreSQL: binary COPY into a session temp table, then one
INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING (small batches skip the
COPY and use one multi-row INSERT). SQLite: multi-row
INSERT … ON CONFLICT DO NOTHING RETURNING in chunks under the variable limit.
The caller holds the transaction.
"""

from contextlib import contextmanager
from datetime import UTC, datetime

from django.db import connection

from shuxiang.iot import conf

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
    if connection.vendor == "postgresql":
        if len(rows) >= conf.COPY_THRESHOLD:
            return _copy_pg(rows)
        return _insert_unnest(rows)
    return _insert_values(rows, pg=False)


def _insert_unnest(rows):
    by_key = {(sensor_id, _utc(ts)): (sensor_id, ts, value) for sensor_id, ts, value in rows}
    with _raw_cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (sensor_id, ts, value) "
            "SELECT * FROM unnest(%s::bigint[], %s::timestamptz[], %s::float8[]) "
            "ON CONFLICT DO NOTHING RETURNING sensor_id, ts",
            [[r[0] for r in rows], [_utc(r[1]) for r in rows], [r[2] for r in rows]],
        )
        returned = cursor.fetchall()
    return [
        by_key.pop((sensor_id, _utc(ts))) for sensor_id, ts in returned if (sensor_id, _utc(ts)) in by_key
    ]


def _insert_values(rows, *, pg: bool):
    """SQLite (and PostgreSQL, if asked): multi-row VALUES in chunks."""
    new = []
    memo = {}

    def adapt(ts):  # a message's values share one timestamp: convert it once
        stored = memo.get(ts)
        if stored is None:
            stored = memo[ts] = _utc(ts) if pg else _sqlite_ts(ts)
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
            f"ON CONFLICT DO NOTHING RETURNING sensor_id, {'ts' if pg else 'ts || %s'}"
        )
        if not pg:
            params.append("")  # text concatenation: the value comes back as stored, no datetime parsing
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            returned = cursor.fetchall()
        for sensor_id, ts in returned:
            key = (sensor_id, _utc(ts) if pg else ts)
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


def _copy_pg(rows):
    by_key = {}
    with _raw_cursor() as cur:
        # the session's staging table; "IF NOT EXISTS" also covers a connection that was replaced
        cur.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {TEMP} (sensor_id bigint, ts timestamptz, value float8)"
        )
        with cur.copy(f"COPY {TEMP} (sensor_id, ts, value) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["int8", "timestamptz", "float8"])
            for sensor_id, ts, value in rows:
                utc = _utc(ts)
                by_key[(sensor_id, utc)] = (sensor_id, ts, value)
                copy.write_row((sensor_id, utc, value))
        cur.execute(
            f"INSERT INTO {TABLE} (sensor_id, ts, value) SELECT sensor_id, ts, value FROM {TEMP} "
            "ON CONFLICT DO NOTHING RETURNING sensor_id, ts"
        )
        returned = cur.fetchall()
        cur.execute(f"TRUNCATE {TEMP}")
    new = []
    for sensor_id, ts in returned:
        original = by_key.pop((sensor_id, _utc(ts)), None)
        if original is not None:
            new.append(original)
    return new


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
                "FROM unnest(%s::bigint[], %s::timestamptz[], %s::float8[]) AS v(id, ts, value) "
                "WHERE s.id = v.id AND (s.last_ts IS NULL OR s.last_ts < v.ts)",
                [
                    [sensor_id for sensor_id, _ in items],
                    [_utc(ts) for _, (ts, _) in items],
                    [value for _, (_, value) in items],
                ],
            )
        return
    with connection.cursor() as cursor:
        cursor.executemany(
            "UPDATE iot_sensor SET last_value = %s, last_ts = %s "
            "WHERE id = %s AND (last_ts IS NULL OR last_ts < %s)",
            [(value, _sqlite_ts(ts), sensor_id, _sqlite_ts(ts)) for sensor_id, (ts, value) in items],
        )


def touch_devices(device_ids, now: datetime) -> None:
    if not device_ids:
        return
    ids = sorted(set(device_ids))
    if connection.vendor == "postgresql":
        with _raw_cursor() as cursor:
            cursor.execute(
                "UPDATE iot_device SET last_seen_at = %s WHERE id = ANY(%s::bigint[]) "
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
