"""Demo (synthetic, marked so in every name's source): Heshan's water monitoring points — drinking-water
sources with protection zones, irrigation intakes, township sewage outlets, livestock-farm outfalls,
river sections on 资江/志溪河/兰溪河/撇洪新河 — four months of monthly samples judged against the standards
(a few exceed: their 超标告警 and cases show on first login), two HJ 212 online stations with a day of
hourly data (a few values flagged M/D, kept aside), the pollution-source survey, and garbage collection
points with two weeks of emptying records (a few overdue, with their cases), and a forest layer of a few
dozen stands (小班) in the hilly southern townships, imported as the forestry bureau's file would be.
"""

import math
from datetime import timedelta

from django.utils import timezone

from shuxiang.core.actors import OPERATOR, Actor
from shuxiang.core.choices import PlaceKind, UnitKind
from shuxiang.core.models import Person, Unit
from shuxiang.ecology import services
from shuxiang.ecology.models import CollectionPoint, CollectionRecord, Standard

RIVERS = ["资江", "志溪河", "兰溪河", "撇洪新河", "沾溪河"]
# The demo's river network (水系表): which river flows into which, at which kilometre of it, and each
# river's length — synthetic figures of the right order, to be replaced by the county's own file.
NETWORK = [
    ("资江", "", None, 653.0),
    ("志溪河", "资江", 612.0, 70.0),
    ("沾溪河", "资江", 598.0, 45.0),
    ("撇洪新河", "", None, 69.0),
    ("兰溪河", "撇洪新河", 40.0, 28.0),
]
TRANSFER = [
    "泉交河镇垃圾中转站",
    "兰溪镇垃圾中转站",
    "笔架山乡垃圾中转站",
    "欧江岔镇垃圾中转站",
    "区生活垃圾焚烧发电厂",
]


def _rural_villages(ctx):
    rural = {t.pk for t in ctx.townships if t.kind in (PlaceKind.TOWN, PlaceKind.TOWNSHIP)}
    return [v for v in ctx.villages if v.parent_id in rural and v.kind == PlaceKind.VILLAGE]


def _circle(lat, lng, metres, n=24):
    dlat = metres / 111_000
    dlng = metres / (111_000 * math.cos(math.radians(lat)))
    ring = [
        [
            round(lng + dlng * math.cos(2 * math.pi * i / n), 6),
            round(lat + dlat * math.sin(2 * math.pi * i / n), 6),
        ]
        for i in range(n)
    ]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def _zones(lat, lng):
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"zone": "一级保护区", "synthetic": True},
                "geometry": _circle(lat, lng, 300),
            },
            {
                "type": "Feature",
                "properties": {"zone": "二级保护区", "synthetic": True},
                "geometry": _circle(lat, lng, 1200),
            },
        ],
    }


def _near(rng, place, spread=0.012):
    return round(place.latitude + rng.uniform(-spread, spread), 5), round(
        place.longitude + rng.uniform(-spread, spread), 5
    )


# typical values per kind of point, and how far they wander (factor: (centre, spread))
PROFILES = {
    "surface": {
        "w01009": (6.8, 1.2),
        "w01019": (3.6, 1.2),
        "w01018": (16, 4),
        "w01017": (3.0, 0.8),
        "w21003": (0.55, 0.3),
        "w21011": (0.12, 0.05),
        "w01001": (7.3, 0.3),
    },
    "source": {
        "w01009": (7.6, 0.6),
        "w01019": (2.4, 0.6),
        "w01018": (12, 2),
        "w01017": (2.0, 0.5),
        "w21003": (0.2, 0.1),
        "w21011": (0.02, 0.01),
        "w21001": (0.6, 0.2),
        "w01001": (7.2, 0.2),
    },
    "irrigation": {
        "w01017": (25, 10),
        "w01018": (60, 20),
        "w01012": (35, 12),
        "w01001": (7.1, 0.4),
        "w20115": (0.003, 0.002),
        "w20119": (0.01, 0.005),
    },
    "sewage": {
        "w01018": (38, 8),
        "w01017": (8, 2),
        "w01012": (8, 2),
        "w21001": (11, 3),
        "w21003": (3.5, 1.5),
        "w21011": (0.4, 0.12),
        "w01001": (7.2, 0.3),
    },
    "livestock": {
        "w01018": (260, 80),
        "w01017": (90, 30),
        "w01012": (120, 40),
        "w21003": (45, 18),
        "w21011": (4.5, 1.5),
    },
    "drinking": {
        "w02006": (0, 0),
        "w01003": (0.4, 0.15),
        "w01001": (7.3, 0.2),
        "w01019": (1.5, 0.4),
        "w21007": (3.0, 1.0),
    },
}


