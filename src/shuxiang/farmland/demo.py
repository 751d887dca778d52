"""Demo: Heshan's farmland layers, two years of plantings, findings and their cases, rice fields and
two seedling factories — synthetic (the real 永久基本农田 database is not public), marked as such.

Every rural village gets a patch of field polygons inside its (synthetic) boundary: the cultivated
layer holds all of them, the permanent-farmland layer about three quarters, the high-standard layer
the permanent polygons of four construction projects. Polygons are imported through the layer
import (as the bureau would, one file per layer), plantings for the 2025 and 2026 seasons are loaded
as a village's planting table and checked by the season run, which opens the findings and their
cases; most 2025 findings were rectified in time. The plan's farmland indicators are then counted
for 2025 from these data.
"""

from datetime import date, datetime, time, timedelta

import shapely
from django.apps import apps
from django.utils import timezone

from shuxiang.core import geometry
from shuxiang.core.actors import OPERATOR, Actor
from shuxiang.core.choices import PlaceKind
from shuxiang.farmland import facilities, layers, rules, services
from shuxiang.farmland.choices import SEASON_START_MONTH
from shuxiang.farmland.models import Finding, Parcel, Planting, RiceSeason, RiceVariety

SOURCE = "演示用合成图斑"
CELL_LNG, CELL_LAT = 0.0016, 0.0012  # about 156 m × 133 m: a 30-mu polygon
FIELDS_PER_VILLAGE = 16
VARIETIES = [
    # name, type, growth days, stages (start day after sowing), calendar (day, task)
    ("中早39", "early", 112, [["秧田期", 0], ["分蘖期", 32], ["拔节孕穗期", 55], ["抽穗扬花期", 78], ["灌浆结实期", 88]],
     [[2, "秧田覆膜保温，防低温烂秧"], [24, "移栽前3天施送嫁肥、带药下田"], [38, "施分蘖肥，够苗晒田"], [70, "破口期防治稻瘟病、纹枯病"], [105, "黄熟八成收割"]]),
    ("株两优819", "early", 108, [["秧田期", 0], ["分蘖期", 30], ["拔节孕穗期", 52], ["抽穗扬花期", 74], ["灌浆结实期", 84]],
     [[2, "秧田覆膜保温"], [22, "施送嫁肥"], [36, "施分蘖肥，晒田控蘖"], [68, "防治稻瘟病"], [102, "适时收割"]]),
    ("泰优390", "late", 118, [["秧田期", 0], ["分蘖期", 30], ["拔节孕穗期", 58], ["抽穗扬花期", 82], ["灌浆结实期", 92]],
     [[20, "秧田防稻飞虱"], [28, "带药移栽"], [42, "施分蘖肥"], [75, "寒露风前浅水护苗，防治稻曲病"], [112, "收割"]]),
    ("玉针香", "late", 122, [["秧田期", 0], ["分蘖期", 30], ["拔节孕穗期", 60], ["抽穗扬花期", 85], ["灌浆结实期", 95]],
     [[28, "带药移栽"], [45, "施分蘖肥"], [78, "抽穗前防寒露风，喷施叶面肥"], [116, "收割"]]),
    ("隆两优华占", "single", 135, [["秧田期", 0], ["分蘖期", 30], ["拔节孕穗期", 65], ["抽穗扬花期", 95], ["灌浆结实期", 105]],
     [[25, "移栽"], [40, "施分蘖肥"], [60, "晒田控蘖"], [88, "高温热害防范：深水灌溉"], [128, "收割"]]),
]  # fmt: skip
PROJECTS = [
    ("HBNT-2021-01", "赫山区2021年高标准农田建设项目（泉交河镇片）", 2021, "泉交河镇", 1860.00, 12000,
     "新建机埠3座、衬砌渠道18.6 km、机耕路9.2 km，土壤墒情监测站4个"),
    ("HBNT-2022-01", "赫山区2022年高标准农田建设项目（兰溪镇片）", 2022, "兰溪镇", 2150.50, 14000,
     "新建泵站2座、衬砌渠道21.3 km、机耕路11.5 km、田间水位监测点6个"),
    ("HBNT-2023-01", "赫山区2023年高标准农田建设项目（欧江岔镇片）", 2023, "欧江岔镇", 1620.00, 10000,
     "整修山塘12口、衬砌渠道15.0 km、机耕路8.1 km"),
    ("HBNT-2024-01", "赫山区2024年高标准农田建设项目（衡龙桥镇片）", 2024, "衡龙桥镇", 2400.00, 12500,
     "新建机埠4座、衬砌渠道17.8 km、生产路6.4 km、智能灌溉控制柜10台"),
]  # fmt: skip
GROWERS = [
    "周氏家庭农场",
    "稻香种植专业合作社",
    "李建国",
    "王德明",
    "刘桂香",
    "湘赫粮油合作社",
    "陈志强",
    "张秋生",
]
VIOLATIONS = [
    ("citrus", "冰糖橙"),
    ("seedlings", "桂花苗木"),
    ("lotus", "太空莲"),
    ("peach", "水蜜桃"),
    ("tea", ""),
]


