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


def exposure(hazard: Hazard, start: date, days: int, user=None) -> list[dict]:
    """Villages with rice in the hazard's stages on any day of [start, start + days): area per village,
    grouped by township, largest first. `user` restricts to their region (None: the whole county)."""
    from shuxiang.farmland.models import RiceSeason

    qs = RiceSeason.objects.all() if user is None else RiceSeason.objects.restrict(user)
    end = start + timedelta(days=days - 1)
    # fields sown in the last 200 days are the only ones that can still be growing
    qs = qs.filter(sowing_date__lte=end, sowing_date__gte=start - timedelta(days=200)).select_related(
        "variety", "parcel__place__parent"
    )
    area = defaultdict(float)
    places = {}
    for record in qs:
        if any(rice.stage_of(record, start + timedelta(days=d)) in hazard.stages for d in range(days)):
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
    from shuxiang.warnings import services as warnings

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
    total = sum(r["area_mu"] for r in rows)
    summary = "；".join(f"{r['township']}{r['area_mu']}亩" for r in rows[:8])
    onset = timezone.make_aware(datetime.combine(start, time(0, 0)), timezone.get_current_timezone())
    warning = warnings.do_create_warning(
        actor=actor,
        signal_type=SIGNAL_TYPE["code"],
        colour=colour,
        headline=f"{found.name}提示：{start:%m月%d日}起{days}天"[:100],
        description=(
            f"{str(forecast).strip()}。全区约{total:.0f}亩水稻正处于{'、'.join(found.stages)}，"
            f"受影响较大（{summary}）。"
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
