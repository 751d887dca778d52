"""Every write of the traceability app: producers, bases, plots, products, lots, trace events,
environment tests, certificates, scans.

Each `do_*` takes the actor explicitly (a core.actors.Actor or a signed-in User), passes the one
gate (grant, its constraint — a producer's recorder acts only for its own producers — and region),
validates, writes, audits and chains what the public page will show (producer, product, lot, events,
environment tests, certificates — trace.proof) into the ledger, all in one transaction.
"""

import secrets
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import F, Max, Sum
from django.utils import timezone

from shuxiang.core import audit
from shuxiang.core import services as core_services
from shuxiang.core.actors import Actor
from shuxiang.core.choices import Role
from shuxiang.core.errors import Forbidden, ServiceError
from shuxiang.core.files import store_attachment
from shuxiang.core.models import Person
from shuxiang.core.permissions import has_perm, in_domain, require
from shuxiang.core.pii import PIIError, digest, normalize_id_number
from shuxiang.trace import codes, counterfeit, proof
from shuxiang.trace.choices import (
    DISPOSITION_BY_STEP,
    REGISTERED_KINDS,
    BaseKind,
    BizStep,
    Disposition,
    EnvKind,
    InputKind,
    LotStage,
    ProducerKind,
    ProductCategory,
)
from shuxiang.trace.models import (
    Base,
    Certificate,
    EnvironmentTest,
    Lot,
    Plot,
    Producer,
    Product,
    Scan,
    TraceEvent,
)

STREAM = proof.STREAM
DOMAIN = "trace"
SHORT_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud and typed by hand
STAGE_BY_STEP = {
    BizStep.HARVESTING: LotStage.HARVESTED,
    BizStep.PROCESSING: LotStage.HARVESTED,
    BizStep.PACKING: LotStage.PACKED,
    BizStep.SHIPPING: LotStage.SHIPPED,
    BizStep.RECEIVING: LotStage.SHIPPED,
}
STAGE_ORDER = [LotStage.GROWING, LotStage.HARVESTED, LotStage.PACKED, LotStage.SHIPPED]
STATEMENT = (
    "我承诺对生产销售的食用农产品：不使用禁用农药兽药、停用兽药和非法添加物；"
    "常规农药兽药残留不超标；对承诺的真实性负责。"
)
SCAN_WINDOW = timedelta(hours=24)  # the scan statistics staff see; the counterfeit rule has its own window
# A consumer on the public page (scanning a label, filing a 12315 complaint): no account.
CONSUMER = Actor.anonymous("consumer")


def _refresh_public_page(*lots):
    """After commit, drop the cached public pages of these lots (their version was bumped)."""
    from shuxiang.trace.public import forget

    keys = [(lot.product.gtin, lot.lot_number) for lot in lots]
    transaction.on_commit(lambda: [forget(*k) for k in keys])


# --- who may do what -----------------------------------------------------------------------


def allowed(actor, perm: str, obj=None) -> bool:
    """Whether the actor holds `perm` (on `obj`: its grant's constraint included), for buttons and
    pending items; bureau staff only in bureaus responsible for traceability."""
    return has_perm(actor, perm, obj) and in_domain(actor, DOMAIN)


def _require(actor, perm, target=None, *, message=None):
    """The gate (grant, constraint, region), then the bureau's domain."""
    require(actor, perm, target, message=message)
    if not in_domain(actor, DOMAIN):
        raise Forbidden("您所在的部门不负责农产品质量追溯")


def _require_record_for(actor, producer):
    """Staff record for every producer in their region; a producer's recorder only for the producers
    it operates (the constraint of its grant), and is told so."""
    own_only = has_perm(actor, "trace.producer.record")
    _require(actor, "trace.producer.record", producer, message="您只能为本经营主体记录" if own_only else None)


def _fail(code, message, fields):
    raise ServiceError(code, message, fields)


