"""The ledger engine's public API: `append`, `verify`, `checkpoint`, `register_source`.

Any app makes its records provable by appending their canonical payload:

    from shuxiang.ledger import services as ledger
    ledger.append("trace", {"lot": "...", "bizStep": "harvesting", ...}, key=f"trace.event:{e.pk}", actor=user)

and, so that a direct edit of the app's own table is caught too, registers a
source that returns the current payload of the records behind a set of keys:

    ledger.register_source("trace", lambda keys: {key: payload, ...})

`verify()` recomputes every chain and names the first entry that no longer
holds: a changed body or hash, a broken link, a missing (deleted) row, a head
or checkpoint that disagrees, or a source record that was changed or deleted.
"""

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone

from shuxiang.core.audit import actor_label
from shuxiang.core.errors import ServiceError
from shuxiang.ledger.models import GENESIS, LedgerCheckpoint, LedgerEntry, LedgerHead

CHUNK = 2000
STREAM_MAX = 100

# stream -> fetch(keys) -> {key: current payload}; apps register in AppConfig.ready().
sources: dict[str, Callable[[list[str]], dict]] = {}


def register_source(stream: str, fetch: Callable[[list[str]], dict]) -> None:
    sources[stream] = fetch


# --- canonical form ------------------------------------------------------------------------


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


