"""Demo: Heshan's rural houses — the homes of 560 monitoring households and about 100
self-built business houses, eighteen months of appraisals, renovations of key households' dangerous
houses at every stage (some overdue), and the 2022 campaign's inspections with hazards rectified or
still open. Names, addresses and photos are synthetic (a plain coloured picture stands for a site
photo); a house's grade agrees with its household's 住房安全 grade in the monitoring demo.
"""

import io
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from shuxiang.core.actors import OPERATOR
from shuxiang.core.choices import PlaceKind
from shuxiang.housing import choices as c
from shuxiang.housing import services
from shuxiang.housing.indicators import INDICATORS

HOUSES_PER_SCALE = 560  # homes of monitoring households (the registry has 2,000 a scale)
BUSINESS_PER_SCALE = 100
STRUCTURES = ["brick_concrete"] * 9 + ["brick_wood"] * 5 + ["earth_wood"] * 2 + ["frame"] * 4 + ["stone"]
BUSINESS = [
    ("restaurant", "{}家农家乐"),
    ("homestay", "{}民宿"),
    ("shop", "{}便民超市"),
    ("workshop", "{}农产品加工坊"),
    ("warehouse", "{}农资仓库"),
    ("education", "{}托管班"),
    ("rental", "{}出租屋"),
]
APPRAISERS = [
    ("刘建华", "区住建局村镇股"),
    ("周志强", "益阳市房屋安全鉴定站"),
    ("陈立新", "乡镇规建站"),
    ("王海波", "湖南某工程检测公司"),
]
CONTRACTORS = [
    "泉交河建筑队",
    "兰溪镇农房建设工匠队",
    "赫山区乡村建设有限公司",
    "笔架山建筑工匠 李师傅",
    "岳家桥施工队",
]
NOTES = {
    "foundation": ["墙脚局部沉降", "基础不均匀沉降，墙体倾斜", "地基受雨水浸泡"],
    "load_bearing": ["承重墙斜向裂缝", "木梁腐朽、虫蛀", "土坯墙体酥碱开裂", "砖柱压酥"],
    "floor_roof": ["屋面檩条下挠", "预制板板缝开裂", "瓦屋面漏雨"],
    "enclosure": ["外墙抹灰脱落", "门窗过梁开裂"],
}


def _photo(rng, label: str) -> SimpleUploadedFile:
    """A small synthetic site picture (marked 演示 in the corner)."""
    image = Image.new("RGB", (160, 120), (rng.randint(120, 200), rng.randint(100, 160), rng.randint(80, 140)))
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 40, 140, 110), outline=(60, 50, 40), width=3)
    draw.polygon([(10, 42), (80, 8), (150, 42)], outline=(60, 50, 40))
    draw.text((4, 4), "DEMO", fill=(255, 255, 255))
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=70)
    return SimpleUploadedFile(f"{label}.jpg", buf.getvalue(), content_type="image/jpeg")


def _findings(rng, grade):
    if grade in ("A", "B"):
        level = "none" if grade == "A" else rng.choice(["none", "point"])
        return [
            {"part": "foundation", "level": "none"},
            {
                "part": "load_bearing",
                "level": level,
                "note": rng.choice(NOTES["load_bearing"]) if level != "none" else "",
            },
        ]
    worst = "whole" if grade == "D" else "local"
    parts = ["foundation", "load_bearing", "floor_roof"]
    bad = rng.choice(parts)
    out = []
    for part in parts:
        level = worst if part == bad else rng.choice(["none", "point", "local" if grade == "D" else "point"])
        out.append({"part": part, "level": level, "note": rng.choice(NOTES[part]) if level != "none" else ""})
    return out


def _appraise(rng, house, grade, on, key=None):
    name, org = rng.choice(APPRAISERS)
    photos = (
        [_photo(rng, f"{house.code}-{i}") for i in range(rng.randint(1, 2))] if grade in c.DANGEROUS else []
    )
    return services.do_record_appraisal(
        house,
        actor=OPERATOR,
        grade=grade,
        appraised_on=on,
        appraiser_name=name,
        appraiser_org=org,
        findings=_findings(rng, grade),
        photos=photos,
        conclusion={"C": "局部危险，建议加固或维修后使用", "D": "整幢危险，应停止使用，拆除重建"}.get(
            grade, ""
        ),
        submission_key=key,
    )


def _rural(ctx):
    rural = {t.pk for t in ctx.townships if t.kind in (PlaceKind.TOWN, PlaceKind.TOWNSHIP)}
    villages = {v.pk for v in ctx.villages if v.parent_id in rural}
    return [h for h in ctx.hamlets if h.parent_id in villages]


def _houses(ctx, rng, today):
    from shuxiang.monitoring.models import Household, Member

    heads = {
        m.household_id: m.person
        for m in Member.objects.filter(relation="head")
        .select_related("person")
        .only("household_id", "person")
    }
    households = list(
        Household.objects.select_related("place").order_by("pk")[: HOUSES_PER_SCALE * ctx.scale]
    )
    houses = []
    for i, household in enumerate(households):
        owner = heads.get(household.pk)
        if owner is None:
            continue
        house = services.do_register_house(
            actor=OPERATOR,
            place=household.place,
            owner=owner,
            structure=rng.choice(STRUCTURES)
            if household.housing_grade not in ("C", "D")
            else rng.choice(["earth_wood", "brick_wood"]),
            floors=rng.choice((1, 1, 2, 2, 2, 3)),
            year_built=rng.randint(1968, 2020),
            floor_area=rng.randint(60, 260),
            address=f"{household.place.name.removeprefix(household.place.parent.name)}{i % 60 + 1}号",
            latitude=round(household.place.latitude + rng.uniform(-0.004, 0.004), 6)
            if household.place.latitude
            else None,
            longitude=round(household.place.longitude + rng.uniform(-0.004, 0.004), 6)
            if household.place.longitude
            else None,
        )
        houses.append((house, household.housing_grade))
    return houses