def _decimal(value, field, label, *, required=True, positive=True):
    if value in (None, ""):
        if required:
            _fail("invalid", f"{label}必填", {field: ["必填"]})
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        _fail("invalid", f"{label}应为数字", {field: ["应为数字"]})
    if not number.is_finite() or (positive and number <= 0) or number < 0:
        _fail("invalid", f"{label}应为正数", {field: ["应为正数"]})
    return number.quantize(Decimal("0.01"))


def _choice(value, choices, field, label):
    if value not in choices.values:
        allowed = "、".join(str(c.label) for c in choices)
        _fail("invalid", f"{label}无效，可选：{allowed}", {field: [f"可选：{allowed}"]})
    return value


def _text(value, field, label, *, max_length, required=True):
    value = (value or "").strip()
    if required and not value:
        _fail("invalid", f"{label}必填", {field: ["必填"]})
    if len(value) > max_length:
        _fail("invalid", f"{label}最多{max_length}个字", {field: [f"最多{max_length}个字"]})
    return value


# --- producers and their land ----------------------------------------------------------------


@transaction.atomic
def do_create_producer(
    *,
    actor,
    name,
    kind,
    place,
    credit_code="",
    contact_name="",
    contact_id_number="",
    contact_phone="",
    address="",
    registered_on=None,
    main_products="",
) -> Producer:
    place = core_services.resolve_place(place)
    _require(actor, "trace.producer.add", place)
    name = _text(name, "name", "名称", max_length=100)
    _choice(kind, ProducerKind, "kind", "主体类型")
    errors: dict[str, list[str]] = {}
    code = ""
    if credit_code:
        try:
            code = codes.normalize_credit_code(credit_code)
        except codes.CodeError as exc:
            errors["credit_code"] = [exc.message]
    elif kind in REGISTERED_KINDS:
        errors["credit_code"] = [f"{ProducerKind(kind).label}须填写统一社会信用代码"]
    if code and Producer.objects.filter(credit_code=code).exists():
        errors["credit_code"] = ["该统一社会信用代码已登记"]
    id_number = ""
    if contact_id_number:
        try:
            id_number = normalize_id_number(contact_id_number)
        except PIIError as exc:
            errors["contact_id_number"] = [exc.message]
    elif kind not in REGISTERED_KINDS:
        errors["contact_id_number"] = ["家庭农场和种养殖户以负责人身份证号登记"]
    if (id_number or contact_phone) and not (contact_name or "").strip():
        errors["contact_name"] = ["请填写负责人姓名"]
    if errors:
        raise ServiceError("invalid", "经营主体信息有误：" + next(iter(errors.values()))[0], errors)
    contact = None
    if id_number:
        contact = Person.objects.filter(id_number_digest=digest(id_number)).first()
        if contact is not None and not Person.objects.restrict(actor).filter(pk=contact.pk).exists():
            _fail("out_of_scope", "该负责人不在您的管辖范围内", {"contact_id_number": ["不在管辖范围内"]})
    if contact is None and (contact_name or "").strip():
        contact = core_services.do_create_person(
            actor=actor, name=contact_name, place=place, id_number=id_number, phone=contact_phone
        )
    producer = Producer.objects.create(
        name=name,
        kind=kind,
        credit_code=code,
        contact=contact,
        place=place,
        address=_text(address, "address", "地址", max_length=200, required=False),
        registered_on=registered_on,
        main_products=_text(main_products, "main_products", "主要产品", max_length=200, required=False),
    )
    audit.record_create(actor, producer)
    proof.record(producer, actor=actor)
    return producer


@transaction.atomic
def do_add_operator(producer: Producer, user, *, actor) -> None:
    """Let an account record for this producer (and for no other producer)."""
    _require(actor, "trace.producer.change", producer)
    if user.place is None or not producer.place.path.startswith(user.place.path):
        _fail("invalid", "填报账号的所属区划须包含该主体所在地", {"user": ["区划不符"]})
    producer.operators.add(user)
    audit.record(actor, "update", producer, changes={"operators": [None, user.get_username()]})


