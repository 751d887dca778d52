"""Everything the public page of a lot shows, on the ledger: producer, product, lot (with its origin),
trace events (tests included), the origin's environment tests and certificates — each row one entry of
stream "trace", appended by the service that writes the row, in the same transaction.

The ledger checks it two ways. `fetch`/`every` are the stream's source: verification rebuilds each
entry's payload from its row and lists every row that should have an entry, so a row edited, deleted or
inserted behind the services shows. `check_lot` does the same for one lot when its page is rendered, plus
the chain from each entry to its signed checkpoint, so the page says on load whether what it shows holds.

Live data is not chained: sensor readings, scan counts, the contact's masked phone (kept in core.Person).
"""

import json
from dataclasses import dataclass, field

from shuxiang.ledger import proofs
from shuxiang.ledger import services as ledger
from shuxiang.ledger.chain import plain
from shuxiang.trace.models import Certificate, EnvironmentTest, Lot, Producer, Product, TraceEvent

STREAM = "trace"
PROOF_FORMAT = proofs.PROOF_FORMAT


# --- what is recorded ------------------------------------------------------------------------------


def producer_payload(p) -> dict:
    return {
        "type": "producer",
        "name": p.name,
        "kind": p.kind,
        "creditCode": p.credit_code,
        "place": p.place.code,
    }


def product_payload(p) -> dict:
    return {
        "type": "product",
        "producer": f"trace.producer:{p.producer_id}",
        "name": p.name,
        "category": p.category,
        "gtin": p.gtin,
        "gtinIsInternal": p.gtin_is_internal,
        "unit": p.unit,
    }


def lot_payload(lot) -> dict:
    origin = lot.origin
    return {
        "type": "lot",
        "product": f"trace.product:{lot.product_id}",
        "lotNumber": lot.lot_number,
        "quantity": lot.quantity,
        "shortCode": lot.short_code,
        "origin": {"base": origin.base.name, "plot": origin.name, "place": origin.place.code},
    }


def environment_test_payload(t) -> dict:
    plot = t.plot
    return {
        "type": "environmentTest",
        "plot": {"base": plot.base.name, "plot": plot.name, "place": plot.place.code},
        "kind": t.kind,
        "testedOn": t.tested_on,
        "agency": t.agency,
        "passed": t.passed,
        "summary": t.summary,
    }


def certificate_payload(c) -> dict:
    return {
        "type": "certificate",
        "lot": f"trace.lot:{c.lot_id}",
        "number": c.number,
        "quantity": c.quantity,
        "issuedAt": c.issued_at,
        "issuedBy": c.issued_by,
        "statement": c.statement,
    }


def event_payload(e) -> dict:
    return e.ledger_payload()


@dataclass(frozen=True)
class Kind:
    """One kind of row on the ledger: its key prefix, how its payload is built and what it is about."""

    prefix: str
    model: type
    payload: object
    related: tuple
    subject: object
    label: str


KINDS = [
    Kind(
        "trace.producer",
        Producer,
        producer_payload,
        ("place",),
        lambda p: f"trace.producer:{p.pk}",
        "生产者",
    ),
    Kind(
        "trace.product",
        Product,
        product_payload,
        (),
        lambda p: f"trace.producer:{p.producer_id}",
        "产品",
    ),
    Kind(
        "trace.lot",
        Lot,
        lot_payload,
        ("origin__base", "origin__place"),
        lambda lot: f"trace.lot:{lot.pk}",
        "批次与产地",
    ),
    Kind(
        "trace.envtest",
        EnvironmentTest,
        environment_test_payload,
        ("plot__base", "plot__place"),
        lambda t: f"trace.plot:{t.plot_id}",
        "产地环境检测",
    ),
    Kind(
        "trace.event",
        TraceEvent,
        event_payload,
        ("lot__product", "place"),
        lambda e: f"trace.lot:{e.lot_id}",
        "追溯记录",
    ),
    Kind(
        "trace.certificate",
        Certificate,
        certificate_payload,
        (),
        lambda c: f"trace.lot:{c.lot_id}",
        "承诺达标合格证",
    ),
]
BY_MODEL = {k.model: k for k in KINDS}
BY_PREFIX = {k.prefix: k for k in KINDS}