def _rural_villages(ctx):
    rural = {t.pk for t in ctx.townships if t.kind in (PlaceKind.TOWN, PlaceKind.TOWNSHIP)}
    return [v for v in ctx.villages if v.parent_id in rural and v.kind == PlaceKind.VILLAGE and v.geometry]


def _cells(village, rng):
    """Field polygons inside the village: a block of cells around its centre, gaps for ridges and roads."""
    outline = geometry.from_geojson(village.geometry)
    cx, cy = village.longitude, village.latitude
    cells = []
    cols, rows = 6, 5
    x0, y0 = cx - cols * CELL_LNG / 2, cy - rows * CELL_LAT / 2
    for i in range(cols):
        for j in range(rows):
            gap = rng.uniform(0.00005, 0.00012)
            x, y = x0 + i * CELL_LNG, y0 + j * CELL_LAT
            lean = rng.uniform(-0.00008, 0.00008)
            cell = shapely.Polygon(
                [
                    (x + gap, y + gap),
                    (x + CELL_LNG - gap, y + gap + lean),
                    (x + CELL_LNG - gap, y + CELL_LAT - gap),
                    (x + gap, y + CELL_LAT - gap - lean),
                ]
            )
            if outline.contains(cell):
                cells.append(cell)
    rng.shuffle(cells)
    return cells[:FIELDS_PER_VILLAGE]


def _layers(ctx, villages, projects, rng):
    importer = Actor.user(ctx.users["agri"]) if "agri" in ctx.users else OPERATOR
    cultivated, permanent, high = [], [], []
    for village in villages:
        township = village.parent
        project = projects.get(township.name)
        for n, cell in enumerate(_cells(village, rng), start=1):
            suffix = f"{village.code}{n:03d}"
            cls = "水田" if rng.random() < 0.82 else "旱地"
            cultivated.append(
                (len(cultivated) + 1, {"code": f"GD{suffix}", "ZLDWDM": village.code, "DLMC": cls}, cell)
            )
            if rng.random() < 0.76:
                permanent.append(
                    (len(permanent) + 1, {"code": f"JB{suffix}", "ZLDWDM": village.code, "DLMC": cls}, cell)
                )
                if project is not None and rng.random() < 0.7:
                    props = {"code": f"GB{suffix}", "ZLDWDM": village.code, "DLMC": cls, "XMBH": project.code}
                    high.append((len(high) + 1, props, cell))
    fields = ["code", "ZLDWDM", "DLMC"]
    layers.do_import_features(
        cultivated, actor=importer, kind="cultivated", fields=fields, source=f"{SOURCE}（耕地）"
    )
    layers.do_import_features(
        permanent, actor=importer, kind="permanent", fields=fields, source=f"{SOURCE}（永久基本农田）"
    )
    layers.do_import_features(
        high, actor=importer, kind="high_standard", fields=[*fields, "XMBH"], source=f"{SOURCE}（高标准农田）"
    )


def _projects(ctx):
    by_name = {t.name: t for t in ctx.townships}
    agri = ctx.units.get("区农业农村局")
    projects = {}
    for code, name, year, township, investment, area, built in PROJECTS:
        if township not in by_name:
            continue
        projects[township] = services.do_create_project(
            actor=OPERATOR, code=code, name=name, year=year, place=by_name[township], investment=investment,
            planned_area_mu=area, facilities=built, builder=agri.name if agri else "区农业农村局",
        )  # fmt: skip
    return projects