@transaction.atomic
def do_create_base(
    producer: Producer, *, actor, name, kind, place, area_mu=None, latitude=None, longitude=None
):
    _require(actor, "trace.producer.change", producer)
    place = core_services.resolve_place(place)
    _require(actor, "trace.base.add", place)
    name = _text(name, "name", "基地名称", max_length=100)
    _choice(kind, BaseKind, "kind", "基地类型")
    if producer.bases.filter(name=name).exists():
        _fail("invalid", "该主体已有同名基地", {"name": ["同名基地已存在"]})
    base = Base.objects.create(
        producer=producer,
        name=name,
        kind=kind,
        place=place,
        area_mu=_decimal(area_mu, "area_mu", "面积", required=False),
        latitude=latitude,
        longitude=longitude,
    )
    audit.record_create(actor, base)
    return base


@transaction.atomic
def do_create_plot(
    base: Base, *, actor, name, place=None, area_mu=None, latitude=None, longitude=None
) -> Plot:
    _require(actor, "trace.producer.change", base.producer)
    place = core_services.resolve_place(place) if place else base.place
    _require(actor, "trace.plot.add", place)
    name = _text(name, "name", "地块名称", max_length=100)
    if base.plots.filter(name=name).exists():
        _fail("invalid", "该基地已有同名地块", {"name": ["同名地块已存在"]})
    plot = Plot.objects.create(
        base=base,
        name=name,
        place=place,
        area_mu=_decimal(area_mu, "area_mu", "面积", required=False),
        latitude=latitude if latitude is not None else base.latitude,
        longitude=longitude if longitude is not None else base.longitude,
    )
    audit.record_create(actor, plot)
    return plot


@transaction.atomic
def do_record_environment_test(
    plot: Plot, *, actor, kind, tested_on, agency, passed, summary=""
) -> EnvironmentTest:
    _require_record_for(actor, plot.base.producer)
    _require(actor, "trace.environmenttest.add", plot.place)
    _choice(kind, EnvKind, "kind", "检测类型")
    if tested_on is None:
        _fail("invalid", "检测日期必填", {"tested_on": ["必填"]})
    if tested_on > timezone.localdate():
        _fail("invalid", "检测日期不能晚于今天", {"tested_on": ["不能晚于今天"]})
    if passed is None:
        _fail("invalid", "请选择检测结论", {"passed": ["必填"]})
    test = EnvironmentTest.objects.create(
        plot=plot,
        kind=kind,
        tested_on=tested_on,
        agency=_text(agency, "agency", "检测机构", max_length=100),
        passed=bool(passed),
        summary=_text(summary, "summary", "主要指标", max_length=300, required=False),
    )
    audit.record_create(actor, test)
    proof.record(test, actor=actor)
    lots = list(Lot.objects.filter(origin=plot).select_related("product"))
    Lot.objects.filter(origin=plot).update(version=F("version") + 1)
    _refresh_public_page(*lots)
    return test


@transaction.atomic
def do_link_device(plot: Plot, *, actor, device_code="") -> Plot:
    """Show an iot device's latest readings as the plot's environment data (blank code: unlink)."""
    from shuxiang.iot.models import Device

    _require(actor, "trace.plot.change", plot)
    device = None
    code = (device_code or "").strip()
    if code:
        device = Device.objects.restrict(actor).filter(code=code).first()
        if device is None:
            _fail("invalid", f"设备 {code} 不存在或不在您的管辖范围内", {"device_code": ["设备不存在"]})
    before = audit.snapshot(plot, fields=["device"])
    plot.device = device
    plot.save(update_fields=["device"])
    audit.record_update(actor, plot, before)
    lots = list(plot.lots.select_related("product"))
    Lot.objects.filter(origin=plot).update(version=F("version") + 1)
    _refresh_public_page(*lots)
    return plot


# --- products and lots ---------------------------------------------------------------------------


def _next_internal_gtin() -> str:
    taken = Product.objects.filter(gtin_is_internal=True).aggregate(m=Max("gtin"))["m"]
    number = int(taken[3:13]) + 1 if taken else 1
    return codes.internal_gtin(number)


