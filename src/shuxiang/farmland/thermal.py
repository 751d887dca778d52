"""Air temperature for the rice platform: daily means per township from the weather stations in iot, and
the effective degree-days (有效积温) a field has accumulated since sowing.

Rice develops with warmth, not with the calendar: a cool September stretches a late-rice field's way to
heading by a week, which is exactly when 寒露风 hurts. The county's stations report air temperature through
the iot engine under the SL 651 element `AI` (瞬时气温) — whatever protocol carries it (an SL 651 rain gauge
with a thermometer, an MQTT agro-met station). A daily task averages each station's readings per Beijing
day, then per township and for the whole county (`DailyAirTemperature`, rewritten idempotently).

A field's day t contributes max(0, T̄ − base) (the effective temperature above the variety's biological
lower limit, 10 ℃ for indica rice by default), where T̄ is its township's daily mean, else that day's
county mean. Days after the last measured day (a forecast window, today before the task ran) are projected
with the mean contribution of the last 7 measured days, up to PROJECT_DAYS. A day with no mean at all (a
gap) or a projection beyond that limit falls back to the day-count calendar for the whole field: a stage
computed from half the warmth would be worse than the calendar.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Avg, Count
from django.db.models.functions import TruncDay

from shuxiang.core.permissions import require

AIR_TEMPERATURE_KEY = "AI"  # SL 651-2014 element 02H 瞬时气温; other protocols report under the same key
STATION_KIND = "weather_station"
MIN_READINGS_PER_DAY = 4  # an afternoon-only mean runs 3–4 ℃ warm: such a station-day is left out
PROJECT_DAYS = 15
RECENT_DAYS = 7
BEIJING = ZoneInfo("Asia/Shanghai")


def township_of(place) -> int | None:
    """The township (level 2) a place lies in, by its path — or None for the district itself."""
    codes = [c for c in place.path.split("/") if c]
    return codes[1] if len(codes) > 1 else None


@transaction.atomic
def do_compute_daily_temperatures(start: date, end: date, *, actor) -> int:
    """(Re)compute the daily means of [start, end] from the readings: per township and for the county.
    Rewrites the days it covers, so running it twice — or after late readings arrive — is safe."""
    from shuxiang.core.models import Place
    from shuxiang.farmland.models import DailyAirTemperature
    from shuxiang.iot.models import Reading

    require(actor, "farmland.dailyairtemperature.add")
    rows = (
        Reading.objects.filter(
            sensor__key=AIR_TEMPERATURE_KEY,
            sensor__device__is_active=True,
            ts__gte=_day_start(start),
            ts__lt=_day_start(end + timedelta(days=1)),
        )
        .annotate(bucket=TruncDay("ts", tzinfo=BEIJING))
        .values("sensor__device__name", "sensor__device__place__path", "bucket")
        .annotate(n=Count("value"), mean=Avg("value"))
        .order_by()
    )
    root = Place.objects.filter(level=1).order_by("code").first()
    townships = {p.code: p for p in Place.objects.filter(level=2)}
    by_place: dict = {}
    for r in rows:
        if r["n"] < MIN_READINGS_PER_DAY:
            continue
        day = r["bucket"].astimezone(BEIJING).date()
        codes = [c for c in (r["sensor__device__place__path"] or "").split("/") if c]
        station = (r["sensor__device__name"], r["mean"], r["n"])
        if len(codes) > 1 and codes[1] in townships:
            by_place.setdefault((townships[codes[1]], day), []).append(station)
        if root is not None:
            by_place.setdefault((root, day), []).append(station)
    DailyAirTemperature.objects.filter(day__gte=start, day__lte=end).delete()
    DailyAirTemperature.objects.bulk_create(
        [
            DailyAirTemperature(
                place=place,
                day=day,
                mean=round(sum(s[1] for s in stations) / len(stations), 2),
                stations=len(stations),
                station_names=("、".join(sorted(s[0] for s in stations)))[:200],
                readings=sum(s[2] for s in stations),
            )
            for (place, day), stations in by_place.items()
        ],
        batch_size=1000,
    )
    return len(by_place)


def _day_start(day: date):
    from datetime import datetime, time

    return datetime.combine(day, time(0, 0), tzinfo=BEIJING)


@dataclass(frozen=True)
class Accumulation:
    """A field's effective degree-days on a day, and where each day's temperature came from."""

    gdd: float | None  # None: not computable (a gap, no data) — the day count applies
    station_days: int = 0
    county_days: int = 0
    projected_days: int = 0
    stations: str = ""

    @property
    def source(self) -> str:
        """Short Chinese label of the temperature source, for the field page and the API."""
        if self.gdd is None:
            return "按天数估算"
        parts = []
        if self.station_days:
            parts.append(f"站点{self.stations}" + (f" {self.station_days} 天" if self.county_days else ""))
        if self.county_days:
            parts.append(f"全区均值 {self.county_days} 天" if self.station_days else "全区站点均值")
        if self.projected_days:
            parts.append(f"近期均温外推 {self.projected_days} 天")
        return "积温取自" + "、".join(parts)

    @property
    def kind(self) -> str:
        if self.gdd is None:
            return "days"
        if self.county_days == 0:
            return "station"
        return "county" if self.station_days == 0 else "mixed"


class Thermal:
    """The daily means of a date range in memory: one query per range, shared by every field a page or a
    forecast window looks at (a list of 1,600 fields over 10 days must not query per field and day)."""

    def __init__(self):
        self._range: tuple[date, date] | None = None
        self._means: dict = {}  # (township code or None, day) -> (mean, station names)
        self._last: date | None = None  # the last day with a county mean
        self._cache: dict = {}

    def _ensure(self, start: date, end: date):
        if self._range and self._range[0] <= start and end <= self._range[1]:
            return
        from shuxiang.farmland.models import DailyAirTemperature

        if self._range:
            start, end = min(start, self._range[0]), max(end, self._range[1])
        self._range = (start, end)
        self._means = {}
        for code, level, day, mean, names in DailyAirTemperature.objects.filter(
            day__gte=start, day__lte=end
        ).values_list("place__code", "place__level", "day", "mean", "station_names"):
            self._means[(code if level == 2 else None, day)] = (mean, names)
        county_days = [d for (code, d) in self._means if code is None]
        self._last = max(county_days) if county_days else None

    def accumulation(self, record, day: date) -> Accumulation:
        """Effective degree-days of the field from its sowing day through `day`."""
        sown = record.sowing_date
        if day < sown:
            return Accumulation(0.0)
        self._ensure(sown, day)
        if self._last is None or self._last < sown:
            return Accumulation(None)
        series = self._series(township_of(record.parcel.place), sown, record.variety.base_temperature)
        last = min(day, self._last)
        index = (last - sown).days
        if index >= len(series):  # a day without any mean before `last`
            return Accumulation(None)
        total, station_days, county_days, names = series[index]
        projected = (day - last).days
        if projected > PROJECT_DAYS:
            return Accumulation(None)
        if projected > 0:
            back = series[max(0, index - RECENT_DAYS)][0] if index >= RECENT_DAYS else 0.0
            span = min(RECENT_DAYS, index + 1)
            total += projected * (total - back) / span
        return Accumulation(round(total, 1), station_days, county_days, projected, names)

    def _series(self, township, sown: date, base: float) -> list:
        """Running (degree-days, station days, county days, station names) from sowing to the last
        measured day, cut at the first day without any mean. Cached: fields share townships and dates."""
        key = (township, sown, base, self._range)
        if key in self._cache:
            return self._cache[key]
        out, total, station_days, county_days, names = [], 0.0, 0, 0, []
        d = sown
        while d <= self._last:
            found = self._means.get((township, d))
            if found is not None:
                station_days += 1
                names += [n for n in found[1].split("、") if n and n not in names]
            else:
                found = self._means.get((None, d))
                if found is None:
                    break
                county_days += 1
            total += max(0.0, found[0] - base)
            out.append((total, station_days, county_days, "、".join(names)))
            d += timedelta(days=1)
        self._cache[key] = out
        return out

    def stage(self, record, day: date) -> tuple[str | None, Accumulation]:
        """The degree-day stage on `day` (None when the variety has no degree-day calendar or the
        temperatures do not cover the field), with the accumulation it came from."""
        variety = record.variety
        if not variety.stages_gdd or not variety.maturity_gdd:
            return None, Accumulation(None)
        acc = self.accumulation(record, day)
        if acc.gdd is None:
            return None, acc
        if day < record.sowing_date:
            return "未播种", acc
        if acc.gdd > variety.maturity_gdd:
            return "已成熟", acc
        current = "播种出苗期"
        for name, start in variety.stages_gdd:
            if acc.gdd >= start:
                current = name
        return current, acc

    def stage_dates(self, record, until: date) -> dict[str, date]:
        """The day each degree-day stage began (reached its threshold), as far as `until`."""
        variety = record.variety
        out: dict[str, date] = {}
        if not variety.stages_gdd:
            return out
        thresholds = sorted(variety.stages_gdd, key=lambda s: s[1])
        d = record.sowing_date
        while d <= until and len(out) < len(thresholds):
            acc = self.accumulation(record, d)
            if acc.gdd is None:
                break
            for name, start in thresholds:
                if name not in out and acc.gdd >= start:
                    out[name] = d
            d += timedelta(days=1)
        return out