def _values(rng, profile, bad=False):
    out = []
    for code, (centre, spread) in PROFILES[profile].items():
        value = max(0.0, rng.gauss(centre, spread / 2))
        if bad and code in ("w21003", "w01018", "w01003"):
            value = centre + spread * rng.uniform(2.5, 4)
        if code == "w01001":
            value = round(value, 2)
        elif code == "w02006":
            value = 0.0
        else:
            value = round(value, 3 if value < 1 else 1)
        out.append({"factor": code, "value": value})
    return out


def _bureau(ctx):
    unit = Unit.objects.filter(short_name="赫山生态环境分局").first()
    if unit is None:
        unit = Unit.objects.create(
            name="益阳市生态环境局赫山分局",
            short_name="赫山生态环境分局",
            kind=UnitKind.BUREAU,
            place=ctx.district,
            domains=["ecology", "cases"],
        )
    return unit


def build(ctx):
    rng = ctx.rng
    now = timezone.now()
    bureau = _bureau(ctx)
    water_company = ctx.units.get("赫山区自来水公司") or bureau
    agri = ctx.units.get("区农业农村局") or bureau
    livestock = ctx.units.get("区畜牧水产事务中心") or bureau
    villages = _rural_villages(ctx)
    quanjiaohe = next((t for t in ctx.townships if t.name == "泉交河镇"), ctx.townships[0])
    home = [v for v in villages if v.parent_id == quanjiaohe.pk] or villages
    standards = {(s.code, s.edition): s for s in Standard.objects.all()}
    people = list(Person.objects.filter(place__path__startswith=ctx.district.path).only("pk")[:400])

    points = []

    def point(code, name, kind, village, standard, grade="", profile="surface", **extra):
        lat, lng = _near(rng, village)
        p = services.do_create_point(
            actor=OPERATOR,
            code=code,
            name=name,
            kind=kind,
            place=village,
            standard=standards[standard],
            grade=grade,
            latitude=lat,
            longitude=lng,
            **extra,
        )
        points.append((p, profile))
        return p

    # drinking-water sources: reservoirs judged as GB 3838 class II (lake limits), and the treated water
    # of two village water works judged by GB 5749
    for i in range(6):
        v = home[i % len(home)] if i < 2 else rng.choice(villages)
        lat, lng = _near(rng, v)
        p = services.do_create_point(
            actor=OPERATOR,
            code=f"HS-SY-{i + 1:02d}",
            name=f"{v.name.removesuffix('村')}水库集中式饮用水水源地",
            kind="drinking_source",
            place=v,
            standard=standards[("GB 3838", "2002")],
            grade="II",
            lake=True,
            river=f"{v.name.removesuffix('村')}水库",
            responsible_unit=water_company,
            latitude=lat,
            longitude=lng,
            protection_zones=_zones(lat, lng),
        )
        points.append((p, "source"))
    for i in range(2):
        v = rng.choice(villages)
        point(
            f"HS-GS-{i + 1:02d}",
            f"{v.name}集中供水站出厂水",
            "drinking_source",
            v,
            ("GB 5749", "2022"),
            profile="drinking",
            responsible_unit=water_company,
        )
    for i in range(8):
        v = home[(i + 2) % len(home)] if i < 2 else rng.choice(villages)
        crop = rng.choice(["paddy", "paddy", "vegetable", "dryland"])
        point(
            f"HS-GG-{i + 1:02d}",
            f"{v.name.removesuffix('村')}灌溉取水口",
            "irrigation_intake",
            v,
            ("GB 5084", "2021"),
            crop,
            "irrigation",
            responsible_unit=agri,
        )
    for i, township in enumerate(
        [t for t in ctx.townships if t.kind in (PlaceKind.TOWN, PlaceKind.TOWNSHIP)][:10]
    ):
        v = next((x for x in villages if x.parent_id == township.pk), None)
        if v is not None:
            point(
                f"HS-WS-{i + 1:02d}",
                f"{township.name}污水处理厂出水口",
                "sewage_outlet",
                v,
                ("GB 18918", "2002"),
                "1B" if i % 3 else "1A",
                "sewage",
                responsible_unit=bureau,
            )
    farms = []
    for i in range(8):
        v = home[(i + 4) % len(home)] if i < 2 else rng.choice(villages)
        p = point(
            f"HS-YZ-{i + 1:02d}",
            f"{v.name.removesuffix('村')}生猪养殖场排污口",
            "livestock_outfall",
            v,
            ("GB 18596", "2001"),
            profile="livestock",
            responsible_unit=livestock,
            owner=rng.choice(people) if people else None,
        )
        farms.append(p)
    from shuxiang.ecology import importers

    importers.import_rivers(
        [
            (n, {"河流": name, "汇入": into, "汇入处里程": "" if at is None else at, "河长": length})
            for n, (name, into, at, length) in enumerate(NETWORK, start=2)
        ],
        actor=OPERATOR,
        source="演示水系表（合成数据）",
    )
    lengths = {name: length for name, _, _, length in NETWORK}
    for i, river in enumerate(RIVERS * 2):
        v = home[(i + 6) % len(home)] if i < 2 else rng.choice(villages)
        point(
            f"HS-DM-{i + 1:02d}",
            f"{river}{v.name}断面",
            "surface_section",
            v,
            ("GB 3838", "2002"),
            "III",
            "surface",
            river=river,
            river_km=round(rng.uniform(5, lengths[river] - 5), 1),
            responsible_unit=bureau,
        )

    # the pollution survey: every outfall's farm, more farms, sewage stations, fertiliser-heavy areas
    survey = []
    for outfall in farms:
        survey.append(
            (
                "livestock_farm",
                f"{outfall.name.removesuffix('排污口')}",
                outfall.place,
                outfall,
                f"生猪存栏 {rng.randint(5, 60) * 100} 头",
                rng.uniform(3, 8),
            )
        )
    for _ in range(18):
        v = rng.choice(villages)
        survey.append(
            (
                "livestock_farm",
                f"{v.name.removesuffix('村')}{rng.choice(['生猪', '肉牛', '蛋鸡'])}养殖场",
                v,
                None,
                f"存栏 {rng.randint(3, 30) * 100}",
                rng.uniform(1, 5),
            )
        )
    for _ in range(12):
        v = rng.choice(villages)
        survey.append(
            (
                "sewage_facility",
                f"{v.name}生活污水处理站",
                v,
                None,
                f"处理能力 {rng.choice([20, 30, 50, 80])} t/d",
                rng.uniform(0.3, 1.2),
            )
        )
    for _ in range(8):
        v = rng.choice(villages)
        survey.append(
            (
                "fertiliser_area",
                f"{v.name.removesuffix('村')}{rng.choice(['双季稻', '蔬菜', '油菜'])}种植集中区",
                v,
                None,
                f"{rng.randint(5, 30) * 100} 亩",
                rng.uniform(0.5, 2),
            )
        )
    for _ in range(4):
        v = rng.choice(villages)
        survey.append(
            (
                "aquaculture",
                f"{v.name.removesuffix('村')}精养鱼塘",
                v,
                None,
                f"{rng.randint(2, 12) * 100} 亩",
                rng.uniform(0.5, 1.5),
            )
        )
    sections = [p for p, _ in points if p.kind == "surface_section"]
    for i, (kind, name, v, outfall, scale, load) in enumerate(survey):
        lat, lng = (outfall.latitude + 0.002, outfall.longitude + 0.002) if outfall else _near(rng, v, 0.02)
        # the survey's receiving water: the river of the nearest section within 8 km, a few km above or
        # below it; a farm's own outfall and sources far from any section stay unmarked
        river, river_km = "", None
        if outfall is None and sections:
            d, near = min(
                ((services.distance_km(lat, lng, p.latitude, p.longitude), p) for p in sections),
                key=lambda pair: pair[0],
            )
            if d <= 8:
                river = near.river
                river_km = round(min(max(near.river_km + rng.uniform(-6, 6), 0.5), lengths[river]), 1)
        services.do_create_source(
            actor=OPERATOR,
            code=f"HS-WR-{i + 1:03d}",
            name=name,
            kind=kind,
            place=v,
            latitude=lat,
            longitude=lng,
            scale=scale,
            load_index=round(load, 2),
            outfall=outfall,
            survey_year=2024,
            note="演示用合成数据（第二次全国污染源普查口径）",
            river=river,
            river_km=river_km,
        )

    # four monthly samples per point; a few exceed in the latest round (cases open), one recovered
    samplers = ["李明", "王芳", "刘洋", "陈静", "周强"]
    labs = ["益阳市生态环境监测中心", "赫山区环境监测站", "湖南省环境监测中心站（委托）"]
    exceed_now = {
        points[0][0].code,
        farms[0].code,
        farms[1].code,
        next(p.code for p, k in points if k == "surface"),
    }
    for p, profile in points:
        for month in range(4, 0, -1):
            taken = now - timedelta(days=30 * month - rng.randint(0, 5), hours=rng.randint(1, 8))
            bad = (month == 1 and p.code in exceed_now) or (month == 3 and rng.random() < 0.08)
            services.do_record_sample(
                p,
                actor=OPERATOR,
                taken_at=taken,
                sampler=rng.choice(samplers),
                lab=rng.choice(labs),
                report_number=f"HSJC-{taken:%Y%m}-{rng.randint(100, 999)}",
                values=_values(rng, profile, bad),
                now=now,
            )

    _online_stations(ctx, rng, points, now)
    _garbage(ctx, rng, villages, home, now)
    _forests(ctx)
    from django.apps import apps

    if apps.is_installed("shuxiang.indicators"):
        refresh_indicators()