def _plantings(rng):
    """Each field's seasons: double-cropped rice mostly, single rice, winter rapeseed; a few violations."""
    by_cell = {}
    for p in Parcel.objects.filter(kind__in=["permanent", "cultivated"]).order_by("kind", "code"):
        by_cell.setdefault(p.code[2:], {})[p.kind] = p
    rows = []
    for cell in by_cell.values():
        parcel = cell.get("permanent") or cell["cultivated"]
        area = parcel.area_m2 * rng.uniform(0.92, 0.99)
        grower = rng.choice(GROWERS)
        for year in (2025, 2026):
            pattern = rng.random()
            if parcel.kind == "permanent" and pattern < 0.01:
                crop, variety = rng.choice(VIOLATIONS)
                rows += [
                    (parcel, f"{year}-early", crop, variety, area, grower),
                    (parcel, f"{year}-late", crop, variety, area, grower),
                ]
                continue
            if parcel.kind == "cultivated" and pattern < 0.35:
                rows.append((parcel, f"{year}-early", "vegetables", "辣椒", area, grower))
                rows.append(
                    (
                        parcel,
                        f"{year}-late",
                        rng.choice(["vegetables", "sweet_potato", "soybean"]),
                        "",
                        area,
                        grower,
                    )
                )
            elif pattern < 0.72:
                rows.append(
                    (parcel, f"{year}-early", "rice", rng.choice(["中早39", "株两优819"]), area, grower)
                )
                rows.append((parcel, f"{year}-late", "rice", rng.choice(["泰优390", "玉针香"]), area, grower))
            else:
                rows.append((parcel, f"{year}-late", "rice", "隆两优华占", area, grower))
            if rng.random() < 0.45:
                rows.append((parcel, f"{year}-winter", "rapeseed", "沣油737", area, grower))
    Planting.objects.bulk_create(
        [
            Planting(
                parcel=p, season=s, crop=c, variety=v, area_m2=round(a, 2), grower_name=g, source="imported"
            )
            for p, s, c, v, a, g in rows
        ],
        batch_size=2000,
    )


def _season_day(season, day_of_season):
    year, _, part = season.partition("-")
    return date(int(year), SEASON_START_MONTH[part], 1) + timedelta(days=day_of_season)


def _aware(day, hour=10):
    return timezone.make_aware(datetime.combine(day, time(hour)), timezone.get_current_timezone())


def _findings(ctx, rng):
    """The season runs open the findings and their cases; 2025's are dated and mostly rectified."""
    from shuxiang.cases import services as cases

    for season in ("2025-early", "2025-late", "2026-early", "2026-late"):
        rules.run_season(season, actor=OPERATOR)
    for i, finding in enumerate(
        Finding.objects.filter(season__startswith="2025").select_related("case", "rule")
    ):
        found = _season_day(finding.season, 40 + i % 20)
        deadline = found + timedelta(days=finding.rule.deadline_days)
        fields = {"deadline": deadline}
        case = finding.case
        if case is not None and rng.random() < 0.9:
            cases.do_accept_case(case, actor=OPERATOR)
            cases.do_start_case(case, actor=OPERATOR)
            cases.do_resolve_case(case, actor=OPERATOR, note="已清除非粮作物，恢复水稻种植，附整改后照片")
            late = rng.random() < 0.2
            done = (
                deadline + timedelta(days=rng.randint(3, 20))
                if late
                else found + timedelta(days=rng.randint(10, 50))
            )
            fields.update(status="rectified", rectified_at=_aware(min(done, deadline + timedelta(days=25))),
                          rectification="已清除非粮作物，恢复水稻种植")  # fmt: skip
        Finding.objects.filter(pk=finding.pk).update(**fields)
        Finding.objects.filter(pk=finding.pk).update(created_at=_aware(found))