def canonical(payload) -> str:
    """The one text form a payload is hashed in: plain JSON values, keys sorted, no spaces, UTF-8.

    Numbers other than integers become decimal strings and times become UTC ISO 8601 with "Z",
    so the same fact gives the same bytes on SQLite and PostgreSQL, today and after a restore.
    """
    return json.dumps(_plain(payload), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(prev_hash: str, body: str) -> str:
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


# --- writing -------------------------------------------------------------------------------


def _locked_head(stream: str) -> LedgerHead:
    head = LedgerHead.objects.select_for_update().filter(stream=stream).first()
    if head is not None:
        return head
    try:
        with transaction.atomic():
            LedgerHead.objects.create(stream=stream)
    except IntegrityError:
        pass  # another append created it first
    return LedgerHead.objects.select_for_update().get(stream=stream)


@transaction.atomic
def append(stream: str, payload: dict, *, actor, key: str = "") -> LedgerEntry:
    """Chain one record onto `stream` inside the caller's transaction; a rolled-back write leaves no entry."""
    if not stream or len(stream) > STREAM_MAX:
        raise ServiceError("invalid_stream", "账本流名称无效", {"stream": ["必填，最多100个字符"]})
    if key and LedgerEntry.objects.filter(stream=stream, key=key).exists():
        raise ServiceError("already_recorded", f"{key} 已记入账本，不能重复记录", {"key": ["已记录"]})
    head = _locked_head(stream)
    seq = head.seq + 1
    body = canonical(
        {
            "stream": stream,
            "seq": seq,
            "key": key,
            "at": timezone.now().replace(microsecond=0),
            "actor": actor_label(actor),
            "payload": payload,
        }
    )
    digest = chain_hash(head.hash, body)
    entry = LedgerEntry.objects.create(
        stream=stream, seq=seq, key=key, body=body, prev_hash=head.hash, hash=digest
    )
    head.seq, head.hash = seq, digest
    head.save(update_fields=["seq", "hash", "updated_at"])
    return entry


@transaction.atomic
def checkpoint(stream: str | None = None, *, actor=None) -> list[LedgerCheckpoint]:
    """Record the current head of one or every stream (the periodic task calls this hourly)."""
    heads = LedgerHead.objects.all() if stream is None else LedgerHead.objects.filter(stream=stream)
    made = []
    for head in heads:
        last = LedgerCheckpoint.objects.filter(stream=head.stream).order_by("-seq").first()
        if last is not None and last.seq == head.seq:
            continue
        made.append(LedgerCheckpoint.objects.create(stream=head.stream, seq=head.seq, hash=head.hash))
    return made


# --- reading -------------------------------------------------------------------------------


@dataclass
class Problem:
    stream: str
    seq: int
    reason: str
    message: str
    key: str = ""


@dataclass
class VerifyResult:
    ok: bool
    entries: int
    head: str
    first_bad: Problem | None
    streams: dict = field(default_factory=dict)

    def as_dict(self):
        return {
            "ok": self.ok,
            "entries": self.entries,
            "head": self.head,
            "first_bad": asdict(self.first_bad) if self.first_bad else None,
            "streams": self.streams,
        }


REASONS = {
    "missing": "第{seq}条记录已被删除（序号缺失）",
    "hash_mismatch": "第{seq}条记录的内容或哈希值被改动，哈希校验不符",
    "chain_broken": "第{seq}条记录与前一条的链接断开",
    "body_mismatch": "第{seq}条记录的序号或账本流与内容不符",
    "head_mismatch": "链头与最后一条记录不符（第{seq}条之后的记录被删除或改动）",
    "checkpoint_mismatch": "第{seq}条记录与检查点记下的哈希不符",
    "source_changed": "第{seq}条记录对应的原始数据（{key}）已被改动",
    "source_missing": "第{seq}条记录对应的原始数据（{key}）已被删除",
}


def _problem(stream, seq, reason, key="") -> Problem:
    return Problem(stream, seq, reason, REASONS[reason].format(seq=seq, key=key), key)


def _check_chunk(stream, chunk, prev, expected, checkpoints) -> tuple[Problem | None, str, int]:
    """Chain checks for consecutive entries; returns the first problem, the last good hash and next seq."""
    for entry in chunk:
        if entry.seq != expected:
            return _problem(stream, expected, "missing"), prev, expected
        if chain_hash(entry.prev_hash, entry.body) != entry.hash:
            return _problem(stream, entry.seq, "hash_mismatch", entry.key), prev, expected
        if entry.prev_hash != prev:
            return _problem(stream, entry.seq, "chain_broken", entry.key), prev, expected
        try:
            envelope = json.loads(entry.body)
            envelope_ok = envelope.get("seq") == entry.seq and envelope.get("stream") == stream
        except ValueError:
            envelope_ok = False
        if not envelope_ok:
            return _problem(stream, entry.seq, "body_mismatch", entry.key), prev, expected
        if entry.seq in checkpoints and checkpoints[entry.seq] != entry.hash:
            return _problem(stream, entry.seq, "checkpoint_mismatch", entry.key), prev, expected
        prev, expected = entry.hash, expected + 1
    return None, prev, expected


def _check_sources(stream, chunk) -> Problem | None:
    fetch = sources.get(stream)
    keyed = [e for e in chunk if e.key]
    if fetch is None or not keyed:
        return None
    current = fetch([e.key for e in keyed])
    for entry in keyed:
        if entry.key not in current:
            return _problem(stream, entry.seq, "source_missing", entry.key)
        recorded = json.loads(entry.body)["payload"]
        if canonical(current[entry.key]) != canonical(recorded):
            return _problem(stream, entry.seq, "source_changed", entry.key)
    return None


def verify_stream(stream: str) -> tuple[Problem | None, int, str]:
    """(first problem or None, entries checked, head hash) for one stream."""
    checkpoints = dict(LedgerCheckpoint.objects.filter(stream=stream).values_list("seq", "hash"))
    prev, expected, count = GENESIS, 1, 0
    qs = (
        LedgerEntry.objects.filter(stream=stream)
        .order_by("seq")
        .only("seq", "key", "body", "prev_hash", "hash")
    )
    chunk: list[LedgerEntry] = []
    for entry in qs.iterator(chunk_size=CHUNK):
        chunk.append(entry)
        count += 1
        if len(chunk) == CHUNK:
            problem, prev, expected = _check_chunk(stream, chunk, prev, expected, checkpoints)
            problem = _first(problem, _check_sources(stream, chunk))
            if problem:
                return problem, count, prev
            chunk = []
    problem, prev, expected = _check_chunk(stream, chunk, prev, expected, checkpoints)
    problem = _first(problem, _check_sources(stream, chunk))
    if problem:
        return problem, count, prev
    head = LedgerHead.objects.filter(stream=stream).first()
    last = expected - 1
    if head is not None and (head.seq != last or head.hash != prev):
        return _problem(stream, last + 1 if head.seq > last else head.seq, "head_mismatch"), count, prev
    beyond = [seq for seq in checkpoints if seq > last]
    if beyond:
        return _problem(stream, min(beyond), "missing"), count, prev
    return None, count, prev


def _first(a: Problem | None, b: Problem | None) -> Problem | None:
    candidates = [p for p in (a, b) if p is not None]
    return min(candidates, key=lambda p: p.seq) if candidates else None


def streams() -> list[str]:
    names = set(LedgerHead.objects.values_list("stream", flat=True))
    names |= set(LedgerEntry.objects.values_list("stream", flat=True).distinct())
    return sorted(names)


def verify(stream: str | None = None) -> VerifyResult:
    """Recompute one stream (or all) from the first entry; `head` is the stream's head, or for all
    streams the SHA-256 of their "stream:head" lines."""
    names = [stream] if stream else streams()
    total, first_bad, per_stream = 0, None, {}
    for name in names:
        problem, count, head = verify_stream(name)
        total += count
        per_stream[name] = {"ok": problem is None, "entries": count, "head": head}
        if problem and first_bad is None:
            first_bad = problem
    if stream:
        head = per_stream[stream]["head"]
    else:
        head = hashlib.sha256(
            "\n".join(f"{n}:{v['head']}" for n, v in per_stream.items()).encode()
        ).hexdigest()
    return VerifyResult(first_bad is None, total, head, first_bad, per_stream)


def entries_for(stream: str, keys: Iterable[str]) -> dict[str, LedgerEntry]:
    """The entries recording these keys (for showing a record's proof beside it)."""
    return {
        e.key: e
        for e in LedgerEntry.objects.filter(stream=stream, key__in=list(keys)).only(
            "stream", "seq", "key", "hash", "prev_hash", "created_at"
        )
    }