def kind_of(obj) -> Kind:
    return BY_MODEL[type(obj)] if type(obj) in BY_MODEL else BY_MODEL[obj._meta.concrete_model]


def key_of(obj) -> str:
    return f"{kind_of(obj).prefix}:{obj.pk}"


def record(obj, *, actor):
    """Chain a row the service just wrote (inside its transaction); returns the entry."""
    kind = kind_of(obj)
    return ledger.append(
        STREAM, kind.payload(obj), key=f"{kind.prefix}:{obj.pk}", subject=kind.subject(obj), actor=actor
    )


# --- the stream's source -----------------------------------------------------------------------------


def fetch(keys) -> dict:
    """The current payload of each row still there, by key (the ledger's source for stream "trace")."""
    wanted: dict[str, list[int]] = {}
    for key in keys:
        prefix, _, pk = key.rpartition(":")
        if prefix in BY_PREFIX and pk.isdigit():
            wanted.setdefault(prefix, []).append(int(pk))
    found = {}
    for prefix, ids in wanted.items():
        kind = BY_PREFIX[prefix]
        for obj in kind.model.objects.filter(pk__in=ids).select_related(*kind.related).order_by():
            found[f"{prefix}:{obj.pk}"] = kind.payload(obj)
    return found


def every():
    """Every row that should have an entry: a row inserted behind the services has none."""
    for kind in KINDS:
        for pk in kind.model.objects.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=5000):
            yield f"{kind.prefix}:{pk}"


# --- one lot's page ---------------------------------------------------------------------------------

FIELD_LABELS = {
    "name": "名称",
    "kind": "类型",
    "creditCode": "信用代码",
    "place": "区划",
    "category": "品类",
    "gtin": "商品条码",
    "unit": "单位",
    "lotNumber": "批次号",
    "quantity": "数量",
    "shortCode": "追溯码",
    "origin": "产地",
    "number": "编号",
    "issuedAt": "开具时间",
    "issuedBy": "开具人",
    "statement": "承诺内容",
    "testedOn": "检测日期",
    "agency": "检测机构",
    "passed": "结论",
    "summary": "主要指标",
    "bizStep": "环节",
    "eventTime": "发生时间",
    "test": "检测",
    "input": "投入品",
    "note": "说明",
    "counterparty": "收/发货方",
    "disposition": "状态",
}
BAD = {"unrecorded", "changed", "deleted", "tampered"}


@dataclass
class Fact:
    key: str
    label: str
    status: str = "ok"  # ok | pending (no checkpoint yet) | unrecorded | changed | deleted | tampered
    seq: int | None = None
    hash: str = ""
    differences: list = field(default_factory=list)

    @property
    def holds(self) -> bool:
        return self.status not in BAD

    @property
    def message(self) -> str:
        if self.status == "unrecorded":
            return f"{self.label}在可信账本中没有记录，可能是伪造的"
        if self.status == "deleted":
            return f"可信账本第{self.seq}条记录的{self.label}已从数据中删除"
        if self.status == "tampered":
            return f"{self.label}的账本记录（第{self.seq}条）被改动，与已签名检查点不符"
        if self.status == "changed":
            parts = [
                f"{FIELD_LABELS.get(name, name)}：账本记录为「{_text(old)}」，现为「{_text(new)}」"
                for name, old, new in self.differences[:3]
            ]
            return f"{self.label}与账本记录不符（" + "；".join(parts) + "）"
        return ""


def _text(value) -> str:
    if isinstance(value, bool):
        return "合格" if value else "不合格"
    if isinstance(value, dict):
        return " ".join(_text(v) for v in value.values() if v not in ("", None))
    return "" if value is None else str(value)


def _differences(recorded: dict, current: dict) -> list:
    names = [n for n in {**recorded, **current} if n != "type"]
    return [(n, recorded.get(n), current.get(n)) for n in names if recorded.get(n) != current.get(n)]


@dataclass
class LotCheck:
    """What one lot's page shows, checked against the ledger: per fact, and the proof to download."""

    facts: dict  # key -> Fact
    entries: dict  # key -> LedgerEntry
    bundle: dict

    @property
    def problems(self) -> list[Fact]:
        return [f for f in self.facts.values() if not f.holds]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def pending(self) -> bool:
        return any(f.status == "pending" for f in self.facts.values())

    def holds(self, obj) -> bool:
        fact = self.facts.get(key_of(obj))
        return fact is not None and fact.holds

    def fact(self, obj) -> Fact | None:
        return self.facts.get(key_of(obj))

    @property
    def checkpoint(self) -> dict | None:
        return self.bundle["checkpoints"][-1] if self.bundle["checkpoints"] else None