def _patrols(ctx, villages, rng):
    """Inspectors' reports this late season: mostly grain, a few ponds, buildings and idle fields."""
    grid = ctx.users.get("grid")
    findings = [
        ("pond", "新挖鱼塘约3亩"),
        ("building", "田中新建简易棚房、地面硬化"),
        ("idle", "整季未耕种，杂草丛生"),
    ]
    chosen = Parcel.objects.filter(kind="permanent", place__in=villages[:40]).order_by("?")[:14]
    for i, parcel in enumerate(chosen):
        use, note = findings[i % 3] if i < 6 else ("grain", "晚稻长势正常")
        lng, lat = geometry.label_point(geometry.from_geojson(parcel.geometry))
        actor = grid if grid is not None and parcel.place_id == grid.place_id else OPERATOR
        services.do_record_patrol(
            actor=actor,
            parcel=parcel,
            season="2026-late",
            observed_use=use,
            latitude=lat,
            longitude=lng,
            note=note,
        )
    if grid is not None:  # the grid worker's own village always has a patrol to show
        own = Parcel.objects.filter(kind="permanent", place=grid.place).first()
        if own is not None:
            lng, lat = geometry.label_point(geometry.from_geojson(own.geometry))
            services.do_record_patrol(
                actor=grid, parcel=own, season="2026-late", observed_use="pond", latitude=lat, longitude=lng,
                note="田块东南角挖塘养鱼约2亩",
            )  # fmt: skip


def _rice(rng):
    varieties = {v.name: v for v in RiceVariety.objects.all()}
    sowing = {"early": (3, 22), "late": (6, 18), "single": (5, 10)}
    records = []
    for planting in Planting.objects.filter(crop="rice").select_related("parcel").order_by("pk"):
        variety = varieties.get(planting.variety)
        if variety is None or rng.random() > 0.25:
            continue
        year = int(planting.season[:4])
        month, day = sowing[variety.rice_type]
        sown = date(year, month, day) + timedelta(days=rng.randint(0, 10))
        method = rng.choices(["machine", "throwing", "manual", "direct"], weights=[58, 24, 8, 10])[0]
        records.append(
            RiceSeason(
                parcel=planting.parcel, season=planting.season, variety=variety, area_m2=planting.area_m2,
                grower_name=planting.grower_name, sowing_date=sown,
                transplant_date=None if method == "direct" else sown + timedelta(days=rng.randint(24, 30)),
                transplant=method,
                yield_kg_per_mu=round(rng.uniform(380, 560) if variety.rice_type != "single" else rng.uniform(560, 700)),
            )
        )  # fmt: skip
    RiceSeason.objects.bulk_create(records, batch_size=2000, ignore_conflicts=True)
    _rice_inputs(rng)


INPUTS = [
    (0, "fertilizer", "复合肥（15-15-15）作基肥", "每亩 30 kg", None),
    (35, "fertilizer", "尿素（分蘖肥）", "每亩 6 kg", None),
    (55, "pesticide", "吡蚜酮（稻飞虱）", "每亩 20 g", 14),
    (75, "pesticide", "井冈霉素（纹枯病）", "每亩 150 ml", 14),
]


def _rice_inputs(rng):
    """Growers registered in traceability (a rice producer of the village) keep inputs there; the others'
    inputs are recorded on the rice platform by the village."""
    from shuxiang.farmland.models import RiceInput

    producers = {}
    if apps.is_installed("shuxiang.trace"):
        from shuxiang.trace.models import Producer

        for p in Producer.objects.filter(products__category="rice").distinct().order_by("pk"):
            producers.setdefault(p.place_id, p)
    rows, registered = [], []
    today = timezone.localdate()
    for record in RiceSeason.objects.select_related("parcel").order_by("pk"):
        producer = producers.get(record.parcel.place_id)
        if producer is not None and rng.random() < 0.5:
            record.producer = producer
            registered.append(record)
            continue
        for day, kind, name, dose, interval in INPUTS:
            on = record.sowing_date + timedelta(days=day + (20 if day else 18) + rng.randint(0, 4))
            if on <= today:
                rows.append(RiceInput(rice_season=record, kind=kind, name=name, dose=dose, applied_on=on,
                                      interval_days=interval, recorded_by="村农技员"))  # fmt: skip
    RiceSeason.objects.bulk_update(registered, ["producer"], batch_size=2000)
    RiceInput.objects.bulk_create(rows, batch_size=2000)


