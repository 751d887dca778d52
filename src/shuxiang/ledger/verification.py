"""Verification: recompute every chain from its first entry, check it against the signed checkpoint log
(and against a copy of the published log, when one is given), and reconcile it with the apps' rows both
ways — every entry has its row, unchanged, and every row has its entry.

The walk reads raw rows in chunks (a server-side cursor on PostgreSQL) and checks each entry with string
operations only, so it costs little more than hashing the rows: the benchmark holds it to 2× a bare
script that reads the same rows and hashes them (docs/benchmarks.md).
"""

import hashlib
import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field

from django.db import connection

from shuxiang.ledger import signing
from shuxiang.ledger.chain import GENESIS, plain, sha256
from shuxiang.ledger.models import LedgerCheckpoint, LedgerEntry, LedgerHead

CHUNK = 5000


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
    checkpoints: dict = field(default_factory=dict)

    def as_dict(self):
        return {
            "ok": self.ok,
            "entries": self.entries,
            "head": self.head,
            "first_bad": asdict(self.first_bad) if self.first_bad else None,
            "streams": self.streams,
            "checkpoints": self.checkpoints,
        }


REASONS = {
    "missing": "第{seq}条记录已被删除（序号缺失）",
    "hash_mismatch": "第{seq}条记录的内容或哈希值被改动，哈希校验不符",
    "chain_broken": "第{seq}条记录与前一条的链接断开",
    "body_mismatch": "第{seq}条记录的序号、账本流或对象键与内容不符",
    "head_mismatch": "链头与最后一条记录不符（第{seq}条之后的记录被删除或改动）",
    "checkpoint_mismatch": "第{seq}条记录与已签名检查点记下的哈希不符（检查点之后链被改写）",
    "source_changed": "第{seq}条记录对应的原始数据（{key}）已被改动",
    "source_missing": "第{seq}条记录对应的原始数据（{key}）已被删除",
    "unrecorded": "原始数据 {key} 在账本中没有记录（未经平台写入，可能是伪造的）",
    "checkpoint_forged": "检查点 {key} 的内容或签名不符（检查点被改动或伪造）",
    "checkpoint_log_broken": "检查点日志在 {key} 处断开（检查点被删除、插入或改写）",
    "mirror_mismatch": "检查点 {key} 与公开发布的副本不符（检查点被改写）",
    "mirror_missing": "公开发布过的检查点 {key} 在本地已不存在（被删除）",
}


def problem(stream, seq, reason, key="") -> Problem:
    return Problem(stream, seq, reason, REASONS[reason].format(seq=seq, key=key), key)


def _key_mark(key: str) -> str:
    if key.isascii() and key.isprintable() and '"' not in key and "\\" not in key:
        return f'"key":"{key}","payload":'
    return f'"key":{json.dumps(key, ensure_ascii=False)},"payload":'


def _check_sources(stream, source, keyed) -> Problem | None:
    """Rebuild the payload of each keyed entry from the app's rows and compare it with the recorded one."""
    current = source.fetch([key for _seq, key, _body in keyed])
    for seq, key, body in keyed:
        if key not in current:
            return problem(stream, seq, "source_missing", key)
        if plain(current[key]) != json.loads(body)["payload"]:
            return problem(stream, seq, "source_changed", key)
    return None


def _walk(stream, checkpoints, source, recorded):
    """The chain checks, chunk by chunk; returns (first problem, entries read, last good hash, next seq)."""
    table = connection.ops.quote_name(LedgerEntry._meta.db_table)
    key_column = connection.ops.quote_name("key")
    ending = f',"stream":{json.dumps(stream, ensure_ascii=False)}}}'
    sha = hashlib.sha256
    prev, expected, count, found = GENESIS, 1, 0, None
    with connection.chunked_cursor() as cursor:
        cursor.execute(
            f"SELECT seq, {key_column}, prev_hash, hash, body FROM {table} WHERE stream = %s ORDER BY seq",
            [stream],
        )
        while found is None:
            rows = cursor.fetchmany(CHUNK)
            if not rows:
                break
            keyed = []
            for seq, key, prev_hash, digest, body in rows:
                if seq != expected:
                    found = problem(stream, expected, "missing")
                    break
                if sha((prev_hash + body).encode()).hexdigest() != digest:
                    found = problem(stream, seq, "hash_mismatch", key)
                    break
                if prev_hash != prev:
                    found = problem(stream, seq, "chain_broken", key)
                    break
                if not body.endswith(f',"seq":{seq}{ending}') or (
                    f'"key":"{key}","payload":' not in body and _key_mark(key) not in body
                ):
                    found = problem(stream, seq, "body_mismatch", key)
                    break
                if seq in checkpoints and checkpoints[seq] != digest:
                    found = problem(stream, seq, "checkpoint_mismatch", key)
                    break
                if key and source is not None:
                    keyed.append((seq, key, body))
                    if recorded is not None:
                        recorded.add(key)
                prev, expected, count = digest, expected + 1, count + 1
            if keyed:
                mismatch = _check_sources(stream, source, keyed)
                if mismatch is not None and (found is None or mismatch.seq < found.seq):
                    found = mismatch
    return found, count, prev, expected