@transaction.atomic
def do_create_product(producer: Producer, *, actor, name, category, gtin="", unit="kg") -> Product:
    _require(actor, "trace.producer.change", producer)
    _require(actor, "trace.product.add", producer.place)
    name = _text(name, "name", "产品名称", max_length=100)
    _choice(category, ProductCategory, "category", "品类")
    unit = _text(unit, "unit", "计量单位", max_length=10)
    if gtin:
        try:
            gtin = codes.normalize_gtin(gtin)
        except codes.CodeError as exc:
            _fail("invalid_gtin", exc.message, {"gtin": [exc.message]})
        if gtin.startswith("002"):
            _fail(
                "invalid_gtin", "002 开头为平台内部编码段，请填写GS1分配的商品条码", {"gtin": ["内部编码段"]}
            )
        if Product.objects.filter(gtin=gtin).exists():
            _fail("invalid_gtin", "该商品条码已被其他产品使用", {"gtin": ["已被使用"]})
        internal = False
    else:
        gtin, internal = _next_internal_gtin(), True
    product = Product.objects.create(
        producer=producer, name=name, category=category, gtin=gtin, gtin_is_internal=internal, unit=unit
    )
    audit.record_create(actor, product)
    proof.record(product, actor=actor)
    return product


def _new_short_code() -> str:
    while True:
        code = "".join(secrets.choice(SHORT_CODE_ALPHABET) for _ in range(8))
        if not Lot.objects.filter(short_code=code).exists():
            return code


@transaction.atomic
def do_create_lot(product: Product, *, actor, lot_number, origin, quantity) -> Lot:
    if origin is None:
        _fail("lot_without_origin", "批次必须指定产地地块，否则无法追溯", {"origin": ["请选择产地地块"]})
    _require_record_for(actor, product.producer)
    _require(actor, "trace.lot.add", origin.place)
    if origin.base.producer_id != product.producer_id:
        _fail("origin_of_other_producer", "产地地块不属于该产品的经营主体", {"origin": ["不是本主体的地块"]})
    try:
        lot_number = codes.normalize_lot_number(lot_number)
    except codes.CodeError as exc:
        _fail("invalid", exc.message, {"lot_number": [exc.message]})
    quantity = _decimal(quantity, "quantity", "数量")
    if Lot.objects.filter(product=product, lot_number=lot_number).exists():
        _fail("invalid", f"{product.name}已有批次号 {lot_number}", {"lot_number": ["批次号重复"]})
    lot = Lot.objects.create(
        product=product, lot_number=lot_number, origin=origin, quantity=quantity, short_code=_new_short_code()
    )
    audit.record_create(actor, lot)
    proof.record(lot, actor=actor)
    return lot


# --- trace events -----------------------------------------------------------------------------


def effective_events(lot: Lot):
    """The lot's events with corrected ones left out (their corrections stand in their place)."""
    return lot.events.filter(corrections__isnull=True)


def failed_tests(lot: Lot):
    return effective_events(lot).filter(biz_step=BizStep.INSPECTING, test_passed=False)


def harvest_allowed_on(lot: Lot, *, excluding=None):
    """(date, input event) from which harvesting is allowed, or (None, None) when no interval applies."""
    latest, reason = None, None
    inputs = effective_events(lot).filter(biz_step=BizStep.INPUT_USE, interval_days__gt=0)
    if excluding is not None:
        inputs = inputs.exclude(pk=excluding.pk)
    for event in inputs:
        allowed = timezone.localdate(event.event_time) + timedelta(days=event.interval_days)
        if latest is None or allowed > latest:
            latest, reason = allowed, event
    return latest, reason


