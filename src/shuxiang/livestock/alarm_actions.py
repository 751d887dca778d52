"""What an alarm of a pen, pond or cold store sets in motion (registered with iot.actions).

- `livestock.open_case`: a case of the category 养殖与冷链告警 for the place of production, in its
  village (so its township dispatches it), urgent for critical/major alarms. One open case per
  pen/pond/store: an alarm raised again while its case is open adds a line to that case; clearing the
  alarm adds a line too.
- `livestock.cold_excursion`: the compliance record of a cold-store excursion (ColdExcursion) with
  the lots in the store at the time, or of a refrigerated vehicle's (VehicleExcursion) with the lots
  on board; clearing the alarm closes the record with its end and peak.

They run as `Actor.system("livestock")` with the grants cases declare for it (opening a case) and
livestock's own (a note on its cases, writing excursions).
"""

from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from shuxiang.core.actors import Actor
from shuxiang.core.context import origin

CASE_TYPE = "livestock.alarm"
CATEGORY = "livestock-alarm"
CATEGORY_DEFAULTS = {
    "name": "养殖与冷链告警",
    "description": "猪舍环境、采食量、池塘溶氧、冷库温度告警生成的处置事件：通知养殖户/经营主体核查处置并反馈",
    "group": "畜牧水产",
    "case_type": CASE_TYPE,
    "is_public": False,
    "is_sensitive": False,
    "deadline_amount": 2,
    "deadline_unit": "work_hours",
    "accept_hours": 1,
    "order": 91,
}


def _actor():
    return Actor.system("livestock")


def source_of(device):
    """The pen, pond, cold store or refrigerated vehicle the device belongs to, or None."""
    from shuxiang.livestock.models import ColdStore, ColdVehicle, Farm, Pen, Pond

    farm = Farm.objects.filter(lagoon=device).select_related("place").first()
    if farm is not None:
        return farm
    pen = Pen.objects.filter(feeder=device).select_related("farm__place").first() or (
        Pen.objects.filter(environment=device).select_related("farm__place").first()
    )
    if pen is not None:
        return pen
    return (
        Pond.objects.filter(device=device).select_related("place", "farm").first()
        or ColdStore.objects.filter(device=device).select_related("place").first()
        or ColdVehicle.objects.filter(device=device).select_related("place").first()
    )


def ref_of(obj) -> str:
    return f"livestock.{obj._meta.model_name}:{obj.pk}"


def object_of_ref(ref):
    from shuxiang.livestock.models import ColdStore, ColdVehicle, Farm, Pen, Pond

    kind, _, pk = (ref or "").partition(":")
    models = {
        "livestock.pen": Pen,
        "livestock.pond": Pond,
        "livestock.coldstore": ColdStore,
        "livestock.farm": Farm,
        "livestock.coldvehicle": ColdVehicle,
    }
    model = models.get(kind)
    return model.objects.filter(pk=int(pk)).first() if model and pk.isdigit() else None


def place_of(obj):
    return obj.farm.place if obj._meta.model_name == "pen" else obj.place


def url_of(obj) -> str:
    if obj._meta.model_name == "pen":
        return reverse("livestock:farm_detail", args=[obj.farm_id])
    return obj.get_absolute_url()


LABELS = {"pen": "栏舍", "pond": "池塘", "coldstore": "冷库", "farm": "养殖场", "coldvehicle": "冷藏车"}


def _category():
    from shuxiang.cases.models import CaseCategory

    return CaseCategory.objects.filter(code=CATEGORY, is_active=True).first()


def ensure_case_category(sender=None, using="default", **kwargs):
    if not apps.is_installed("shuxiang.cases"):
        return
    from shuxiang.cases.models import CaseCategory

    CaseCategory.objects.using(using).get_or_create(code=CATEGORY, defaults=CATEGORY_DEFAULTS)


def _text(alarm) -> str:
    sensor, rule = alarm.sensor, alarm.rule
    value = "—" if alarm.last_value is None else f"{alarm.last_value:g} {sensor.unit}".strip()
    return f"{rule.name}：{sensor.label} {value}（{rule.describe(sensor)}）"


