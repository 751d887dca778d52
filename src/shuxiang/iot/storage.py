"""The write path for readings: one batch, duplicates ignored, the new rows returned.

PostgreSQL: binary COPY into a session temp table, then one
INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING (small batches skip the
COPY and use one multi-row INSERT). SQLite: multi-row
INSERT … ON CONFLICT DO NOTHING RETURNING in chunks under the variable limit.
The caller holds the transaction.
"""

from datetime import UTC, datetime

from django.db import connection

from shuxiang.iot import conf

TABLE = "iot_reading"
TEMP = "iot_reading_in"
SQLITE_CHUNK = 5000  # 3 parameters a row, well under SQLite's 32,766-variable limit
_temp_ready: set[int] = set()


def _utc(ts: datetime) -> datetime:
    return ts.astimezone(UTC)


def insert_readings(rows: list[tuple[int, datetime, float]]) -> list[tuple[int, datetime, float]]:
    """Store (sensor_id, ts, value) rows; returns the rows that were new (not already stored)."""
    if not rows:
        return []
    if connection.vendor == "postgresql":
        if len(rows) >= conf.COPY_THRESHOLD:
            return _copy_pg(rows)
        return _insert_values(rows, pg=True)
    return _insert_values(rows, pg=False)


def _insert_values(rows, *, pg: bool):
    new = []
    adapt = connection.ops.adapt_datetimefield_value
    for start in range(0, len(rows), SQLITE_CHUNK):
        chunk = rows[start : start + SQLITE_CHUNK]
        by_key = {}
        params = []
        for sensor_id, ts, value in chunk:
            stored_ts = _utc(ts) if pg else adapt(ts)
            by_key[(sensor_id, stored_ts if pg else str(stored_ts))] = (sensor_id, ts, value)
            params += [sensor_id, stored_ts, value]
        placeholders = ",".join(["(%s,%s,%s)"] * len(chunk))
        sql = (
            f"INSERT INTO {TABLE} (sensor_id, ts, value) VALUES {placeholders} "
            "ON CONFLICT DO NOTHING RETURNING sensor_id, ts"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            returned = cursor.fetchall()
        for sensor_id, ts in returned:
            key = (sensor_id, _utc(ts) if pg else str(ts))
            if key in by_key:
                new.append(by_key.pop(key))
    return new


def _raw_cursor():
    connection.ensure_connection()
    return connection.connection.cursor()


def _copy_pg(rows):
    cur = _raw_cursor()
    raw = connection.connection
    if id(raw) not in _temp_ready:
        cur.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {TEMP} (sensor_id bigint, ts timestamptz, value float8)"
        )
        _temp_ready.add(id(raw))
    by_key = {}
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
    cur.close()
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
    items = sorted(latest.items())
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            values = ",".join(["(%s::bigint,%s::timestamptz,%s::float8)"] * len(items))
            params = []
            for sensor_id, (ts, value) in items:
                params += [sensor_id, _utc(ts), value]
            cursor.execute(
                "UPDATE iot_sensor AS s SET last_value = v.value, last_ts = v.ts "
                f"FROM (VALUES {values}) AS v(id, ts, value) "
                "WHERE s.id = v.id AND (s.last_ts IS NULL OR s.last_ts < v.ts)",
                params,
            )
        else:
            adapt = connection.ops.adapt_datetimefield_value
            cursor.executemany(
                "UPDATE iot_sensor SET last_value = %s, last_ts = %s "
                "WHERE id = %s AND (last_ts IS NULL OR last_ts < %s)",
                [(value, adapt(ts), sensor_id, adapt(ts)) for sensor_id, (ts, value) in items],
            )


def touch_devices(device_ids, now: datetime) -> None:
    if not device_ids:
        return
    ids = sorted(set(device_ids))
    placeholders = ",".join(["%s"] * len(ids))
    stamp = _utc(now) if connection.vendor == "postgresql" else connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE iot_device SET last_seen_at = %s WHERE id IN ({placeholders}) "
            "AND (last_seen_at IS NULL OR last_seen_at < %s)",
            [stamp, *ids, stamp],
        )
