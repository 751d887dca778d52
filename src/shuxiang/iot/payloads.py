"""Parsing ThingsBoard-style telemetry JSON into (key, ts, value) triples.

Accepted bodies (what existing firmware sends to ThingsBoard):
`{"ts": 1700000000000, "values": {"Z": 85.2}}`, a list of those, or a flat
`{"Z": 85.2, "VT": 12.1}` stamped with the arrival time.
"""

import math
from datetime import UTC, datetime

from shuxiang.core import jsonbody
from shuxiang.core.errors import ServiceError


def _ts_from_ms(raw) -> datetime:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise ServiceError("bad_payload", "ts 应为毫秒时间戳（整数）", {"ts": ["应为毫秒时间戳"]})
    try:
        return datetime.fromtimestamp(raw / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise ServiceError("bad_payload", "ts 超出可表示的时间范围", {"ts": ["超出范围"]}) from None


def _values(obj, ts) -> list[tuple[str, datetime, object]]:
    if not isinstance(obj, dict) or not obj:
        raise ServiceError("bad_payload", "values 应为非空的键值对象", {"values": ["应为非空对象"]})
    return [(str(k), ts, v) for k, v in obj.items()]


def parse_json(body: bytes | str, *, now: datetime) -> list[tuple[str, datetime, object]]:
    """Triples from a telemetry body; raises ServiceError(bad_json|bad_payload) for anything else."""
    try:
        data = jsonbody.loads(body)  # bounded depth and size: 50,000 nested brackets are a 400, not a 500
    except ServiceError as exc:
        raise ServiceError(
            "bad_json", f"报文不是合法的 JSON：{exc.message}", {"body": ["JSON 解析失败"]}
        ) from None
    items = data if isinstance(data, list) else [data]
    if not items:
        raise ServiceError("bad_payload", "报文为空", {"body": ["没有数据"]})
    out = []
    for item in items:
        if not isinstance(item, dict):
            raise ServiceError("bad_payload", "报文应为对象或对象数组", {"body": ["结构不符"]})
        if "values" in item or "ts" in item:
            if set(item) - {"ts", "values"}:
                raise ServiceError(
                    "bad_payload", "带 ts 的报文只能包含 ts 和 values", {"body": ["多余的字段"]}
                )
            ts = _ts_from_ms(item["ts"]) if "ts" in item else now
            out.extend(_values(item.get("values"), ts))
        else:
            out.extend(_values(item, now))
    return out