def _seedlings(ctx, villages, rng):
    from shuxiang.iot import services as iot

    by_township = {}
    for v in villages:
        by_township.setdefault(v.parent.name, v)
    factories = []
    for i, (township, name) in enumerate(
        (("泉交河镇", "赫山区智能化育秧工厂"), ("兰溪镇", "兰溪镇集中育秧中心"))
    ):
        village = by_township.get(township) or villages[i]
        factories.append(
            services.do_create_seedling_factory(
                actor=OPERATOR, code=f"YYGC-{i + 1:02d}", name=name, place=village,
                capacity_trays=60000 if i == 0 else 30000, device_code=f"GH-HS-{i + 1:02d}",
            )
        )  # fmt: skip
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    messages = []
    for f in factories:
        for h in range(72, 0, -1):
            at = now - timedelta(hours=h)
            hour = timezone.localtime(at).hour
            warm = 14 + 10 * max(0.0, 1 - abs(hour - 14) / 8)
            messages.append(
                iot.Message(
                    f.device.code,
                    [("T", at, round(warm + rng.uniform(-1, 1), 1)), ("RH", at, round(rng.uniform(70, 92), 1)),
                     ("LUX", at, round(max(0, 40000 * (1 - abs(hour - 13) / 7)), 0))],
                )
            )  # fmt: skip
    iot.do_ingest(messages, actor=OPERATOR)
    varieties = list(RiceVariety.objects.exclude(rice_type="single"))
    fields = list(Parcel.objects.filter(kind="high_standard")[:200])
    for year in (2025, 2026):
        for n, factory in enumerate(factories * 5):
            variety = varieties[n % len(varieties)]
            sown = date(year, 3 if variety.rice_type == "early" else 6, 8 + n)
            batch = services.do_create_batch(
                actor=OPERATOR, factory=factory, code=f"{year}-{factory.code}-{n + 1:02d}", variety=variety,
                trays=rng.choice([2400, 3000, 3600, 4800]), sowing_date=sown,
                target_transplant_date=sown + timedelta(days=25), customer=rng.choice(GROWERS),
                parcels=rng.sample(fields, 3) if len(fields) >= 3 else fields,
            )  # fmt: skip
            if rng.random() < 0.08:
                services.do_check_batch(
                    batch,
                    actor=OPERATOR,
                    germination_rate=round(rng.uniform(70, 84), 1),
                    note="烂秧，成秧率不足",
                )
                continue
            services.do_check_batch(
                batch, actor=OPERATOR, germination_rate=round(rng.uniform(86, 96), 1), note="秧苗整齐健壮"
            )
            services.do_deliver_batch(batch, actor=OPERATOR, trays=batch.trays, on=sown + timedelta(days=25))


FACILITY_KINDS = [
    ("pump", "机埠", "功率 55 kW"),
    ("pump", "电排站", "功率 110 kW"),
    ("channel", "衬砌渠道", "长 1.8 km"),
    ("channel", "斗渠", "长 0.9 km"),
    ("road", "机耕路", "长 1.2 km、宽 4 m"),
    ("gate", "节制闸", "孔宽 2 m"),
    ("well", "灌溉机井", "深 40 m"),
]
DAMAGE = [
    "渠道衬砌板垮塌约3米，下游田块进水不畅",
    "机埠水泵电机烧毁，无法抽水",
    "机耕路路面被雨水冲毁一段，农机无法通行",
    "闸门启闭机锈死，无法开启",
    "渠道被淤泥和杂草堵塞约50米",
]


