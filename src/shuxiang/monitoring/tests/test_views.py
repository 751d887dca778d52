"""Pages a cadre uses on the phone, and what each role may see on them."""

import pytest
from django.utils import timezone

from shuxiang.core.actors import OPERATOR
from shuxiang.core.models import AuditEntry
from shuxiang.monitoring import services
from shuxiang.monitoring.models import Clue, Household
from shuxiang.monitoring.tests.helpers import household, id_number, member


@pytest.fixture
def sick(places):
    return household(
        places.hamlet_a,
        members=[
            member("王大山", id_number="430903198005170012", phone="13800001234", health="serious"),
            member("李秀英", "spouse", health="disabled", disability_grade=2),
        ],
        incomes={timezone.localdate().year - 1: {"wage": "8000"}},
    )


def test_village_cadre_sees_the_household_page_with_masked_ids_and_health(sick, cast, client_for):
    page = client_for(cast.village_a).get(f"/monitoring/households/{sick.pk}/").content.decode()
    assert "王大山" in page and "430903********0012" in page
    assert "430903198005170012" not in page and "13800001234" not in page
    assert "患有大病" in page and "残疾" in page


def test_grid_worker_sees_the_household_but_not_health_or_disability(sick, cast, client_for):
    page = client_for(cast.grid_a).get(f"/monitoring/households/{sick.pk}/").content.decode()
    assert "王大山" in page
    assert "患有大病" not in page and "健康状况" not in page and "残疾等级" not in page


def test_a_department_outside_monitoring_gets_403_on_every_monitoring_page(sick, cast, client_for):
    web = client_for(cast.department)  # 区农业农村局: domains cases, trace
    for url in (
        "/monitoring/",
        "/monitoring/households/",
        f"/monitoring/households/{sick.pk}/",
        "/monitoring/stats/",
    ):
        assert web.get(url).status_code == 403, url


def test_other_township_gets_404_for_the_household(sick, cast, client_for):
    assert client_for(cast.township_b).get(f"/monitoring/households/{sick.pk}/").status_code == 404


def test_household_list_export_carries_no_id_phone_or_health(sick, cast, client_for):
    for user in (cast.grid_a, cast.village_a):
        body = client_for(user).get("/monitoring/households/?export=csv").content.decode("utf-8-sig")
        assert sick.number in body
        for secret in ("430903198005170012", "430903********0012", "13800001234", "患有大病", "残疾"):
            assert secret not in body


def test_national_export_hides_risk_types_from_roles_without_health_permission(sick, cast, client_for):
    from io import BytesIO

    from openpyxl import load_workbook

    Household.objects.filter(pk=sick.pk).update(status="monitored", monitored_type="marginal")
    sick.risks.create(risk_type="illness", is_primary=True)

    def rows(user):
        data = client_for(user).get("/monitoring/households/export/").content
        return [
            [str(v or "") for v in r] for r in load_workbook(BytesIO(data)).active.iter_rows(values_only=True)
        ]

    grid_rows, cadre_rows = rows(cast.grid_a), rows(cast.village_a)
    assert any(sick.number in r for r in grid_rows)
    assert not any("因病" in cell for r in grid_rows for cell in r)
    assert any("因病" in cell for r in cadre_rows for cell in r)
    assert not any("4309031980" in cell for r in cadre_rows for cell in r)
    assert AuditEntry.objects.filter(action="export", object_type="monitoring.household").count() == 2


def test_cadre_records_a_screening_visit_with_a_concern_and_a_clue_appears(sick, cast, client_for):
    web = client_for(cast.grid_a)
    response = web.post(
        f"/monitoring/households/{sick.pk}/visit/",
        {
            "purpose": "screening",
            "visited_on": timezone.localdate().isoformat(),
            "notes": "户主住院手术，家庭收入中断",
            "concern": "on",
            "risk_types": ["illness"],
        },
    )
    assert response.status_code == 302
    clue = Clue.objects.get(household=sick)
    assert clue.channel == "cadre_screening" and clue.reporter == cast.grid_a
    assert "户主住院手术" in web.get("/monitoring/").content.decode()


def test_a_visit_without_notes_shows_a_chinese_error_and_writes_nothing(sick, cast, client_for):
    response = client_for(cast.grid_a).post(
        f"/monitoring/households/{sick.pk}/visit/",
        {
            "purpose": "screening",
            "visited_on": timezone.localdate().isoformat(),
            "notes": " ",
            "concern": "on",
        },
    )
    assert response.status_code == 200
    assert "请选择可能的风险类型" in response.content.decode() or "必填" in response.content.decode()
    assert not Clue.objects.exists() and not sick.visits.exists()


def test_anonymous_resident_declares_on_the_phone_page_with_consent(places, client):
    page = client.get("/monitoring/declare/")
    assert page.status_code == 200 and "农户自主申报" in page.content.decode()
    number = id_number()
    response = client.post(
        "/monitoring/declare/",
        {
            "place": places.village_a.code,
            "name": "赵四",
            "id_number": number,
            "phone": "13912345678",
            "description": "老伴突发脑梗住院，花费很大",
            "risk_types": ["illness"],
            "consent": "on",
        },
    )
    assert "申报已提交" in response.content.decode()
    clue = Clue.objects.get()
    assert clue.channel == "self_declaration" and clue.consent and clue.person.name == "赵四"
    assert clue.person.id_number == number  # stored once, in core.Person, encrypted at rest