def _validate_event(lot, data, corrects) -> dict:
    step = data["biz_step"]
    fields: dict[str, list[str]] = {}
    if step == BizStep.INPUT_USE:
        if data["input_kind"] not in InputKind.values:
            fields["input_kind"] = ["请选择投入品类别"]
        if not data["input_name"]:
            fields["input_name"] = ["请填写投入品名称（通用名或商品名）"]
        if not data["input_dose"]:
            fields["input_dose"] = ["请填写用量"]
        if data["input_kind"] in (InputKind.PESTICIDE, InputKind.VET_DRUG) and data["interval_days"] is None:
            fields["interval_days"] = ["农药、兽药须填写安全间隔期/休药期（天），无间隔期填0"]
    if step == BizStep.INSPECTING:
        if not data["test_item"]:
            fields["test_item"] = ["请填写检测项目，如“农药残留快速检测”"]
        if data["test_passed"] is None:
            fields["test_passed"] = ["请选择检测结论"]
    if step in (BizStep.SHIPPING, BizStep.RECEIVING) and not data["counterparty"]:
        fields["counterparty"] = ["请填写收货方/发货方"]
    if data["event_time"] > timezone.now() + timedelta(minutes=10):
        fields["event_time"] = ["发生时间不能晚于现在"]
    if corrects is not None:
        if corrects.lot_id != lot.pk:
            fields["corrects"] = ["只能更正同一批次的事件"]
        elif corrects.corrections.exists():
            fields["corrects"] = ["该事件已被更正，请更正最新的那条"]
        elif corrects.biz_step != step:
            fields["biz_step"] = [f"更正事件的环节应与原事件相同（{corrects.get_biz_step_display()}）"]
    return fields


@transaction.atomic
def do_record_event(
    lot: Lot,
    *,
    actor,
    biz_step,
    event_time=None,
    place=None,
    quantity=None,
    note="",
    input_kind="",
    input_name="",
    input_dose="",
    interval_days=None,
    test_item="",
    test_agency="",
    test_passed=None,
    counterparty="",
    corrects=None,
    report=None,
) -> TraceEvent:
    """Record what happened to a lot and chain it into the ledger; refuse it when a rule forbids it."""
    lot = Lot.objects.select_for_update().select_related("product__producer", "origin__place").get(pk=lot.pk)
    producer = lot.product.producer
    _require_record_for(actor, producer)
    _require(actor, "trace.lot.view", lot)
    _choice(biz_step, BizStep, "biz_step", "环节")
    where = core_services.resolve_place(place) if place else lot.origin.place
    _require(actor, "trace.traceevent.add", where)
    data = {
        "biz_step": biz_step,
        "event_time": event_time or timezone.now(),
        "input_kind": input_kind or "",
        "input_name": (input_name or "").strip()[:100],
        "input_dose": (input_dose or "").strip()[:50],
        "interval_days": int(interval_days) if interval_days not in (None, "") else None,
        "test_item": (test_item or "").strip()[:100],
        "test_agency": (test_agency or "").strip()[:100],
        "test_passed": test_passed,
        "counterparty": (counterparty or "").strip()[:100],
    }
    if report is not None and biz_step != BizStep.INSPECTING:
        _fail("invalid", "只有检测事件可以附检测报告", {"report": ["只有检测事件可以附检测报告"]})
    if data["interval_days"] is not None and not 0 <= data["interval_days"] <= 365:
        _fail("invalid", "安全间隔期应在0–365天之间", {"interval_days": ["应在0–365天之间"]})
    fields = _validate_event(lot, data, corrects)
    if fields:
        raise ServiceError("invalid", "事件信息有误：" + next(iter(fields.values()))[0], fields)
    if biz_step == BizStep.HARVESTING:
        allowed, source = harvest_allowed_on(
            lot,
            excluding=corrects if corrects is not None and corrects.biz_step == BizStep.INPUT_USE else None,
        )
        if allowed is not None and timezone.localdate(data["event_time"]) < allowed:
            used = timezone.localdate(source.event_time)
            message = (
                f"{lot.product.name}（批次 {lot.lot_number}）仍在安全间隔期内：{source.input_name}于{used:%Y-%m-%d}施用，"
                f"间隔期{source.interval_days}天，{allowed:%Y-%m-%d}起方可采收"
            )
            raise ServiceError(
                "pre_harvest_interval",
                message,
                {"event_time": [f"{allowed:%Y-%m-%d}起方可采收"]},
            )
    if biz_step == BizStep.SHIPPING and failed_tests(lot).exists():
        _fail("failed_test", "该批次检测不合格，不得发货销售", {"biz_step": ["检测不合格的批次不得发货"]})
    if biz_step == BizStep.INSPECTING:
        disposition = Disposition.CONFORMANT if data["test_passed"] else Disposition.NON_CONFORMANT
    else:
        disposition = DISPOSITION_BY_STEP[biz_step]
    event = TraceEvent.objects.create(
        lot=lot,
        disposition=disposition,
        place=where,
        quantity=_decimal(quantity, "quantity", "数量", required=False),
        note=_text(note, "note", "说明", max_length=300, required=False),
        corrects=corrects,
        recorded_by=audit.actor_label(actor)[:100],
        **data,
    )
    if report is not None:
        # The report's SHA-256 goes into the chained payload: swapping the file later breaks verification.
        stored = store_attachment(
            report, owner=event, place=lot.origin.place, actor=actor, kind="document", is_public=True
        )
        TraceEvent.objects.filter(pk=event.pk).update(report=stored, report_sha256=stored.sha256)
    event = TraceEvent.objects.select_related("lot__product", "place").get(pk=event.pk)
    entry = proof.record(event, actor=actor)
    TraceEvent.objects.filter(pk=event.pk).update(ledger_seq=entry.seq, ledger_hash=entry.hash)
    event.ledger_seq, event.ledger_hash = entry.seq, entry.hash
    stage = STAGE_BY_STEP.get(biz_step)
    update = {"version": F("version") + 1}
    if stage and STAGE_ORDER.index(stage) > STAGE_ORDER.index(lot.stage):
        update["stage"] = stage
    Lot.objects.filter(pk=lot.pk).update(**update)
    _refresh_public_page(lot)
    audit.record_create(actor, event)
    return event


