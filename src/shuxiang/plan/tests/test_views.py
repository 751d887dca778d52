import io
from datetime import timedelta

from django.utils import timezone
from openpyxl import load_workbook

from shuxiang.cases.models import Case
from shuxiang.core.models import Unit
from shuxiang.plan import assignments, services
from shuxiang.plan.models import LedgerEntry


def form_of(round_, number, place):
    return LedgerEntry.objects.get(round=round_, task__number=number, place=place, unit__isnull=True)


def test_the_plan_page_shows_every_section_and_task(plan, cast, client_for):
    page = client_for(cast.village_a).get("/plan/").content.decode()
    assert "行动目标" in page and "保障措施" in page and "建立工作机制" in page
    assert "27." in page and "加强农村人居环境数字化治理" in page and "推进乡村优秀文化资源数字化" in page
    task = client_for(cast.village_a).get("/plan/tasks/16/").content.decode()
    assert "原文编号为“15.”" in task


def test_a_township_officer_fills_a_ledger_on_the_web_and_a_bad_value_keeps_what_was_typed(
    round_, places, cast, client_for
):
    form = form_of(round_, 8, places.township_a)
    web = client_for(cast.township_a)
    response = web.post(
        f"/plan/ledgers/{form.pk}/",
        {
            "action": "save",
            "progress": "两个猪场完成改造",
            "v_pig_stock": "三万",
        },
    )
    page = response.content.decode()
    assert response.status_code == 400 and "不是数字" in page and "两个猪场完成改造" in page
    form.refresh_from_db()
    assert form.progress == ""
    response = web.post(
        f"/plan/ledgers/{form.pk}/",
        {
            "action": "submit",
            "progress": "两个猪场完成改造",
            "v_pig_stock": "12",
        },
    )
    assert response.status_code == 302
    form.refresh_from_db()
    assert form.status == "submitted"
    page = web.get(f"/plan/ledgers/{form.pk}/").content.decode()
    assert "已报送" in page and "两个猪场完成改造" in page


def test_the_home_page_lists_forms_to_fill_and_to_approve(round_, places, cast, client_for):
    page = client_for(cast.township_a).get("/").content.decode()
    assert "待填报的工作台账" in page
    village = form_of(round_, 11, places.village_a)
    services.do_save_entry(village, actor=cast.village_a, progress="建站")
    services.do_submit_entry(village, actor=cast.village_a)
    page = client_for(cast.township_a).get("/").content.decode()
    assert "待审批的工作台账" in page
    waiting = client_for(cast.township_a).get("/plan/ledgers/?waiting=true").content.decode()
    assert "清水村" in waiting


def test_the_district_downloads_the_quarterly_bulletin_as_pdf_and_xlsx(round_, places, cast, client_for):
    form = form_of(round_, 1, places.township_a)
    services.do_save_entry(
        form, actor=cast.township_a, progress="粮食购销监管平台上线", problems="乡镇气象站点不足"
    )
    services.do_submit_entry(form, actor=cast.township_a)
    web = client_for(cast.district)
    pdf = web.get(f"/plan/rounds/{round_.pk}/bulletin.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert b"STSong-Light" in pdf.content and len(pdf.content) > 3000
    book = load_workbook(io.BytesIO(web.get(f"/plan/rounds/{round_.pk}/bulletin.xlsx").content))
    ranking = list(book["报送排名"].iter_rows(values_only=True))
    assert "2025年第3季度调度情况通报" in ranking[0][0]
    first_township = next(r for r in ranking[2:] if r[0] == "乡镇")
    assert first_township[1:4] == (1, "泉交河镇", 27)
    problems = [row[:3] for row in book["存在问题"].iter_rows(values_only=True)]
    assert (1, "泉交河镇", "乡镇气象站点不足") in problems
    assert client_for(cast.township_a).get(f"/plan/rounds/{round_.pk}/bulletin.pdf").status_code == 403


def test_a_ledger_problem_becomes_an_assignment_case_followed_in_the_case_engine(
    round_, places, cast, client_for
):
    form = form_of(round_, 11, places.township_a)
    services.do_save_entry(
        form, actor=cast.township_a, progress="推进", problems="快递进村成本高，需区级统筹"
    )
    deadline = (timezone.localtime() + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    response = client_for(cast.district).post(
        f"/plan/ledgers/{form.pk}/", {"action": "assign", "deadline": deadline, "major": "1"}
    )
    assert response.status_code == 302
    case = Case.objects.get(case_type="plan.assignment")
    assert case.unit == Unit.objects.get(name="泉交河镇人民政府")
    assert case.extra == {"major": True, "task_number": 11, "ledger_entry": form.pk, "period": "2025Q3"}
    assert case.source_ref == f"plan.entry:{form.pk}" and case.priority == "urgent"
    page = client_for(cast.township_a).get("/plan/assignments/").content.decode()
    assert case.tracking_number in page
    assert case.tracking_number not in client_for(cast.township_b).get("/plan/assignments/").content.decode()
    assert assignments.completion_by_unit(case.created_at.year) == {case.unit_id: (0, 1)}


def test_an_assignment_without_a_problem_or_deadline_is_refused(round_, places, cast):
    form = form_of(round_, 11, places.township_a)
    import pytest

    from shuxiang.core.errors import ServiceError

    with pytest.raises(ServiceError) as exc:
        assignments.do_assign_from_entry(
            form, actor=cast.district, deadline=timezone.now() + timedelta(days=3)
        )
    assert exc.value.code == "no_problem"
    with pytest.raises(ServiceError) as exc:
        assignments.do_assign(actor=cast.district, unit=None, title="x", description="", deadline=None)
    assert set(exc.value.fields) == {"unit", "description", "deadline"}
    assert not Case.objects.exists()


def test_the_dashboard_shows_kpis_against_2025_targets_a_ranking_and_a_map(round_, places, cast, client_for):
    from shuxiang.plan.tasks import TASKS, refresh_registry_indicators

    services.do_save_coverage(places.hamlet_a, actor=cast.district, has_fibre=True)
    refresh_registry_indicators("2025Q3", actor=TASKS)
    page = client_for(cast.district).get("/plan/dashboard/?indicator=fibre_hamlets").content.decode()
    assert "自然村光纤通达率" in page and "目标 100.0%" in page
    assert 'id="dash-geo"' in page and '"FeatureCollection"' in page and "泉交河镇" in page
    township = client_for(cast.township_a).get("/plan/dashboard/?indicator=fibre_hamlets").content.decode()
    assert "清水村" in township and "兰溪镇" not in township
    assert client_for(cast.township_a).get("/plan/dashboard/?place=430903111000").status_code == 404


def test_the_assessment_page_shows_how_each_score_was_computed(plan, places, cast, client_for):
    web = client_for(cast.district)
    response = web.post(
        "/plan/assessment/",
        {
            "action": "scheme",
            "year": 2025,
            "weight_kpi": 50,
            "weight_timeliness": 20,
            "weight_assignments": 20,
            "weight_manual": 10,
            "manual_default": 80,
            "commend_top": 3,
            "criticize_below": 60,
        },
    )
    assert response.status_code == 302
    web.post("/plan/assessment/?year=2025", {"action": "run"})
    page = web.get("/plan/assessment/?year=2025").content.decode()
    assert "计算过程" in page and "泉交河镇" in page and "区工信局" in page
    assert client_for(cast.township_a).post("/plan/assessment/", {"action": "run"}).status_code == 403