def _business(ctx, rng):
    hamlets = _rural(ctx)
    out = []
    for i in range(BUSINESS_PER_SCALE * ctx.scale):
        hamlet = rng.choice(hamlets)
        kind, pattern = rng.choice(BUSINESS)
        base = hamlet.parent.name.removesuffix("村")
        out.append(
            services.do_register_house(
                actor=OPERATOR,
                place=hamlet,
                structure=rng.choice(["brick_concrete", "frame", "frame", "brick_concrete"]),
                floors=rng.choice((2, 3, 3, 4, 5)),
                year_built=rng.randint(1995, 2021),
                floor_area=rng.randint(180, 900),
                use=rng.choice(["business", "mixed", "mixed"]),
                business_kind=kind,
                business_name=pattern.format(base),
                address=f"{base}{rng.choice(['街', '路', '组'])}{i % 40 + 1}号",
                latitude=round(hamlet.latitude + rng.uniform(-0.003, 0.003), 6) if hamlet.latitude else None,
                longitude=round(hamlet.longitude + rng.uniform(-0.003, 0.003), 6)
                if hamlet.longitude
                else None,
            )
        )
    return out


def _renovate(rng, today):
    """Key households' renovations at every stage: most accepted, some under way, some overdue."""
    from shuxiang.housing.models import Renovation

    for renovation in Renovation.objects.select_related("house", "appraisal").order_by("pk"):
        opened = renovation.appraisal.appraised_on
        age = (today - opened).days
        roll = rng.random()
        if age < 20 or roll < 0.15:
            continue  # planned, not yet started
        started = opened + timedelta(days=rng.randint(10, min(60, age - 5)))
        services.do_update_renovation(
            renovation,
            actor=OPERATOR,
            started_on=started,
            contractor=rng.choice(CONTRACTORS),
            subsidy=rng.choice([15000, 20000, 25000, 35000, 40000])
            if renovation.kind == "rebuild"
            else rng.choice([8000, 10000, 12000]),
        )
        done = started + timedelta(days=rng.randint(40, 150))
        if roll < 0.4 or done > today:
            continue  # still under way (overdue when past its deadline)
        name, _org = rng.choice(APPRAISERS)
        services.do_accept_renovation(
            renovation,
            actor=OPERATOR,
            accepted_on=done,
            grade=rng.choice(["A", "A", "B"]),
            appraiser_name=name,
            findings=_findings(rng, "A"),
            photos=[_photo(rng, f"{renovation.house.code}-done")],
            conclusion="改造完成，经竣工验收住房安全",
        )


def _inspect(rng, houses, today):
    hazards = list(c.Hazard.values)
    for house in houses:
        if rng.random() < 0.1:
            continue  # not yet inspected
        on = today - timedelta(days=rng.randint(5, 400))
        found = rng.sample(hazards, rng.choice((1, 1, 2))) if rng.random() < 0.35 else []
        inspection = services.do_record_inspection(
            house,
            actor=OPERATOR,
            inspected_on=on,
            hazards=found,
            note="逐项核查结构安全、经营安全和建设合法性"
            if not found
            else "现场发现隐患，已告知产权人限期整改",
            photos=[_photo(rng, f"{house.code}-inspect")] if found else [],
        )
        fixed = on + timedelta(days=rng.randint(7, 45))
        if found and fixed <= today and rng.random() < 0.6:
            services.do_rectify_inspection(
                inspection,
                actor=OPERATOR,
                rectified_on=fixed,
                note="已按要求整改，附整改后照片",
                photos=[_photo(rng, f"{house.code}-fixed")],
            )


def build(ctx):
    from shuxiang.indicators import services as indicator_services
    from shuxiang.indicators.models import Indicator
    from shuxiang.indicators.periods import Period, quarter_of

    rng = ctx.rng
    today = timezone.localdate()
    homes = _houses(ctx, rng, today)
    business = _business(ctx, rng)
    # Appraisals over the last eighteen months: a household's C/D grade is its house's; key households'
    # houses (old, often earth-and-timber) are more often dangerous; the appraisal sets the household's
    # 住房安全等级 in monitoring, so both agree.
    for n, (house, grade) in enumerate(homes):
        if not grade and rng.random() < 0.5:
            continue
        if grade not in c.DANGEROUS:
            weights = [50, 36, 9, 5] if house.key_group else [60, 37, 2, 1]
            grade = rng.choices(["A", "B", "C", "D"], weights=weights)[0]
        _appraise(rng, house, grade, today - timedelta(days=rng.randint(1, 540)), key=f"demo-{n}")
    for house in business:
        if rng.random() < 0.7:
            _appraise(
                rng,
                house,
                rng.choices(["A", "B", "C", "D"], weights=[50, 40, 8, 2])[0],
                today - timedelta(days=rng.randint(1, 500)),
            )
    _renovate(rng, today)
    _inspect(rng, business, today)
    now = quarter_of(today)
    periods = [Period(2025, q) for q in range(1, 5)] + ([now] if now.year > 2025 else [])
    for indicator in Indicator.objects.filter(code__in=[spec["code"] for spec in INDICATORS]):
        for period in periods:
            indicator_services.do_refresh_computed(indicator, period.code, actor=OPERATOR)