def test_a_declaration_without_consent_is_refused_and_nothing_is_written(places, client):
    from shuxiang.core.models import Person

    response = client.post(
        "/monitoring/declare/",
        {
            "place": places.village_a.code,
            "name": "赵四",
            "id_number": id_number(),
            "description": "老伴突发脑梗住院，花费很大",
        },
    )
    assert "请阅读并同意" in response.content.decode()
    assert not Clue.objects.exists() and not Person.objects.filter(name="赵四").exists()


def test_a_declaration_with_an_invalid_id_number_is_refused(places, client):
    response = client.post(
        "/monitoring/declare/",
        {
            "place": places.village_a.code,
            "name": "赵四",
            "id_number": "430903198005170011",
            "description": "老伴突发脑梗住院，花费很大",
            "consent": "on",
        },
    )
    assert "校验位错误" in response.content.decode()
    assert not Clue.objects.exists()


def test_the_public_notice_shows_no_id_phone_bank_or_health(sick, cast, client):
    from datetime import timedelta

    from shuxiang.monitoring import procedures
    from shuxiang.monitoring.tests.conftest import png

    proc = procedures.do_start_identification(sick, actor=cast.village_a)
    procedures.do_home_visit(
        proc,
        actor=cast.village_a,
        consent_signed=True,
        notes="户主患大病住院，配偶二级残疾",
        visited_on=timezone.localdate(),
        photos=[png()],
        proposed_type="marginal",
        risk_types=["illness", "disability"],
        primary_risk="illness",
    )
    procedures.do_village_review(
        proc,
        actor=cast.village_a,
        notes="评议同意",
        notice_from=timezone.localdate(),
        notice_to=timezone.localdate() + timedelta(days=5),
    )
    proc.refresh_from_db()
    page = client.get(f"/monitoring/notice/{proc.notice_token}/").content.decode()
    assert "王*山" in page and "边缘易致贫户" in page and "2人" in page
    for secret in ("430903", "13800001234", "因病", "因残", "大病", "残疾", "住院", "王大山", "银行"):
        assert secret not in page, secret
    assert client.get("/monitoring/notice/wrong-token/").status_code == 404


def test_import_page_reports_a_person_in_two_households_and_writes_nothing(places, cast, client_for):
    import io

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    shared = id_number()
    ws.append(["户编号", "村民小组代码", "农户类别", "姓名", "身份证号", "与户主关系"])
    ws.append(["H001", places.hamlet_a.code, "一般农户", "张一", shared, "户主"])
    ws.append(["H002", places.hamlet_a.code, "一般农户", "张二", id_number(), "户主"])
    ws.append(["H002", places.hamlet_a.code, "一般农户", "张一", shared, "子女"])
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "households.xlsx"
    response = client_for(cast.village_a).post("/monitoring/import/", {"file": buf})
    page = response.content.decode()
    assert "第4行「身份证号」" in page and "第2行" in page
    assert not Household.objects.exists()


def test_thresholds_are_maintained_by_admins_only(cast, client_for):
    data = {
        "action": "threshold",
        "province": "43",
        "province_name": "湖南省",
        "year": "2025",
        "amount": "7500",
    }
    assert client_for(cast.township_a).post("/monitoring/config/", data).status_code == 403
    assert client_for(cast.admin).post("/monitoring/config/", data).status_code == 302
    page = client_for(cast.township_a).get("/monitoring/config/").content.decode()
    assert "7500" in page


def test_running_the_rules_from_the_config_page_fills_the_clue_queue(places, cast, client_for):
    year = timezone.localdate().year - 1
    services.do_set_threshold(actor=OPERATOR, province="43", province_name="湖南省", year=year, amount="7000")
    hh = household(places.hamlet_a, incomes={year: {"wage": "3000"}})
    client_for(cast.admin).post("/monitoring/config/", {"action": "run", "year": str(year)})
    clue = Clue.objects.get(household=hh)
    page = client_for(cast.village_a).get(f"/monitoring/clues/{clue.pk}/").content.decode()
    assert "人均纯收入低于监测收入标准" in page and "1500" in page


def test_stats_count_monitored_households_by_township_and_type(sick, cast, client_for):
    Household.objects.filter(pk=sick.pk).update(status="monitored", monitored_type="sudden")
    page = client_for(cast.district).get("/monitoring/stats/").content.decode()
    assert "泉交河镇" in page and "突发严重困难户" in page


def test_grid_workers_see_that_an_alert_exists_but_not_its_health_content(
    sick, cast, client_for, api_for, rural
):
    services.do_receive_alerts(
        actor=rural,
        kind="medical",
        records=[{"id_number": "430903198005170012", "detail": "肿瘤住院自付5万元"}],
    )
    clue = Clue.objects.get()
    grid_pages = [
        client_for(cast.grid_a).get(url).content.decode()
        for url in (
            "/monitoring/",
            "/monitoring/clues/",
            f"/monitoring/clues/{clue.pk}/",
            "/monitoring/clues/?export=csv",
        )
    ]
    for page in grid_pages:
        assert "肿瘤" not in page and "医疗费用" not in page
    assert "需有相应权限查看" in grid_pages[2]
    [row] = api_for(cast.grid_a).get("/api/v1/monitoring/clues/").json()["results"]
    assert "肿瘤" not in row["summary"] and row["risk_types"] == [] and row["figures"] == {}
    assert "肿瘤" in client_for(cast.village_a).get(f"/monitoring/clues/{clue.pk}/").content.decode()