def refresh_indicators():
    """Count this app's plan figures (tasks 26 and 27) for 2025 and this quarter."""
    from shuxiang.indicators.models import Indicator
    from shuxiang.indicators.periods import Period, quarter_of
    from shuxiang.indicators.services import do_refresh_computed

    mine = Indicator.objects.filter(source="computed", computed_by__startswith="ecology.")
    periods = [Period(2025, q).code for q in (1, 2, 3, 4)] + [quarter_of(timezone.localdate()).code]
    for indicator in mine:
        for period in dict.fromkeys(periods):
            do_refresh_computed(indicator, period, actor=OPERATOR)


def _online_stations(ctx, rng, points, now):
    """Two HJ 212 stations (a river section and a farm outfall) with 24 hourly uploads through iot."""
    from shuxiang.iot import hj212
    from shuxiang.iot import services as iot
    from shuxiang.iot.hj212_server import LISTENER, do_store_flagged

    section = next(p for p, k in points if k == "surface")
    farm = next(p for p, k in points if k == "livestock")
    for mn, p, values in (
        (
            "43090300HS0000000000DM01",
            section,
            {"w01018": (16, 3), "w21003": (0.6, 0.2), "w21011": (0.12, 0.03), "w01001": (7.3, 0.2)},
        ),
        (
            "43090300HS0000000000YZ01",
            farm,
            {"w01018": (240, 50), "w21003": (40, 10), "w21011": (4, 1), "w00000": (1.2, 0.4)},
        ),
    ):
        device, creds = iot.do_register_device(
            actor=OPERATOR, code=mn, protocol="hj212", place=p.place, name=f"{p.name}在线监测站", kind="hj212_station",
            hj212_password="123456",
        )  # fmt: skip
        services.do_link_station(p, actor=OPERATOR, device=device)
        ctx.credentials.append((f"HJ 212 {p.name}", mn, "123456"))
        iot.caches.clear()
        messages, flagged = [], []
        for h in range(24, 0, -1):
            at = (now - timedelta(hours=h)).replace(minute=0, second=0, microsecond=0)
            flag = "M" if h == 10 else ("D" if h == 4 and p is farm else "N")
            packet = hj212.parse(
                hj212.read_packet(
                    hj212.build_upload(
                        mn=mn,
                        pw="123456",
                        cn=hj212.HOURLY,
                        at=at,
                        values={k: (max(0.0, rng.gauss(c, s)), flag) for k, (c, s) in values.items()},
                    )
                )[0]
            )
            read = hj212.upload_values(packet)
            counted = [(v.key, v.ts, v.value) for v in read if v.counted]
            if counted:
                messages.append(iot.Message(mn, counted))
            flagged += [
                (device.pk, v.key, v.ts, v.value, v.flag, hj212.HOURLY) for v in read if not v.counted
            ]
        iot.do_ingest(messages, actor=Actor.system("listener"), now=now)
        do_store_flagged(flagged, actor=LISTENER, now=now)
        _commands(ctx, p, mn, now)


