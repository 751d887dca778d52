"""Demo: Heshan's farm machines with BeiDou terminals, fields, late-rice harvest and winter tillage
measured from their tracks, and a dispatch board with jobs in every state.

All synthetic (marked `synthetic`): machine numbers, plates, owners, fields and tracks are invented.
Tracks go in through the iot engine's `do_ingest` as the JT/T 808 front end stores them, and every
operation's area is computed from them (nobody types an area).
"""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from pyproj import CRS, Transformer

from shuxiang.core.actors import OPERATOR, Actor
from shuxiang.core.choices import PlaceKind
from shuxiang.core.geometry import STORAGE_EPSG, gauss_kruger_crs
from shuxiang.core.models import Person
from shuxiang.iot import services as iot
from shuxiang.machinery import services
from shuxiang.machinery.choices import RequestStatus
from shuxiang.machinery.models import ServiceRequest
from shuxiang.machinery.work import TrackPoint

MACHINES = 60
WITH_TERMINAL = 32
FIELDS_PER_VILLAGE = 2
# kind, name, implement width (m), price (元/亩), makers/models, operation it does
KINDS = [
    ("tractor", "旋耕拖拉机", 2.5, 80, [("东方红", "LX904"), ("雷沃", "M1004-D")], "till"),
    ("transplanter", "高速插秧机", 2.4, 70, [("久保田", "2ZGQ-8D1"), ("洋马", "YR60D")], "transplant"),
    ("harvester", "全喂入联合收割机", 2.2, 90, [("沃得", "4LZ-6.0EQ"), ("久保田", "PRO888GM")], "harvest"),
    ("sprayer", "植保无人机", 6.0, 12, [("极飞", "P100"), ("大疆", "T40")], "spray"),
    ("subsoiler", "深松整地机", 2.3, 60, [("农哈哈", "1S-230"), ("东方红", "1SZL-230")], "subsoil"),
]
OWNERS = [
    ("cooperative", "{village}农机专业合作社"),
    ("centre", "{township}农机服务中心"),
    ("farmer", "{surname}{given}"),
]


class Plane:
    """Metres east/north of a point ↔ longitude/latitude, in the local Gauss-Krüger zone."""

    def __init__(self, lon, lat):
        crs = gauss_kruger_crs(lon, zone_prefix=False)
        self.to_gk = Transformer.from_crs(CRS.from_epsg(STORAGE_EPSG), crs, always_xy=True)
        self.to_ll = Transformer.from_crs(crs, CRS.from_epsg(STORAGE_EPSG), always_xy=True)
        self.x0, self.y0 = self.to_gk.transform(lon, lat)

    def lonlat(self, x, y):
        return self.to_ll.transform(self.x0 + x, self.y0 + y)

    def rectangle(self, x, y, w, h):
        corners = [self.lonlat(x, y), self.lonlat(x + w, y), self.lonlat(x + w, y + h), self.lonlat(x, y + h)]
        return {"type": "Polygon", "coordinates": [[list(c) for c in [*corners, corners[0]]]]}


def _rural_villages(ctx):
    rural = {t.pk for t in ctx.townships if t.kind in (PlaceKind.TOWN, PlaceKind.TOWNSHIP)}
    return [v for v in ctx.villages if v.parent_id in rural and v.latitude is not None]


def job_points(plane, fx, fy, fw, fh, width, start, rng, *, speed=6.0, depth=None, step=12.0):
    """A boustrophedon over the field (passes along x at ~the implement width, implement up on turns)."""
    points, t, y = [], start, fy + width / 2
    spacing = width * rng.uniform(0.9, 1.0)  # a little overlap, as real drivers leave
    forward = True
    while y < fy + fh:
        xs = [fx + k * step for k in range(int(fw / step) + 1)]
        if not forward:
            xs.reverse()
        for x in xs:
            lon, lat = plane.lonlat(x + rng.uniform(-0.3, 0.3), y + rng.uniform(-0.3, 0.3))
            d = None if depth is None else round(depth + rng.uniform(-3, 3), 1)
            points.append(TrackPoint(t, lat, lon, round(speed + rng.uniform(-0.8, 0.8), 1), True, 1.0, d))
            t += timedelta(seconds=step / (speed / 3.6))
        lon, lat = plane.lonlat(xs[-1], y + spacing / 2)
        points.append(TrackPoint(t, lat, lon, 3.5, True, 0.0, None))
        t += timedelta(seconds=8)
        y += spacing
        forward = not forward
    return points


