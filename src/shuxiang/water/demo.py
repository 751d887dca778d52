"""Demo: all 152 small reservoirs of the district with RTUs, 24 pump stations, 30 days of telemetry.

Positions, names and levels are synthetic (the real register is not public);
the count matches the plan's "152 座小型水库". A few reservoirs are above their
flood-limit level now, so the alarm → notification → case path shows on first login.
"""

import math
from datetime import timedelta

from django.utils import timezone

from shuxiang.core.actors import OPERATOR
from shuxiang.core.choices import PlaceKind
from shuxiang.core.models import Person
from shuxiang.iot import rollups
from shuxiang.iot import services as iot
from shuxiang.iot.models import AlarmRule
from shuxiang.water import services

RESERVOIRS = 152
PUMP_STATIONS = 24
SUFFIXES = ["冲", "塘", "湾", "坝", "冲", "山", "岭"]
DAM_TYPES = ["earth"] * 12 + ["core"] * 5 + ["masonry"] * 2 + ["concrete"]


def _rural_villages(ctx):
    rural = {t.pk for t in ctx.townships if t.kind in (PlaceKind.TOWN, PlaceKind.TOWNSHIP)}
    return [v for v in ctx.villages if v.parent_id in rural and v.kind == PlaceKind.VILLAGE]


# How many stations were reporting at the end of each quarter of 2025, as the RTUs were rolled out
# (the plan's "152 座小型水库监测管理系统全覆盖" by the end of 2025): the plan's indicator counts them
# from these readings (water.indicators), nobody types the figure.
ROLLOUT_2025 = (40, 86, 128, 152)


def rollout_readings(reservoirs, rng):
    """One reading per reporting station a few hours before each 2025 quarter ended (within retention)."""
    from shuxiang.indicators.periods import Period
    from shuxiang.iot import conf
    from shuxiang.water.indicators import counted_at

    oldest = timezone.now() - timedelta(days=conf.RETENTION_DAYS - 1)
    messages = []
    for quarter, reporting in enumerate(ROLLOUT_2025, start=1):
        at = counted_at(Period(2025, quarter)) - timedelta(hours=rng.randint(2, 20))
        if at < oldest:
            continue
        for r in reservoirs[:reporting]:
            level = round(r.flood_limit_level - rng.uniform(0.5, 2.0), 3)
            messages.append(iot.Message(r.device.code, [("Z", at, level), ("PJ", at, 0.0)]))
    return messages


