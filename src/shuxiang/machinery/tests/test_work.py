"""Worked area from synthetic tracks against the exact geometric answer (error ≤ 2 %)."""

from datetime import UTC, datetime, timedelta

import pytest

from shuxiang.machinery import work
from shuxiang.machinery.tests.samples import boustrophedon, lonlat

START = datetime(2026, 4, 10, 0, 0, tzinfo=UTC)


def test_adjacent_passes_at_the_implement_width_give_passes_times_length_times_width():
    points = boustrophedon(START, passes=10, length=200, spacing=2.5)
    result = work.compute(points, 2.5, "till")
    exact = 10 * 200 * 2.5
    assert result.net_m2 == pytest.approx(exact, rel=0.02)
    assert result.gross_m2 == pytest.approx(exact, rel=0.02)
    assert result.overlap_pct < 1.0
    assert result.runs == 10  # the headland turns (implement up) are not work
    assert result.flags == []


def test_passes_closer_than_the_width_overlap_and_the_union_counts_the_ground_once():
    points = boustrophedon(START, passes=8, length=150, spacing=2.0)  # 3 m implement, 1 m overlap
    result = work.compute(points, 3.0, "till")
    exact_net = (7 * 2.0 + 3.0) * 150
    exact_gross = 8 * 150 * 3.0
    assert result.net_m2 == pytest.approx(exact_net, rel=0.02)
    assert result.gross_m2 == pytest.approx(exact_gross, rel=0.02)
    assert result.overlap_pct == pytest.approx((exact_gross - exact_net) / exact_gross * 100, abs=1.0)


def test_without_an_implement_signal_the_speed_band_decides_what_is_work():
    points = boustrophedon(START, passes=4, length=100, spacing=2.0, implement=False)
    # driving to the field at 30 km/h is not work
    road_start = points[-1].ts
    for k in range(1, 30):
        lon, lat = lonlat(100 + k * 40, 300)
        points.append(work.TrackPoint(road_start + timedelta(seconds=5 * k), lat, lon, 30.0))
    result = work.compute(points, 2.0, "till")
    assert result.net_m2 == pytest.approx(4 * 100 * 2.0, rel=0.02)


def test_cheat_flags_speed_while_working_and_position_jumps():
    points = boustrophedon(START, passes=2, length=100, spacing=2.0, speed_kmh=20.0)
    last = points[-1]
    lon, lat = lonlat(5000, 5000)
    points.append(work.TrackPoint(last.ts + timedelta(seconds=5), lat, lon, 6.0, True, 1.0))
    result = work.compute(points, 2.0, "till")
    assert any("速度" in f for f in result.flags)
    assert any("跳变" in f for f in result.flags)
    assert result.net_m2 == pytest.approx(2 * 100 * 2.0, rel=0.03)  # the jump adds no area


def test_subsoiling_reports_the_share_of_length_at_the_target_depth():
    deep = boustrophedon(START, passes=2, length=100, spacing=2.0, depth=28.0)
    shallow = boustrophedon(
        deep[-1].ts + timedelta(seconds=10), passes=2, length=100, spacing=2.0, depth=18.0
    )
    for p in shallow:  # a second pair of passes beside the first
        p.lat += 0.0001
    result = work.compute(deep + shallow, 2.0, "subsoil", target_depth_cm=25.0)
    assert result.qualified_depth_pct == pytest.approx(50, abs=3)


def test_a_constant_depth_is_flagged():
    points = boustrophedon(START, passes=3, length=100, spacing=2.0, depth=30.0)
    result = work.compute(points, 2.0, "subsoil", target_depth_cm=25.0)
    assert any("恒定" in f for f in result.flags)


def test_unpositioned_and_impossible_points_are_left_out():
    points = boustrophedon(START, passes=2, length=100, spacing=2.0)
    points.insert(5, work.TrackPoint(points[5].ts, 0.0, 0.0, 6.0, False, 1.0))
    result = work.compute(points, 2.0, "till")
    assert result.net_m2 == pytest.approx(400, rel=0.02)
    assert work.compute([], 2.0).net_m2 == 0


def test_a_planned_path_covers_the_field_at_the_implement_width():
    from shapely.geometry import shape

    from shuxiang.machinery.tests.samples import field_square

    boundary = shape(field_square(0, 0, 100))
    path = work.planned_path(boundary, 4.0)
    assert path is not None and path.geom_type == "LineString"
    # driving the plan with the implement down covers (nearly) the whole field
    steps = 2000
    points = []
    for i in range(steps + 1):  # along the path at 6 km/h, a fix every ~1.2 s
        p = path.interpolate(i / steps, normalized=True)
        points.append(work.TrackPoint(START + timedelta(seconds=1.2 * i), p.y, p.x, 6.0, True, 1.0))
    result = work.compute(points, 4.0, "till")
    assert result.net_m2 == pytest.approx(100 * 100, rel=0.1)


def _drive(path, until=1.0, shift_lat=0.0, steps=2000):
    """Fixes along a planned path (to `until` of its length) at 6 km/h with the implement down."""
    points = []
    for i in range(int(steps * until) + 1):
        p = path.interpolate(i / steps, normalized=True)
        points.append(
            work.TrackPoint(START + timedelta(seconds=1.2 * i), p.y + shift_lat, p.x, 6.0, True, 1.0)
        )
    return points


def test_a_track_that_keeps_to_its_planned_path_follows_it_and_covers_the_field():
    from shapely.geometry import shape

    from shuxiang.machinery.tests.samples import field_square

    boundary = shape(field_square(0, 0, 100))
    plan = work.planned_path(boundary, 4.0, heading_deg=90)
    c = work.compare_with_plan(_drive(plan), 4.0, boundary, plan, "till")
    assert c.planned_m == pytest.approx(25 * 96, rel=0.05)  # 25 passes of 96 m (+ the turns)
    assert c.followed_pct > 95
    assert c.mean_offset_m < 0.3 and c.off_path_pct == 0
    assert c.field_covered_pct > 90 and c.missed_m2 < 200


def test_half_the_plan_driven_leaves_half_the_field_missed():
    from shapely.geometry import shape

    from shuxiang.machinery.tests.samples import field_square

    boundary = shape(field_square(0, 0, 100))
    plan = work.planned_path(boundary, 4.0, heading_deg=90)
    c = work.compare_with_plan(_drive(plan, until=0.5), 4.0, boundary, plan, "till")
    assert c.followed_pct == pytest.approx(50, abs=5)
    assert c.field_covered_pct == pytest.approx(50, abs=5)
    assert c.missed_m2 == pytest.approx(5000, rel=0.1)
    assert c.missed is not None and c.missed.geom_type in ("Polygon", "MultiPolygon")


def test_a_track_beside_its_plan_shows_the_offset():
    from shapely.geometry import shape

    from shuxiang.machinery.tests.samples import field_square, lonlat

    boundary = shape(field_square(0, 0, 100))
    plan = work.planned_path(boundary, 4.0, heading_deg=90)
    shift = lonlat(0, 1.5)[1] - lonlat(0, 0)[1]  # 1.5 m north, across the east-west passes
    c = work.compare_with_plan(_drive(plan, shift_lat=shift), 4.0, boundary, plan, "till")
    assert c.mean_offset_m == pytest.approx(1.5, abs=0.25)
    assert c.off_path_pct < 10  # within half the 4 m width: still on its pass
    shifted = work.compare_with_plan(_drive(plan, shift_lat=shift), 2.0, boundary, plan, "till")
    assert shifted.off_path_pct > 80  # the same track is off a 2 m implement's path
    assert work.compare_with_plan([], 4.0, boundary, plan).followed_pct == 0