# When each operation happened in the last year's late-rice season and this winter (days of the year).
WINDOWS = {
    "transplant": ((7, 20), 14),
    "spray": ((8, 20), 25),
    "harvest": ((10, 20), 20),
    "till": ((11, 15), 18),
    "subsoil": ((11, 15), 18),
}


def _job_day(op, now, rng):
    """A day in the operation's window of this year (or the last, if it is still ahead)."""
    from datetime import datetime

    (month, day), length = WINDOWS[op]
    local = timezone.localtime(now)
    first = timezone.make_aware(datetime(local.year, month, day))
    if first + timedelta(days=length) > now:
        first = first.replace(year=local.year - 1)
    return first + timedelta(days=rng.randint(0, length - 1))


def _values(p):
    out = [
        ("lat", p.ts, p.lat),
        ("lon", p.ts, p.lon),
        ("speed", p.ts, p.speed),
        ("positioned", p.ts, 1.0),
        ("implement", p.ts, p.implement),
    ]
    if p.depth is not None:
        out.append(("depth", p.ts, p.depth))
    return out


def build(ctx):
    rng = ctx.rng
    now = timezone.now().replace(second=0, microsecond=0)
    villages = _rural_villages(ctx)
    if not villages:
        return
    townships = {t.pk: t for t in ctx.townships}
    people = {}
    for person in (
        Person.objects.filter(place__parent__in=villages)
        .only("pk", "name", "place__parent_id")
        .select_related("place")
    ):
        people.setdefault(person.place.parent_id, []).append(person)

    # Fields: a few rectangles beside each village centre (rice, as most of Heshan's arable land).
    fields_of, planes = {}, {}
    for n, village in enumerate(villages):
        plane = planes[village.pk] = Plane(village.longitude, village.latitude)
        farmers = people.get(village.pk, [])
        for k in range(FIELDS_PER_VILLAGE):
            fx, fy = 150 + k * 140, -60 + (n % 3) * 10
            fw, fh = rng.choice([100, 120, 130]), rng.choice([50, 60, 70])
            field = services.do_create_field(
                actor=OPERATOR,
                place=village,
                name=f"{village.name}{'东南西北'[k % 4]}{k + 1}号丘",
                boundary=plane.rectangle(fx, fy, fw, fh),
                farmer=rng.choice(farmers) if farmers else None,
                crop="水稻" if k < 2 else rng.choice(["水稻", "油菜"]),
                synthetic=True,
            )
            fields_of.setdefault(village.pk, []).append((field, (fx, fy, fw, fh)))

    # Machines: owned by cooperatives, township service centres and farmers; two thirds with terminals.
    machines = []
    for i in range(MACHINES):
        village = villages[i * 7 % len(villages)]
        township = townships.get(village.parent_id)
        kind, label, width, price, makers, _op = KINDS[i % len(KINDS)]
        make, model = rng.choice(makers)
        owner_kind, owner_pattern = OWNERS[i % len(OWNERS)]
        owner = owner_pattern.format(
            village=village.name,
            township=township.name if township else "",
            surname=rng.choice("王李张刘陈杨黄赵周吴"),
            given=rng.choice(["建国", "志强", "国庆", "德胜", "春生"]),
        )
        device_code = ""
        if i < WITH_TERMINAL:
            device, _ = iot.do_register_device(
                actor=OPERATOR,
                code=f"0{13900000000 + i * 37:011d}",
                protocol="jt808",
                place=village,
                name=f"{label}北斗终端",
                kind="jt808_farm",
            )
            device_code = device.code
        operator = rng.choice(people.get(village.pk) or [None])
        machines.append(
            services.do_register_machine(
                actor=OPERATOR,
                place=village,
                device_code=device_code,
                code=f"HS-NJ-{i + 1:04d}",
                name=f"{make}{label}{i + 1}号",
                kind=kind,
                make=make,
                model=model,
                plate=f"湘H{rng.randint(10000, 99999)}" if kind in ("tractor", "harvester") else "",
                serial_number=f"{make[:1]}{rng.randint(10**9, 10**10 - 1)}",
                owner_kind=owner_kind,
                owner_name=owner,
                implement_width_m=width,
                operator=operator,
                licence_expires_on=(now + timedelta(days=rng.randint(-20, 900))).date() if operator else None,
                inspection_due_on=(now + timedelta(days=rng.randint(-15, 360))).date(),
                price_per_mu=price,
                synthetic=True,
            )
        )

    # Tracks and operations: each machine with a terminal worked its village's fields in the last weeks.
    listener = Actor.system("listener")
    jobs = []
    for m in machines[:WITH_TERMINAL]:
        plane = planes[m.place_id]
        op = KINDS[[k[0] for k in KINDS].index(m.kind)][5]
        for j, (field, (fx, fy, fw, fh)) in enumerate(fields_of.get(m.place_id, [])[:2]):
            start = _job_day(op, now, rng) + timedelta(hours=8 + j * 3 + rng.randint(0, 2))
            speed = 18.0 if (m.pk % 13 == 0 and j == 0) else (10.0 if op == "spray" else 6.0)
            depth = 27.0 if op == "subsoil" else None
            if op == "subsoil" and j == 1:
                depth = 22.0  # a shallow pass: the qualified-depth share shows it
            points = job_points(
                plane, fx, fy, fw, fh, m.implement_width_m, start, rng, speed=speed, depth=depth
            )
            iot.do_ingest([iot.Message(m.device.code, _values(p)) for p in points], actor=listener)
            jobs.append((m, op, start, points[-1].ts + timedelta(seconds=1), field, points))
    # Measured from the same points just stored (reading them back costs the demo seconds, not truth).
    operations = [
        services.do_record_operation(m, actor=OPERATOR, kind=op, start=s, end=e, points=pts)
        for m, op, s, e, _f, pts in jobs
    ]
    # Where the machines with terminals are now: one position each in the last hour, by the village.
    latest = []
    for m in machines[:WITH_TERMINAL]:
        lon, lat = planes[m.place_id].lonlat(rng.uniform(-300, 300), rng.uniform(-300, 300))
        at = now - timedelta(minutes=rng.randint(1, 50))
        latest.append(
            iot.Message(
                m.device.code,
                [("lat", at, lat), ("lon", at, lon), ("speed", at, 0.0), ("positioned", at, 1.0)],
            )
        )
    iot.do_ingest(latest, actor=listener)

    # Dispatch: requests from villages in every state; done ones settled by their operations.
    today = timezone.localdate()
    for k, (m, op, s, e, field, _pts) in enumerate(jobs[:10]):
        req = services.do_create_request(
            actor=OPERATOR,
            place=field.place,
            field=field,
            kind=op,
            requester_name=f"{rng.choice('王李张刘陈')}{rng.choice(['秋生', '满仓', '桂花', '金凤'])}",
            area_mu=round(field.area_mu, 1),
            window_start=timezone.localtime(s).date(),
            window_end=timezone.localtime(s).date() + timedelta(days=2),
        )
        services.do_assign_request(req, actor=OPERATOR, machine=m)
        amount = (req.price_per_mu or 0) * round(Decimal(str(operations[k].net_mu)), 2)
        ServiceRequest.objects.filter(pk=req.pk).update(
            status=RequestStatus.DONE,
            started_at=s,
            finished_at=e,
            operation=operations[k],
            amount=round(amount, 2),
        )
    for k in range(14):
        village = villages[(k * 5 + 3) % len(villages)]
        fields = fields_of.get(village.pk, [])
        req = services.do_create_request(
            actor=OPERATOR,
            place=village,
            field=fields[k % len(fields)][0] if fields else None,
            kind=rng.choice(["till", "subsoil", "spray"]),
            requester_name=f"{rng.choice('王李张刘陈杨黄')}{rng.choice(['建军', '美华', '小平', '国富'])}",
            area_mu=round(rng.uniform(3, 40), 1),
            window_start=today + timedelta(days=rng.randint(0, 5)),
            window_end=today + timedelta(days=rng.randint(6, 12)),
            note=rng.choice(["", "冬翻晒垡", "田埂窄，需小型机", ""]),
        )
        if k < 4:  # assigned to machines that have no job yet
            services.do_assign_request(req, actor=OPERATOR, machine=machines[WITH_TERMINAL + k])
    _subsidies(villages, rng)
    _roads(ctx, villages, planes, rng)
    _buses(ctx, villages, rng)