def _commands(ctx, point, mn, now):
    """A short history of commands to the station, moved on by the same code `hj212 serve` runs: the
    clock read and set (done), real-time data started, an interval the station refused, one pending."""
    from shuxiang.ecology import hj212_commands as hc
    from shuxiang.iot import hj212

    actor = ctx.users.get("district") or OPERATOR

    def station_says(command, cn, cp, at):
        packet = hj212.parse(
            hj212.read_packet(hj212.build(qn=command.qn, st="91", cn=cn, pw="123456", mn=mn, flag=4, cp=cp))[
                0
            ]
        )
        hc.record_reply(packet, at)

    local = now.astimezone(hj212.BEIJING)
    script = [
        (
            "1011",
            None,
            [("9011", "QnRtn=1"), ("1011", f"SystemTime={local:%Y%m%d%H%M%S}"), ("9012", "ExeRtn=1")],
        ),
        ("1012", None, [("9011", "QnRtn=1"), ("9012", "ExeRtn=1")]),
        ("1062", "60", [("9011", "QnRtn=2")]),
        ("2011", None, [("9011", "QnRtn=1")]),
        ("1061", None, None),  # still waiting for the station to connect
    ]
    for cn, value, replies in script:
        command = hc.do_request_hj212_command(point, actor=actor, cn=cn, value=value)
        if replies is None:
            continue
        (command,) = hc.claim_commands([mn])
        for reply_cn, cp in replies:
            station_says(command, reply_cn, cp, timezone.now())


