"""Demo: Heshan's pig farms with barns and feeders, fish farms with monitored ponds, cold stores in the
two cold-chain pilot townships, and disease reports at every stage — synthetic (names, positions and
figures are made up; the real registers are not public), marked so on every producer's address.

Sizes follow the plan: about 36万 pigs in registered barns, 35万 of them in barns whose feeders
report, by the end of 2025 (feeders rolled out over the year), so the plan's "35万头猪" figure is
counted, not typed. Yellow catfish, bass and mandarin fish ponds (the plan's three species); one pond
heads for a low-oxygen dawn, one barn's intake has fallen, one cold store had an excursion, and an
ASF outbreak is confirmed in 兰溪镇 — so every page has something true to show on first login.
"""

import math
from datetime import datetime, time, timedelta

from django.utils import timezone

from shuxiang.core.actors import OPERATOR, Actor
from shuxiang.core.choices import PlaceKind
from shuxiang.demo.builder import id_number
from shuxiang.indicators.models import Indicator
from shuxiang.indicators.periods import Period, quarter_of
from shuxiang.indicators.services import do_refresh_computed
from shuxiang.iot import rollups
from shuxiang.iot import services as iot
from shuxiang.livestock import coldchain, disease, services, standards, telemetry
from shuxiang.livestock import ponds as pond_services
from shuxiang.livestock.models import Pen
from shuxiang.trace import services as trace

SYNTHETIC = "（演示数据）"
PIG_FARMS = 40
FISH_FARMS = 8
# barns per farm by scale, and each stage's barn size (head) and daily feed per head (kg)
STAGE_SIZE = {"farrowing": 400, "nursery": 1500, "finishing": 2000, "gestation": 800}
FEED_PER_HEAD = {"farrowing": 5.5, "nursery": 0.9, "finishing": 2.6, "gestation": 2.8}
FEEDERS_REPORTING_2025 = (0.30, 0.55, 0.80, 0.99)
SURNAMES = "李王张刘陈杨黄赵周吴彭曾谢罗胡"
GIVEN = ["建国", "秀英", "志强", "桂兰", "德胜", "春生", "冬梅", "海军", "利民", "满仓"]
POND_SPECIES = ["yellow_catfish"] * 5 + ["bass"] * 3 + ["mandarin_fish"] * 2 + ["grass_carp", "crayfish"]
STORES = [
    ("泉交河镇", "泉交河冷链仓储中心1号库", "frozen", 1200),
    ("泉交河镇", "泉交河冷链仓储中心2号库", "chilled", 800),
    ("泉交河镇", "泉交河生鲜预冷库", "chilled", 300),
    ("兰溪镇", "兰溪镇农产品冷链物流园冷冻库", "frozen", 1500),
    ("兰溪镇", "兰溪镇冷链物流园保鲜库", "chilled", 600),
    ("兰溪镇", "兰溪水产速冻库", "deep", 400),
    ("沧水铺镇", "沧水铺生猪屠宰冷库", "frozen", 500),
    ("笔架山乡", "笔架山果蔬保鲜库", "chilled", 200),
]


def _rural(ctx):
    rural = {t.pk for t in ctx.townships if t.kind in (PlaceKind.TOWN, PlaceKind.TOWNSHIP)}
    return [v for v in ctx.villages if v.parent_id in rural and v.kind == PlaceKind.VILLAGE]


def _person(rng):
    return f"{rng.choice(SURNAMES)}{rng.choice(GIVEN)}"


def _producer(ctx, village, name, n):
    rng = ctx.rng
    return trace.do_create_producer(
        actor=OPERATOR,
        name=name,
        kind="family_farm",
        place=village,
        contact_name=_person(rng),
        contact_id_number=id_number(rng, datetime(1968 + n % 25, 1 + n % 12, 1 + n % 27).date()),
        contact_phone=f"138{rng.randint(0, 99999999):08d}",
        address=f"{village.parent.name}{village.name}{SYNTHETIC}",
        main_products="生猪" if "猪" in name else "水产",
    )


def _code(prefix, n):
    return f"HS-{prefix}-{n:04d}"