def build(ctx):
    rng = ctx.rng
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    owner = ctx.units.get("区水利局")
    villages = _rural_villages(ctx)
    by_township = {}
    for v in villages:
        by_township.setdefault(v.parent_id, []).append(v)
    people = {}
    for p in Person.objects.only("pk", "place__path").select_related("place"):
        people.setdefault(p.place.path.split("/")[3] if p.place.path.count("/") > 3 else "", []).append(p)

    reservoirs, names = [], set()
    quanjiaohe = next(t for t in ctx.townships if t.name == "泉交河镇")
    for i in range(RESERVOIRS):
        # the first few sit in 泉交河镇 so the township's demo user has something to watch
        village = rng.choice(by_township[quanjiaohe.pk]) if i < 6 else rng.choice(villages)
        base = village.name.removesuffix("村")[:2]
        name = f"{base}{rng.choice(SUFFIXES)}水库"
        while name in names:
            name = f"{base}{rng.choice(SUFFIXES)}{rng.choice('一二三上下东西')}水库"
        names.add(name)
        small1 = rng.random() < 0.25
        crest = round(rng.uniform(45, 140), 2)
        normal = round(crest - rng.uniform(2.0, 5.0), 2)
        flood_limit = round(normal - rng.uniform(0.3, 1.5), 2)
        siblings = [v for v in by_township[village.parent_id] if v.pk != village.pk]
        downstream = [village, *rng.sample(siblings, min(len(siblings), rng.randint(1, 2)))]
        pool = people.get(village.code) or []
        reservoir = services.do_create_reservoir(
            actor=OPERATOR,
            code=f"HS-SK-{i + 1:03d}",
            place=village,
            rtu_code=f"4309{i + 1:06d}",
            name=name,
            scale="small1" if small1 else "small2",
            dam_type=rng.choice(DAM_TYPES),
            capacity=round(rng.uniform(100, 800) if small1 else rng.uniform(10, 99), 1),
            normal_level=normal,
            flood_limit_level=flood_limit,
            crest_elevation=crest,
            responsible=rng.choice(pool) if pool else None,
            owner_unit=owner,
            downstream=downstream,
            latitude=round(village.latitude + rng.uniform(-0.01, 0.01), 5),
            longitude=round(village.longitude + rng.uniform(-0.01, 0.01), 5),
        )
        reservoirs.append(reservoir)
    AlarmRule.objects.filter(name="超汛限水位", device__kind="reservoir_rtu").update(
        actions=["water.open_case"]
    )
    AlarmRule.objects.filter(name="接近坝顶", device__kind="reservoir_rtu").update(
        actions=["water.issue_warning"], action_config={"colour": "orange"}
    )

    stations = []
    for i in range(PUMP_STATIONS):
        village = rng.choice(villages)
        pumps = rng.randint(1, 4)
        power = pumps * rng.choice([55, 75, 110, 132, 160])
        stations.append(
            services.do_create_pump_station(
                actor=OPERATOR,
                code=f"HS-BZ-{i + 1:02d}",
                place=village,
                device_code=f"HS-BZ-{i + 1:02d}",
                name=f"{village.name.removesuffix('村')}排灌站",
                pump_count=pumps,
                rated_power_kw=power,
                rated_current_a=round(power * 1.9, 0),
                installed_year=rng.randint(1976, 2018),
                last_maintenance_on=timezone.localdate() - timedelta(days=rng.randint(10, 240)),
                hours_at_maintenance=0,
                owner_unit=owner,
            )
        )

    iot.caches.clear()
    messages = rollout_readings(reservoirs, rng)
    start = now - timedelta(days=30)
    for idx, r in enumerate(reservoirs):
        # mean-reverting level under the flood limit; a few rise above it in the last 18 hours
        base = r.flood_limit_level - rng.uniform(0.7, 2.5)
        rising = idx in (0, 3) or rng.random() < 0.02
        peak = r.flood_limit_level + rng.uniform(0.05, 0.3)
        wet, t = 0.0, start
        while t <= now:
            hours_left = (now - t).total_seconds() / 3600
            rain = round(rng.uniform(0, 8), 1) if rng.random() < 0.15 else 0.0
            wet = wet * 0.85 + rain * 0.02
            level = base + 0.15 * math.sin(t.timestamp() / 86400 / 7 * 2 * math.pi) + wet + rng.gauss(0, 0.01)
            if rising and hours_left < 18:
                level += (peak - base) * (1 - hours_left / 18)
            values = [("Z", t, round(level, 3)), ("PJ", t, rain)]
            if hours_left < 24:
                values.append(("VT", t, round(12.6 + rng.gauss(0, 0.2), 2)))
            messages.append(iot.Message(r.device.code, values))
            t += timedelta(hours=3)
    for idx, s in enumerate(stations):
        hours = rng.uniform(200, 1400) if idx % 6 else rng.uniform(1600, 2200)
        vib = rng.uniform(1.0, 2.5) if idx % 8 else rng.uniform(5.0, 6.5)
        t = now - timedelta(days=2)
        while t <= now:
            running = rng.randint(0, s.pump_count) if 6 <= (t.hour + 8) % 24 <= 20 else 0
            hours += running
            current = running * s.rated_current_a / s.pump_count * rng.uniform(0.7, 0.95)
            messages.append(
                iot.Message(
                    s.device.code,
                    [
                        ("I", t, round(current, 1)),
                        ("VIB", t, round(vib + rng.gauss(0, 0.2), 2) if running else 0.3),
                        ("RH", t, round(hours, 1)),
                        ("RUN", t, running),
                    ],
                )
            )
            t += timedelta(hours=1)
    for chunk in range(0, len(messages), 2000):
        iot.do_ingest(messages[chunk : chunk + 2000], actor=OPERATOR, now=now + timedelta(minutes=1))
    rollups.rollup_range(start, now + timedelta(hours=1))