def _label(kind: Kind, obj) -> str:
    if isinstance(obj, TraceEvent):
        return f"追溯记录“{obj.get_biz_step_display()}”（{obj.event_time:%Y-%m-%d}）"
    if isinstance(obj, Certificate):
        return f"承诺达标合格证 {obj.number}"
    if isinstance(obj, EnvironmentTest):
        return f"产地环境检测（{obj.tested_on:%Y-%m-%d}）"
    return kind.label


def check_lot(lot, *, events=None, certificates=None, environment_tests=None) -> LotCheck:
    """Check every fact the lot's page shows against the ledger, both ways: each shown row has an
    unchanged entry that links to a signed checkpoint, and each entry about the lot (its producer, its
    origin plot) still has its row."""
    producer, product = lot.product.producer, lot.product
    events = list(events if events is not None else lot.events.select_related("place"))
    certificates = list(certificates if certificates is not None else lot.certificates.all())
    tests = list(environment_tests if environment_tests is not None else lot.origin.environment_tests.all())
    shown = {}
    for obj in [producer, product, lot, *tests, *events, *certificates]:
        kind = kind_of(obj)
        shown[f"{kind.prefix}:{obj.pk}"] = Fact(f"{kind.prefix}:{obj.pk}", _label(kind, obj))
    subjects = [f"trace.producer:{producer.pk}", f"trace.lot:{lot.pk}", f"trace.plot:{lot.origin_id}"]
    entries = {e.key: e for e in ledger.entries_about(STREAM, subjects) if e.key}
    entries.update(ledger.entries_for(STREAM, [k for k in shown if k not in entries]))
    current = fetch(list(entries))
    facts = dict(shown)
    for key, fact in shown.items():
        if key not in entries:
            fact.status = "unrecorded"
    for key, entry in entries.items():
        kind = BY_PREFIX.get(key.rpartition(":")[0])
        fact = facts.setdefault(key, Fact(key, kind.label if kind else "记录"))
        fact.seq, fact.hash = entry.seq, entry.hash
        try:
            envelope = json.loads(entry.body)
        except ValueError:
            envelope = {}
        if (envelope.get("key"), envelope.get("seq"), envelope.get("stream")) != (key, entry.seq, STREAM):
            fact.status = "tampered"
        elif key not in current:
            fact.status = "deleted"
        elif plain(current[key]) != envelope.get("payload"):
            fact.status = "changed"
            fact.differences = _differences(envelope.get("payload") or {}, plain(current[key]))
    bundle = proofs.bundle(STREAM, entries.values())
    chain_status = proofs.check(bundle["chain"], bundle["checkpoints"])
    for key, entry in entries.items():
        fact, status = facts[key], chain_status.get(entry.seq, "uncovered")
        if status not in ("", "uncovered") and fact.status != "deleted":
            fact.status = "tampered"
        elif status == "uncovered" and fact.status == "ok":
            fact.status = "pending"
    return LotCheck(facts, entries, bundle)


def proof_document(lot, check: LotCheck) -> dict:
    """The download a consumer keeps: the facts as recorded, their entries with the chain to a signed
    checkpoint, the checkpoint and the public key — all a script needs, with hashlib alone."""
    from django.conf import settings

    from shuxiang.ledger import signing

    return {
        "format": PROOF_FORMAT,
        "lot": {"digitalLink": lot.digital_link, "shortCode": lot.short_code},
        "stream": STREAM,
        "ok": check.ok,
        "problems": [f.message for f in check.problems],
        "facts": [
            {"key": f.key, "label": f.label, "status": f.status, "seq": f.seq, "hash": f.hash}
            for f in check.facts.values()
        ],
        "chain": check.bundle["chain"],
        "checkpoints": check.bundle["checkpoints"],
        "publicKey": signing.describe(),
        "feed": f"{settings.PUBLIC_URL}/ledger/checkpoints.json",
        "howto": "docs/ledger.md：对每条记录计算 sha256(prev_hash + body)，沿链走到检查点，核对检查点的 head 与签名",
    }