def open_case(alarm, config):
    from shuxiang.cases import services as cases
    from shuxiang.cases.choices import OPEN_STATES
    from shuxiang.cases.models import Case

    device = alarm.sensor.device
    obj = source_of(device)
    place = place_of(obj) if obj is not None else device.place
    ref = ref_of(obj) if obj is not None else f"iot.device:{device.pk}"
    with origin("task"):
        existing = (
            Case.objects.filter(case_type=CASE_TYPE, source_ref=ref, state__in=OPEN_STATES)
            .order_by("-pk")
            .first()
        )
        if existing is not None:
            return cases.do_add_note(
                existing, actor=_actor(), note=f"再次告警：{_text(alarm)}", data={"alarm": alarm.pk}
            )
        started = timezone.localtime(alarm.started_at).strftime("%Y-%m-%d %H:%M")
        return cases.do_open_case(
            actor=_actor(),
            case_type=CASE_TYPE,
            category=_category(),
            title=f"{obj if obj is not None else device.name}{alarm.rule.name}"[:100],
            description=f"{_text(alarm)}。开始时间 {started}。请经营主体核查处置，办结时说明处置结果。",
            place=place,
            priority="urgent" if alarm.severity in ("critical", "major") else "normal",
            channel="system",
            is_public=False,
            source_ref=ref,
            submission_key=f"iot.alarm:{alarm.pk}",
            extra={"alarm": alarm.pk},
        )


def note_cleared(alarm, config):
    from shuxiang.cases import services as cases
    from shuxiang.cases.models import Case

    case = Case.objects.filter(case_type=CASE_TYPE, extra__alarm=alarm.pk).first()
    if case is None:
        return None
    with origin("task"):
        return cases.do_add_note(
            case,
            actor=_actor(),
            note=f"告警已解除：{alarm.rule.name}",
            data={"alarm": alarm.pk, "cleared": True},
        )


def _began(alarm):
    """When the store went above its limit (the alarm is raised only after the rule's minutes), and the
    highest temperature since: the first reading after the last one within the limit."""
    from django.db.models import Max

    from shuxiang.iot.models import Reading

    limit = alarm.rule.threshold
    readings = Reading.objects.filter(sensor=alarm.sensor, ts__lte=alarm.started_at)
    last_ok = readings.filter(value__lte=limit).order_by("-ts").values_list("ts", flat=True).first()
    warm = readings.filter(ts__gt=last_ok) if last_ok else readings.filter(ts__gte=alarm.started_at)
    began = warm.order_by("ts").values_list("ts", flat=True).first() or alarm.started_at
    peak = warm.aggregate(m=Max("value"))["m"]
    return began, peak if peak is not None else alarm.last_value


def record_excursion(alarm, config):
    from shuxiang.livestock.models import ColdExcursion, ColdStore, StoredLot

    store = ColdStore.objects.filter(device=alarm.sensor.device).first()
    if store is None:
        return record_vehicle_excursion(alarm)
    began, peak = _began(alarm)
    excursion, created = ColdExcursion.objects.get_or_create(
        alarm=alarm,
        defaults={"store": store, "started_at": began, "limit": alarm.rule.threshold, "peak": peak},
    )
    if created:
        lots = StoredLot.objects.filter(store=store, stored_at__lte=alarm.last_at, removed_at__isnull=True)
        excursion.lots.set(lots.values_list("lot_id", flat=True))
        from shuxiang.core import audit

        with origin("task"):
            audit.record_create(_actor(), excursion)
            _to_trace(excursion, store, alarm)
    return excursion


def _to_trace(excursion, store, alarm):
    """Each lot in the store gets the excursion on its traceability timeline (a non-conformant
    inspection, chained in the ledger like every trace event): its pages show it, and the lot is not
    shipped before someone has looked at it."""
    from shuxiang.trace import services as trace

    start = timezone.localtime(excursion.started_at).strftime("%Y-%m-%d %H:%M")
    note = (
        f"{store.name}库温 {excursion.peak:g} ℃，超过{store.get_temp_class_display()}上限 {excursion.limit:g} ℃"
        f"（{alarm.rule.duration_minutes} 分钟以上，{start} 起）"
    )
    for lot in excursion.lots.all():
        trace.do_record_event(
            lot,
            actor=_actor(),
            biz_step="inspecting",
            event_time=excursion.started_at,
            place=store.place,
            test_item="冷链温度合规",
            test_agency=f"{store.name}温度记录仪",
            test_passed=False,
            note=note[:300],
        )