def _garbage(ctx, rng, villages, home, now):
    """1–3 collection points per village, two weeks of emptying; a few points overdue (cases)."""
    made = []
    n = 0
    chosen = sorted({*home, *rng.sample(villages, min(len(villages), 60))}, key=lambda v: v.code)
    for v in chosen:
        for k in range(rng.randint(1, 3)):
            n += 1
            lat, lng = _near(rng, v, 0.006)
            made.append(
                services.do_create_collection_point(
                    actor=OPERATOR,
                    code=f"HS-LJ-{n:04d}",
                    name=f"{v.name}{['村部', '主干道', '屋场'][k]}垃圾收集点",
                    place=v,
                    bins=rng.randint(2, 8),
                    interval_days=rng.choice([1, 2, 2, 3]),
                    latitude=lat,
                    longitude=lng,
                )
            )
    # history in one batch (demo only: the record service writes one audited row per emptying)
    records, last = [], {}
    overdue = set(rng.sample([p.pk for p in made], max(3, len(made) // 25)))
    for p in made:
        t = now - timedelta(days=14)
        stop = now - timedelta(days=p.interval_days + 2) if p.pk in overdue else now - timedelta(hours=2)
        while t < stop:
            records.append(
                CollectionRecord(
                    point=p,
                    collected_at=t,
                    weight_kg=round(p.bins * rng.uniform(40, 110), 1),
                    truck=f"湘H·{rng.randint(10000, 99999)}",
                    transfer_station=TRANSFER[p.place.parent_id % len(TRANSFER)],
                )
            )
            last[p.pk] = t
            t += timedelta(days=p.interval_days, hours=rng.uniform(-3, 3))
    CollectionRecord.objects.bulk_create(records, batch_size=2000)
    for pk, at in last.items():
        CollectionPoint.objects.filter(pk=pk).update(last_collected_at=at)
    services.do_check_overdue_collections(actor=services.ECOLOGY, now=now)
    _beauty(rng, chosen, now)
    _trucks(ctx, [p for p in made if p.place in home], now)


def _trucks(ctx, points, now):
    """Three garbage trucks (synthetic plates, 演示): 泉交河镇's with a JT/T 808 terminal and a track
    this morning that stops at four collection points and drives past a fifth, a second of the township
    without a terminal, the district contractor's. Its records: four the track confirms (符合), one at
    the point it only drove past (未到达). The track goes in through the iot engine's ingest as the
    JT/T 808 front end stores positions (as machinery's demo does)."""
    from shuxiang.ecology import trucks
    from shuxiang.iot import services as iot

    township = points[0].place.parent if points else ctx.townships[0]
    device, _ = iot.do_register_device(
        actor=OPERATOR,
        code="013800008081",
        protocol="jt808",
        place=township,
        name="湘H·D1234 清运车北斗终端（演示）",
        kind="jt808_truck",
    )
    tracked = trucks.do_register_truck(
        actor=OPERATOR, plate="湘H·D1234", unit=f"{township.name}环卫站（演示）", place=township,
        capacity_t=5, terminal_code=device.code, synthetic=True,
    )  # fmt: skip
    trucks.do_register_truck(
        actor=OPERATOR, plate="湘H·D2345", unit=f"{township.name}环卫站（演示）", place=township,
        capacity_t=3, synthetic=True,
    )  # fmt: skip
    trucks.do_register_truck(
        actor=OPERATOR, plate="湘H·D3456", unit="赫山区城乡环卫保洁公司（演示）", place=ctx.district,
        capacity_t=8, synthetic=True,
    )  # fmt: skip
    route = [p for p in points if p.latitude is not None][:5]
    if len(route) < 2:
        return
    listener = Actor.system("listener")
    messages, calls = [], []
    t = (now - timedelta(hours=3)).replace(second=0, microsecond=0)

    def fix(at, lat, lon, speed):
        messages.append(
            iot.Message(
                device.code,
                [("lat", at, lat), ("lon", at, lon), ("speed", at, speed), ("positioned", at, 1.0)],
            )
        )

    lat, lon = township.latitude, township.longitude
    for k, p in enumerate(route):
        metres = trucks.metres(lat, lon, p.latitude, p.longitude)
        steps = max(2, int(metres // 250))  # ~30 km/h, a fix every 30 s
        for j in range(1, steps + 1):
            fix(t, lat + (p.latitude - lat) * j / steps, lon + (p.longitude - lon) * j / steps, 30.0)
            t += timedelta(seconds=30)
        lat, lon = p.latitude, p.longitude
        calls.append((p, t))
        if k < len(route) - 1:  # the last point: driven past without stopping
            for _ in range(8):  # four minutes at the bins
                fix(t, lat + 0.00003, lon, 0.0)
                t += timedelta(seconds=30)
    iot.do_ingest(messages, actor=listener)
    for p, at in calls:
        services.do_record_collection(
            p, actor=OPERATOR, collected_at=at, weight_kg=round(p.bins * 60.0, 1),
            transfer_station=TRANSFER[p.place.parent_id % len(TRANSFER)], truck=tracked.plate, now=now,
        )  # fmt: skip


def _beauty(rng, villages, now):
    """美丽屋场 scores for the villages with collection points, the last two quarters."""
    from shuxiang.ecology.models import BeautyItem
    from shuxiang.indicators.periods import quarter_of

    items = list(BeautyItem.objects.filter(is_active=True))
    this = quarter_of(timezone.localdate(now))
    previous = quarter_of(this.start - timedelta(days=1))
    for v in villages:
        level = rng.uniform(0.55, 0.95)
        for period, gain in ((previous, 0.0), (this, rng.uniform(0, 0.08))):
            scores = {
                i.code: round(min(i.max_score, i.max_score * (level + gain) + rng.uniform(-2, 2)), 1)
                for i in items
            }
            services.do_assess_village(
                actor=OPERATOR, place=v, period=period.code, scores={k: max(0, x) for k, x in scores.items()}
            )


# The hilly south of the district (雪峰山余脉: 泥江口, 衡龙桥, 岳家桥, 谢林港), where the forest is.
FOREST_TOWNSHIPS = ("泥江口镇", "衡龙桥镇", "岳家桥镇", "谢林港镇")
# (地类 as the bureau writes it, dominant species, origin, 公益林 share) — Hunan hill forest of the right kind
STAND_KINDS = [
    ("乔木林地", "杉木", "人工", 0.2),
    ("乔木林地", "马尾松", "天然", 0.6),
    ("乔木林地", "湿地松", "人工", 0.3),
    ("乔木林地", "樟树", "天然", 0.7),
    ("乔木林地", "枫香", "天然", 0.8),
    ("竹林地", "毛竹", "人工", 0.2),
    ("竹林地", "毛竹", "天然", 0.3),
    ("灌木林地", "檵木", "天然", 0.9),
    ("疏林地", "马尾松", "天然", 0.5),
    ("采伐迹地", "杉木", "人工", 0.0),
    ("苗圃地", "桂花", "人工", 0.0),
]
STAND_WEIGHTS = [6, 4, 3, 2, 2, 3, 1, 2, 1, 1, 1]


def _blob(rng, lng, lat, metres):
    """An irregular stand outline: a ring of 9 points at a wandering radius around (lng, lat)."""
    import shapely

    dlat, dlng = metres / 111_000, metres / (111_000 * math.cos(math.radians(lat)))
    ring = []
    for i in range(9):
        angle = 2 * math.pi * i / 9 + rng.uniform(-0.2, 0.2)
        r = rng.uniform(0.65, 1.2)
        ring.append((lng + dlng * r * math.cos(angle), lat + dlat * r * math.sin(angle)))
    return shapely.Polygon(ring)


def _forests(ctx):
    """About three dozen stands in three villages of each hilly township, on the slopes away from the
    village's fields (which lie around its centre), loaded through the layer import in the forestry
    database's own columns (county, township and village codes, 林班, 小班, hectares)."""
    import random

    import shapely

    from shuxiang.core import geometry
    from shuxiang.ecology import forests

    rng = random.Random(26_0307)  # its own seed: the other apps' demo data stay as they were
    townships = [t for t in ctx.townships if t.name in FOREST_TOWNSHIPS]
    features, placed = [], []
    for township in townships:
        villages = [v for v in ctx.villages if v.parent_id == township.pk and v.geometry]
        for village in sorted(villages, key=lambda v: v.code)[:3]:
            outline = geometry.from_geojson(village.geometry)
            west, south, east, north = outline.bounds
            fields = shapely.box(village.longitude - 0.005, village.latitude - 0.0032,
                                 village.longitude + 0.005, village.latitude + 0.0032)  # fmt: skip
            lin_ban, made = rng.randint(1, 40), 0
            for _ in range(60):
                if made == 4:
                    break
                lng, lat = rng.uniform(west, east), rng.uniform(south, north)
                shape = _blob(rng, lng, lat, rng.uniform(120, 260))
                if (
                    not outline.contains(shape)
                    or shape.intersects(fields)
                    or any(shape.intersects(other) for other in placed)
                ):
                    continue
                made += 1
                placed.append(shape)
                di_lei, species, origin, welfare = rng.choices(STAND_KINDS, weights=STAND_WEIGHTS)[0]
                hectares = geometry.area_m2(shape) / 10_000 * rng.uniform(0.98, 1.02)
                features.append(
                    (
                        len(features) + 1,
                        {
                            "XIAN": village.code[:6],
                            "XIANG": village.code[6:9],
                            "CUN": village.code[9:],
                            "LIN_BAN": f"{lin_ban:03d}",
                            "XIAO_BAN": f"{made:03d}",
                            "DI_LEI": di_lei,
                            "SEN_LIN_LB": "公益林" if rng.random() < welfare else "商品林",
                            "QI_YUAN": origin,
                            "YOU_SHI_SZ": species,
                            "MIAN_JI": round(hectares, 2),
                        },
                        shape,
                    )
                )
    if not features:
        return
    fields = list(features[0][1])
    forests.do_import_forest_features(
        features,
        actor=ctx.users.get("district") or OPERATOR,
        fields=fields,
        source="演示用合成小班（林业资源数据库）",
    )