def _facilities(ctx, projects, rng):
    """Each project's facilities at its high-standard fields; field sensors report; some are broken."""
    from shuxiang.cases import services as cases
    from shuxiang.iot import services as iot

    made = []
    for project in projects.values():
        fields = list(
            Parcel.objects.filter(kind="high_standard", project=project, retired_at__isnull=True)
            .select_related("place")
            .order_by("code")
        )
        if not fields:
            continue
        picks = rng.sample(fields, min(len(fields), 12))
        for n, parcel in enumerate(picks):
            lng, lat = geometry.label_point(geometry.from_geojson(parcel.geometry))
            sensor = n >= 9
            kind, label, size = (
                ("sensor", "田间墒情水位监测站", "土壤水分 + 水位") if sensor else FACILITY_KINDS[n % 7]
            )
            made.append(
                facilities.do_register_facility(
                    actor=OPERATOR, project=project, code=f"{project.code}-{n + 1:02d}", kind=kind,
                    name=f"{parcel.place.name}{label}{n + 1}号", place=parcel.place, latitude=lat, longitude=lng,
                    size=size, caretaker=f"{parcel.place.name}村委会", device_code=(
                        f"FS-{project.code[-7:-3]}{project.code[-2:]}-{n + 1:02d}" if sensor else None
                    ),
                )
            )  # fmt: skip
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    messages = []
    for f in made:
        if f.device_id is None:
            continue
        dry = rng.random() < 0.3
        for h in range(72, 0, -1):
            at = now - timedelta(hours=h)
            moisture = (12 if dry else 32) + rng.uniform(-2, 2) - h * 0.02
            messages.append(
                iot.Message(
                    f.device.code, [("SM", at, round(moisture, 1)), ("WL", at, round(rng.uniform(20, 60)))]
                )
            )
    iot.do_ingest(messages, actor=OPERATOR)
    broken = [f for f in made if f.kind != "sensor"]
    for i, f in enumerate(rng.sample(broken, min(len(broken), 8))):
        case = facilities.do_report_damage(f, actor=OPERATOR, description=DAMAGE[i % 5])
        if i < 3:
            cases.do_accept_case(case, actor=OPERATOR)
            cases.do_start_case(case, actor=OPERATOR)
            cases.do_resolve_case(case, actor=OPERATOR, note="已组织维修，恢复使用，附维修后照片")


def _machinery_plantings(rng):
    """Transplanters of the machinery demo plant three fields each in their village this late season (fields
    nobody has declared yet); the daily run turns their worked areas into rice plantings."""
    from shuxiang.farmland import machinery_link

    if not machinery_link.available():
        return
    from shuxiang.machinery import services as machinery
    from shuxiang.machinery.demo import Plane, job_points
    from shuxiang.machinery.models import Machine

    machines = Machine.objects.filter(kind="transplanter").exclude(device=None).select_related("place")
    for n, machine in enumerate(machines[:5]):
        village = machine.place
        plane = Plane(village.longitude, village.latitude)
        for k, parcel in enumerate(machinery_link._polygons(village.pk)[:3]):
            Planting.objects.filter(parcel=parcel, season="2026-late").delete()  # not yet declared
            minx, miny, maxx, maxy = geometry.from_geojson(parcel.geometry).bounds
            (x0, y0), (x1, y1) = plane.to_gk.transform(minx, miny), plane.to_gk.transform(maxx, maxy)
            fx, fy = x0 - plane.x0, y0 - plane.y0
            start = _aware(date(2026, 7, 22 + n % 6) + timedelta(days=k), 7 + 3 * k)
            points = job_points(
                plane, fx, fy, x1 - x0, y1 - y0, machine.implement_width_m, start, rng, speed=4.0
            )
            end = points[-1].ts + timedelta(seconds=1)
            machinery.do_record_operation(
                machine, actor=OPERATOR, kind="transplant", start=start, end=end, points=points
            )
    machinery_link.do_take_plantings("2026-late", actor=OPERATOR)


def _indicators():
    from shuxiang.indicators import services as indicator_services
    from shuxiang.indicators.models import Indicator

    for indicator in Indicator.objects.filter(source="computed", computed_by__startswith="farmland."):
        for quarter in range(1, 5):
            indicator_services.do_refresh_computed(indicator, f"2025Q{quarter}", actor=OPERATOR)


# Degree-day calendars (effective ℃·d above 10 ℃ from sowing, and to maturity): calibrated so that a field
# sown on the variety's usual date reaches each stage on its calendar day under Heshan's normal temperatures
# (NORMAL below) — synthetic, like the rest of the demo; the bureau enters the breeder's published values.
DEGREE_DAYS = {
    "中早39": ([0, 200, 470, 830, 1010], 1490),
    "株两优819": ([0, 180, 430, 770, 940], 1410),
    "泰优390": ([0, 570, 1090, 1470, 1600], 1850),
    "玉针香": ([0, 570, 1130, 1510, 1630], 1870),
    "隆两优华占": ([0, 460, 1120, 1680, 1850], 2280),
}
STATIONS = [("泉交河镇", "QX-HS-01", "泉交河镇农业气象站"), ("兰溪镇", "QX-HS-02", "兰溪镇农业气象站")]


