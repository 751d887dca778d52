"""Stage-specific weather warnings for rice (水稻生育期气象提示), through the warnings engine.

A cold spell matters to a rice field only in some stages: below 20–22 ℃ during heading and flowering
(抽穗扬花期) the florets do not set (低温冷害; for late rice in autumn, 寒露风); above 35 ℃ in the same
stage, heat kills the pollen (高温热害); a rainstorm with wind lays down fields that are filling
(灌浆结实期, 倒伏). So a warning about the weather is targeted at the villages whose rice is in that
stage on the days the forecast names, not at the whole county.

The agriculture bureau picks a hazard and the forecast's dates; the platform works out which villages
have rice in the hazard's stages in that window (`exposure`: stages from each field's dates — or its
hand-corrected stage), shows the townships and areas, and writes the warning through the engine to
exactly those villages (signal type 水稻生育期气象提示, registered here; blue or yellow — advice for
farmers, not a public emergency — so it goes out without a second approver, with speech, to the
villages' loudspeakers like any warning).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from shuxiang.core.errors import ServiceError
from shuxiang.farmland import rice

SIGNAL_TYPE = {
    "code": "rice_stage_weather",
    "name": "水稻生育期气象提示",
    "category": "Met",
    "colours": ["blue", "yellow"],
    "guides": {
        "blue": "关注天气变化，按农技人员指导做好田间管理。",
        "yellow": "灾害性天气将影响处于敏感生育期的水稻，请按提示及时采取防范措施。",
    },
}


@dataclass(frozen=True)
class Hazard:
    code: str
    name: str
    stages: tuple[str, ...]
    advice: str


HAZARDS = {
    h.code: h
    for h in (
        Hazard(
            "low_temp_heading",
            "低温冷害（抽穗扬花期）",
            ("抽穗扬花期",),
            "日平均气温低于22℃、抽穗扬花受阻：灌深水10厘米以上护苗保温，叶面喷施磷酸二氢钾，暂停施用氮肥。",
        ),
        Hazard(
            "cold_dew_wind",
            "寒露风（晚稻抽穗扬花期）",
            ("抽穗扬花期", "拔节孕穗期"),
            "寒露风来临前灌深水护苗，喷施叶面肥和植物生长调节剂，增强抗寒能力；过后逐步排水。",
        ),
        Hazard(
            "heat_heading",
            "高温热害（抽穗扬花期）",
            ("抽穗扬花期",),
            "日最高气温35℃以上：日灌夜排、以水调温，保持田间水层；傍晚喷施叶面肥，减轻花粉败育。",
        ),
        Hazard(
            "storm_filling",
            "暴雨大风倒伏（灌浆结实期）",
            ("灌浆结实期",),
            "清沟排水，防止田间积水；已倒伏田块及时扶理，八成熟以上抓紧抢收。",
        ),
    )
}
MAX_DAYS = 10


def exposure(hazard: Hazard, start: date, days: int, user=None, within=None) -> list[dict]:
    """Villages with rice in the hazard's stages on any day of [start, start + days): area per village,
    grouped by township, largest first. `user` restricts to their region (None: the whole county);
    `within` (places) to the villages under those places (a warning's areas)."""
    from django.db.models import Q

    from shuxiang.farmland.models import RiceSeason
    from shuxiang.farmland.thermal import Thermal

    qs = RiceSeason.objects.all() if user is None else RiceSeason.objects.restrict(user)
    if within is not None:
        q = Q()
        for place in within:
            q |= Q(parcel__place__path__startswith=place.path)
        qs = qs.filter(q) if within else qs.none()
    end = start + timedelta(days=days - 1)
    # fields sown in the last 200 days are the only ones that can still be growing
    qs = qs.filter(sowing_date__lte=end, sowing_date__gte=start - timedelta(days=200)).select_related(
        "variety", "parcel__place__parent"
    )
    thermal = Thermal()
    area = defaultdict(float)
    places = {}
    for record in qs:
        if any(
            rice.stage_of(record, start + timedelta(days=d), thermal) in hazard.stages for d in range(days)
        ):
            village = record.parcel.place
            area[village.pk] += record.area_m2
            places[village.pk] = village
    townships = defaultdict(list)
    for pk, m2 in area.items():
        village = places[pk]
        townships[village.parent.name if village.parent_id else ""].append(
            {"village": village, "area_mu": round(m2 * 0.0015, 1)}
        )
    rows = [
        {
            "township": name,
            "villages": sorted(vs, key=lambda v: -v["area_mu"]),
            "area_mu": round(sum(v["area_mu"] for v in vs), 1),
        }
        for name, vs in townships.items()
    ]
    return sorted(rows, key=lambda r: -r["area_mu"])


@transaction.atomic
def do_issue_stage_warning(*, actor, hazard, start, days, colour="yellow", forecast=""):
    """Write and issue the hazard's warning to the villages with rice in its stages in the window."""
    errors = {}
    found = HAZARDS.get(hazard)
    if found is None:
        errors["hazard"] = ["请选择灾害：" + "、".join(h.name for h in HAZARDS.values())]
    if not isinstance(start, date):
        errors["start"] = ["开始日期格式应为 YYYY-MM-DD"]
    elif start < timezone.localdate() - timedelta(days=1):
        errors["start"] = ["开始日期不能早于昨天（提示针对即将发生的天气）"]
    if not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        errors["days"] = [f"影响天数应为 1–{MAX_DAYS} 天"]
    if colour not in SIGNAL_TYPE["colours"]:
        errors["colour"] = ["颜色只能是蓝色或黄色（农业气象提示）"]
    if len(str(forecast or "").strip()) < 6:
        errors["forecast"] = ["请填写气象台预报内容，如：9月20日至23日受冷空气影响，日平均气温18～20℃"]
    if errors:
        raise ServiceError("invalid", "生育期气象提示有误", errors)
    rows = exposure(found, start, days, user=None)
    villages = [v["village"].code for row in rows for v in row["villages"]]
    if not villages:
        raise ServiceError(
            "no_rice_in_stage",
            f"{start:%m月%d日}起{days}天内没有处于{'、'.join(found.stages)}的水稻，无需发布",
            {"start": ["该时段没有处于敏感生育期的水稻"]},
        )
    summary = [(r["township"], r["area_mu"]) for r in rows]
    return _write_and_issue(actor, found, start, days, colour, forecast, villages, summary)


def _write_and_issue(actor, found, start, days, colour, forecast, villages, summary):
    """The warning through the engine — a person's, so the engine checks they may author warnings."""
    from shuxiang.warnings import services as warnings

    total = sum(mu for _, mu in summary)
    text = "；".join(f"{township}{mu}亩" for township, mu in summary[:8])
    onset = timezone.make_aware(datetime.combine(start, time(0, 0)), timezone.get_current_timezone())
    warning = warnings.do_create_warning(
        actor=actor,
        signal_type=SIGNAL_TYPE["code"],
        colour=colour,
        headline=f"{found.name}提示：{start:%m月%d日}起{days}天"[:100],
        description=(
            f"{str(forecast).strip().rstrip('。')}。全区约{total:.0f}亩水稻正处于{'、'.join(found.stages)}，"
            f"受影响较大（{text}）。"
        ),
        instruction=found.advice,
        areas=villages,
        onset=onset,
        expires=onset + timedelta(days=days),
        urgency="Expected",
        certainty="Likely",
        source="区农业农村局（水稻平台）",
    )
    return warnings.do_issue_warning(warning, actor=actor)


# --- advisories drafted from the meteorological bureau's warnings -------------------------------

# The meteorological bureau's signal types (warnings/data/signal_types.py codes, or words of a type the
# county added) → the rice hazard they bring. A cold spell from August on is 寒露风 for late rice.
COLD, HEAT, STORM = "cold", "heat", "storm"
SIGNAL_HAZARDS = {
    "cold_wave": COLD,
    "agro_cold": COLD,
    "frost": COLD,
    "heat": HEAT,
    "rainstorm": STORM,
    "gale": STORM,
    "typhoon": STORM,
}
NAME_WORDS = [
    ("寒潮", COLD),
    ("低温", COLD),
    ("冷空气", COLD),
    ("高温", HEAT),
    ("暴雨", STORM),
    ("大风", STORM),
    ("台风", STORM),
]


def hazard_for(warning) -> Hazard | None:
    """The rice hazard a meteorological warning means, or None (fog, haze, a warning of our own…)."""
    stype = warning.signal_type
    if stype.code == SIGNAL_TYPE["code"]:
        return None
    kind = SIGNAL_HAZARDS.get(stype.code) or next((k for w, k in NAME_WORDS if w in stype.name), None)
    if kind == COLD:
        month = timezone.localtime(warning.onset or warning.effective).month
        return HAZARDS["cold_dew_wind" if 8 <= month <= 11 else "low_temp_heading"]
    if kind == HEAT:
        return HAZARDS["heat_heading"]
    if kind == STORM:
        return HAZARDS["storm_filling"]
    return None


def window_of(warning) -> tuple[date, int]:
    """The warning's days in Beijing time, from its onset (or effective time) to its expiry."""
    start = timezone.localtime(warning.onset or warning.effective).date()
    end = timezone.localtime(warning.expires - timedelta(seconds=1)).date()
    return start, max(1, min(MAX_DAYS, (end - start).days + 1))


RICE = None  # the system actor, set in apps.ready() once its label is declared


def on_warning_issued(warning_id: int):
    """The warnings engine's hook (registered in apps.ready()): a meteorological warning went out."""
    from shuxiang.core.context import origin
    from shuxiang.warnings.models import Warning

    warning = Warning.objects.select_related("signal_type").filter(pk=warning_id).first()
    if warning is None or warning.cap_status != "Actual":
        return None
    with origin("task"):
        if warning.references_id:
            do_retire_advisories(warning, actor=RICE)
        if warning.msg_type == "Cancel":
            return None
        return do_draft_advisory(warning, actor=RICE)


@transaction.atomic
def do_draft_advisory(source, *, actor):
    """Draft the stage advisory a meteorological warning calls for — once per warning; nothing when the
    warning brings no rice hazard or no field in its areas is in the hazard's stages in its window."""
    from shuxiang.core import audit
    from shuxiang.core.permissions import require
    from shuxiang.farmland.models import RiceAdvisory
    from shuxiang.warnings.choices import Colour

    found = hazard_for(source)
    if found is None:
        return None
    existing = RiceAdvisory.objects.filter(source=source).first()
    if existing is not None:
        return existing
    require(actor, "farmland.riceadvisory.add", source.place)
    start, days = window_of(source)
    rows = exposure(found, start, days, user=None, within=list(source.areas.all()))
    if not rows:
        return None
    colour = "blue" if source.colour == Colour.BLUE else "yellow"
    advisory = RiceAdvisory.objects.create(
        source=source,
        place=source.place,
        hazard=found.code,
        start=start,
        days=days,
        colour=colour,
        forecast=f"{source.sender_name or '气象台'}发布{source.signal_name}{source.get_colour_display()}预警：{source.headline}"[
            :500
        ],
        villages=[
            {
                "code": v["village"].code,
                "name": v["village"].name,
                "township": r["township"],
                "area_mu": v["area_mu"],
            }
            for r in rows
            for v in r["villages"]
        ],
        area_mu=round(sum(r["area_mu"] for r in rows), 1),
    )
    audit.record_create(actor, advisory)
    transaction.on_commit(lambda: _notify_reviewers(advisory))
    return advisory


def reviewers(advisory) -> list:
    """Who may issue it: district and department users with the warnings duty, in whose region it lies."""
    from shuxiang.core.choices import Role
    from shuxiang.core.models import User
    from shuxiang.core.permissions import has_perm
    from shuxiang.warnings.services import AUTHOR, may

    users = User.objects.filter(role__in=[Role.DISTRICT, Role.DEPARTMENT], is_active=True).select_related(
        "unit", "place"
    )
    return [u for u in users if has_perm(u, "farmland.riceadvisory.change", advisory) and may(u, AUTHOR)]


def _notify_reviewers(advisory):
    from django.urls import reverse

    from shuxiang.core.services import notify

    notify(
        reviewers(advisory),
        title=f"待审核：{advisory.hazard_name}提示（约{advisory.area_mu:.0f}亩）",
        body=f"{advisory.forecast}。平台已按生育期起草提示，涉及 {len(advisory.villages)} 个村，请审核后发布。"[
            :500
        ],
        url=reverse("farmland:rice_weather"),
        kind="rice.advisory",
    )


def _decide(advisory, actor, status, **extra):
    from shuxiang.core import audit
    from shuxiang.core.actors import as_actor

    before = advisory.status
    advisory.status = status
    advisory.decided_by = as_actor(actor).audit_label[:100]
    advisory.decided_at = timezone.now()
    for key, value in extra.items():
        setattr(advisory, key, value)
    advisory.save(update_fields=["status", "decided_by", "decided_at", *extra])
    audit.record(actor, "transition", advisory, changes={"status": [before, status]})


def _open_draft(advisory):
    from shuxiang.farmland.choices import AdvisoryStatus

    if advisory.status != AdvisoryStatus.DRAFT:
        raise ServiceError("not_draft", f"该提示已{advisory.get_status_display()}", {})


@transaction.atomic
def do_issue_advisory(advisory, *, actor):
    """Issue a drafted advisory as it stands (the villages it names) through the warnings engine; what
    is left of its window counts from today. The engine checks the person may author warnings."""
    from shuxiang.core.permissions import require
    from shuxiang.farmland.choices import AdvisoryStatus

    require(actor, "farmland.riceadvisory.change", advisory)
    _open_draft(advisory)
    today = timezone.localdate()
    end = advisory.start + timedelta(days=advisory.days)
    if end <= today:
        raise ServiceError("expired", "该提示的影响时段已过，不能再发布", {"start": ["时段已过"]})
    start = max(advisory.start, today)
    summary = defaultdict(float)
    for v in advisory.villages:
        summary[v["township"]] += v["area_mu"]
    warning = _write_and_issue(
        actor,
        HAZARDS[advisory.hazard],
        start,
        (end - start).days,
        advisory.colour,
        advisory.forecast,
        [v["code"] for v in advisory.villages],
        sorted(((t, round(a, 1)) for t, a in summary.items()), key=lambda r: -r[1]),
    )
    _decide(advisory, actor, AdvisoryStatus.ISSUED, warning=warning)
    return advisory


@transaction.atomic
def do_dismiss_advisory(advisory, *, actor, note=""):
    """Set a draft aside (the bureau judges it unnecessary), with the reason."""
    from shuxiang.core.permissions import require
    from shuxiang.farmland.choices import AdvisoryStatus

    require(actor, "farmland.riceadvisory.change", advisory)
    _open_draft(advisory)
    note = str(note or "").strip()
    if not note:
        raise ServiceError("invalid", "请说明不发布的原因", {"note": ["请填写原因"]})
    _decide(advisory, actor, AdvisoryStatus.DISMISSED, note=note[:200])
    return advisory


@transaction.atomic
def do_retire_advisories(warning, *, actor) -> int:
    """An Update or Cancel of a meteorological warning: the drafts of the warnings it replaces are set
    aside (an Update drafts its own)."""
    from shuxiang.core.permissions import require
    from shuxiang.farmland.choices import AdvisoryStatus
    from shuxiang.farmland.models import RiceAdvisory

    earlier = [w.pk for w in warning.references.chain()] if warning.references_id else []
    note = "气象预警已解除" if warning.msg_type == "Cancel" else "已被更新的气象预警取代"
    count = 0
    for advisory in RiceAdvisory.objects.filter(source_id__in=earlier, status=AdvisoryStatus.DRAFT):
        require(actor, "farmland.riceadvisory.change", advisory)
        _decide(advisory, actor, AdvisoryStatus.DISMISSED, note=note)
        count += 1
    return count


def pending_items(user) -> list:
    """Home page: drafted advisories waiting for someone who may issue them."""
    from django.urls import reverse

    from shuxiang.core.navigation import PendingItem
    from shuxiang.core.permissions import has_perm
    from shuxiang.farmland.choices import AdvisoryStatus
    from shuxiang.farmland.models import RiceAdvisory
    from shuxiang.warnings.services import AUTHOR, may

    if not (has_perm(user, "farmland.riceadvisory.change") and may(user, AUTHOR)):
        return []
    n = RiceAdvisory.objects.restrict(user).filter(status=AdvisoryStatus.DRAFT).count()
    return [PendingItem("待审核的水稻生育期气象提示", n, reverse("farmland:rice_weather"), "warning")]