def _pig_farms(ctx, villages, by_township):
    """Farms of 500 to 20,000 head: barns by stage, each with a feeder (a few without)."""
    rng = ctx.rng
    quanjiaohe = next(t for t in ctx.townships if t.name == "泉交河镇")
    lanxi = next(t for t in ctx.townships if t.name == "兰溪镇")
    farms, n_pen = [], 0
    for i in range(PIG_FARMS):
        if i < 6:
            village = rng.choice(by_township[quanjiaohe.pk])
        elif i < 12:
            village = rng.choice(by_township[lanxi.pk])
        else:
            village = rng.choice(villages)
        big = i % 5 == 0
        name = f"{village.name.removesuffix('村')}{'生猪规模养殖场' if big else '养猪场'}"
        while services.Farm.objects.filter(name=name).exists():
            name = f"{village.name.removesuffix('村')}{rng.choice('东西南北上下')}{'生猪规模养殖场' if big else '养猪场'}"
        producer = _producer(ctx, village, f"赫山区{name.removesuffix('场')}家庭农场", i)
        lagoon = rng.random() < 0.85
        farm = services.do_create_farm(
            actor=OPERATOR,
            code=_code("ZC", i + 1),
            name=name,
            kind="pig",
            producer=producer,
            place=village,
            licence_no=f"(湘)动防合字第4309{i + 1:05d}号" if rng.random() < 0.92 else "",
            design_capacity=0,
            manure_type=rng.choice(["biogas", "lagoon", "compost", "bed"]) if lagoon else "none",
            manure_capacity_m3=float(rng.randint(300, 3000)) if lagoon else 0.0,
            manure_use=rng.choice(["沼液还田（水稻、蔬菜基地）", "有机肥加工", "堆肥还田"]) if lagoon else "",
            baseline_daily_deaths=round(rng.uniform(0.3, 2.0), 1),
            lagoon_code=_code("LG", i + 1) if big and lagoon else None,
            latitude=round(village.latitude + rng.uniform(-0.012, 0.012), 5),
            longitude=round(village.longitude + rng.uniform(-0.012, 0.012), 5),
        )
        stages = ["finishing"] * (8 if big else rng.randint(2, 4)) + ["nursery"] * (3 if big else 1)
        stages += ["farrowing", "gestation"] if big or rng.random() < 0.5 else []
        for j, stage in enumerate(stages):
            n_pen += 1
            feeder = _code("FD", n_pen) if rng.random() < 0.97 else None
            environment = _code("EN", n_pen) if i < 6 and j < 2 else None
            services.do_create_pen(
                farm,
                actor=OPERATOR,
                code=f"{j + 1:02d}栋",
                stage=stage,
                capacity=STAGE_SIZE[stage],
                feeder_code=feeder,
                environment_code=environment,
            )
        farm.design_capacity = sum(p.capacity for p in farm.pens.all())
        farm.save(update_fields=["design_capacity"])
        farms.append(farm)
    return farms


def _stock(ctx, farms):
    """The herd: stocked at the end of 2024 (before the plan's figures are counted), then a few weeks of
    births, moves, sales and deaths on the 泉交河镇 farms recorded on phones."""
    rng = ctx.rng
    # the township's officer keeps the herd book of its farms (a grid worker only of their own village)
    grid = ctx.users.get("quanjiaohe")
    stocked = timezone.make_aware(datetime(2024, 12, 1, 9, 0))
    for farm in farms:
        for pen in farm.pens.all():
            count = int(pen.capacity * rng.uniform(0.76, 0.98))
            services.do_record_entry(
                pen,
                actor=OPERATOR,
                kind="purchase",
                count=count,
                occurred_at=stocked,
                weight_kg=float(count * (7 if pen.stage == "nursery" else 25)),
            )
    now = timezone.now()
    for farm in farms[:6]:
        pens = {p.stage: p for p in farm.pens.all()}
        for day in range(20, 0, -4):
            at = now - timedelta(days=day, hours=rng.randint(1, 8))
            if "finishing" in pens:
                services.do_record_entry(
                    pens["finishing"],
                    actor=grid or OPERATOR,
                    kind="sale",
                    count=rng.randint(20, 60),
                    weight_kg=float(rng.randint(2400, 7000)),
                    occurred_at=at,
                )
                services.do_record_entry(
                    pens["finishing"],
                    actor=grid or OPERATOR,
                    kind="death",
                    count=rng.randint(0, 1) or 1,
                    occurred_at=at,
                )
            if "nursery" in pens and "finishing" in pens:
                services.do_record_entry(
                    pens["nursery"],
                    actor=grid or OPERATOR,
                    kind="move",
                    count=rng.randint(30, 60),
                    to_pen=pens["finishing"],
                    occurred_at=at,
                )
            if "farrowing" in pens:
                services.do_record_entry(
                    pens["farrowing"],
                    actor=grid or OPERATOR,
                    kind="birth",
                    count=rng.randint(20, 45),
                    occurred_at=at,
                )