def normal_temperature(day: date) -> float:
    """Heshan's (Yiyang's) daily mean air temperature through the year, smoothed: about 5 ℃ in mid-January,
    29 ℃ in mid-July, 23 ℃ in mid-September, 17 ℃ in mid-October."""
    import math

    return 17.2 - 12.2 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 15) / 365)


def _weather(ctx, villages, rng):
    """Two agro-met stations reporting air temperature (AI) every hour, March–November of the demo's two
    years (as far as iot keeps readings): the normal, a wandering weather anomaly, a day–night swing, a
    寒露风 spell in late September and a four-day outage at one station (the county mean covers it)."""
    import math

    from shuxiang.farmland.thermal import (
        AIR_TEMPERATURE_KEY,
        BEIJING,
        STATION_KIND,
        do_compute_daily_temperatures,
    )
    from shuxiang.iot import conf as iot_conf
    from shuxiang.iot import services as iot

    by_township = {}
    for v in villages:
        by_township.setdefault(v.parent.name, v)
    now = timezone.now()
    earliest = (now - timedelta(days=iot_conf.RETENTION_DAYS - 30)).astimezone(BEIJING).date()
    messages, first = [], None
    for n, (township, code, name) in enumerate(STATIONS):
        village = by_township.get(township) or villages[n]
        device, _ = iot.do_register_device(
            actor=OPERATOR, code=code, protocol="mqtt", place=village, name=name, kind=STATION_KIND,
            sensors=[{"key": AIR_TEMPERATURE_KEY, "name": "气温", "unit": "℃", "min_value": -20, "max_value": 50}],
        )  # fmt: skip
        for year in (2025, 2026):
            day, anomaly = max(date(year, 3, 1), earliest), 0.0
            while day <= date(year, 11, 30):
                anomaly = 0.7 * anomaly + rng.gauss(0, 1.2)
                spell = -5.0 if date(year, 9, 21) <= day <= date(year, 9, 25) else 0.0
                outage = n == 1 and date(year, 8, 10) <= day <= date(year, 8, 13)
                mean = normal_temperature(day) + anomaly + spell + (0.4 if n == 0 else -0.3)
                values = []
                for hour in range(24):
                    at = datetime.combine(day, time(hour), tzinfo=BEIJING)
                    if at > now or outage:
                        break
                    swing = 4.0 * math.cos(2 * math.pi * (hour - 15) / 24)
                    values.append((AIR_TEMPERATURE_KEY, at, round(mean + swing + rng.uniform(-0.4, 0.4), 1)))
                if values:
                    first = min(first or day, day)
                    messages.append(iot.Message(device.code, values))
                day += timedelta(days=1)
    iot.do_ingest(messages, actor=OPERATOR)
    if first is not None:
        do_compute_daily_temperatures(first, timezone.localdate(), actor=OPERATOR)


def build(ctx):
    rng = ctx.rng
    for name, kind, days, stages, tasks in VARIETIES:
        gdd, maturity = DEGREE_DAYS[name]
        RiceVariety.objects.get_or_create(
            name=name,
            defaults={
                "rice_type": kind, "growth_days": days, "stages": stages, "tasks": tasks,
                "stages_gdd": [[stage, g] for (stage, _), g in zip(stages, gdd, strict=True)],
                "maturity_gdd": maturity,
            },
        )  # fmt: skip
    villages = _rural_villages(ctx)
    projects = _projects(ctx)
    _layers(ctx, villages, projects, rng)
    _plantings(rng)
    _machinery_plantings(rng)
    _findings(ctx, rng)
    _patrols(ctx, villages, rng)
    _rice(rng)
    _weather(ctx, villages, rng)
    _seedlings(ctx, villages, rng)
    _facilities(ctx, projects, rng)
    _indicators()
