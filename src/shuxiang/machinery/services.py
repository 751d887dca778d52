"""Every write of the machinery app, and reading a machine's track from the iot engine."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import shapely
from django.db import transaction
from django.utils import timezone

from shuxiang.core import audit
from shuxiang.core.actors import Actor, as_actor
from shuxiang.core.errors import ServiceError
from shuxiang.core.geometry import area_m2, from_geojson, polygon_problem, to_geojson
from shuxiang.core.permissions import require
from shuxiang.iot.models import Device, Reading, Sensor
from shuxiang.machinery import work
from shuxiang.machinery.choices import (
    SUBSOIL_TARGET_CM,
    Direction,
    MachineKind,
    OperationKind,
    OwnerKind,
    RequestStatus,
    RoadCondition,
    RoadGrade,
    SubsidyStatus,
    season_of,
)
from shuxiang.machinery.models import (
    BusDeparture,
    BusRoute,
    BusStop,
    Field,
    Machine,
    Operation,
    OperationField,
    Road,
    RoadInspection,
    ServiceRequest,
    SubsidyApplication,
)

TRACK_KEYS = ("lat", "lon", "speed", "positioned", "implement", "depth")
MAX_TRACK_DAYS = 31


# --- tracks ------------------------------------------------------------------------------------


def parse_period(start, end, *, default_hours=24) -> tuple[datetime, datetime]:
    """A period from ISO strings (date or date-time, local time) or None; ServiceError when bad."""
    now = timezone.now()
    errors = {}

    def parse(value, name):
        if value in (None, ""):
            return None
        if isinstance(value, datetime):
            return value
        try:
            if len(value) == 10:
                return timezone.make_aware(datetime.combine(date.fromisoformat(value), datetime.min.time()))
            parsed = datetime.fromisoformat(value)
            return parsed if parsed.tzinfo else timezone.make_aware(parsed)
        except ValueError:
            errors[name] = ["时间格式应为 YYYY-MM-DD 或 YYYY-MM-DDTHH:MM"]
            return None

    s, e = parse(start, "start"), parse(end, "end")
    if errors:
        raise ServiceError("invalid", "时间格式错误", errors)
    if e is None:
        e = now if s is None else s + timedelta(hours=default_hours)
    if s is None:
        s = e - timedelta(hours=default_hours)
    if e <= s:
        raise ServiceError("invalid", "结束时间应晚于开始时间", {"end": ["应晚于开始时间"]})
    if e - s > timedelta(days=MAX_TRACK_DAYS):
        raise ServiceError("invalid", f"一次最多查询 {MAX_TRACK_DAYS} 天的轨迹", {"end": ["时间段过长"]})
    return s, e


def track_points(device_id, start, end) -> list[work.TrackPoint]:
    """The positions a terminal reported in [start, end), with speed, implement and depth when sent."""
    if not device_id:
        return []
    sensors = dict(Sensor.objects.filter(device_id=device_id, key__in=TRACK_KEYS).values_list("pk", "key"))
    if "lat" not in sensors.values():
        return []
    rows = (
        Reading.objects.filter(sensor_id__in=list(sensors), ts__gte=start, ts__lt=end)
        .order_by()
        .values_list("sensor_id", "ts", "value")
    )
    by_ts: dict = {}
    for sensor_id, ts, value in rows.iterator(chunk_size=5000):
        by_ts.setdefault(ts, {})[sensors[sensor_id]] = value
    points = []
    for ts in sorted(by_ts):
        v = by_ts[ts]
        if "lat" not in v or "lon" not in v:
            continue
        points.append(
            work.TrackPoint(
                ts=ts,
                lat=v["lat"],
                lon=v["lon"],
                speed=v.get("speed", 0.0),
                positioned=v.get("positioned", 1.0) >= 0.5,
                implement=v.get("implement"),
                depth=v.get("depth"),
            )
        )
    return points


def track_line(points, *, max_points=2000):
    """The positioned points as a LineString for a map, simplified when long (None when < 2 points)."""
    coords = [(p.lon, p.lat) for p in points if p.positioned]
    if len(coords) < 2:
        return None
    line = shapely.LineString(coords)
    tolerance = 0.000005
    while len(line.coords) > max_points and tolerance < 0.01:
        line = shapely.LineString(coords).simplify(tolerance)
        tolerance *= 2
    return line


def fields_near_track(user, machine, points, *, limit=50) -> list:
    """The fields in the user's scope (in the machine's township) that the track passes over or near."""
    line = track_line(points)
    if line is None:
        return []
    envelope = line.envelope.buffer(0.0005)
    township = "/".join(machine.place.path.split("/")[:3])
    out = []
    for field in Field.objects.restrict(user).filter(place__path__startswith=township).order_by("name")[:500]:
        boundary = from_geojson(field.boundary)
        if boundary is not None and boundary.intersects(envelope):
            out.append(field)
            if len(out) >= limit:
                break
    return out


def planned_path_of(field, width_m, *, heading_deg=None):
    return work.planned_path(from_geojson(field.boundary), width_m, heading_deg=heading_deg)


def compare_track_with_plan(machine, points, field, *, heading_deg=None) -> work.PlanComparison:
    """The done track against the field's planned A/B path at the machine's implement width."""
    boundary = from_geojson(field.boundary)
    plan = work.planned_path(boundary, machine.implement_width_m, heading_deg=heading_deg)
    kind = _default_kind_of(machine)
    return work.compare_with_plan(points, machine.implement_width_m, boundary, plan, kind)


def _default_kind_of(machine) -> str:
    return {
        "transplanter": "transplant",
        "seeder": "sow",
        "sprayer": "spray",
        "harvester": "harvest",
        "subsoiler": "subsoil",
        "dryer": "dry",
    }.get(machine.kind, "till")


# --- machines ----------------------------------------------------------------------------------


def _machine_errors(f) -> dict:
    errors = {}
    if not (f.get("code") or "").strip():
        errors["code"] = ["农机编号必填"]
    if not (f.get("name") or "").strip():
        errors["name"] = ["名称必填"]
    if f.get("kind") not in MachineKind.values:
        errors["kind"] = ["机具类型无效"]
    if f.get("owner_kind") not in OwnerKind.values:
        errors["owner_kind"] = ["所有者类型应为农户、合作社或服务中心"]
    if not (f.get("owner_name") or "").strip():
        errors["owner_name"] = ["所有者必填"]
    width = f.get("implement_width_m")
    if not isinstance(width, int | float) or not 0 < width <= 30:
        errors["implement_width_m"] = ["作业幅宽应为 0–30 m 的数字"]
    return errors


@transaction.atomic
def do_register_machine(*, actor, place, device_code="", **fields) -> Machine:
    """A machine in the registry; `device_code`: its JT/T 808 terminal, already added in iot."""
    require(actor, "machinery.machine.add")
    errors = _machine_errors(fields)
    if place is None:
        errors["place"] = ["请选择所在村或乡镇"]
    code = (fields.get("code") or "").strip()
    if code and Machine.objects.filter(code=code).exists():
        errors["code"] = [f"农机编号 {code} 已登记"]
    device = None
    if device_code:
        device = Device.objects.filter(code=device_code).first()
        if device is None:
            errors["device"] = [f"终端 {device_code} 未在物联感知中登记"]
        elif Machine.objects.filter(device=device).exists():
            errors["device"] = [f"终端 {device_code} 已装在另一台农机上"]
    if errors:
        raise ServiceError("invalid", "农机信息有误", errors)
    require(actor, "machinery.machine.add", place)
    fields["code"] = code
    machine = Machine(place=place, device=device, **fields)
    machine.full_clean()
    machine.save()
    audit.record_create(actor, machine)
    return machine


@transaction.atomic
def do_record_terminal_registration(code, registration, *, actor) -> Machine | None:
    """The plate and maker a terminal reported in its 0x0100 registration, kept on its machine."""
    machine = Machine.objects.select_for_update().filter(device__code=code).first()
    if machine is None:
        return None
    require(actor, "machinery.machine.change", machine)
    plate, maker = (registration.plate or "")[:20], (registration.maker or "")[:40]
    if (machine.terminal_plate, machine.terminal_maker) == (plate, maker):
        return machine
    before = audit.snapshot(machine)
    machine.terminal_plate, machine.terminal_maker = plate, maker
    machine.save(update_fields=["terminal_plate", "terminal_maker"])
    audit.record_update(actor, machine, before)
    return machine


def on_terminal_registered(sender, code, registration, **kwargs):
    do_record_terminal_registration(code, registration, actor=Actor.system("machinery"))


# --- fields --------------------------------------------------------------------------------------


@transaction.atomic
def do_create_field(*, actor, place, name, boundary, farmer=None, crop="水稻", synthetic=False) -> Field:
    require(actor, "machinery.field.add", place)
    errors = {}
    if not (name or "").strip():
        errors["name"] = ["地块名称必填"]
    try:
        shape = from_geojson(boundary)
    except (AttributeError, TypeError, ValueError, KeyError):
        shape = None
    problem = polygon_problem(shape)
    if problem:
        errors["boundary"] = [problem]
    if errors:
        raise ServiceError("invalid", "地块信息有误", errors)
    field = Field.objects.create(
        place=place,
        name=name.strip(),
        farmer=farmer,
        crop=crop,
        boundary=to_geojson(shape),
        area_m2=round(area_m2(shape), 1),
        synthetic=synthetic,
    )
    audit.record_create(actor, field)
    return field


# --- operations ----------------------------------------------------------------------------------


def _measure(machine, kind, start, end, points=None):
    if points is None:
        points = track_points(machine.device_id, start, end)
    target = SUBSOIL_TARGET_CM if kind == OperationKind.SUBSOIL else None
    return points, work.compute(points, machine.implement_width_m, kind, target_depth_cm=target)


def _candidate_fields(result, machine):
    if result.area is None:
        return []
    minx, miny, maxx, maxy = result.area.bounds
    township = machine.place.path.split("/")[:3]
    qs = Field.objects.filter(place__path__startswith="/".join(township))
    out = []
    for f in qs.only("pk", "boundary", "place_id"):
        shape = from_geojson(f.boundary)
        bx0, by0, bx1, by1 = shape.bounds
        if bx1 < minx or bx0 > maxx or by1 < miny or by0 > maxy:
            continue
        out.append((f, shape))
    return out


@transaction.atomic
def do_record_operation(machine, *, actor, kind, start, end, points=None) -> Operation:
    """An operation measured from the machine's track between `start` and `end`, attributed to the
    fields it touched (its place: the field with the largest share, else the machine's)."""
    require(actor, "machinery.operation.add", machine)
    errors = {}
    if kind not in OperationKind.values:
        errors["kind"] = ["作业类型无效"]
    if end <= start:
        errors["end"] = ["结束时间应晚于开始时间"]
    elif end - start > timedelta(days=MAX_TRACK_DAYS):
        errors["end"] = [f"一次作业最长 {MAX_TRACK_DAYS} 天"]
    if machine.device_id is None and points is None:
        errors["machine"] = ["该农机未装北斗终端，无法按轨迹计算作业面积"]
    if errors:
        raise ServiceError("invalid", "作业记录有误", errors)
    points, result = _measure(machine, kind, start, end, points)
    if not points:
        raise ServiceError("no_track", "该时段没有轨迹数据", {"start": ["该时段终端没有上报位置"]})
    shares = work.field_shares(result.area, _candidate_fields(result, machine))
    place = max(shares, key=lambda s: s[1])[0].place if shares else machine.place
    op = Operation.objects.create(
        machine=machine,
        kind=kind,
        place=place,
        season=season_of(timezone.localtime(start).date()),
        started_at=start,
        ended_at=end,
        width_m=machine.implement_width_m,
        length_m=round(result.length_m, 1),
        gross_m2=round(result.gross_m2, 1),
        net_m2=round(result.net_m2, 1),
        overlap_pct=result.overlap_pct,
        qualified_depth_pct=result.qualified_depth_pct,
        flags=result.flags,
        area=to_geojson(result.area, decimals=6) if result.area is not None else None,
        points=len(points),
    )
    OperationField.objects.bulk_create(
        [OperationField(operation=op, field=f, area_m2=round(m2, 1)) for f, m2 in shares]
    )
    audit.record_create(actor, op)
    return op


# --- dispatch ------------------------------------------------------------------------------------


@transaction.atomic
def do_create_request(
    *, actor, place, kind, requester_name, area_mu, window_start, window_end, field=None, note=""
) -> ServiceRequest:
    require(actor, "machinery.servicerequest.add", place)
    errors = {}
    if kind not in OperationKind.values:
        errors["kind"] = ["作业类型无效"]
    if not (requester_name or "").strip():
        errors["requester_name"] = ["申请人必填"]
    if not isinstance(area_mu, int | float) or not 0 < area_mu <= 100000:
        errors["area_mu"] = ["预计面积应为大于 0 的亩数"]
    if not isinstance(window_start, date) or not isinstance(window_end, date):
        errors["window_start"] = ["请填写期望作业日期"]
    elif window_end < window_start:
        errors["window_end"] = ["期望完成日期不能早于开始日期"]
    if field is not None and not field.place.path.startswith(place.path):
        errors["field"] = ["地块不在所选村内"]
    if errors:
        raise ServiceError("invalid", "作业需求有误", errors)
    req = ServiceRequest.objects.create(
        place=place,
        field=field,
        kind=kind,
        requester_name=requester_name.strip()[:60],
        area_mu=float(area_mu),
        window_start=window_start,
        window_end=window_end,
        note=(note or "")[:200],
        created_by=as_actor(actor).human,
    )
    audit.record_create(actor, req)
    return req


def _transition(req, actor, allowed, perm="machinery.servicerequest.change"):
    require(actor, perm, req)
    if req.status not in allowed:
        raise ServiceError(
            "conflict",
            f"需求当前为“{req.get_status_display()}”，不能进行此操作",
            {"status": [f"当前状态：{req.get_status_display()}"]},
        )
    return audit.snapshot(req)


@transaction.atomic
def do_assign_request(req, *, actor, machine, price_per_mu=None) -> ServiceRequest:
    """The service centre assigns a free machine (one not busy on another started or assigned job)."""
    before = _transition(
        req, actor, {RequestStatus.OPEN, RequestStatus.ASSIGNED}, "machinery.servicerequest.assign"
    )
    require(actor, "machinery.machine.view", machine)
    busy = (
        ServiceRequest.objects.filter(
            machine=machine, status__in=[RequestStatus.ASSIGNED, RequestStatus.STARTED]
        )
        .exclude(pk=req.pk)
        .exists()
    )
    if busy:
        raise ServiceError(
            "conflict", f"{machine.name} 正在执行其他作业", {"machine": ["该农机已有未完成的派单"]}
        )
    price = Decimal(str(price_per_mu)) if price_per_mu not in (None, "") else machine.price_per_mu
    if price < 0:
        raise ServiceError("invalid", "单价不能为负", {"price_per_mu": ["不能为负"]})
    req.machine, req.price_per_mu, req.status = machine, price, RequestStatus.ASSIGNED
    req.save(update_fields=["machine", "price_per_mu", "status"])
    audit.record_update(actor, req, before)
    return req


@transaction.atomic
def do_start_request(req, *, actor, now=None) -> ServiceRequest:
    before = _transition(req, actor, {RequestStatus.ASSIGNED})
    req.status, req.started_at = RequestStatus.STARTED, now or timezone.now()
    req.save(update_fields=["status", "started_at"])
    audit.record_update(actor, req, before)
    return req


@transaction.atomic
def do_finish_request(req, *, actor, now=None) -> ServiceRequest:
    """The job ends: its operation is measured from the track since the start, and settled per 亩."""
    before = _transition(req, actor, {RequestStatus.STARTED})
    now = now or timezone.now()
    # The settlement is measured, not typed: the dispatch system records the operation from the track
    # whoever presses "finish" (the operator's village account or the service centre).
    op = do_record_operation(
        req.machine, actor=Actor.system("machinery"), kind=req.kind, start=req.started_at, end=now
    )
    mu = Decimal(str(op.net_mu)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    req.status, req.finished_at, req.operation = RequestStatus.DONE, now, op
    req.amount = (mu * (req.price_per_mu or 0)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    req.save(update_fields=["status", "finished_at", "operation", "amount"])
    audit.record_update(actor, req, before)
    return req


@transaction.atomic
def do_cancel_request(req, *, actor) -> ServiceRequest:
    before = _transition(req, actor, {RequestStatus.OPEN, RequestStatus.ASSIGNED})
    req.status = RequestStatus.CANCELLED
    req.save(update_fields=["status"])
    audit.record_update(actor, req, before)
    return req


# --- subsidies (农机购置补贴) ------------------------------------------------------------------------


def _decimal(value, name, errors, label):
    try:
        d = Decimal(str(value))
    except (ArithmeticError, ValueError, TypeError):
        errors[name] = [f"{label}应为数字"]
        return None
    if not d.is_finite() or d < 0 or d > Decimal("100000000"):
        errors[name] = [f"{label}应为 0–1 亿之间的金额"]
        return None
    return d.quantize(Decimal("0.01"))


@transaction.atomic
def do_apply_subsidy(
    *,
    actor,
    place,
    applicant_name,
    id_number,
    kind,
    make,
    model,
    serial_number,
    implement_width_m,
    price,
    subsidy,
    phone="",
    invoice=None,
) -> SubsidyApplication:
    """A claim filed for a farmer (by the village or grid worker, on a phone). The farmer is a core.Person
    (found by ID number, else registered: the ID is encrypted, never stored in clear)."""
    from shuxiang.core import pii
    from shuxiang.core.models import Person
    from shuxiang.core.services import do_create_person

    require(actor, "machinery.subsidyapplication.add", place)
    errors = {}
    if kind not in MachineKind.values:
        errors["kind"] = ["机具类型无效"]
    for name, label in (("make", "生产厂家"), ("model", "型号"), ("serial_number", "出厂编号")):
        if not (locals()[name] or "").strip():
            errors[name] = [f"{label}必填"]
    if not isinstance(implement_width_m, int | float) or not 0 < implement_width_m <= 30:
        errors["implement_width_m"] = ["作业幅宽应为 0–30 m 的数字"]
    price_d = _decimal(price, "price", errors, "购机价格")
    subsidy_d = _decimal(subsidy, "subsidy", errors, "补贴额")
    if price_d is not None and subsidy_d is not None and subsidy_d > price_d:
        errors["subsidy"] = ["补贴额不能超过购机价格"]
    serial = (serial_number or "").strip()
    if (
        serial
        and SubsidyApplication.objects.filter(serial_number=serial)
        .exclude(status=SubsidyStatus.RETURNED)
        .exists()
    ):
        errors["serial_number"] = [f"出厂编号 {serial} 的机具已申请过补贴，不能重复申请"]
    try:
        normalized = pii.normalize_id_number(id_number or "")
    except (ValueError, ServiceError):
        normalized = ""
    if not normalized:
        errors["id_number"] = ["身份证号无效"]
    if errors:
        raise ServiceError("invalid", "补贴申请有误", errors)
    person = Person.objects.filter(id_number_digest=pii.digest(normalized)).first()
    if person is None:
        person = do_create_person(
            actor=actor, name=applicant_name, place=place, id_number=normalized, phone=phone
        )
    number = f"BT{timezone.localdate():%Y}{SubsidyApplication.objects.count() + 1:06d}"
    app = SubsidyApplication.objects.create(
        number=number,
        applicant=person,
        place=place,
        kind=kind,
        make=make.strip()[:60],
        model=model.strip()[:60],
        serial_number=serial[:40],
        implement_width_m=float(implement_width_m),
        price=price_d,
        subsidy=subsidy_d,
    )
    if invoice is not None:
        from shuxiang.core.files import store_attachment

        store_attachment(invoice, owner=app, place=place, actor=actor, kind="photo", name="invoice")
    audit.record_create(actor, app)
    return app


def _subsidy_step(app, actor, perm, allowed):
    require(actor, perm, app)
    if app.status not in allowed:
        raise ServiceError(
            "conflict",
            f"申请当前为“{app.get_status_display()}”，不能进行此操作",
            {"status": [app.get_status_display()]},
        )
    return audit.snapshot(app)


@transaction.atomic
def do_check_subsidy(app, *, actor) -> SubsidyApplication:
    """The township has checked the machine and the invoice."""
    before = _subsidy_step(app, actor, "machinery.subsidyapplication.check", {SubsidyStatus.SUBMITTED})
    app.status = SubsidyStatus.CHECKED
    app.save(update_fields=["status", "updated_at"])
    audit.record_update(actor, app, before)
    return app


@transaction.atomic
def do_return_subsidy(app, *, actor, reason) -> SubsidyApplication:
    """Returned with a reason (township before its check, district before approval); frees the serial."""
    perm = (
        "machinery.subsidyapplication.check"
        if app.status == SubsidyStatus.SUBMITTED
        else "machinery.subsidyapplication.approve"
    )
    before = _subsidy_step(app, actor, perm, {SubsidyStatus.SUBMITTED, SubsidyStatus.CHECKED})
    if not (reason or "").strip():
        raise ServiceError("invalid", "请填写退回原因", {"reason": ["退回原因必填"]})
    app.status, app.reason = SubsidyStatus.RETURNED, reason.strip()[:200]
    app.save(update_fields=["status", "reason", "updated_at"])
    audit.record_update(actor, app, before)
    return app


@transaction.atomic
def do_approve_subsidy(app, *, actor) -> SubsidyApplication:
    """The district approves: the machine is registered in the applicant's village under the farmer."""
    before = _subsidy_step(app, actor, "machinery.subsidyapplication.approve", {SubsidyStatus.CHECKED})
    machine = Machine.objects.create(
        code=f"BT-{app.serial_number}"[:30],
        name=f"{app.make}{app.get_kind_display()}",
        kind=app.kind,
        make=app.make,
        model=app.model,
        serial_number=app.serial_number,
        owner_kind=OwnerKind.FARMER,
        owner_name=app.applicant.name,
        place=app.place,
        implement_width_m=app.implement_width_m,
    )
    audit.record_create(actor, machine)
    app.status, app.machine = SubsidyStatus.APPROVED, machine
    app.save(update_fields=["status", "machine", "updated_at"])
    audit.record_update(actor, app, before)
    return app


@transaction.atomic
def do_pay_subsidy(app, *, actor, amount, paid_on) -> SubsidyApplication:
    before = _subsidy_step(app, actor, "machinery.subsidyapplication.pay", {SubsidyStatus.APPROVED})
    errors = {}
    amount_d = _decimal(amount, "amount", errors, "兑付金额")
    if amount_d is not None and amount_d > app.subsidy:
        errors["amount"] = ["兑付金额不能超过批准的补贴额"]
    if not isinstance(paid_on, date) or paid_on > timezone.localdate():
        errors["paid_on"] = ["兑付日期无效（不能是未来日期）"]
    if errors:
        raise ServiceError("invalid", "兑付信息有误", errors)
    app.status, app.paid_amount, app.paid_on = SubsidyStatus.PAID, amount_d, paid_on
    app.save(update_fields=["status", "paid_amount", "paid_on", "updated_at"])
    audit.record_update(actor, app, before)
    return app


# --- roads ---------------------------------------------------------------------------------------

ROAD_CASE_CATEGORY = "road"  # the cases app's 道路破损 category: damage found on patrol is routed there


@transaction.atomic
def do_register_road(
    *,
    actor,
    place,
    code,
    name,
    grade,
    length_km,
    surface="",
    condition="good",
    geometry=None,
    synthetic=False,
) -> Road:
    require(actor, "machinery.road.add", place)
    errors = {}
    if not (code or "").strip():
        errors["code"] = ["路线编码必填"]
    elif Road.objects.filter(code=code.strip()).exists():
        errors["code"] = [f"路线编码 {code} 已登记"]
    if not (name or "").strip():
        errors["name"] = ["路线名称必填"]
    if grade not in RoadGrade.values:
        errors["grade"] = ["行政等级应为县道、乡道、村道或专用公路"]
    if condition not in RoadCondition.values:
        errors["condition"] = ["技术状况应为优、良、中、次、差"]
    if not isinstance(length_km, int | float) or not 0 < length_km <= 500:
        errors["length_km"] = ["里程应为 0–500 km 的数字"]
    shape = None
    if geometry:
        try:
            shape = from_geojson(geometry)
        except (AttributeError, TypeError, ValueError, KeyError):
            shape = None
        if shape is None or shape.geom_type not in ("LineString", "MultiLineString") or not shape.is_valid:
            errors["geometry"] = ["走向应为 GeoJSON 线（LineString/MultiLineString）"]
    if errors:
        raise ServiceError("invalid", "公路信息有误", errors)
    road = Road.objects.create(
        place=place,
        code=code.strip(),
        name=name.strip(),
        grade=grade,
        length_km=float(length_km),
        surface=(surface or "")[:20],
        condition=condition,
        geometry=to_geojson(shape, decimals=6) if shape is not None else None,
        synthetic=synthetic,
    )
    audit.record_create(actor, road)
    return road


@transaction.atomic
def do_record_inspection(
    road, *, actor, inspected_on, condition, damaged=False, note="", latitude=None, longitude=None, photos=()
) -> RoadInspection:
    """A patrol: the road's condition is updated; damage opens a case in the 道路破损 category (routed by the
    cases engine to the unit and grid worker of the place), with the photos."""
    from django.apps import apps

    require(actor, "machinery.roadinspection.add", road)
    errors = {}
    if condition not in RoadCondition.values:
        errors["condition"] = ["技术状况应为优、良、中、次、差"]
    if not isinstance(inspected_on, date) or inspected_on > timezone.localdate():
        errors["inspected_on"] = ["巡查日期无效（不能是未来日期）"]
    if damaged and not (note or "").strip():
        errors["note"] = ["发现破损时请说明位置和情况"]
    if (latitude is None) != (longitude is None):
        errors["latitude"] = ["经纬度应同时填写"]
    if errors:
        raise ServiceError("invalid", "巡查记录有误", errors)
    inspection = RoadInspection.objects.create(
        road=road,
        inspected_on=inspected_on,
        condition=condition,
        damaged=bool(damaged),
        note=(note or "").strip()[:300],
        latitude=latitude,
        longitude=longitude,
        inspector=as_actor(actor).human,
    )
    before = audit.snapshot(road)
    road.condition = condition
    road.save(update_fields=["condition"])
    audit.record_update(actor, road, before)
    if damaged and apps.is_installed("shuxiang.cases"):
        from shuxiang.cases import services as cases
        from shuxiang.cases.models import CaseCategory

        category = CaseCategory.objects.filter(code=ROAD_CASE_CATEGORY, is_active=True).first()
        case = cases.do_open_case(
            actor=Actor.system("machinery"),
            category=category,
            title=f"{road.name}路面破损"[:100],
            description=f"{road.get_grade_display()}{road.name}（{road.code}）巡查发现破损：{inspection.note}",
            place=road.place,
            latitude=latitude,
            longitude=longitude,
            photos=photos,
            channel="system",
            is_public=False,
            source_ref=f"machinery.road:{road.pk}",
            submission_key=f"machinery.roadinspection:{inspection.pk}",
        )
        inspection.case_id = case.pk
        inspection.save(update_fields=["case_id"])
    audit.record_create(actor, inspection)
    return inspection


# --- passenger transport -------------------------------------------------------------------------

STOP_RADIUS_M = 150.0  # a bus within this distance of a stop has served it [U: practice, configurable]


@transaction.atomic
def do_register_route(
    *, actor, place, code, name, stops, device_codes=(), operator_name="", synthetic=False
) -> BusRoute:
    """A bus route with its stops in order ({name, place, latitude, longitude}) and its buses' terminals."""
    require(actor, "machinery.busroute.add", place)
    errors = {}
    if not (code or "").strip():
        errors["code"] = ["线路编号必填"]
    elif BusRoute.objects.filter(code=code.strip()).exists():
        errors["code"] = [f"线路编号 {code} 已登记"]
    if not (name or "").strip():
        errors["name"] = ["线路名称必填"]
    if len(stops) < 2:
        errors["stops"] = ["线路至少两个站点"]
    for i, stop in enumerate(stops, start=1):
        lat, lon = stop.get("latitude"), stop.get("longitude")
        if (
            not isinstance(lat, int | float)
            or not isinstance(lon, int | float)
            or not (-90 <= lat <= 90 and -180 <= lon <= 180)
        ):
            errors["stops"] = [f"第 {i} 个站点的经纬度无效"]
        if stop.get("place") is None or not (stop.get("name") or "").strip():
            errors["stops"] = [f"第 {i} 个站点缺少站名或所在村"]
    devices = list(Device.objects.filter(code__in=list(device_codes)))
    if len(devices) != len(set(device_codes)):
        errors["devices"] = ["有车辆终端未在物联感知中登记"]
    if errors:
        raise ServiceError("invalid", "客运线路信息有误", errors)
    route = BusRoute.objects.create(
        place=place,
        code=code.strip(),
        name=name.strip(),
        operator_name=(operator_name or "")[:60],
        synthetic=synthetic,
    )
    route.devices.set(devices)
    BusStop.objects.bulk_create(
        [
            BusStop(
                route=route,
                sequence=i,
                name=s["name"].strip()[:40],
                place=s["place"],
                latitude=s["latitude"],
                longitude=s["longitude"],
            )
            for i, s in enumerate(stops, start=1)
        ]
    )
    audit.record_create(actor, route)
    return route


def stops_served(route, start, end) -> dict[int, int]:
    """stop id → how many times a bus of the route came within STOP_RADIUS_M of it in [start, end)
    (a visit: one or more consecutive fixes near the stop)."""
    import numpy as np

    stops = list(route.stops.all())
    visits = {s.pk: 0 for s in stops}
    if not stops:
        return visits
    for device in route.devices.all():
        points = [p for p in track_points(device.pk, start, end) if p.positioned]
        if not points:
            continue
        lats = np.radians([p.lat for p in points])
        lons = np.radians([p.lon for p in points])
        for stop in stops:
            la, lo = np.radians(stop.latitude), np.radians(stop.longitude)
            a = np.sin((lats - la) / 2) ** 2 + np.cos(la) * np.cos(lats) * np.sin((lons - lo) / 2) ** 2
            near = 2 * 6_371_000 * np.arcsin(np.sqrt(np.minimum(a, 1.0))) <= STOP_RADIUS_M
            visits[stop.pk] += int(np.count_nonzero(near[1:] & ~near[:-1]) + (1 if near[0] else 0))
    return visits


def trips(route, start, end) -> int:
    """Complete trips in [start, end): a bus seen at one terminus and then at the other."""
    first, last = route.stops.order_by("sequence").first(), route.stops.order_by("-sequence").first()
    if first is None or first.pk == last.pk:
        return 0
    count = 0
    for device in route.devices.all():
        ends = []
        for p in track_points(device.pk, start, end):
            for stop in (first, last):
                if p.positioned and _near(p, stop) and (not ends or ends[-1] != stop.pk):
                    ends.append(stop.pk)
        count += max(0, len(ends) - 1)
    return count


def _near(point, stop) -> bool:
    from shuxiang.iot.jt808_server import distance_m

    return distance_m(point.lat, point.lon, stop.latitude, stop.longitude) <= STOP_RADIUS_M


# --- timetables and punctuality (时刻表、准点率) -----------------------------------------------------

# A stop call is on time when the bus arrives (leaves, at the origin) at most EARLY_MIN minutes before
# and LATE_MIN minutes after the timetable [U: practice for rural lines; configurable]; a visit further
# than MATCH_BEFORE_MIN / MATCH_AFTER_MIN from the timetabled time belongs to no call (the call is missed).
EARLY_MIN = 2
LATE_MIN = 5
MATCH_BEFORE_MIN = 15
MATCH_AFTER_MIN = 30


def _parse_times(raw, label, errors, key):
    """'06:30 08:00,13:30' (or a list of such strings / time objects) → sorted unique times."""
    from datetime import time as dtime

    if isinstance(raw, str):
        items = raw.replace("，", ",").replace("、", ",").replace(",", " ").split()
    else:
        items = list(raw or [])
    out = set()
    for item in items:
        if isinstance(item, dtime):
            out.add(item.replace(second=0, microsecond=0))
            continue
        try:
            hh, mm = str(item).strip().split(":")
            out.add(dtime(int(hh), int(mm)))
        except ValueError:
            errors[key] = [f"{label}「{item}」不是 HH:MM 时刻"]
    return sorted(out)


@transaction.atomic
def do_set_timetable(route, *, actor, offsets, out_times=(), back_times=()) -> BusRoute:
    """The route's timetable: running minutes from the first stop to each stop (去程, in stop order,
    the first 0) and the daily departures from the first stop (去程) and from the last (返程); it
    replaces the one before."""
    require(actor, "machinery.busroute.change", route)
    stops = list(route.stops.order_by("sequence"))
    errors: dict = {}
    if isinstance(offsets, str):
        offsets = offsets.replace("，", ",").replace("、", ",").replace(",", " ").split()
    try:
        minutes = [int(str(m).strip()) for m in offsets]
    except ValueError:
        minutes = []
        errors["offsets"] = ["运行时分应为整数分钟"]
    if not errors:
        if len(minutes) != len(stops):
            errors["offsets"] = [f"本线路有 {len(stops)} 个站点，应填 {len(stops)} 个运行时分"]
        elif minutes[0] != 0 or any(b <= a for a, b in zip(minutes, minutes[1:], strict=False)):
            errors["offsets"] = ["运行时分应从 0 开始逐站递增"]
        elif minutes[-1] > 600:
            errors["offsets"] = ["全程运行时分不应超过 600 分钟"]
    outs = _parse_times(out_times, "去程发车时刻", errors, "out_times")
    backs = _parse_times(back_times, "返程发车时刻", errors, "back_times")
    if not errors and not outs and not backs:
        errors["out_times"] = ["至少填一个发车时刻"]
    if errors:
        raise ServiceError("invalid", "时刻表有误", errors)
    before = {
        "offsets": [s.offset_min for s in stops],
        "departures": [f"{d.direction} {d.departs_at:%H:%M}" for d in route.departures.all()],
    }
    for stop, m in zip(stops, minutes, strict=True):
        stop.offset_min = m
    BusStop.objects.bulk_update(stops, ["offset_min"])
    route.departures.all().delete()
    BusDeparture.objects.bulk_create(
        [BusDeparture(route=route, direction=Direction.OUT, departs_at=t) for t in outs]
        + [BusDeparture(route=route, direction=Direction.BACK, departs_at=t) for t in backs]
    )
    after = {
        "offsets": minutes,
        "departures": [f"out {t:%H:%M}" for t in outs] + [f"back {t:%H:%M}" for t in backs],
    }
    audit.record(
        actor, "update", route, changes={k: [before[k], after[k]] for k in after if before[k] != after[k]}
    )
    return route


def stop_visits(route, start, end) -> dict[int, list[tuple[datetime, datetime]]]:
    """stop id → the visits of any of the route's buses in [start, end): (first fix near, last fix near)."""
    import numpy as np

    stops = list(route.stops.all())
    visits: dict = {s.pk: [] for s in stops}
    for device in route.devices.all():
        points = [p for p in track_points(device.pk, start, end) if p.positioned]
        if not points:
            continue
        lats = np.radians([p.lat for p in points])
        lons = np.radians([p.lon for p in points])
        for stop in stops:
            la, lo = np.radians(stop.latitude), np.radians(stop.longitude)
            a = np.sin((lats - la) / 2) ** 2 + np.cos(la) * np.cos(lats) * np.sin((lons - lo) / 2) ** 2
            near = 2 * 6_371_000 * np.arcsin(np.sqrt(np.minimum(a, 1.0))) <= STOP_RADIUS_M
            idx = np.flatnonzero(near)
            if not len(idx):
                continue
            breaks = np.flatnonzero(np.diff(idx) > 1)
            firsts = np.concatenate([[idx[0]], idx[breaks + 1]])
            lasts = np.concatenate([idx[breaks], [idx[-1]]])
            visits[stop.pk] += [(points[i].ts, points[j].ts) for i, j in zip(firsts, lasts, strict=True)]
    for v in visits.values():
        v.sort()
    return visits


@dataclass
class StopCall:
    stop: BusStop
    scheduled: datetime
    actual: datetime | None = None
    status: str = "pending"  # on_time, early, late, missed, pending (not due yet)

    @property
    def deviation_min(self) -> float | None:
        if self.actual is None:
            return None
        return round((self.actual - self.scheduled).total_seconds() / 60, 1)

    @property
    def status_display(self) -> str:
        return CALL_STATUS[self.status]


CALL_STATUS = {"on_time": "准点", "early": "早到", "late": "晚点", "missed": "未到站", "pending": "未到时"}


@dataclass
class DeparturePunctuality:
    departure: BusDeparture
    calls: list

    @property
    def origin(self) -> StopCall:
        return self.calls[0]

    @property
    def terminus(self) -> StopCall:
        return self.calls[-1]


@dataclass
class Punctuality:
    day: date
    departures: list
    on_time: int = 0
    early: int = 0
    late: int = 0
    missed: int = 0
    pending: int = 0

    @property
    def due(self) -> int:
        return self.on_time + self.early + self.late + self.missed

    @property
    def on_time_pct(self) -> float | None:
        return round(self.on_time / self.due * 100, 1) if self.due else None

    @property
    def run(self) -> int:
        """Departures that left their first stop and reached their last."""
        return sum(1 for d in self.departures if d.origin.actual and d.terminus.actual)


def punctuality(route, day: date, *, now=None) -> Punctuality:
    """Each timetabled call of `day` (every departure × every stop) against the buses' tracks: the
    origin by the time the bus left its stop, the others by the time it arrived; calls are matched to
    visits in timetable order, each visit used once."""
    from datetime import time as dtime

    now = now or timezone.now()
    stops = list(route.stops.order_by("sequence"))
    departures = list(route.departures.order_by("departs_at", "direction"))
    result = Punctuality(day=day, departures=[])
    if len(stops) < 2 or not departures or any(s.offset_min is None for s in stops):
        return result
    total = stops[-1].offset_min
    day_start = timezone.make_aware(datetime.combine(day, dtime.min))
    visits = stop_visits(
        route,
        day_start - timedelta(minutes=MATCH_AFTER_MIN),
        day_start + timedelta(days=1, minutes=total + MATCH_AFTER_MIN),
    )
    used: set = set()
    for dep in departures:
        order = stops if dep.direction == Direction.OUT else stops[::-1]
        t0 = timezone.make_aware(datetime.combine(day, dep.departs_at))
        calls = []
        for k, stop in enumerate(order):
            minutes = stop.offset_min if dep.direction == Direction.OUT else total - stop.offset_min
            call = StopCall(stop=stop, scheduled=t0 + timedelta(minutes=minutes))
            best = None
            for n, (enter, leave) in enumerate(visits.get(stop.pk, [])):
                seen = leave if k == 0 else enter
                if (stop.pk, n, k == 0) in used or seen > now:
                    continue
                delta = (seen - call.scheduled).total_seconds() / 60
                if -MATCH_BEFORE_MIN <= delta <= MATCH_AFTER_MIN and (best is None or abs(delta) < best[0]):
                    best = (abs(delta), n, seen)
            if best is not None:
                used.add((stop.pk, best[1], k == 0))  # a terminus visit: one arrival and one departure
                call.actual = best[2]
                dev = call.deviation_min
                call.status = "early" if dev < -EARLY_MIN else "late" if dev > LATE_MIN else "on_time"
            elif call.scheduled + timedelta(minutes=MATCH_AFTER_MIN) <= now:
                call.status = "missed"
            setattr(result, call.status, getattr(result, call.status) + 1)
            calls.append(call)
        result.departures.append(DeparturePunctuality(departure=dep, calls=calls))
    return result