def _feed_messages(ctx, farms, now):
    """Feeders: one report every two hours for the last eight days (one barn's intake falls by a third in
    the last day; a few feeders are silent), and the 2025 roll-out readings at each quarter's end."""
    rng = ctx.rng
    pens = list(
        Pen.objects.filter(farm__in=farms, feeder__isnull=False).select_related("feeder").order_by("pk")
    )
    messages, silent, dropping = [], set(), pens[3].pk if len(pens) > 3 else None
    for pen in pens:
        if rng.random() < 0.02 and pen.pk != dropping:
            silent.add(pen.pk)
        daily = pen.head_count * FEED_PER_HEAD[pen.stage]
        start = now - timedelta(days=8)
        t = start + timedelta(hours=4)
        last = now - timedelta(days=2) if pen.pk in silent else now
        while t <= last:
            factor = 0.66 if pen.pk == dropping and now - t < timedelta(hours=24) else rng.uniform(0.95, 1.05)
            messages.append(iot.Message(pen.feeder.code, [("FEED", t, round(daily / 6 * factor, 1))]))
            t += timedelta(hours=4)
    from shuxiang.livestock.indicators import counted_at

    for quarter, share in enumerate(FEEDERS_REPORTING_2025, start=1):
        at = counted_at(Period(2025, quarter)) - timedelta(hours=rng.randint(2, 12))
        for pen in pens[: int(len(pens) * share)]:
            messages.append(iot.Message(pen.feeder.code, [("FEED", at, round(pen.head_count * 0.1, 1))]))
    return messages


def _manure(ctx, farms, now):
    """Lagoon levels for two days (one lagoon near full), and the cleanings and transports recorded."""
    rng = ctx.rng
    messages = []
    for k, farm in enumerate(f for f in farms if f.lagoon_id):
        level = rng.uniform(35, 70) if k else 84.0
        t = now - timedelta(days=2)
        while t <= now:
            level += 0.25 if k == 0 else rng.uniform(-0.2, 0.3)
            messages.append(iot.Message(farm.lagoon.code, [("LV", t, round(min(level, 99), 1))]))
            t += timedelta(hours=1)
        for days in (12, 6, 2) if k else (12,):
            services.do_record_manure(
                farm,
                actor=OPERATOR,
                kind=rng.choice(["cleaning", "transport"]),
                volume_m3=float(rng.randint(40, 200)),
                destination=rng.choice(["周边水稻基地还田", "赫山区有机肥厂", "蔬菜基地沼液还田"]),
                occurred_at=now - timedelta(days=days, hours=rng.randint(1, 6)),
            )
    return messages


def _barn_environment(ctx, now):
    rng = ctx.rng
    messages = []
    for k, pen in enumerate(Pen.objects.filter(environment__isnull=False).select_related("environment")):
        t = now - timedelta(days=2)
        while t <= now:
            hour = timezone.localtime(t).hour
            temp = 19 + 3 * math.sin((hour - 9) / 24 * 2 * math.pi) + rng.gauss(0, 0.4)
            nh3 = 12 + rng.gauss(0, 2) + (18 if k == 0 and now - t < timedelta(hours=3) else 0)
            messages.append(
                iot.Message(
                    pen.environment.code,
                    [
                        ("T", t, round(temp, 1)),
                        ("NH3", t, round(max(nh3, 1), 1)),
                        ("H2S", t, round(abs(rng.gauss(3, 1)), 1)),
                        ("CO2", t, round(900 + rng.gauss(0, 120))),
                    ],
                )
            )
            t += timedelta(hours=1)
    return messages