def verify_stream(stream: str, checkpoints: dict | None = None) -> tuple[Problem | None, int, str]:
    """(first problem or None, entries checked, head hash) for one stream; `checkpoints` maps a sequence
    number to the head a signed checkpoint recorded there."""
    from shuxiang.ledger.services import sources

    if checkpoints is None:
        checkpoints = dict(LedgerCheckpoint.objects.filter(stream=stream).values_list("seq", "hash"))
    source = sources.get(stream)
    recorded = set() if source is not None and source.every is not None else None
    found, count, prev, expected = _walk(stream, checkpoints, source, recorded)
    if found is not None:
        return found, count, prev
    last = expected - 1
    head = LedgerHead.objects.filter(stream=stream).first()
    if head is not None and (head.seq != last or head.hash != prev):
        return problem(stream, last + 1 if head.seq > last else head.seq, "head_mismatch"), count, prev
    beyond = [seq for seq in checkpoints if seq > last]
    if beyond:
        return problem(stream, min(beyond), "missing"), count, prev
    if recorded is not None:
        for key in source.every():
            if key not in recorded:
                return problem(stream, 0, "unrecorded", key), count, prev
    return None, count, prev


def _checkpoint_fields(row) -> dict | None:
    """The signed body's fields, if the body hashes to the row's digest and agrees with its columns."""
    n, stream, seq, head, body, digest, _signature, key_id = row
    if sha256(body) != digest:
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    named = (data.get("n"), data.get("stream"), data.get("seq"), data.get("head"), data.get("key"))
    return data if named == (n, stream, seq, head, key_id) else None


def verify_log(mirror=None) -> tuple[Problem | None, dict, dict]:
    """Check the checkpoint log: numbered without gaps, each body hashing to its digest and naming the one
    before, and signed. The newest signature vouches for the whole log (each body names the digest before
    it); only when it fails are the others checked, to name the first bad one.

    Returns (first problem, {stream: {seq: head}}, summary)."""
    rows = list(
        LedgerCheckpoint.objects.order_by("number").values_list(
            "number", "stream", "seq", "hash", "body", "digest", "signature", "key_id"
        )
    )
    per_stream: dict[str, dict[int, str]] = defaultdict(dict)
    found, prev, expected = None, GENESIS, 1
    for row in rows:
        n, stream, seq, head = row[:4]
        per_stream[stream][seq] = head
        if found is None:
            fields = _checkpoint_fields(row)
            if fields is None:
                found = problem(stream, seq, "checkpoint_forged", f"#{n}")
            elif n != expected or fields.get("prev") != prev:
                found = problem(stream, seq, "checkpoint_log_broken", f"#{n}")
        prev, expected = row[5], n + 1
    if found is None and rows and not signing.valid(rows[-1][6], rows[-1][4]):
        bad = next(r for r in rows if not signing.valid(r[6], r[4]))
        found = problem(bad[1], bad[2], "checkpoint_forged", f"#{bad[0]}")
    if found is None and mirror is not None:
        found = compare_mirror(rows, mirror)
    summary = {
        "count": len(rows),
        "latest": rows[-1][0] if rows else None,
        "key": signing.key_id(),
        "mirror": mirror is not None,
    }
    return found, per_stream, summary


def _mirror_items(mirror) -> list[dict]:
    if isinstance(mirror, dict):
        mirror = mirror.get("checkpoints", [])
    return [item for item in mirror if isinstance(item, dict)]


def compare_mirror(rows, mirror) -> Problem | None:
    """Every checkpoint a third party copied from the feed must still be here, with the same digest."""
    local = {row[0]: row for row in rows}
    for item in sorted(_mirror_items(mirror), key=lambda i: i.get("n", 0)):
        n = item.get("n")
        row = local.get(n)
        if row is None:
            return problem(item.get("stream", ""), item.get("seq", 0), "mirror_missing", f"#{n}")
        if row[5] != item.get("digest"):
            return problem(row[1], row[2], "mirror_mismatch", f"#{n}")
    return None


def verify(stream: str | None = None, *, mirror=None) -> VerifyResult:
    """Recompute one stream (or all); `head` is the stream's head, or for all streams the SHA-256 of
    their "stream:head" lines. A problem in the checkpoint log comes first: it is the evidence."""
    from shuxiang.ledger.services import streams

    names = [stream] if stream else streams()
    log_problem, checkpoints, summary = verify_log(mirror)
    total, first_bad, per_stream = 0, log_problem, {}
    for name in names:
        marks = checkpoints.get(name, {})
        found, count, head = verify_stream(name, marks)
        total += count
        covered = max(marks) if marks else 0
        per_stream[name] = {
            "ok": found is None,
            "entries": count,
            "head": head,
            "checkpoint_seq": covered,
            "uncovered": max(count - covered, 0),
        }
        if found is not None:
            per_stream[name]["first_bad"] = asdict(found)
            if first_bad is None:
                first_bad = found
    summary["ok"] = log_problem is None
    if stream:
        head = per_stream[stream]["head"]
    else:
        head = hashlib.sha256(
            "\n".join(f"{n}:{v['head']}" for n, v in per_stream.items()).encode()
        ).hexdigest()
    return VerifyResult(first_bad is None, total, head, first_bad, per_stream, summary)
