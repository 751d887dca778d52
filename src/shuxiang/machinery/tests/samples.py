"""Synthetic tracks laid out in metres (Gauss-Krüger) and turned into longitude/latitude."""

from datetime import timedelta

from pyproj import CRS, Transformer

from shuxiang.core.geometry import STORAGE_EPSG, gauss_kruger_crs
from shuxiang.machinery.work import TrackPoint

ORIGIN = (112.60, 28.47)  # 清水村 in the test places
_GK = gauss_kruger_crs(ORIGIN[0], zone_prefix=False)
_TO_GK = Transformer.from_crs(CRS.from_epsg(STORAGE_EPSG), _GK, always_xy=True)
_TO_LL = Transformer.from_crs(_GK, CRS.from_epsg(STORAGE_EPSG), always_xy=True)
X0, Y0 = _TO_GK.transform(*ORIGIN)


def lonlat(x, y):
    """(lon, lat) of a point x metres east and y metres north of ORIGIN (in the GK plane)."""
    return _TO_LL.transform(X0 + x, Y0 + y)


def boustrophedon(start, *, passes, length, spacing, speed_kmh=6.0, step_m=5.0, implement=True, depth=None):
    """Passes `length` m long along x, `spacing` m apart, implement up on the headland turns."""
    points, t = [], start
    seconds_per_step = step_m / (speed_kmh / 3.6)
    for i in range(passes):
        y = i * spacing
        xs = [k * step_m for k in range(int(length / step_m) + 1)]
        if i % 2:
            xs.reverse()
        for x in xs:
            lon, lat = lonlat(x, y)
            points.append(TrackPoint(t, lat, lon, speed_kmh, True, 1.0 if implement else None, depth))
            t += timedelta(seconds=seconds_per_step)
        if i < passes - 1:  # the turn: implement up
            x_end = xs[-1]
            for k in range(1, 4):
                lon, lat = lonlat(x_end, y + spacing * k / 4)
                points.append(TrackPoint(t, lat, lon, 4.0, True, 0.0 if implement else None, None))
                t += timedelta(seconds=3)
    return points


def field_square(x0, y0, size):
    corners = [lonlat(x0, y0), lonlat(x0 + size, y0), lonlat(x0 + size, y0 + size), lonlat(x0, y0 + size)]
    return {"type": "Polygon", "coordinates": [[list(c) for c in [*corners, corners[0]]]]}


def values(point):
    """The readings a JT/T 808 report of this point becomes (as the front end stores them)."""
    out = [
        ("lat", point.ts, point.lat),
        ("lon", point.ts, point.lon),
        ("speed", point.ts, point.speed),
        ("positioned", point.ts, 1.0 if point.positioned else 0.0),
    ]
    if point.implement is not None:
        out.append(("implement", point.ts, point.implement))
    if point.depth is not None:
        out.append(("depth", point.ts, point.depth))
    return out


# --- samples for the platform-wide scope and access walks (shuxiang.testing.sample) ------------------

_n = [0]


def _next():
    _n[0] += 1
    return _n[0]


def _register_samples():
    from datetime import UTC, datetime

    from django.utils import timezone

    from shuxiang.core.actors import OPERATOR
    from shuxiang.machinery import services
    from shuxiang.machinery.models import (
        BusRoute,
        Field,
        Machine,
        Operation,
        Road,
        ServiceRequest,
        SubsidyApplication,
    )
    from shuxiang.testing import sample

    @sample(Machine)
    def make_machine(place, marker):
        return services.do_register_machine(
            actor=OPERATOR,
            place=place,
            code=f"SAMPLE-NJ{_next():04d}",
            name=marker,
            kind="tractor",
            owner_kind="farmer",
            owner_name="样本农户",
            implement_width_m=2.0,
        )

    @sample(Field)
    def make_field(place, marker):
        return services.do_create_field(
            actor=OPERATOR, place=place, name=marker, boundary=field_square(0, 300 * _next(), 100)
        )

    @sample(ServiceRequest)
    def make_request(place, marker):
        today = timezone.localdate()
        return services.do_create_request(
            actor=OPERATOR,
            place=place,
            kind="till",
            requester_name=marker,
            area_mu=5,
            window_start=today,
            window_end=today,
        )

    @sample(SubsidyApplication)
    def make_subsidy(place, marker):
        from decimal import Decimal

        from shuxiang.core.pii import id_check_char

        n = _next()
        first = f"4309031990{n % 12 + 1:02d}01{n % 1000:03d}"  # a valid birth date whatever n is
        return services.do_apply_subsidy(
            actor=OPERATOR,
            place=place,
            applicant_name="样本申请人",
            id_number=first + id_check_char(first),
            kind="tractor",
            make="东方红",
            model="LX904",
            serial_number=f"SAMPLE-SN{n:05d}",
            implement_width_m=2.5,
            price=Decimal("90000"),
            subsidy=Decimal("20000"),
        )

    @sample(Road)
    def make_road(place, marker):
        return services.do_register_road(
            actor=OPERATOR,
            place=place,
            code=f"SAMPLE-R{_next():05d}",
            name=marker,
            grade="village",
            length_km=2.0,
        )

    @sample(BusRoute)
    def make_route(place, marker):
        stops = [
            {"name": f"{marker}{i}", "place": place, "latitude": 28.47 + i * 0.01, "longitude": 112.6}
            for i in range(2)
        ]
        return services.do_register_route(
            actor=OPERATOR, place=place, code=f"SAMPLE-K{_next():05d}", name=marker, stops=stops
        )

    @sample(Operation)
    def make_operation(place, marker):
        machine = make_machine(place, marker)
        start = datetime(2026, 4, 10, tzinfo=UTC)
        points = boustrophedon(start, passes=2, length=50, spacing=2.0)
        return services.do_record_operation(
            machine, actor=OPERATOR, kind="till", start=start, end=points[-1].ts, points=points
        )


_register_samples()