def _fish(ctx, villages, now):
    rng = ctx.rng
    lanxi = next(t for t in ctx.townships if t.name == "兰溪镇")
    lx_villages = [v for v in villages if v.parent_id == lanxi.pk]
    ponds = []
    for i in range(FISH_FARMS):
        village = rng.choice(lx_villages) if i < 4 else rng.choice(villages)
        name = f"{village.name.removesuffix('村')}水产养殖场"
        while services.Farm.objects.filter(name=name).exists():
            name = f"{village.name.removesuffix('村')}{rng.choice('东西南北')}水产养殖场"
        producer = _producer(ctx, village, f"赫山区{name.removesuffix('场')}家庭农场", 100 + i)
        farm = services.do_create_farm(
            actor=OPERATOR,
            code=_code("YC", i + 1),
            name=name,
            kind="fish",
            producer=producer,
            place=village,
            latitude=round(village.latitude + rng.uniform(-0.01, 0.01), 5),
            longitude=round(village.longitude + rng.uniform(-0.01, 0.01), 5),
        )
        for j in range(rng.randint(3, 6)):
            species = POND_SPECIES[(i + j) % len(POND_SPECIES)]
            area = round(rng.uniform(6, 30), 1)
            pond = pond_services.do_create_pond(
                farm,
                actor=OPERATOR,
                code=f"HS-CT-{i + 1:02d}{j + 1:02d}",
                name=f"{name.removesuffix('水产养殖场')}{j + 1}号塘",
                species=species,
                area_mu=area,
                stocked=0,
                device_code=f"HS-DO-{i + 1:02d}{j + 1:02d}" if rng.random() < 0.8 or i < 4 else None,
            )
            spring = timezone.localdate().replace(month=3, day=rng.randint(5, 25))
            if spring > timezone.localdate():
                spring = spring.replace(year=spring.year - 1)
            count = int(area * rng.randint(1500, 3000))
            pond_services.do_record_pond(
                pond,
                actor=OPERATOR,
                kind="stocking",
                on=spring,
                count=count,
                weight_kg=round(count * 0.01, 1),
            )
            pond_services.do_record_pond(
                pond,
                actor=OPERATOR,
                kind="feeding",
                on=timezone.localdate() - timedelta(days=1),
                weight_kg=round(area * rng.uniform(8, 20), 1),
            )
            if rng.random() < 0.4:
                pond_services.do_record_pond(
                    pond,
                    actor=OPERATOR,
                    kind="harvest",
                    on=timezone.localdate() - timedelta(days=rng.randint(3, 40)),
                    count=count // 4,
                    weight_kg=round(count // 4 * rng.uniform(0.15, 0.4), 1),
                )
            ponds.append(pond)
    return ponds


def _pond_night(ctx, ponds, now):
    """Two days of water quality; last night replayed with the forecast running every 20 minutes. One
    Lanxi yellow-catfish pond's oxygen falls steeply after dusk: its dawn forecast warns."""
    rng = ctx.rng
    watched = [p for p in ponds if p.device_id]
    target = next((p for p in watched if p.species == "yellow_catfish"), watched[0])
    local = timezone.localtime(now)
    dusk = timezone.make_aware(datetime.combine(local.date(), time(18)))
    if local < dusk:
        dusk -= timedelta(days=1)
    day_messages = []
    for p in watched:
        t = now - timedelta(days=2)
        while t <= (dusk if p.pk == target.pk else now):
            hour = timezone.localtime(t).hour + timezone.localtime(t).minute / 60
            do = 6.5 + 2.2 * math.sin((hour - 10) / 24 * 2 * math.pi) + rng.gauss(0, 0.2)
            day_messages.append(
                iot.Message(
                    p.device.code,
                    [
                        ("DO", t, round(max(do, 0.5), 2)),
                        ("WT", t, round(26 + 2 * math.sin((hour - 14) / 24 * 2 * math.pi), 1)),
                        ("PH", t, round(7.6 + rng.gauss(0, 0.1), 2)),
                        ("AER", t, 1 if hour < 6 or hour > 22 else 0),
                    ],
                )
            )
            t += timedelta(hours=1)
    for chunk in range(0, len(day_messages), 2000):
        iot.do_ingest(day_messages[chunk : chunk + 2000], actor=OPERATOR, now=now + timedelta(minutes=1))
    # the steep night: the most recent dusk (18:00) to now or dawn, replayed with the forecast
    t = dusk
    while t <= min(now, dusk + timedelta(hours=12)):
        h = (t - dusk).total_seconds() / 3600
        iot.do_ingest_one(
            target.device.code,
            [("DO", t, round(max(8.2 - 0.5 * h + rng.gauss(0, 0.1), 0.8), 2))],
            actor=OPERATOR,
            now=t,
        )
        telemetry.do_forecast_oxygen(target, actor=Actor.system("livestock"), now=t)
        t += timedelta(minutes=20)
    # the aerators went on at dawn: oxygen recovers through the morning
    recovery = []
    while t <= now:
        h = (t - dusk).total_seconds() / 3600 - 12
        recovery.append(
            iot.Message(target.device.code, [("DO", t, round(min(2.5 + 0.8 * h, 8.5), 2)), ("AER", t, 2)])
        )
        t += timedelta(hours=1)
    if recovery:
        iot.do_ingest(recovery, actor=OPERATOR, now=now + timedelta(minutes=1))
    return target


def _cold_chain(ctx, now):
    from shuxiang.trace.models import Lot

    rng = ctx.rng
    stores, messages = [], []
    towns = {t.name: t for t in ctx.townships}
    for n, (town, name, temp_class, capacity) in enumerate(STORES):
        township = towns.get(town) or ctx.townships[n % len(ctx.townships)]
        village = rng.choice([v for v in ctx.villages if v.parent_id == township.pk])
        producer = _producer(ctx, village, f"赫山区{name[:6]}冷链家庭农场", 200 + n)
        store = coldchain.do_create_cold_store(
            actor=OPERATOR,
            code=_code("LK", n + 1),
            name=name,
            producer=producer,
            place=village,
            temp_class=temp_class,
            capacity_t=float(capacity),
            occupied_t=round(capacity * rng.uniform(0.3, 0.8), 1),
            device_code=_code("TL", n + 1),
        )
        stores.append(store)
    aquatic = Lot.objects.filter(product__category="aquatic").order_by("pk").first()
    excursion_store = stores[0]
    if aquatic is not None:
        coldchain.do_store_lot(
            excursion_store,
            actor=OPERATOR,
            lot=aquatic,
            quantity_t=float(min(aquatic.quantity, 5000)) / 1000,
            stored_at=now - timedelta(days=3),
        )
    base = {"chilled": 2.0, "frozen": -19.0, "deep": -27.0}
    for k, store in enumerate(stores):
        t = now - timedelta(days=3)
        while t <= now:
            value = base[store.temp_class] + rng.gauss(0, 0.5)
            hours_ago = (now - t).total_seconds() / 3600
            if k == 0 and 26 <= hours_ago <= 26.9:  # a door left open: 50 minutes above −15 ℃
                value = -11.5 + rng.gauss(0, 0.6)
            messages.append(iot.Message(store.device.code, [("T", t, round(value, 1))]))
            t += timedelta(minutes=10 if 24 <= (now - t).total_seconds() / 3600 <= 28 else 30)
    return stores, messages


VEHICLES = [
    ("泉交河镇", "湘H6C521", "泉交河冷链配送车", "frozen", 8.0),
    ("泉交河镇", "湘H7D308", "泉交河生鲜配送车", "chilled", 4.5),
    ("兰溪镇", "湘H5L912", "兰溪水产冷藏车", "frozen", 10.0),
]


def _vehicles(ctx, now):
    """Refrigerated vehicles of the pilot townships with JT/T 808 terminals (2013 headers): a day of
    positions along the road from the store to 益阳 and back every 10 minutes, with the cargo
    temperature (vendor item 0xE3); the first one's cooling failed for 40 minutes on the way with a
    lot of fish on board (an excursion on the lot's trace timeline)."""
    from shuxiang.trace.models import Lot

    rng = ctx.rng
    towns = {t.name: t for t in ctx.townships}
    vehicles, messages = [], []
    for n, (town, plate, name, temp_class, capacity) in enumerate(VEHICLES):
        township = towns.get(town) or ctx.townships[n % len(ctx.townships)]
        village = rng.choice([v for v in ctx.villages if v.parent_id == township.pk])
        producer = _producer(ctx, village, f"赫山区{name[:5]}冷链物流家庭农场", 300 + n)
        vehicle = coldchain.do_register_vehicle(
            actor=OPERATOR,
            plate=plate,
            name=name,
            producer=producer,
            place=village,
            temp_class=temp_class,
            capacity_t=capacity,
            terminal=f"0139{n + 1:08d}",
        )
        vehicles.append((vehicle, village))
    lots = list(Lot.objects.filter(product__category="aquatic").order_by("pk")[1:3]) or list(
        Lot.objects.order_by("pk")[:2]
    )
    first = vehicles[0][0]
    for k, lot in enumerate(lots):
        coldchain.do_load_lot(
            first,
            actor=OPERATOR,
            lot=lot,
            quantity_t=min(float(lot.quantity) / 1000, 3.0) or 1.0,
            destination="益阳市生鲜配送中心" if k == 0 else "长沙马王堆农产品批发市场",
            loaded_at=now - timedelta(hours=8),
        )
    base = {"chilled": 2.5, "frozen": -18.5, "deep": -26.0}
    target = (28.554, 112.355)  # 益阳城区
    for k, (vehicle, village) in enumerate(vehicles):
        start = now - timedelta(hours=8)
        t = start
        while t <= now:
            f = (t - start).total_seconds() / (8 * 3600)
            leg = 1 - abs(1 - 2 * f)  # out and back
            lat = village.latitude + (target[0] - village.latitude) * leg + rng.gauss(0, 0.0004)
            lon = village.longitude + (target[1] - village.longitude) * leg + rng.gauss(0, 0.0004)
            temp = base[vehicle.temp_class] + rng.gauss(0, 0.4)
            hours_ago = (now - t).total_seconds() / 3600
            if k == 0 and 5.0 <= hours_ago <= 5.7:  # the refrigeration unit stopped on the road
                temp = -12.0 + rng.gauss(0, 0.5)
            speed = 0.0 if f in (0, 1) else round(rng.uniform(35, 65), 1)
            messages.append(
                iot.Message(
                    vehicle.device.code,
                    [
                        ("lat", t, round(lat, 6)),
                        ("lon", t, round(lon, 6)),
                        ("speed", t, speed),
                        ("acc", t, 1),
                        ("positioned", t, 1),
                        ("cargo_temp", t, round(temp, 1)),
                    ],
                )
            )
            t += timedelta(minutes=10)
    return [v for v, _ in vehicles], messages


def _herd_book_account(ctx, farms):
    """The own staff of one 泉交河镇 pig farm keep its herd book on their phone (role 经营主体填报员):
    they see that farm only."""
    from shuxiang.core import services as core_services
    from shuxiang.core.choices import Role
    from shuxiang.demo.builder import DEMO_PASSWORD

    farm = farms[0]
    account = core_services.do_create_user(
        actor=OPERATOR,
        username="farmer",
        role=Role.PRODUCER,
        place=farm.place,
        password=DEMO_PASSWORD,
        display_name=f"{farm.name} 台账员",
    )
    trace.do_add_operator(farm.producer, account, actor=OPERATOR)
    ctx.users["farmer"] = account
    ctx.credentials.append(("farmer", DEMO_PASSWORD, f"养殖场台账员 · {farm.name}（只看本场）"))


def _stage_standard_edit(ctx):
    """The animal-husbandry office tightened the sows' ammonia ceiling to the farrowing figure (one
    audited edit, so the standards page shows its history)."""
    from shuxiang.livestock import stage_standards

    who = ctx.users.get("district") or OPERATOR
    band = standards.barn_stage("gestation")
    stage_standards.do_update_stage_standard(
        "gestation", actor=who, **{**{k: band[k] for k in standards.STAGE_FIELDS}, "nh3": 20}
    )


def _reports(ctx, farms):
    rng = ctx.rng
    # township officers pass on what farmers tell them; the grid worker reports from their own village
    agri, grid = ctx.users.get("agri"), ctx.users.get("grid")
    reporter, officer = ctx.users.get("lanxi") or OPERATOR, ctx.users.get("quanjiaohe") or OPERATOR
    lanxi_farms = [f for f in farms if f.place.parent.name == "兰溪镇"]
    qjh_farms = [f for f in farms if f.place.parent.name == "泉交河镇"]
    office = agri or OPERATOR
    outbreak = disease.do_report_suspicion(
        actor=reporter,
        farm=lanxi_farms[0],
        species="pig",
        disease="非洲猪瘟",
        symptoms="高热40.5℃以上，皮肤发绀、出血点，采食废绝，5天内死亡11头",
        sick=26,
        deaths=11,
    )
    disease.do_advance_report(outbreak, actor=office, to="suspected")
    disease.do_advance_report(outbreak, actor=office, to="confirmed")
    suspected = disease.do_report_suspicion(
        actor=officer,
        farm=qjh_farms[1],
        species="pig",
        disease="猪繁殖与呼吸综合征",
        symptoms="保育猪咳嗽、呼吸困难，母猪流产2头",
        sick=18,
        deaths=3,
    )
    disease.do_advance_report(suspected, actor=office, to="suspected")
    disease.do_report_suspicion(
        actor=officer,
        farm=qjh_farms[2],
        species="pig",
        disease="猪流行性腹泻",
        symptoms="哺乳仔猪水样腹泻、呕吐",
        sick=35,
        deaths=4,
    )
    village = (
        grid.place
        if grid is not None
        else rng.choice([v for v in ctx.villages if v.parent.name == "泉交河镇"])
    )
    disease.do_report_suspicion(
        actor=grid or OPERATOR,
        place=village,
        species="poultry",
        disease="禽流感",
        symptoms="散养户土鸡精神沉郁、冠髯发紫，2天死亡9只",
        sick=15,
        deaths=9,
    )
    ruled_out = disease.do_report_suspicion(
        actor=officer,
        farm=qjh_farms[3],
        species="pig",
        disease="非洲猪瘟",
        symptoms="育肥猪突然死亡2头",
        sick=2,
        deaths=2,
    )
    disease.do_advance_report(ruled_out, actor=office, to="ruled_out")
    return outbreak


def build(ctx):
    now = timezone.now().replace(second=0, microsecond=0)
    villages = _rural(ctx)
    by_township = {}
    for v in villages:
        by_township.setdefault(v.parent_id, []).append(v)
    iot.caches.clear()
    farms = _pig_farms(ctx, villages, by_township)
    _stock(ctx, farms)
    ponds = _fish(ctx, villages, now)
    stores, cold = _cold_chain(ctx, now)
    _vehicles_made, trips = _vehicles(ctx, now)
    _herd_book_account(ctx, farms)
    _stage_standard_edit(ctx)
    iot.caches.clear()
    messages = _feed_messages(ctx, farms, now) + _barn_environment(ctx, now) + _manure(ctx, farms, now) + cold
    messages += trips
    for chunk in range(0, len(messages), 2000):
        iot.do_ingest(messages[chunk : chunk + 2000], actor=OPERATOR, now=now + timedelta(minutes=1))
    _pond_night(ctx, ponds, now)
    telemetry.check_all_intakes(now=now)
    _reports(ctx, farms)
    # hourly rollups for the charts of ponds, barns and stores (their 30-day view reads them)
    from shuxiang.iot.models import Sensor

    charted = Sensor.objects.filter(
        device__kind__in=("pond", "cold_logger", "barn_env", "cold_vehicle")
    ).values_list("pk", flat=True)
    rollups.rollup_range(now - timedelta(days=3), now + timedelta(hours=1), sensor_ids=list(charted))
    # the plan's figure, counted for 2025 and the quarter we are in
    indicator = Indicator.objects.filter(computed_by="livestock.pigs_on_digital_feeding").first()
    if indicator is not None:
        periods = [Period(2025, q) for q in range(1, 5)]
        current = quarter_of(timezone.localdate())
        if current.code not in {p.code for p in periods}:
            periods.append(current)
        for period in periods:
            do_refresh_computed(indicator, period.code, actor=OPERATOR)
