"""High-standard farmland O&M: facilities registered per project, damage reported on a phone opens one
repair case for the township (a second report joins it), the case's resolution puts the facility back
in service, field sensors report through the iot engine with their rules; bad input writes nothing."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from shuxiang.cases import services as cases
from shuxiang.cases.models import Case
from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import Forbidden, NotFound, ServiceError
from shuxiang.core.models import AuditEntry
from shuxiang.farmland import facilities, services
from shuxiang.farmland.models import Facility
from shuxiang.farmland.tests.layerfiles import LAT, LNG

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(places):
    return services.do_create_project(
        actor=OPERATOR, code="HBNT-T-01", name="测试高标准农田项目", year=2024, place=places.township_a,
        investment=1200, planned_area_mu=8000, facilities="机埠2座",
    )  # fmt: skip


def register(project, place, code="F-01", kind="channel", actor=OPERATOR, **kw):
    values = {"name": "清水村衬砌渠道1号", "latitude": LAT, "longitude": LNG, "caretaker": "清水村委会", **kw}
    return facilities.do_register_facility(
        actor=actor, project=project, code=code, kind=kind, place=place, **values
    )


def test_a_damage_report_opens_one_repair_case_for_the_township_and_resolving_it_restores_the_facility(
    project, places, cast, django_capture_on_commit_callbacks
):
    facility = register(project, places.village_a)
    case = facilities.do_report_damage(facility, actor=cast.grid_a, description="渠道衬砌板垮塌约3米")
    facility.refresh_from_db()
    assert facility.status == "damaged" and facility.case == case and facility.repairs == 1
    assert case.case_type == "farmland.facility" and case.category.name == "高标准农田管护"
    assert case.unit.name == "泉交河镇人民政府"
    assert "清水村衬砌渠道1号" in case.description and "渠道衬砌板垮塌约3米" in case.description

    again = facilities.do_report_damage(facility, actor=cast.village_a, description="垮塌扩大到5米")
    assert again == case and Case.objects.filter(case_type="farmland.facility").count() == 1
    assert case.events.filter(note__contains="再次报修：垮塌扩大到5米").exists()

    with django_capture_on_commit_callbacks(execute=True):
        cases.do_accept_case(case, actor=cast.township_a)
        cases.do_start_case(case, actor=cast.township_a)
        cases.do_resolve_case(case, actor=cast.township_a, note="已重新衬砌，恢复通水")
    facility.refresh_from_db()
    assert facility.status == "normal"
    assert AuditEntry.objects.filter(object_type="farmland.facility", object_id=str(facility.pk)).count() >= 3

    # broken again later: a new case
    second = facilities.do_report_damage(facility, actor=cast.grid_a, description="渠道再次被淤泥堵塞")
    assert second != case
    facility.refresh_from_db()
    assert facility.repairs == 2 and facility.status == "damaged"


def test_a_sensor_facility_reports_through_the_iot_engine_with_its_rules(project, places):
    from shuxiang.iot import services as iot
    from shuxiang.iot.models import Alarm, AlarmRule

    facility = register(
        project, places.village_a, code="F-S1", kind="sensor", name="墒情站", device_code="FS-T-01"
    )
    assert facility.device.kind == "field_sensor"
    assert set(AlarmRule.objects.filter(device=facility.device).values_list("name", flat=True)) == {
        r["name"] for r in facilities.FIELD_RULES
    }
    now = timezone.now()
    messages = [
        iot.Message(
            "FS-T-01", [("WL", now - timedelta(minutes=m), 180.0), ("SM", now - timedelta(minutes=m), 40.0)]
        )
        for m in (90, 60, 30, 0)
    ]
    iot.do_ingest(messages, actor=OPERATOR)
    sensors = {s.key: s.last_value for s in facility.device.sensors.all()}
    assert sensors == {"WL": 180.0, "SM": 40.0}
    assert Alarm.objects.filter(rule__device=facility.device, rule__name="田间水位过高（淹苗风险）").exists()


@pytest.mark.parametrize(
    "change, field",
    [
        ({"latitude": 39.9, "longitude": 116.4}, "latitude"),  # Beijing: outside the county
        ({"kind": "castle"}, "kind"),
        ({"name": " "}, "name"),
        ({"code": "HBNT-T-01-" + "9" * 40}, "code"),
        ({"device_code": "FS-X"}, "device_code"),  # only a sensor takes a device
    ],
)
def test_bad_facilities_are_refused_with_the_field_named_and_nothing_is_written(
    project, places, change, field
):
    values = {"code": "F-09", "kind": "pump", **change}
    with pytest.raises(ServiceError) as caught:
        register(project, places.village_a, **values)
    assert field in caught.value.fields
    assert not Facility.objects.exists()


def test_a_facility_in_a_village_outside_the_project_area_is_refused(project, places):
    with pytest.raises(ServiceError) as caught:
        register(project, places.village_b)
    assert "不在项目区" in caught.value.fields["place"][0]


def test_a_code_used_twice_is_refused(project, places):
    register(project, places.village_a)
    with pytest.raises(ServiceError) as caught:
        register(project, places.village_a)
    assert "已存在" in caught.value.fields["code"][0]


def test_an_empty_damage_report_and_a_report_from_outside_the_region_write_nothing(project, places, cast):
    facility = register(project, places.village_a)
    with pytest.raises(ServiceError):
        facilities.do_report_damage(facility, actor=cast.grid_a, description="坏了")
    with pytest.raises(NotFound):  # another village's facility does not exist for them
        facilities.do_report_damage(facility, actor=cast.grid_b, description="渠道衬砌板垮塌约3米")
    with pytest.raises(Forbidden):
        facilities.do_report_damage(facility, actor=cast.bank, description="渠道衬砌板垮塌约3米")
    facility.refresh_from_db()
    assert facility.status == "normal" and not Case.objects.filter(case_type="farmland.facility").exists()


def test_a_grid_worker_reports_damage_on_a_phone_page_and_sees_the_facility_damaged(
    project, places, cast, client_for
):
    facility = register(project, places.village_a)
    c = client_for(cast.grid_a)
    page = c.get(reverse("farmland:facility_detail", args=[facility.pk]))
    assert page.status_code == 200 and "报修" in page.content.decode()
    bad = c.post(reverse("farmland:facility_damage", args=[facility.pk]), {"description": "坏"})
    assert bad.status_code == 400 and "至少" in bad.content.decode()
    done = c.post(
        reverse("farmland:facility_damage", args=[facility.pk]), {"description": "机耕路被冲毁一段"}
    )
    assert done.status_code == 302
    page = c.get(reverse("farmland:facility_detail", args=[facility.pk])).content.decode()
    assert "损坏待修" in page and Case.objects.get(case_type="farmland.facility").tracking_number in page
    listing = client_for(cast.township_a).get(reverse("farmland:facility_list")).content.decode()
    assert "清水村衬砌渠道1号" in listing and 'id="damaged-count">1<' in listing
    # another township's staff do not see it
    assert (
        client_for(cast.township_b).get(reverse("farmland:facility_detail", args=[facility.pk])).status_code
        == 404
    )


def test_the_township_registers_a_facility_in_the_browser(project, places, cast, client_for):
    c = client_for(cast.township_a)
    form = c.get(reverse("farmland:facility_new")).content.decode()
    assert "测试高标准农田项目" in form and "兰溪镇" not in form
    answer = c.post(
        reverse("farmland:facility_new"),
        {"project": project.pk, "code": "F-20", "kind": "pump", "name": "清水村机埠", "village": places.village_a.pk,
         "latitude": LAT, "longitude": LNG, "size": "55 kW", "caretaker": "张三"},
    )  # fmt: skip
    assert answer.status_code == 302
    assert Facility.objects.get(code="F-20").get_kind_display() == "泵站"


def test_the_api_lists_facilities_in_scope_and_takes_damage_reports(project, places, cast, api_for):
    facility = register(project, places.village_a)
    api = api_for(cast.grid_a)
    listing = api.get("/api/v1/farmland/facilities/").json()
    assert listing["count"] == 1 and listing["results"][0]["code"] == "F-01"
    assert listing["results"][0]["village"] == places.village_a.code
    bad = api.post(f"/api/v1/farmland/facilities/{facility.pk}/damage/", {"description": ""}, format="json")
    assert bad.status_code == 400 and "description" in bad.json()["fields"]
    body = {"description": "闸门启闭机锈死", "submission_key": "k-1"}
    answer = api.post(f"/api/v1/farmland/facilities/{facility.pk}/damage/", body, format="json")
    assert answer.status_code == 201 and answer.json()["facility"]["status"] == "damaged"
    repeat = api.post(f"/api/v1/farmland/facilities/{facility.pk}/damage/", body, format="json")
    assert repeat.json()["case"] == answer.json()["case"]
    assert Case.objects.filter(case_type="farmland.facility").count() == 1
    assert api_for(cast.grid_b).get("/api/v1/farmland/facilities/").json()["count"] == 0
    assert api_for(cast.bank).get("/api/v1/farmland/facilities/").status_code == 403
