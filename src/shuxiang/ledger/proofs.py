"""Proofs a consumer can check without trusting the server, and the public checkpoint log.

A proof for some entries is: each entry (its body, previous hash and hash), the entries after it up to
the first signed checkpoint at or beyond it, and that checkpoint. Checkpoints are made after every write
batch, so the stretch is usually empty. Whoever holds a proof recomputes it with hashlib alone
(docs/ledger.md has the ten-line script); `check` is the same computation, done by the server to mark
what a page shows.
"""

import json

from django.db.models import Q

from shuxiang.ledger import signing
from shuxiang.ledger.chain import chain_hash, sha256
from shuxiang.ledger.models import LedgerCheckpoint, LedgerEntry

PROOF_FORMAT = "shuxiang.ledger.proof/1"
FEED_PAGE = 500


def entry_item(entry: LedgerEntry) -> dict:
    return {
        "seq": entry.seq,
        "key": entry.key,
        "prev_hash": entry.prev_hash,
        "body": entry.body,
        "hash": entry.hash,
    }


def checkpoint_item(cp: LedgerCheckpoint) -> dict:
    data = json.loads(cp.body) if cp.body else {}
    return {
        "n": cp.number,
        "stream": cp.stream,
        "seq": cp.seq,
        "head": cp.hash,
        "at": data.get("at"),
        "prev": data.get("prev"),
        "key": cp.key_id,
        "digest": cp.digest,
        "signature": cp.signature,
        "body": cp.body,
    }


def covering(stream: str, seqs) -> dict[int, LedgerCheckpoint]:
    """For each sequence number, the first checkpoint at or after it (none yet: left out)."""
    found: dict[int, LedgerCheckpoint] = {}
    pending = sorted(set(seqs))
    i = 0
    while i < len(pending):
        cp = (
            LedgerCheckpoint.objects.filter(stream=stream, seq__gte=pending[i])
            .order_by("seq", "number")
            .first()
        )
        if cp is None:
            break
        while i < len(pending) and pending[i] <= cp.seq:
            found[pending[i]] = cp
            i += 1
    return found


def _merged(ranges):
    merged = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], high)
        else:
            merged.append([low, high])
    return merged


def bundle(stream: str, entries) -> dict:
    """The chain stretches and checkpoints that prove `entries` (LedgerEntry rows of one stream)."""
    entries = list(entries)
    cover = covering(stream, [e.seq for e in entries])
    ranges = [(e.seq, cover[e.seq].seq if e.seq in cover else e.seq) for e in entries]
    condition = Q()
    for low, high in _merged(ranges):
        condition |= Q(seq__gte=low, seq__lte=high)
    chain = []
    if ranges:
        chain = [entry_item(e) for e in LedgerEntry.objects.filter(condition, stream=stream).order_by("seq")]
    checkpoints = {cp.number: cp for cp in cover.values()}
    return {
        "chain": chain,
        "checkpoints": [checkpoint_item(cp) for _n, cp in sorted(checkpoints.items())],
    }


def _checkpoint_holds(item: dict, raw: bytes | None) -> bool:
    try:
        data = json.loads(item["body"])
    except (ValueError, KeyError, TypeError):
        return False
    return (
        sha256(item["body"]) == item.get("digest")
        and data.get("head") == item.get("head")
        and data.get("seq") == item.get("seq")
        and signing.valid(item.get("signature", ""), item["body"], raw)
    )


def check(chain: list[dict], checkpoints: list[dict], raw: bytes | None = None) -> dict[int, str]:
    """For every entry of a proof: "" when it hashes and links up to a valid signed checkpoint, else why
    not — "hash_mismatch", "chain_broken", "checkpoint_mismatch", "checkpoint_forged", or "uncovered"
    (no checkpoint yet: newer than the last one, not a sign of tampering)."""
    by_seq = {item["seq"]: item for item in chain}
    heads = {item["seq"]: item for item in checkpoints}
    valid_checkpoint = {seq: _checkpoint_holds(item, raw) for seq, item in heads.items()}
    own = {}
    for seq, item in by_seq.items():
        if chain_hash(item["prev_hash"], item["body"]) != item["hash"]:
            own[seq] = "hash_mismatch"
        elif seq in heads:
            own[seq] = (
                ("" if valid_checkpoint[seq] else "checkpoint_forged")
                if heads[seq]["head"] == item["hash"]
                else "checkpoint_mismatch"
            )
        elif seq + 1 not in by_seq:
            own[seq] = "uncovered"
        elif by_seq[seq + 1]["prev_hash"] != item["hash"]:
            own[seq] = "chain_broken"
        else:
            own[seq] = None  # decided by the entries after it
    status: dict[int, str] = {}
    for seq in sorted(by_seq, reverse=True):
        status[seq] = own[seq] if own[seq] is not None else status.get(seq + 1, "uncovered")
    return status


def feed(after: int = 0, limit: int = FEED_PAGE) -> dict:
    """One page of the checkpoint log, oldest first from `after` (a mirror asks for what it lacks)."""
    rows = list(LedgerCheckpoint.objects.filter(number__gt=after).order_by("number")[:limit])
    latest = LedgerCheckpoint.objects.order_by("-number").values_list("number", flat=True).first()
    return {
        "title": "数乡可信账本 · 已签名检查点",
        "description": "每个检查点记下一个账本流的链头哈希，以 Ed25519 签名，并指向上一个检查点的哈希；"
        "请镜像保存，用于发现日后对链或检查点的改写。",
        "publicKey": signing.describe(),
        "latest": latest,
        "checkpoints": [checkpoint_item(cp) for cp in rows],
        "next": rows[-1].number if rows and latest and rows[-1].number < latest else None,
    }