# --- certificates ------------------------------------------------------------------------------


@transaction.atomic
def do_issue_certificate(lot: Lot, *, actor, quantity=None) -> Certificate:
    """A compliance certificate for (part of) a harvested lot; refused while a test of the lot failed."""
    lot = Lot.objects.select_for_update().select_related("product__producer", "origin__place").get(pk=lot.pk)
    _require_record_for(actor, lot.product.producer)
    _require(actor, "trace.lot.view", lot)
    _require(actor, "trace.certificate.add", lot.origin.place)
    failed = failed_tests(lot).first()
    if failed is not None:
        _fail(
            "failed_test",
            f"批次 {lot.lot_number} 的{failed.test_item}检测不合格（{timezone.localdate(failed.event_time):%Y-%m-%d}），不能开具承诺达标合格证",
            {"lot": ["检测不合格"]},
        )
    if lot.stage == LotStage.GROWING:
        _fail("not_harvested", "批次尚未采收，不能开具合格证", {"lot": ["尚未采收"]})
    quantity = _decimal(quantity, "quantity", "数量", required=False) or lot.quantity
    issued = lot.certificates.aggregate(s=Sum("quantity"))["s"] or Decimal(0)
    if issued + quantity > lot.quantity:
        left = lot.quantity - issued
        _fail(
            "quantity_exceeds",
            f"合格证数量超过批次剩余数量（剩余 {left} {lot.product.unit}）",
            {"quantity": [f"最多 {left}"]},
        )
    count = lot.certificates.count()
    certificate = Certificate.objects.create(
        lot=lot,
        number=f"HG{lot.short_code}{count + 1:02d}",
        quantity=quantity,
        issued_by=audit.actor_label(actor)[:100],
        statement=STATEMENT,
    )
    Lot.objects.filter(pk=lot.pk).update(version=F("version") + 1)
    _refresh_public_page(lot)
    audit.record_create(actor, certificate)
    proof.record(certificate, actor=actor)
    return certificate


