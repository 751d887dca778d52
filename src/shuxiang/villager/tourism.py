"""Tourism: sites (scenic areas, key villages, homestays, farm stays) with licences and grades, daily
visitor counts with capacity alerts, complaints (integrity information) and rescue requests through the
case engine — a rescue request is an urgent case, routed by the case table (the emergency bureau)."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from shuxiang.core import audit
from shuxiang.core import services as core_services
from shuxiang.core.choices import Role
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import Place
from shuxiang.core.permissions import require
from shuxiang.villager.choices import CROWDED_SHARE, CountSource, SiteKind
from shuxiang.villager.models import TouristSite, VisitCount

COMPLAINT_CATEGORY = "tourism-complaint"
RESCUE_CATEGORY = "tourism-rescue"
CASE_CATEGORIES = {
    COMPLAINT_CATEGORY: {
        "name": "旅游投诉",
        "description": "游客对景区、民宿、农家乐的服务、价格、安全投诉（旅游诚信信息）",
        "group": "文旅",
        "case_type": "complaint",
        "is_public": True,
        "deadline_amount": 5,
        "deadline_unit": "calendar_days",
        "accept_hours": 24,
        "order": 121,
    },
    RESCUE_CATEGORY: {
        "name": "旅游应急救援",
        "description": "景区、民宿游客遇险求助：立即受理，应急部门处置",
        "group": "文旅",
        "case_type": "complaint",
        "is_public": True,
        "deadline_amount": 2,
        "deadline_unit": "work_hours",
        "accept_hours": 1,
        "order": 122,
    },
}
MAX_COUNT = 1_000_000


def site_ref(site) -> str:
    return f"tourism-site:{site.pk}"


@transaction.atomic
def do_save_site(*, actor, place: Place, site=None, **values) -> TouristSite:
    if site is None:
        require(actor, "villager.touristsite.add", place)
    else:
        require(actor, "villager.touristsite.change", site)
        require(actor, "villager.touristsite.change", place)
    errors: dict[str, list[str]] = {}
    if values.get("kind") not in SiteKind.values:
        errors["kind"] = ["类型应为：" + "、".join(SiteKind.labels)]
    name = str(values.get("name") or "").strip()
    if not name:
        errors["name"] = ["名称必填"]
    capacity = values.get("capacity")
    if not isinstance(capacity, int) or isinstance(capacity, bool) or not 1 <= capacity <= MAX_COUNT:
        errors["capacity"] = ["日最大承载量应为1到1000000的整数"]
    rating = values.get("rating")
    if rating not in (None, ""):
        try:
            rating = Decimal(str(rating))
            if not Decimal("1") <= rating <= Decimal("5"):
                raise InvalidOperation
        except InvalidOperation:
            errors["rating"] = ["评分应为1到5"]
    values["rating"] = rating if rating not in ("",) else None
    if values.get("kind") == SiteKind.HOMESTAY and not str(values.get("licence_no") or "").strip():
        errors["licence_no"] = ["民宿须登记经营许可证号"]
    if place is None or place.level < 2:
        errors["place"] = ["请选择乡镇或村"]
    duplicate = TouristSite.objects.filter(place=place, name=name)
    if site is not None:
        duplicate = duplicate.exclude(pk=site.pk)
    if name and place is not None and duplicate.exists():
        errors["name"] = ["该地已登记同名旅游点"]
    if errors:
        raise ServiceError("invalid", "旅游点信息有误", errors)
    values["name"] = name
    if site is None:
        site = TouristSite.objects.create(place=place, **values)
        audit.record_create(actor, site)
        return site
    before = audit.snapshot(site)
    for key, value in values.items():
        setattr(site, key, value)
    site.place = place
    site.save()
    audit.record_update(actor, site, before)
    return site


@transaction.atomic
def do_record_visits(site: TouristSite, *, actor, day, count, source=CountSource.MANUAL) -> VisitCount:
    """A day's visitor count (replaces that day's figure). At CROWDED_SHARE of the capacity the
    township's officers and the village's cadres are told (once per day and level)."""
    require(actor, "villager.visitcount.add", site)
    errors = {}
    today = timezone.localdate()
    if not isinstance(day, date) or day > today or day < today - timedelta(days=366):
        errors["day"] = ["日期应在一年内且不晚于今天"]
    if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= MAX_COUNT:
        errors["count"] = ["游客人次应为0到1000000的整数"]
    if source not in CountSource.values:
        errors["source"] = ["来源无效"]
    if errors:
        raise ServiceError("invalid", "游客量有误", errors)
    visit = VisitCount.objects.filter(site=site, day=day).first()
    previous = visit.count if visit else 0
    now = timezone.now()
    if visit is None:
        visit = VisitCount.objects.create(site=site, day=day, count=count, source=source, recorded_at=now)
        audit.record_create(actor, visit)
    else:
        before = audit.snapshot(visit)
        visit.count, visit.source, visit.recorded_at = count, source, now
        visit.save(update_fields=["count", "source", "recorded_at"])
        audit.record_update(actor, visit, before)
    level = crowd_level(site, count)
    if level and crowd_level(site, previous) != level:
        _warn_crowded(site, visit, level)
    return visit


def crowd_level(site, count) -> str:
    if count >= site.capacity:
        return "full"
    if count >= site.capacity * CROWDED_SHARE:
        return "crowded"
    return ""


def _warn_crowded(site, visit, level):
    from shuxiang.villager.market import township_of

    village = site.place if site.place.level <= 3 else site.place.parent
    places = [village, township_of(village)] if village.level == 3 else [village]
    recipients = core_services.users_at(places, [Role.TOWNSHIP, Role.VILLAGE])
    word = "已达到" if level == "full" else f"已超过{int(CROWDED_SHARE * 100)}%"
    title = (
        f"游客量预警：{site.name}{visit.day:%m月%d日}游客{visit.count}人次，{word}日最大承载量{site.capacity}"
    )
    if recipients:
        url = site.get_absolute_url()
        transaction.on_commit(lambda: core_services.notify(recipients, title=title, url=url, kind="tourism"))


def _open(site, *, actor, category, title, description, priority="normal", reporter_name="", phone=""):
    if not apps.is_installed("shuxiang.cases"):
        raise ServiceError("unavailable", "事件受理未启用", {})
    from shuxiang.cases.services import do_open_case

    return do_open_case(
        actor=actor,
        category=category,
        title=title,
        description=description,
        place=site.place,
        latitude=site.latitude,
        longitude=site.longitude,
        reporter_name=reporter_name,
        phone=phone,
        priority=priority,
        source_ref=site_ref(site),
    )


def do_complain(site: TouristSite, *, actor, description, reporter_name="", phone=""):
    """A visitor's complaint about a site: a case in 旅游投诉 (counted in the site's integrity figures)."""
    return _open(
        site,
        actor=actor,
        category=COMPLAINT_CATEGORY,
        title=f"{site.name}投诉",
        description=description,
        reporter_name=reporter_name,
        phone=phone,
    )


def do_request_rescue(site: TouristSite, *, actor, description, reporter_name="", phone=""):
    """A call for help at a site: an urgent case in 旅游应急救援 for the emergency bureau."""
    if not str(phone or "").strip():
        raise ServiceError("invalid", "请留下联系电话，便于救援人员联系您", {"phone": ["请填写电话"]})
    return _open(
        site,
        actor=actor,
        category=RESCUE_CATEGORY,
        title=f"{site.name}游客求助",
        description=description,
        priority="urgent",
        reporter_name=reporter_name,
        phone=phone,
    )


def integrity(site) -> dict:
    """Published with the site: complaints received and the share resolved (旅游诚信信息)."""
    if not apps.is_installed("shuxiang.cases"):
        return {"total": 0, "resolved": 0, "rate": None}
    from shuxiang.cases.models import Case

    counts = Case.objects.filter(source_ref=site_ref(site), category__code=COMPLAINT_CATEGORY).aggregate(
        total=Count("pk"), resolved=Count("pk", filter=Q(state__in=["resolved", "closed"]))
    )
    counts["rate"] = round(100 * counts["resolved"] / counts["total"]) if counts["total"] else None
    return counts


# --- visitor counters through the iot engine ----------------------------------------------------------

COUNTER_KEY = "PV"  # the counter's running total of visitors today (it restarts at midnight)


@transaction.atomic
def do_attach_counter(site: TouristSite, *, actor, code) -> dict:
    """Register a gate counter for the site in the iot engine (HTTP or MQTT telemetry, key PV = visitors
    so far today) as the actor (their iot grants and region apply). Returns the device credentials."""
    from shuxiang.iot import services as iot

    require(actor, "villager.touristsite.change", site)
    if site.counter_id:
        raise ServiceError("duplicate", "该旅游点已登记客流计数器", {"code": ["已登记"]})
    device, credentials = iot.do_register_device(
        actor=actor,
        code=code,
        protocol="http",
        place=site.place,
        name=f"{site.name}客流计数器",
        kind="visitor_counter",
        sensors=[
            {
                "key": COUNTER_KEY,
                "name": "当日累计游客",
                "unit": "人次",
                "min_value": 0,
                "max_value": MAX_COUNT,
            }
        ],
    )
    before = audit.snapshot(site)
    site.counter = device
    site.save(update_fields=["counter"])
    audit.record_update(actor, site, before)
    return credentials


def do_sync_counters(*, actor, day=None) -> int:
    """Each counter's highest running total of `day` (today by default) becomes the site's figure for
    that day, through `do_record_visits` (so capacity alerts follow). Returns the sites updated."""
    from django.db.models import Max

    from shuxiang.iot.models import Reading

    day = day or timezone.localdate()
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(day, time.min), tz)
    end = start + timedelta(days=1)
    updated = 0
    for site in TouristSite.objects.filter(counter__isnull=False).select_related("place"):
        top = Reading.objects.filter(
            sensor__device_id=site.counter_id, sensor__key=COUNTER_KEY, ts__gte=start, ts__lt=end
        ).aggregate(n=Max("value"))["n"]
        if top is None:
            continue
        current = VisitCount.objects.filter(site=site, day=day).values_list("count", flat=True).first()
        if current != int(top):
            do_record_visits(site, actor=actor, day=day, count=int(top), source=CountSource.COUNTER)
            updated += 1
    return updated