def _buses(ctx, villages, rng):
    """城乡客运: a route per township through three of its villages with a timetable (four departures
    each way), its bus reporting yesterday's runs against it: mostly on time, some late, one route's
    bus turning back before its last stop (a village not served, its calls missed)."""
    import math
    from datetime import datetime, time

    listener = Actor.system("listener")
    day = timezone.localdate() - timedelta(days=1)
    by_township = {}
    for v in villages:
        by_township.setdefault(v.parent_id, []).append(v)
    townships = {t.pk: t for t in ctx.townships}
    for n, (township_id, vs) in enumerate(sorted(by_township.items())[:8], start=1):
        chain = vs[:3]
        if len(chain) < 2:
            continue
        device, _ = iot.do_register_device(
            actor=OPERATOR,
            code=f"0{15800000000 + n:011d}",
            protocol="jt808",
            place=townships[township_id],
            name=f"K{100 + n}路客车终端",
            kind="jt808_bus",
        )
        stops = [
            {"name": f"{v.name}站", "place": v, "latitude": v.latitude, "longitude": v.longitude}
            for v in chain
        ]
        route = services.do_register_route(
            actor=OPERATOR,
            place=townships[township_id],
            code=f"K{100 + n}",
            name=f"{townships[township_id].name}—{chain[-1].name}",
            stops=stops,
            device_codes=[device.code],
            operator_name="赫山区城乡公交有限公司",
            synthetic=True,
        )
        # the timetable: running minutes at ~25 km/h plus a minute a stop, four departures each way
        offsets, total = [0], 0.0
        for a, b in zip(stops, stops[1:], strict=False):
            km = math.dist(
                (a["longitude"] * 97.8, a["latitude"] * 111.2), (b["longitude"] * 97.8, b["latitude"] * 111.2)
            )
            total += km / 25 * 60 + 1
            offsets.append(max(offsets[-1] + 1, round(total)))
        outs = ["06:30", "09:30", "13:30", "16:30"]
        backs = []
        for t in outs:
            minutes = int(t[:2]) * 60 + int(t[3:]) + offsets[-1] + 15
            minutes = (minutes + 4) // 5 * 5
            backs.append(f"{minutes // 60:02d}:{minutes % 60:02d}")
        services.do_set_timetable(route, actor=OPERATOR, offsets=offsets, out_times=outs, back_times=backs)
        # the runs: a fix every 30 s between stops (speed to keep the timetable), a minute at each stop
        path = [(s["longitude"], s["latitude"]) for s in stops]
        messages = []

        def fix(t, lon, lat, speed, messages=messages, code=device.code):
            messages.append(
                iot.Message(
                    code, [("lat", t, lat), ("lon", t, lon), ("speed", t, speed), ("positioned", t, 1.0)]
                )
            )

        for k, (when, out) in enumerate([(t, True) for t in outs] + [(t, False) for t in backs]):
            legs = path if out else path[::-1]
            minutes = offsets if out else [offsets[-1] - m for m in offsets[::-1]]
            if n == 3:  # this bus turns back before the last stop: it never serves it
                legs, minutes = (path[:-1], offsets[:-1]) if out else (path[-2::-1], minutes[1:])
            delay = rng.choice([-1, 0, 0, 1, 1, 2, 3]) + (11 if (n + k) % 7 == 0 else 0)
            t = timezone.make_aware(datetime.combine(day, time.fromisoformat(when))) + timedelta(
                minutes=delay
            )
            if n == 3 and not out:
                t += timedelta(minutes=offsets[-1] - offsets[-2])
            for i, (lon1, lat1) in enumerate(legs):
                fix(t, lon1, lat1, 0.0)  # at the stop for a minute
                fix(t + timedelta(seconds=30), lon1, lat1, 0.0)
                t += timedelta(minutes=1)
                if i + 1 == len(legs):
                    break
                lon2, lat2 = legs[i + 1]
                run = max(1, abs(minutes[i + 1] - minutes[i]) - 1) * 60 + rng.randint(-20, 40)
                steps = max(2, run // 30)
                for j in range(1, steps):
                    fix(t, lon1 + (lon2 - lon1) * j / steps, lat1 + (lat2 - lat1) * j / steps, 28.0)
                    t += timedelta(seconds=run / steps)
                t += timedelta(seconds=run / steps)
        iot.do_ingest(messages, actor=listener)


def _roads(ctx, villages, planes, rng):
    """The rural road register: a county road per township, township and village roads, some patrols."""
    townships = [t for t in ctx.townships if t.kind in (PlaceKind.TOWN, PlaceKind.TOWNSHIP)]
    conditions = ["good"] * 5 + ["fair"] * 3 + ["mediocre", "poor"]
    for n, t in enumerate(townships, start=1):
        services.do_register_road(
            actor=OPERATOR,
            place=t,
            code=f"X{n:03d}430903",
            name=f"{t.name}县道{n}号线",
            grade="county",
            length_km=round(rng.uniform(8, 22), 1),
            surface="沥青混凝土",
            condition=rng.choice(conditions),
            synthetic=True,
        )
    for k, village in enumerate(villages):
        plane = planes[village.pk]
        course = {
            "type": "LineString",
            "coordinates": [
                list(plane.lonlat(-400, -50)),
                list(plane.lonlat(0, 0)),
                list(plane.lonlat(600, 120)),
            ],
        }
        road = services.do_register_road(
            actor=OPERATOR,
            place=village,
            code=f"Y{k + 1:03d}430903",
            name=f"{village.name}通村公路",
            grade="village",
            length_km=round(rng.uniform(1.2, 6.5), 1),
            condition=rng.choice(conditions),
            geometry=course,
            synthetic=True,
        )
        if k % 9 == 0:
            services.do_record_inspection(
                road,
                actor=OPERATOR,
                inspected_on=timezone.localdate() - timedelta(days=k % 20),
                condition=road.condition,
                note="例行巡查，路面完好" if road.condition in ("good", "fair") else "路面裂缝",
            )


def _subsidies(villages, rng):
    """Purchase-subsidy claims in every state (synthetic applicants with valid-looking synthetic IDs)."""
    from shuxiang.core.pii import id_check_char

    steps = ["submitted", "checked", "approved", "paid", "returned"]
    for k in range(15):
        village = villages[(k * 3 + 1) % len(villages)]
        kind, label, width, _price, makers, _op = KINDS[k % len(KINDS)]
        make, model = rng.choice(makers)
        first = f"430903{1965 + k}{(k % 12) + 1:02d}{(k % 27) + 1:02d}{300 + k:03d}"
        price = Decimal(rng.choice([38000, 56000, 98000, 128000]))
        app = services.do_apply_subsidy(
            actor=OPERATOR,
            place=village,
            applicant_name=f"{rng.choice('王李张刘陈杨黄')}{rng.choice(['建军', '美华', '小平', '国富', '秋生'])}",
            id_number=first + id_check_char(first),
            kind=kind,
            make=make,
            model=model,
            serial_number=f"{make[:1]}{2026}{k:05d}",
            implement_width_m=width,
            price=price,
            subsidy=(price * Decimal("0.25")).quantize(Decimal("1")),
        )
        step = steps[k % len(steps)]
        if step in ("checked", "approved", "paid"):
            services.do_check_subsidy(app, actor=OPERATOR)
        if step in ("approved", "paid"):
            services.do_approve_subsidy(app, actor=OPERATOR)
        if step == "paid":
            services.do_pay_subsidy(app, actor=OPERATOR, amount=app.subsidy, paid_on=timezone.localdate())
        if step == "returned":
            services.do_return_subsidy(app, actor=OPERATOR, reason="发票抬头与申请人不一致，请补正")
