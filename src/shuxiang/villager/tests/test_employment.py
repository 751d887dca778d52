"""Employment monitoring: records by cadres and from the bureau's sheet, statistics, scope, API."""

from datetime import date, timedelta

import pytest

from shuxiang.core import services as core_services
from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError
from shuxiang.villager import employment
from shuxiang.villager.models import EmploymentRecord

pytestmark = pytest.mark.django_db

ID_A = "430903199001011237"
ID_B = "43090319850505123X"


def _valid(first17):
    from shuxiang.core.pii import id_check_char

    return first17 + id_check_char(first17)


@pytest.fixture
def people(places):
    a = core_services.do_create_person(
        actor=OPERATOR, name="赵小军", place=places.hamlet_a, id_number=_valid("43090319900101123")
    )
    b = core_services.do_create_person(
        actor=OPERATOR, name="钱桂英", place=places.hamlet_b, id_number=_valid("43090319850505124")
    )
    return a, b


def sheet(rows):
    header = "姓名,身份证号,群体,年度,季度,就业状态,行业,就业单位,求职意向\n"
    return (header + "\n".join(",".join(r) for r in rows) + "\n").encode()


def test_the_bureaus_sheet_is_imported_by_id_number(places, cast, people):
    a, b = people
    data = sheet(
        [
            ["赵小军", a.id_number, "脱贫人口", "2026", "4", "县外务工", "制造业", "广东东莞电子厂", ""],
            ["钱桂英", b.id_number, "脱贫人口", "2026", "4", "未就业", "", "", "农林牧渔"],
        ]
    )
    result = employment.do_import_employment(data, "renshe.csv", actor=cast.district)
    assert (result.created, result.updated) == (2, 0)
    record = EmploymentRecord.objects.get(person=a)
    assert record.status == "out_of_county" and record.sector == "manufacturing" and record.source == "import"
    again = employment.do_import_employment(data, "renshe.csv", actor=cast.district)
    assert (again.created, again.updated) == (0, 2)


def test_a_sheet_with_an_unknown_person_writes_nothing(places, cast, people):
    a, _ = people
    data = sheet(
        [
            ["赵小军", a.id_number, "脱贫人口", "2026", "4", "县内就业", "农林牧渔", "本村茶厂", ""],
            ["孙某", _valid("43090319700101999"), "脱贫人口", "2026", "4", "未就业", "", "", ""],
            ["赵小军", a.id_number, "农民工", "2026", "5", "打零工", "", "", ""],
        ]
    )
    with pytest.raises(ServiceError) as exc:
        employment.do_import_employment(data, "renshe.csv", actor=cast.district)
    text = " ".join(exc.value.fields["rows"])
    assert "第3行「身份证号」：人员库中没有此人" in text
    assert "季度应为1到4" in text and "就业状态应为" in text
    assert not EmploymentRecord.objects.exists()


def test_a_township_officer_cannot_import_people_of_another_township(places, cast, people):
    _, b = people
    data = sheet([["钱桂英", b.id_number, "脱贫人口", "2026", "4", "未就业", "", "", ""]])
    with pytest.raises(ServiceError) as exc:
        employment.do_import_employment(data, "renshe.csv", actor=cast.township_a)
    assert "不在您的管辖范围内" in " ".join(exc.value.fields["rows"])
    assert not EmploymentRecord.objects.exists()


def test_statistics_by_township_and_group_and_the_computed_rate(places, cast, people):
    from shuxiang.indicators.periods import Period
    from shuxiang.villager.indicators import _employment_rate

    a, b = people
    employment.do_record_employment(
        actor=cast.village_a,
        person=a,
        group="poverty_exited",
        year=2026,
        quarter=4,
        status="local",
        sector="agriculture",
    )
    employment.do_record_employment(
        actor=cast.district, person=b, group="poverty_exited", year=2026, quarter=4, status="not_working"
    )
    stats = employment.statistics(EmploymentRecord.objects.all(), 2026, 4)
    by_town = {c["township"]: c for c in stats}
    assert by_town["泉交河镇"]["rate"] == 100.0 and by_town["兰溪镇"]["rate"] == 0.0
    rows = sorted(_employment_rate("poverty_exited")(Period(2026, 4)))
    assert rows == sorted([(places.hamlet_a.pk, 1, 1), (places.hamlet_b.pk, 0, 1)])


def test_a_cadre_updates_a_person_on_the_phone_and_sees_fitting_jobs(client_for, places, cast, people):
    a, _ = people
    record = employment.do_record_employment(
        actor=cast.grid_a,
        person=a,
        group="migrant",
        year=2026,
        quarter=3,
        status="out_of_county",
        sector="construction",
    )
    c = client_for(cast.grid_a)
    page = c.get(f"/employment/records/{record.pk}/update/?year=2026&quarter=4")
    assert page.status_code == 200 and 'name="viewport"' in page.content.decode()
    response = c.post(
        f"/employment/records/{record.pk}/update/?year=2026&quarter=4",
        {
            "group": "migrant",
            "year": "2026",
            "quarter": "4",
            "status": "not_working",
            "wanted_sector": "agriculture",
        },
    )
    assert response.status_code == 302
    assert EmploymentRecord.objects.filter(person=a).count() == 2
    page = c.get("/employment/?year=2026&quarter=4").content.decode()
    assert "赵*" in page and "未就业" in page