def record_vehicle_excursion(alarm):
    """A refrigerated vehicle's excursion: the record with the lots on board while it lasted (loaded
    before the alarm, not unloaded before it began), where the vehicle was, and the same compliance
    event on each lot's trace timeline as a cold store's."""
    from django.db.models import Q

    from shuxiang.iot.models import Reading
    from shuxiang.livestock.models import ColdVehicle, VehicleExcursion, VehicleLoad

    vehicle = ColdVehicle.objects.filter(device=alarm.sensor.device).select_related("place").first()
    if vehicle is None:
        return None
    began, peak = _began(alarm)
    where = {  # the last position reported when the alarm was raised
        key: Reading.objects.filter(sensor__device=vehicle.device, sensor__key=key, ts__lte=alarm.started_at)
        .order_by("-ts")
        .values_list("value", flat=True)
        .first()
        for key in ("lat", "lon")
    }
    excursion, created = VehicleExcursion.objects.get_or_create(
        alarm=alarm,
        defaults={
            "vehicle": vehicle,
            "started_at": began,
            "limit": alarm.rule.threshold,
            "peak": peak,
            "latitude": where.get("lat"),
            "longitude": where.get("lon"),
        },
    )
    if created:
        loads = VehicleLoad.objects.filter(vehicle=vehicle, loaded_at__lte=alarm.last_at).filter(
            Q(unloaded_at__isnull=True) | Q(unloaded_at__gt=began)
        )
        excursion.lots.set(loads.values_list("lot_id", flat=True))
        from shuxiang.core import audit

        with origin("task"):
            audit.record_create(_actor(), excursion)
            _vehicle_to_trace(excursion, vehicle, alarm)
    return excursion


def _vehicle_to_trace(excursion, vehicle, alarm):
    from shuxiang.trace import services as trace

    start = timezone.localtime(excursion.started_at).strftime("%Y-%m-%d %H:%M")
    note = (
        f"冷藏车 {vehicle.plate} 车厢温度 {excursion.peak:g} ℃，超过{vehicle.get_temp_class_display()}"
        f"上限 {excursion.limit:g} ℃（{alarm.rule.duration_minutes} 分钟以上，{start} 起，运输途中）"
    )
    for lot in excursion.lots.all():
        trace.do_record_event(
            lot,
            actor=_actor(),
            biz_step="inspecting",
            event_time=excursion.started_at,
            place=vehicle.place,
            test_item="冷链温度合规",
            test_agency=f"冷藏车 {vehicle.plate} 车载终端",
            test_passed=False,
            note=note[:300],
        )


def close_excursion(alarm, config):
    """The excursion ended: its end, and its peak read from the readings it lasted over."""
    from django.db.models import Max

    from shuxiang.iot.models import Reading
    from shuxiang.livestock.models import ColdExcursion, VehicleExcursion

    excursion = (
        ColdExcursion.objects.filter(alarm=alarm).first()
        or VehicleExcursion.objects.filter(alarm=alarm).first()
    )
    if excursion is None:
        return None
    end = alarm.cleared_at or timezone.now()
    peak = Reading.objects.filter(sensor=alarm.sensor, ts__gte=excursion.started_at, ts__lte=end).aggregate(
        m=Max("value")
    )["m"]
    excursion.ended_at = end
    excursion.peak = max(excursion.peak, peak if peak is not None else excursion.peak)
    excursion.save(update_fields=["ended_at", "peak"])
    return excursion


def alarm_links(alarm, user):
    from shuxiang.iot.actions import AlarmLink

    obj = source_of(alarm.sensor.device)
    if obj is None or not type(obj).objects.restrict(user).filter(pk=obj.pk).exists():
        return []
    label = LABELS[obj._meta.model_name]
    return [AlarmLink(label, str(obj), url_of(obj))]


def case_links(case):
    from shuxiang.cases.registry import CaseLink

    obj = object_of_ref(case.source_ref)
    if obj is None:
        return []
    label = LABELS[obj._meta.model_name]
    return [CaseLink(label, str(obj), url_of(obj))]


def register():
    from shuxiang.iot.actions import register_alarm_action, register_alarm_links

    if apps.is_installed("shuxiang.cases"):
        from shuxiang.cases.registry import CaseField, CaseType, register_type

        register_type(
            CaseType(
                code=CASE_TYPE,
                label="养殖与冷链告警",
                actions={"accept", "dispatch", "return", "start", "note", "resolve", "close", "escalate"},
                fields=[CaseField("alarm", "告警编号", kind="int", required=True)],
                public=False,
                links=case_links,
            )
        )
        register_alarm_action(
            "livestock.open_case", "生成养殖/冷链处置事件", open_case, on_clear=note_cleared
        )
    register_alarm_action(
        "livestock.cold_excursion",
        "记录冷链温度超标（冷库/冷藏车合规记录）",
        record_excursion,
        on_clear=close_excursion,
    )
    register_alarm_links(alarm_links)