# --- scans and counterfeit clues ------------------------------------------------------------------


def network_of(ip: str | None) -> str:
    """The /24 (IPv4) or /48 (IPv6) a scan came from: enough to tell places apart, not a person."""
    if not ip:
        return ""
    if ":" in ip:
        return ":".join(ip.split(":")[:3]) + "::/48"
    parts = ip.split(".")
    return ".".join(parts[:3]) + ".0/24" if len(parts) == 4 else ""


def counterfeit_clue(lot: Lot, now) -> str:
    """Why this lot's recent scans look like a copied label (counterfeit.clue), or "". Scans before the
    last time staff checked the lot do not count again."""
    rule = counterfeit.rule()
    since = now - rule.window
    if lot.clue_checked_at and lot.clue_checked_at > since:
        since = lot.clue_checked_at
    scans = Scan.objects.filter(lot=lot, at__gte=since, at__lte=now).order_by("at")[:2000]
    return counterfeit.clue(list(scans), rule)


@transaction.atomic
def do_record_scan(
    lot: Lot, *, actor, ip=None, user_agent="", latitude=None, longitude=None, now=None
) -> Scan:
    """Count a consumer's scan (actor `CONSUMER`); when the pattern of scans says so, give the township a
    clue to check. Nothing shows on the public page until an official confirms it.

    Scans are statistics, not decisions: only the clue is audited."""
    require(actor, "trace.scan.add")
    now = now or timezone.now()
    if latitude is not None and longitude is not None:
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            latitude = longitude = None
        else:  # coarse (≈1 km) on purpose: where a code travels, not where a person lives
            latitude, longitude = round(latitude, 2), round(longitude, 2)
    else:
        latitude = longitude = None
    scan = Scan.objects.create(
        lot=lot,
        at=now,
        network=network_of(ip),
        agent=counterfeit.agent_of(user_agent),
        latitude=latitude,
        longitude=longitude,
    )
    Lot.objects.filter(pk=lot.pk).update(scan_count=F("scan_count") + 1)
    lot.refresh_from_db(fields=["suspicious", "clue_reason", "clue_checked_at"])
    if not lot.suspicious and not lot.clue_reason:
        reason = counterfeit_clue(lot, now)
        if reason:
            Lot.objects.filter(pk=lot.pk).update(clue_reason=reason[:200], clue_at=now)
            lot.clue_reason, lot.clue_at = reason[:200], now
            audit.record(actor, "transition", lot, changes={"clue": [None, reason]})
            _notify_clue(lot, reason)
    return scan


def _notify_clue(lot: Lot, reason: str):
    township = lot.origin.place.township
    places = [p for p in (township,) if p is not None]

    def send():
        users = core_services.users_at(places, [Role.TOWNSHIP]) if places else []
        core_services.notify(
            [u for u in users if allowed(u, "trace.lot.change", lot)],
            title=f"仿冒线索待核查：{lot.product.name} {lot.lot_number}",
            body=f"{reason}。公众页面暂不提示；请核查市场后确认或排除。",
            url=f"/trace/lots/{lot.pk}/",
            kind="trace",
        )

    transaction.on_commit(send)


def _locked_lot(lot: Lot) -> Lot:
    return Lot.objects.select_for_update().select_related("product", "origin__place").get(pk=lot.pk)


@transaction.atomic
def do_confirm_counterfeit(lot: Lot, *, actor, note="") -> Lot:
    """An official who found copied labels on the market confirms it: only now does the public page warn."""
    _require(actor, "trace.lot.change", lot)
    lot = _locked_lot(lot)
    note = _text(note, "note", "核查情况", max_length=200, required=False)
    reason = note or lot.clue_reason
    if not reason:
        _fail("invalid", "请填写核查情况（在哪里发现了仿冒产品）", {"note": ["必填"]})
    if lot.suspicious:
        _fail("invalid", "该批次已有假冒预警", {})
    before = audit.snapshot(lot, fields=["suspicious", "suspicious_reason", "clue_reason"])
    lot.suspicious, lot.suspicious_reason = True, reason[:200]
    lot.clue_reason, lot.clue_checked_at = "", timezone.now()
    lot.version += 1
    lot.save(update_fields=["suspicious", "suspicious_reason", "clue_reason", "clue_checked_at", "version"])
    _refresh_public_page(lot)
    audit.record_update(actor, lot, before)
    return lot


