"""The rice platform with its neighbours: transplanting operations become rice plantings (once, never over
what was declared), a field's operations and inputs show on its page, and a grower registered in
traceability records inputs once, there."""

import io
from datetime import date, datetime, timedelta

import pytest
import shapely
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from shuxiang.core import geometry
from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError
from shuxiang.farmland import machinery_link, rice, services
from shuxiang.farmland.models import Planting, RiceInput, RiceVariety
from shuxiang.machinery import services as machinery
from shuxiang.machinery.models import Operation
from shuxiang.trace.tests.conftest import farm, lot  # noqa: F401  (a registered producer and its lot)

pytestmark = pytest.mark.django_db


@pytest.fixture
def transplanter(places):
    return machinery.do_register_machine(
        actor=OPERATOR, place=places.village_a, code="HS-NJ-0901", name="久保田插秧机1号", kind="transplanter",
        make="久保田", model="2ZGQ-6", owner_kind="cooperative", owner_name="清水农机专业合作社",
        implement_width_m=1.8, price_per_mu=90,
    )  # fmt: skip


def transplant(machine, parcel, *, share=1.0, when=datetime(2026, 4, 20, 9)):
    """A transplanting operation whose worked area covers `share` of the polygon (a west-east strip)."""
    shape = geometry.from_geojson(parcel.geometry)
    minx, miny, maxx, maxy = shape.bounds
    strip = shapely.box(minx - 0.0001, miny - 0.0001, minx + (maxx - minx) * share, maxy + 0.0001)
    start = timezone.make_aware(when)
    return Operation.objects.create(
        machine=machine, kind="transplant", place=parcel.place, season="2026早稻", started_at=start,
        ended_at=start + timedelta(hours=2), width_m=1.8, area=geometry.to_geojson(strip), points=100,
    )  # fmt: skip


def test_a_transplanting_operation_becomes_one_rice_planting_with_the_covered_area(fields_a, transplanter):
    transplant(transplanter, fields_a[0])
    transplant(transplanter, fields_a[1], share=0.1)  # a corner clipped on the way: not a planting

    done = machinery_link.do_take_plantings("2026-early", actor=OPERATOR)
    assert done["operations"] == 2 and done["plantings"] == 1
    planting = Planting.objects.get()
    assert planting.parcel == fields_a[0] and planting.crop == "rice" and planting.source == "machinery"
    assert planting.area_m2 == pytest.approx(fields_a[0].area_m2, rel=0.01)
    assert planting.grower_name == "清水农机专业合作社"

    again = machinery_link.do_take_plantings("2026-early", actor=OPERATOR)
    assert again["plantings"] == 0 and Planting.objects.count() == 1


def test_declared_rice_is_not_counted_twice_and_other_seasons_are_untouched(fields_a, transplanter):
    services.do_record_planting(
        actor=OPERATOR, parcel=fields_a[0], season="2026-early", crop="rice", area_mu=5
    )
    transplant(transplanter, fields_a[0])
    assert machinery_link.do_take_plantings("2026-early", actor=OPERATOR)["plantings"] == 0
    assert machinery_link.do_take_plantings("2026-late", actor=OPERATOR)["operations"] == 0
    assert Planting.objects.filter(source="machinery").count() == 0


def test_the_command_reports_what_it_took_and_refuses_a_bad_season(fields_a, transplanter):
    transplant(transplanter, fields_a[2])
    out = io.StringIO()
    call_command("farmland", "take-plantings", "2026-early", stdout=out)
    assert "新增水稻种植记录 1 条" in out.getvalue()
    with pytest.raises(Exception, match="季节格式"):
        call_command("farmland", "take-plantings", "2026-spring")


@pytest.fixture
def rice_field(fields_a):
    variety = RiceVariety.objects.create(
        name="测试早稻", rice_type="early", growth_days=110, stages=[["分蘖期", 35], ["抽穗扬花期", 80]],
        tasks=[[30, "施分蘖肥"]],
    )  # fmt: skip
    return services.do_record_rice_season(
        actor=OPERATOR, parcel=fields_a[0], season="2026-early", variety=variety, sowing_date=date(2026, 3, 25),
        transplant="machine", grower_name="周氏家庭农场",
    )  # fmt: skip


def test_inputs_of_an_unregistered_grower_are_recorded_on_the_field_within_its_season(rice_field, cast):
    rice.do_record_input(
        rice_field, actor=cast.grid_a, kind="fertilizer", name="复合肥（15-15-15）", dose="每亩 25 kg",
        applied_on=date(2026, 4, 25),
    )  # fmt: skip
    with pytest.raises(ServiceError) as caught:
        rice.do_record_input(
            rice_field, actor=cast.grid_a, kind="pesticide", name="吡蚜酮", dose="每亩 20 g",
            applied_on=date(2025, 4, 25),
        )  # fmt: skip
    assert "applied_on" in caught.value.fields
    assert [i["name"] for i in rice.inputs_of(rice_field, cast.grid_a)] == ["复合肥（15-15-15）"]
    assert RiceInput.objects.count() == 1


def test_a_registered_producer_records_inputs_in_traceability_and_they_show_on_the_field(
    rice_field,
    cast,
    places,
    farm,  # noqa: F811
    lot,  # noqa: F811  (trace's fixtures)
):
    rice_field.producer = farm["producer"]
    rice_field.save(update_fields=["producer"])
    from shuxiang.trace import services as trace

    trace.do_record_event(
        lot, actor=OPERATOR, biz_step="input_use", event_time=timezone.make_aware(datetime(2026, 5, 2, 8)),
        place=places.village_a, input_kind="pesticide", input_name="氯虫苯甲酰胺", input_dose="每亩 10 ml",
        interval_days=21,
    )  # fmt: skip
    rows = rice.inputs_of(rice_field, cast.township_a)
    assert [(r["name"], r["interval_days"]) for r in rows] == [("氯虫苯甲酰胺", 21)]
    assert "追溯平台" in rows[0]["source"]
    with pytest.raises(ServiceError) as caught:
        rice.do_record_input(
            rice_field, actor=cast.grid_a, kind="fertilizer", name="尿素", dose="每亩 5 kg",
            applied_on=date(2026, 4, 25),
        )  # fmt: skip
    assert caught.value.code == "recorded_in_trace"


def test_the_rice_field_page_shows_inputs_and_the_machines_that_worked_it(
    rice_field, transplanter, cast, client_for
):
    transplant(transplanter, rice_field.parcel)
    c = client_for(cast.village_a)
    answer = c.post(
        reverse("farmland:rice_input", args=[rice_field.pk]),
        {"kind": "fertilizer", "name": "尿素", "dose": "每亩 5 kg", "applied_on": "2026-04-28"},
    )
    assert answer.status_code == 302
    page = c.get(reverse("farmland:rice_field", args=[rice_field.pk])).content.decode()
    assert "尿素" in page and "每亩 5 kg" in page
    assert "久保田插秧机1号" in page and "插秧" in page
