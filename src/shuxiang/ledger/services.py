"""The ledger engine's public API: `append`, `checkpoint`, `verify`, `register_source`, proofs.

Any app makes its records provable by appending their canonical payload:

    from shuxiang.ledger import services as ledger
    ledger.append("trace", {"lot": "...", "bizStep": "harvesting", ...}, key=f"trace.event:{e.pk}",
                  subject=f"trace.lot:{lot.pk}", actor=actor)

and, so that a direct edit of the app's own table is caught too, registers a source: the current
payload of the records behind a set of keys, and every key that should be on the ledger:

    ledger.register_source("trace", fetch, keys)   # fetch(keys) -> {key: payload}; keys() -> iterable

`verify()` recomputes every chain and names the first entry that no longer holds: a changed body or
hash, a broken link, a missing (deleted) row, a head or signed checkpoint that disagrees, a source record
that was changed or deleted — and a source record that has no entry at all (inserted behind the ledger).

Every write batch ends with a signed checkpoint (on commit); `proofs` builds what a consumer downloads.

Writers name their actor (core.actors: the person recording, `Actor.system("tasks")` for the periodic
checkpoint, `OPERATOR` on the command line); a bare string is refused with TypeError. The engine
decides nothing about permissions: the app's service that appends has passed the gate already.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone

from shuxiang.core.actors import Actor, as_actor
from shuxiang.core.errors import ServiceError
from shuxiang.ledger import signing
from shuxiang.ledger.chain import GENESIS, canonical, chain_hash, checkpoint_body, plain, sha256
from shuxiang.ledger.models import LedgerCheckpoint, LedgerEntry, LedgerHead

__all__ = [
    "GENESIS",
    "append",
    "canonical",
    "chain_hash",
    "checkpoint",
    "entries_about",
    "entries_for",
    "plain",
    "register_source",
    "streams",
    "verify",
]

log = logging.getLogger(__name__)
STREAM_MAX = 100
SEAL_ACTOR = Actor.system("tasks")


@dataclass
class Source:
    fetch: Callable[[list[str]], dict]
    every: Callable[[], Iterable[str]] | None = None  # every key that should have an entry


# stream -> its app's source; apps register in AppConfig.ready().
sources: dict[str, Source] = {}


def register_source(
    stream: str, fetch: Callable[[list[str]], dict], keys: Callable[[], Iterable[str]] | None = None
) -> None:
    """`fetch(keys)` gives the current payload of each record still there; `keys()` every record that
    should have an entry (without it, a row inserted behind the ledger goes unnoticed)."""
    sources[stream] = Source(fetch, keys)


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
def append(stream: str, payload: dict, *, actor, key: str = "", subject: str = "") -> LedgerEntry:
    """Chain one record onto `stream` inside the caller's transaction; a rolled-back write leaves no entry.

    The entry names `actor` (who recorded the fact), so it is chained with the fact itself. `subject`
    groups the entries of one object (a lot) for its page. When the caller's transaction commits, the
    stream's new head is checkpointed and signed."""
    label = as_actor(actor).audit_label
    if not stream or len(stream) > STREAM_MAX or stream.startswith("@"):
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
            "actor": label,
            "payload": payload,
        }
    )
    digest = chain_hash(head.hash, body)
    entry = LedgerEntry.objects.create(
        stream=stream, seq=seq, key=key, subject=subject, body=body, prev_hash=head.hash, hash=digest
    )
    head.seq, head.hash = seq, digest
    head.save(update_fields=["seq", "hash", "updated_at"])
    transaction.on_commit(partial(seal, stream), robust=True)
    return entry


def seal(stream: str) -> None:
    """After a write batch commits: a signed checkpoint of the stream's new head (no-op if already made).

    Run on commit, so a rolled-back write never gets a signed statement; a failure is logged and left to
    the periodic task, never turned into a failed request."""
    try:
        checkpoint(stream, actor=SEAL_ACTOR)
    except ServiceError as exc:
        log.error("ledger checkpoint of %s refused: %s", stream, exc.message)