@transaction.atomic
def do_dismiss_clue(lot: Lot, *, actor) -> Lot:
    """The market was checked and nothing was copied: the clue goes, and its scans do not raise it again."""
    _require(actor, "trace.lot.change", lot)
    lot = _locked_lot(lot)
    if not lot.clue_reason:
        _fail("invalid", "该批次没有待核查的仿冒线索", {})
    before = audit.snapshot(lot, fields=["clue_reason"])
    lot.clue_reason, lot.clue_checked_at = "", timezone.now()
    lot.save(update_fields=["clue_reason", "clue_checked_at"])
    audit.record_update(actor, lot, before)
    return lot


@transaction.atomic
def do_clear_warning(lot: Lot, *, actor) -> Lot:
    """An official who checked the market again lifts the public counterfeit warning."""
    _require(actor, "trace.lot.change", lot)
    lot = _locked_lot(lot)
    if not lot.suspicious:
        _fail("invalid", "该批次没有假冒预警", {})
    before = audit.snapshot(lot, fields=["suspicious", "suspicious_reason"])
    lot.suspicious, lot.suspicious_reason = False, ""
    lot.clue_checked_at = timezone.now()
    lot.version += 1
    lot.save(update_fields=["suspicious", "suspicious_reason", "clue_checked_at", "version"])
    _refresh_public_page(lot)
    audit.record_update(actor, lot, before)
    return lot


# --- 12315 complaints, through the case engine ---------------------------------------------------------

COMPLAINT_TYPE = "trace.complaint"


def complaint_unit():
    """The bureau that takes food-safety complaints: the market regulator if it is registered, else
    the bureau responsible for traceability; None lets the case engine's routing decide."""
    from shuxiang.core.choices import UnitKind
    from shuxiang.core.models import Unit

    bureaus = [
        u for u in Unit.objects.filter(kind=UnitKind.BUREAU, is_active=True) if DOMAIN in (u.domains or [])
    ]
    regulator = [u for u in bureaus if "市场监督" in u.name or "市监" in u.short_name]
    return (regulator or bureaus or [None])[0]


@transaction.atomic
def do_file_complaint(
    lot: Lot,
    *,
    actor,
    description,
    reporter_name="",
    phone="",
    purchase_place="",
    submission_key=None,
):
    """A consumer's food-safety complaint (12315) about a lot becomes a case for the regulator.

    `actor` is `CONSUMER` on the public page (the case engine checks it may open cases)."""
    from shuxiang.cases import services as cases

    lot = Lot.objects.select_related("product__producer", "origin__place").get(pk=lot.pk)
    purchase_place = (purchase_place or "").strip()
    if len(purchase_place) > 100:
        _fail("invalid", "购买地点不能超过100字", {"purchase_place": ["不能超过100字"]})
    return cases.do_open_case(
        actor=actor,
        case_type=COMPLAINT_TYPE,
        title=f"食品安全投诉：{lot.product.name} 批次{lot.lot_number}"[:100],
        description=description,
        place=lot.origin.place,
        reporter_name=reporter_name,
        phone=phone,
        channel="web",
        extra={
            "product": lot.product.name,
            "producer": lot.product.producer.name,
            "gtin": lot.product.gtin,
            "lot_number": lot.lot_number,
            "short_code": lot.short_code,
            "purchase_place": purchase_place,
        },
        unit=complaint_unit(),
        source_ref=f"trace.lot:{lot.pk}",
        is_public=False,
        submission_key=submission_key,
    )
