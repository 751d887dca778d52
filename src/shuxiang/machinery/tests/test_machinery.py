"""Machines, operations from tracks, dispatch, the farmer's page, the API: what users notice."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError
from shuxiang.machinery import services
from shuxiang.machinery.choices import season_of
from shuxiang.machinery.models import Machine, Operation, ServiceRequest
from shuxiang.machinery.tests import samples
from shuxiang.machinery.tests.conftest import store_track

pytestmark = pytest.mark.django_db


def test_an_operation_recorded_from_the_track_has_the_worked_area_and_its_field(places, machine, worked):
    field = services.do_create_field(
        actor=OPERATOR, place=places.hamlet_a, name="大丘", boundary=samples.field_square(-10, -10, 220)
    )
    start, end = worked
    op = services.do_record_operation(machine, actor=OPERATOR, kind="till", start=start, end=end)
    assert op.net_m2 == pytest.approx(5000, rel=0.02)
    assert op.season == season_of(timezone.localtime(start).date())
    assert op.place == places.hamlet_a  # where the work was, from the field
    share = op.shares.get()  # the worked strip lies inside the field: all of it is the field's
    assert share.field == field and share.area_m2 == pytest.approx(op.net_m2, rel=0.02)


def test_no_track_bad_kind_and_a_reversed_period_are_refused_with_nothing_written(machine):
    now = timezone.now()
    with pytest.raises(ServiceError) as exc:
        services.do_record_operation(
            machine, actor=OPERATOR, kind="till", start=now - timedelta(hours=1), end=now
        )
    assert exc.value.code == "no_track"
    with pytest.raises(ServiceError) as exc:
        services.do_record_operation(
            machine, actor=OPERATOR, kind="fly", start=now, end=now - timedelta(hours=1)
        )
    assert set(exc.value.fields) == {"kind", "end"}
    assert not Operation.objects.exists()


def test_a_machine_needs_a_sane_width_a_unique_code_and_a_known_terminal(places, machine):
    base = {
        "place": places.village_a,
        "kind": "harvester",
        "owner_kind": "farmer",
        "owner_name": "李四",
        "name": "收割机",
    }
    with pytest.raises(ServiceError) as exc:
        services.do_register_machine(
            actor=OPERATOR, code="HS-NJ-0001", implement_width_m=0, device_code="0999", **base
        )
    assert set(exc.value.fields) >= {"code", "implement_width_m", "device"}
    assert Machine.objects.count() == 1


def test_the_dispatch_lifecycle_settles_the_job_by_the_worked_area(places, cast, machine):
    req = services.do_create_request(
        actor=cast.village_a,
        place=places.village_a,
        kind="till",
        requester_name="张三",
        area_mu=8,
        window_start=timezone.localdate(),
        window_end=timezone.localdate() + timedelta(days=3),
    )
    assert req.status == "open"
    services.do_assign_request(req, actor=cast.township_a, machine=machine, price_per_mu="90")
    assert req.status == "assigned" and req.price_per_mu == Decimal("90")
    other = services.do_create_request(
        actor=cast.village_a,
        place=places.village_a,
        kind="till",
        requester_name="王五",
        area_mu=3,
        window_start=timezone.localdate(),
        window_end=timezone.localdate(),
    )
    with pytest.raises(ServiceError) as exc:  # the machine is busy
        services.do_assign_request(other, actor=cast.township_a, machine=machine)
    assert exc.value.code == "conflict"
    start = timezone.now() - timedelta(hours=1)
    services.do_start_request(req, actor=cast.village_a, now=start)
    store_track(
        machine, samples.boustrophedon(start + timedelta(minutes=1), passes=10, length=200, spacing=2.5)
    )
    services.do_finish_request(req, actor=cast.village_a)
    req.refresh_from_db()
    assert req.status == "done"
    assert req.operation.net_mu == pytest.approx(7.5, rel=0.02)
    assert req.amount == (Decimal(str(req.operation.net_mu)).quantize(Decimal("0.01")) * 90).quantize(
        Decimal("0.01")
    )
    with pytest.raises(ServiceError):
        services.do_start_request(req, actor=cast.village_a)


def test_a_grid_worker_cannot_assign_and_another_township_sees_nothing(places, cast, machine, client_for):
    req = services.do_create_request(
        actor=cast.grid_a,
        place=places.village_a,
        kind="spray",
        requester_name="张三",
        area_mu=5,
        window_start=timezone.localdate(),
        window_end=timezone.localdate(),
    )
    response = client_for(cast.grid_a).post(f"/machinery/dispatch/{req.pk}/assign/", {"machine": machine.pk})
    assert response.status_code == 403
    assert ServiceRequest.objects.get(pk=req.pk).machine is None
    other = client_for(cast.township_b)
    assert other.get(f"/machinery/machines/{machine.pk}/").status_code == 404
    assert other.get(f"/machinery/machines/{machine.pk}/track/").status_code == 404
    response = other.post(f"/machinery/dispatch/{req.pk}/start/")
    assert response.status_code == 404
    assert ServiceRequest.objects.get(pk=req.pk).status == "open"


def test_pages_render_on_a_phone_for_a_township_officer(cast, machine, worked, client_for):
    c = client_for(cast.township_a)
    start, end = worked
    services.do_record_operation(machine, actor=OPERATOR, kind="till", start=start, end=end)
    for url in (
        "/machinery/",
        f"/machinery/machines/{machine.pk}/",
        f"/machinery/machines/{machine.pk}/track/?start={timezone.localtime(start):%Y-%m-%dT%H:%M}",
        "/machinery/operations/",
        f"/machinery/operations/{Operation.objects.get().pk}/",
        "/machinery/dispatch/",
        "/machinery/fields/",
    ):
        response = c.get(url, HTTP_USER_AGENT="Mozilla/5.0 (Linux; Android 14) Mobile")
        assert response.status_code == 200, url
        assert 'name="viewport"' in response.content.decode()
    page = c.get(f"/machinery/machines/{machine.pk}/track/?start={timezone.localtime(start):%Y-%m-%dT%H:%M}")
    assert "7.5" in page.content.decode()  # the worked area of the period, in 亩
    bad = c.get(f"/machinery/machines/{machine.pk}/track/?start=yesterday")
    assert bad.status_code == 200 and "时间格式" in bad.content.decode()


def test_a_dispatcher_files_assigns_starts_and_finishes_in_the_browser(places, cast, machine, client_for):
    c = client_for(cast.township_a)
    today = timezone.localdate()
    response = c.post(
        "/machinery/dispatch/",
        {
            "place": places.village_a.code,
            "requester_name": "赵六",
            "kind": "till",
            "area_mu": "6",
            "window_start": today.isoformat(),
            "window_end": today.isoformat(),
        },
    )
    assert response.status_code == 302
    req = ServiceRequest.objects.get()
    c.post(f"/machinery/dispatch/{req.pk}/assign/", {"machine": machine.pk, "price": "70"})
    c.post(f"/machinery/dispatch/{req.pk}/start/")
    req.refresh_from_db()
    assert req.status == "started"
    req.started_at -= timedelta(hours=1)  # the operator worked for an hour
    req.save(update_fields=["started_at"])
    store_track(
        machine,
        samples.boustrophedon(req.started_at + timedelta(seconds=5), passes=4, length=100, spacing=2.5),
    )
    c.post(f"/machinery/dispatch/{req.pk}/finish/")
    req.refresh_from_db()
    assert req.status == "done" and req.amount > 0
    board = c.get("/machinery/dispatch/").content.decode()
    assert "赵六" in board and "结算" in board
    bad = c.post(
        "/machinery/dispatch/",
        {
            "place": places.village_a.code,
            "requester_name": "x",
            "kind": "till",
            "area_mu": "1",
            "window_start": today.isoformat(),
            "window_end": (today - timedelta(days=2)).isoformat(),
        },
    )
    assert bad.status_code == 200 and "不能早于" in bad.content.decode()
    assert ServiceRequest.objects.count() == 1


def test_the_farmer_sees_what_was_done_on_the_field_without_anyones_personal_data(
    places, machine, worked, client
):
    field = services.do_create_field(
        actor=OPERATOR, place=places.hamlet_a, name="屋门口丘", boundary=samples.field_square(-10, -10, 120)
    )
    start, end = worked
    services.do_record_operation(machine, actor=OPERATOR, kind="till", start=start, end=end)
    page = client.get(f"/machinery/f/{field.share_token}/")
    text = page.content.decode()
    assert page.status_code == 200 and "耕" in text and machine.name in text
    assert client.get("/machinery/f/not-a-token/").status_code == 404


def test_a_terminal_registration_keeps_its_plate_and_maker_on_the_machine(machine):
    from shuxiang.iot import jt808
    from shuxiang.iot.jt808_server import _register

    frame = jt808.Frame(
        msg_id=0x0100,
        phone=machine.device.code,
        serial=1,
        body=jt808.register_body(maker="BDNJ", plate="湘J99999"),
    )
    result, code = _register(frame)
    assert result == jt808.REG_OK and code
    machine.refresh_from_db()
    assert (machine.terminal_plate, machine.terminal_maker) == ("湘J99999", "BDNJ")


# --- API -----------------------------------------------------------------------------------------


def test_the_track_api_is_a_geojson_linestring_and_bad_periods_are_400(cast, machine, worked, api_for):
    api = api_for(cast.district)
    start, end = worked
    response = api.get(
        f"/api/v1/machinery/tracks/{machine.code}/",
        {"start": timezone.localtime(start).isoformat(), "end": timezone.localtime(end).isoformat()},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "Feature" and body["geometry"]["type"] == "LineString"
    assert body["properties"]["points"] > 100
    bad = api.get(f"/api/v1/machinery/tracks/{machine.code}/", {"start": "2026-13-01"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid" and "start" in bad.json()["fields"]
    assert api_for(cast.township_b).get(f"/api/v1/machinery/tracks/{machine.code}/").status_code == 404


def test_operations_api_by_season_and_township_in_json_geojson_and_csv(
    places, cast, machine, worked, api_for
):
    start, end = worked
    op = services.do_record_operation(machine, actor=OPERATOR, kind="till", start=start, end=end)
    api = api_for(cast.district)
    body = api.get(
        "/api/v1/machinery/operations/", {"season": op.season, "township": places.township_a.code}
    ).json()
    assert body["count"] == 1 and body["results"][0]["net_mu"] == pytest.approx(7.5, rel=0.02)
    assert body["results"][0]["township"] == places.township_a.code
    assert api.get("/api/v1/machinery/operations/", {"township": places.township_b.code}).json()["count"] == 0
    geo = api.get("/api/v1/machinery/operations/?format=geojson").json()
    assert geo["type"] == "FeatureCollection" and geo["features"][0]["geometry"]["type"] in (
        "Polygon",
        "MultiPolygon",
    )
    csv_text = api.get("/api/v1/machinery/operations/?format=csv").content.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("id,machine,kind")
    # a data feed token (the province) reads operations in its region, another township's user none
    assert api_for(cast.feed).get("/api/v1/machinery/operations/").status_code == 200
    assert api_for(cast.township_b).get("/api/v1/machinery/operations/").json()["count"] == 0
    assert api_for(cast.bank).get("/api/v1/machinery/operations/").status_code == 403


def test_requests_api_files_a_request_and_refuses_bad_input_whole(places, cast, api_for):
    api = api_for(cast.village_a)
    today = timezone.localdate().isoformat()
    ok = api.post(
        "/api/v1/machinery/requests/",
        {
            "place": places.village_a.code,
            "kind": "harvest",
            "requester_name": "钱七",
            "area_mu": 12,
            "window_start": today,
            "window_end": today,
        },
        format="json",
    )
    assert ok.status_code == 201 and ok.json()["status"] == "open"
    bad = api.post(
        "/api/v1/machinery/requests/",
        {
            "place": places.village_b.code,
            "kind": "harvest",
            "requester_name": "钱七",
            "area_mu": 12,
            "window_start": today,
            "window_end": today,
        },
        format="json",
    )
    assert bad.status_code in (403, 404) and ServiceRequest.objects.count() == 1
    worse = api.post(
        "/api/v1/machinery/requests/", {"place": places.village_a.code, "kind": "x"}, format="json"
    )
    assert worse.status_code == 400 and "message" in worse.json()
    assert ServiceRequest.objects.count() == 1


def test_the_plan_figures_are_counted_from_operations_not_typed(places, machine, worked):
    from shuxiang.indicators.models import DataValue, Indicator
    from shuxiang.indicators.services import do_refresh_computed

    field = services.do_create_field(
        actor=OPERATOR, place=places.hamlet_a, name="大丘", boundary=samples.field_square(-10, -10, 220)
    )
    start, end = worked
    services.do_record_operation(machine, actor=OPERATOR, kind="harvest", start=start, end=end)
    day = timezone.localtime(start).date()
    period = f"{day.year}Q{(day.month - 1) // 3 + 1}"
    area = Indicator.objects.get(code="machinery_operated_mu")
    assert area.source == "computed"
    do_refresh_computed(area, period, actor=OPERATOR)
    value = DataValue.objects.get(indicator=area, period=period)
    assert float(value.numerator) == pytest.approx(7.5, rel=0.02)
    share = Indicator.objects.get(code="machinery_rice_harvested_share")
    do_refresh_computed(share, period, actor=OPERATOR)
    row = DataValue.objects.get(indicator=share, period=period)
    assert float(row.numerator) == pytest.approx(field.area_mu, rel=0.01)  # the whole field got harvested
    assert float(row.denominator) == pytest.approx(field.area_mu, rel=0.01)
    terminals = Indicator.objects.get(code="machinery_terminal_share")
    do_refresh_computed(terminals, period, actor=OPERATOR)
    assert [(v.numerator, v.denominator) for v in DataValue.objects.filter(indicator=terminals)] == [(1, 1)]


def test_machines_are_imported_from_a_spreadsheet_all_or_nothing(places, cast, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    header = "农机编号,名称,机具类型,所有者类型,所有者,所在区划代码,作业幅宽（m）,下次年检\n"
    good = (
        header
        + f"HS-NJ-9001,沃得收割机,联合收割机,农机专业合作社,清水合作社,{places.village_a.code},2.2,2027-03-01\n"
    )
    bad = good + f"HS-NJ-9002,坏行,飞行器,农户,李四,{places.village_a.code},abc,\n"
    c = client_for(cast.township_a)
    page = c.post("/machinery/machines/import/", {"file": SimpleUploadedFile("m.csv", bad.encode())})
    text = page.content.decode()
    assert page.status_code == 200 and "第3行" in text and "未写入任何数据" in text
    assert not Machine.objects.exists()
    response = c.post("/machinery/machines/import/", {"file": SimpleUploadedFile("m.csv", good.encode())})
    assert response.status_code == 302, response.content.decode()[-1500:]
    machine = Machine.objects.get()
    assert (machine.kind, machine.owner_kind, machine.implement_width_m) == ("harvester", "cooperative", 2.2)
    assert (
        client_for(cast.grid_a)
        .post("/machinery/machines/import/", {"file": SimpleUploadedFile("m.csv", good.encode())})
        .status_code
        == 403
    )


def test_a_field_exports_its_planned_path_for_an_unmanned_machine(places, cast, client_for):
    field = services.do_create_field(
        actor=OPERATOR, place=places.hamlet_a, name="无人农场试点丘", boundary=samples.field_square(0, 0, 100)
    )
    c = client_for(cast.township_a)
    response = c.get(f"/machinery/fields/{field.pk}/path.geojson?width=4")
    assert response.status_code == 200 and response["Content-Type"] == "application/geo+json"
    feature = response.json()
    assert feature["geometry"]["type"] == "LineString" and len(feature["geometry"]["coordinates"]) >= 40
    assert c.get(f"/machinery/fields/{field.pk}/path.geojson?width=abc").status_code == 400
    assert client_for(cast.township_b).get(f"/machinery/fields/{field.pk}/path.geojson").status_code == 404


def test_the_track_page_compares_the_track_with_a_fields_planned_path(places, cast, machine, client_for):
    from datetime import UTC, datetime

    from shapely.geometry import shape

    from shuxiang.machinery import work

    field = services.do_create_field(
        actor=OPERATOR, place=places.village_a, name="清水村试验田", boundary=samples.field_square(0, 0, 60)
    )
    far = services.do_create_field(
        actor=OPERATOR, place=places.village_a, name="远处的田", boundary=samples.field_square(5000, 5000, 60)
    )
    plan = work.planned_path(shape(field.boundary), machine.implement_width_m, heading_deg=90)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    steps = 600  # the first half of the plan, then the machine left
    points = []
    for i in range(steps // 2 + 1):
        p = plan.interpolate(i / steps, normalized=True)
        points.append(samples.TrackPoint(start + timedelta(seconds=2 * i), p.y, p.x, 6.0, True, 1.0))
    store_track(machine, points)
    c = client_for(cast.township_a)
    base = f"/machinery/machines/{machine.pk}/track/?start={timezone.localtime(start):%Y-%m-%dT%H:%M}"
    page = c.get(base, HTTP_USER_AGENT="Mobile").content.decode()
    assert (
        "对照规划路径" in page and "清水村试验田" in page and "远处的田" not in page
    )  # only fields it passed
    page = c.get(base + f"&field={field.pk}&heading=90").content.decode()
    followed = float(page.split('id="plan-followed">')[1].split("%")[0])
    covered = float(page.split('id="plan-covered">')[1].split("%")[0])
    assert followed == pytest.approx(50, abs=8) and covered == pytest.approx(50, abs=8)
    assert "漏作业面积" in page
    data = c.get(
        f"/machinery/machines/{machine.pk}/track.json?start={start.isoformat()}&field={field.pk}&heading=90".replace(
            "+", "%2B"
        )
    ).json()
    kinds = {f["properties"]["kind"] for f in data["features"]}
    assert {"track", "worked", "planned", "missed"} <= kinds
    bad = c.get(base + f"&field={far.pk}")
    assert bad.status_code == 200 and "所选地块不在本轨迹附近" in bad.content.decode()
    assert c.get(base + f"&field={field.pk}&heading=abc").status_code == 200