def checkpoint(stream: str | None = None, *, actor) -> list[LedgerCheckpoint]:
    """Sign the current head of one or every stream that moved since its last checkpoint.

    Before signing, the entries written since the previous checkpoint must hash and link up to it: a
    checkpoint never vouches for a chain rewritten behind an earlier one."""
    as_actor(actor)  # a checkpoint is made by someone: a bare string is a programming error
    names = [stream] if stream else list(LedgerHead.objects.values_list("stream", flat=True))
    made = []
    for name in names:
        cp = _checkpoint_stream(name)
        if cp is not None:
            made.append(cp)
    return made


def _segment_links(stream: str, since_seq: int, since_hash: str, head: LedgerHead) -> bool:
    prev, expected = since_hash, since_seq + 1
    rows = (
        LedgerEntry.objects.filter(stream=stream, seq__gt=since_seq, seq__lte=head.seq)
        .order_by("seq")
        .values_list("seq", "prev_hash", "body", "hash")
    )
    for seq, prev_hash, body, digest in rows.iterator(chunk_size=2000):
        if seq != expected or prev_hash != prev or chain_hash(prev_hash, body) != digest:
            return False
        prev, expected = digest, expected + 1
    return expected == head.seq + 1 and prev == head.hash


def _checkpoint_stream(stream: str) -> LedgerCheckpoint | None:
    for _attempt in range(5):
        try:
            with transaction.atomic():
                head = LedgerHead.objects.filter(stream=stream).first()
                last = LedgerCheckpoint.objects.filter(stream=stream).order_by("-number").first()
                if head is None or head.seq == 0 or (last is not None and last.seq >= head.seq):
                    return None
                since = (last.seq, last.hash) if last is not None else (0, GENESIS)
                if not _segment_links(stream, *since, head):
                    raise ServiceError(
                        "chain_broken",
                        f"账本流 {stream} 自上一个检查点以来的记录对不上，拒绝签署检查点，请运行 shuxiang ledger verify",
                    )
                previous = LedgerCheckpoint.objects.order_by("-number").first()
                number = previous.number + 1 if previous else 1
                kid = signing.key_id()
                body = checkpoint_body(
                    number,
                    stream,
                    head.seq,
                    head.hash,
                    timezone.now(),
                    previous.digest if previous else GENESIS,
                    kid,
                )
                return LedgerCheckpoint.objects.create(
                    number=number,
                    stream=stream,
                    seq=head.seq,
                    hash=head.hash,
                    body=body,
                    digest=sha256(body),
                    signature=signing.sign(body),
                    key_id=kid,
                )
        except IntegrityError:
            continue  # another checkpoint took this number: read the log again
    raise ServiceError("busy", "检查点写入冲突，请稍后重试")


# --- reading -------------------------------------------------------------------------------


def streams() -> list[str]:
    """Every stream: those with a head, and any whose head row is gone but whose entries remain."""
    names = set(LedgerHead.objects.values_list("stream", flat=True))
    names |= set(LedgerEntry.objects.exclude(stream__in=names).values_list("stream", flat=True).distinct())
    return sorted(names)


def stream_exists(stream: str) -> bool:
    """One stream, by index (the CLI and the API check a name before verifying it)."""
    return (
        LedgerHead.objects.filter(stream=stream).exists()
        or LedgerEntry.objects.filter(stream=stream).exists()
    )


def entries_for(stream: str, keys: Iterable[str]) -> dict[str, LedgerEntry]:
    """The entries recording these keys (for showing a record's proof beside it)."""
    return {e.key: e for e in LedgerEntry.objects.filter(stream=stream, key__in=list(keys))}


def entries_about(stream: str, subjects: Iterable[str]) -> list[LedgerEntry]:
    """Every entry about these subjects (a lot, its producer), in chain order."""
    return list(LedgerEntry.objects.filter(stream=stream, subject__in=list(subjects)).order_by("seq"))


def verify(stream: str | None = None, *, mirror=None):
    """Recompute one stream (or all) from the first entry, with the checkpoint log (and a mirror of the
    published checkpoints, if given); see `verification.verify`."""
    from shuxiang.ledger.verification import verify as run

    return run(stream, mirror=mirror)
