"""The ledger's pure functions: the one canonical text a fact is hashed in, the chain hash, and the text
a checkpoint signs. No database here — a consumer's script recomputes exactly these with hashlib."""

import hashlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

from django.db.models import Model
from django.utils import timezone

GENESIS = "0" * 64
CHECKPOINT_TYPE = "shuxiang.ledger.checkpoint"


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return value
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            raise TypeError("账本只接受带时区的时间")
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, float):
        # Floats are written as their shortest round-trip decimal text, so they hash the same everywhere.
        return format(Decimal(repr(value)).normalize(), "f")
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Model):
        return str(value.pk)
    raise TypeError(f"账本无法记录 {type(value).__name__} 类型的值")


def plain(value):
    """The JSON values a payload is recorded as (what `json.loads` of its canonical text gives back)."""
    return _plain(value)


def canonical(payload) -> str:
    """The one text form a payload is hashed in: plain JSON values, keys sorted, no spaces, UTF-8.

    Numbers other than integers become decimal strings and times become UTC ISO 8601 with "Z",
    so the same fact gives the same bytes on SQLite and PostgreSQL, today and after a restore.
    """
    return json.dumps(_plain(payload), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chain_hash(prev_hash: str, body: str) -> str:
    """An entry's hash: SHA-256 of the previous entry's hash (hex) followed by the entry's body."""
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def envelope_marks(stream: str, seq: int, key: str) -> tuple[str, str]:
    """Two pieces of text every canonical body of (stream, seq, key) contains: its top-level key member
    and its ending. Checking them costs far less than parsing the body, and the body is hashed, so a row
    renumbered or re-keyed without recomputing the chain shows."""
    dumps = json.dumps
    return (
        f'"key":{dumps(key, ensure_ascii=False)},"payload":',
        f',"seq":{seq},"stream":{dumps(stream, ensure_ascii=False)}}}',
    )


def checkpoint_body(n: int, stream: str, seq: int, head: str, at, prev: str, key_id: str) -> str:
    """The text a checkpoint signs: its number in the log, the stream's head, when, the previous
    checkpoint's digest and the signing key's id."""
    return canonical(
        {
            "type": CHECKPOINT_TYPE,
            "n": n,
            "stream": stream,
            "seq": seq,
            "head": head,
            "at": at.replace(microsecond=0) if isinstance(at, datetime) else at,
            "prev": prev,
            "key": key_id,
        }
    )