def test_a_grid_worker_gets_404_for_another_villages_record(client_for, cast, people):
    _, b = people
    record = employment.do_record_employment(
        actor=OPERATOR, person=b, group="youth", year=2026, quarter=4, status="local", sector="trade"
    )
    response = client_for(cast.grid_a).post(
        f"/employment/records/{record.pk}/update/",
        {"group": "youth", "year": "2026", "quarter": "4", "status": "not_working"},
    )
    assert response.status_code == 404
    assert EmploymentRecord.objects.get(pk=record.pk).status == "local"


def test_the_api_lists_in_scope_and_refuses_unknown_people(api_for, cast, people):
    a, b = people
    employment.do_record_employment(
        actor=OPERATOR, person=a, group="youth", year=2026, quarter=4, status="local", sector="trade"
    )
    employment.do_record_employment(
        actor=OPERATOR, person=b, group="youth", year=2026, quarter=4, status="local", sector="trade"
    )
    c = api_for(cast.township_a)
    body = c.get("/api/v1/employment/records/").json()
    assert body["count"] == 1 and body["results"][0]["place"] == "43090310320101"
    response = c.post(
        "/api/v1/employment/records/",
        {
            "id_number": _valid("43090319700101999"),
            "group": "youth",
            "year": 2026,
            "quarter": 3,
            "status": "local",
            "sector": "trade",
        },
        format="json",
    )
    assert response.status_code == 400 and response.json()["code"] == "unknown_person"
    response = c.post(
        "/api/v1/employment/records/",
        {
            "id_number": b.id_number,
            "group": "youth",
            "year": 2026,
            "quarter": 3,
            "status": "local",
            "sector": "trade",
        },
        format="json",
    )
    assert response.status_code == 400 and response.json()["code"] == "unknown_person"  # outside the township
    response = c.post(
        "/api/v1/employment/records/",
        {"id_number": a.id_number, "group": "youth", "year": 2026, "quarter": 3, "status": "local"},
        format="json",
    )
    assert response.status_code == 400 and response.json()["fields"] == {"sector": ["就业的请填写行业"]}
    response = c.post(
        "/api/v1/employment/records/",
        {
            "id_number": a.id_number,
            "group": "youth",
            "year": 2026,
            "quarter": 3,
            "status": "local",
            "sector": "trade",
        },
        format="json",
    )
    assert response.status_code == 201 and response.json()["period"] == "2026Q3"
    assert EmploymentRecord.objects.count() == 3


def test_courses_fill_up_and_count_completions(places, cast, people):
    a, b = people
    start = date.today() + timedelta(days=10)
    course = employment.do_create_course(
        actor=cast.township_a,
        name="茶叶加工技能培训",
        place=places.township_a,
        sector="agriculture",
        organiser="区人社局",
        starts_on=start,
        ends_on=start + timedelta(days=5),
        capacity=1,
    )
    enrolment = employment.do_enrol(course, actor=cast.township_a, person=a)
    with pytest.raises(ServiceError) as exc:
        employment.do_enrol(course, actor=cast.township_a, person=b)
    assert exc.value.code == "full"
    employment.do_complete(enrolment, actor=cast.township_a)
    assert course.enrollments.filter(completed=True).count() == 1


def test_an_officer_enrols_a_person_by_id_number_and_marks_completion(client_for, places, cast, people):
    a, b = people
    start = date.today() + timedelta(days=3)
    course = employment.do_create_course(
        actor=cast.township_a,
        name="电商直播带货培训",
        place=places.township_a,
        sector="trade",
        organiser="区人社局",
        starts_on=start,
        ends_on=start + timedelta(days=3),
        capacity=20,
    )
    c = client_for(cast.township_a)
    assert c.post(f"/employment/courses/{course.pk}/enrol/", {"id_number": a.id_number}).status_code == 302
    c.post(
        f"/employment/courses/{course.pk}/enrol/", {"id_number": b.id_number}
    )  # 兰溪镇: outside the region
    assert list(course.enrollments.values_list("person", flat=True)) == [a.pk]
    enrolment = course.enrollments.get()
    c.post(f"/employment/courses/{course.pk}/enrol/", {"complete": enrolment.pk})
    enrolment.refresh_from_db()
    assert enrolment.completed
    page = c.get(f"/employment/courses/{course.pk}/").content.decode()
    assert "已结业" in page and a.id_number not in page


def test_the_import_page_loads_a_sheet_and_lists_every_bad_row_of_a_refused_one(
    places, cast, people, client_for
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    a, _ = people
    c = client_for(cast.district)
    bad = sheet(
        [
            ["赵小军", a.id_number, "脱贫人口", "2026", "4", "县内就业", "农林牧渔", "本村茶厂", ""],
            ["孙某", _valid("43090319700101999"), "脱贫人口", "2026", "4", "未就业", "", "", ""],
        ]
    )
    response = c.post("/employment/import/", {"file": SimpleUploadedFile("renshe.csv", bad)})
    page = response.content.decode()
    assert response.status_code == 400 and 'id="problems"' in page and "人员库中没有此人" in page
    assert not EmploymentRecord.objects.exists()
    good = sheet([["赵小军", a.id_number, "脱贫人口", "2026", "4", "县内就业", "农林牧渔", "本村茶厂", ""]])
    response = c.post("/employment/import/", {"file": SimpleUploadedFile("renshe.csv", good)})
    assert response.status_code == 302 and EmploymentRecord.objects.count() == 1
