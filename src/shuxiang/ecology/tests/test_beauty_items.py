"""The 美丽屋场 checklist: the platform's placeholder items are marked as such; the county loads its own
from a CSV/XLSX file (page or `shuxiang beauty_items FILE`), all or nothing, and scoring follows it."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone

from shuxiang.core.models import AuditEntry
from shuxiang.ecology.models import BeautyItem

COUNTY = "编号,内容,分值,排序\nroad,一条干净整洁的通组道路,25,1\nhouse,一批整洁的农房,25,2\nyard,一个美丽庭院,20,3\npond,一口清洁的当家塘,10,4\nhall,一个屋场会议点,10,5\nrule,一份屋场公约,10,6\n"


def _upload(text, name="heshan-liugeyi.csv"):
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def test_the_placeholders_are_marked_on_the_checklist_page_and_the_scoring_form(client_for, cast):
    assert set(BeautyItem.objects.values_list("placeholder", flat=True)) == {True}
    c = client_for(cast.township_a)
    page = c.get("/sanitation/beauty/items/").content.decode()
    assert 'id="placeholder-note"' in page and page.count("占位示例") >= 6
    assert 'id="load-items"' not in page  # a township may look, only the district loads
    assert "平台占位示例" in c.get("/sanitation/beauty/add/").content.decode()


def test_the_district_loads_the_countys_checklist_and_scoring_uses_it(client_for, cast, places):
    c = client_for(cast.district)
    response = c.post("/sanitation/beauty/items/", {"file": _upload(COUNTY)})
    assert response.status_code == 302
    active = list(BeautyItem.objects.filter(is_active=True))
    assert [i.code for i in active] == ["road", "house", "yard", "pond", "hall", "rule"]
    assert {i.source for i in active} == {"heshan-liugeyi.csv"} and not any(i.placeholder for i in active)
    assert BeautyItem.objects.filter(placeholder=True, is_active=False).count() == 6
    page = c.get("/sanitation/beauty/items/").content.decode()
    assert 'id="placeholder-note"' not in page and "一口清洁的当家塘" in page
    form = c.get("/sanitation/beauty/add/").content.decode()
    assert "s_road" in form and "s_toilet" not in form
    assert AuditEntry.objects.filter(object_type="ecology.beautyitem").count() == 12  # 6 added, 6 retired


@pytest.mark.parametrize(
    "text, where",
    [
        ("编号,内容,分值\nroad,道路,0\n", "分值"),
        ("编号,内容,分值\nroad,道路,10\nroad,农房,10\n", "重复"),
        ("编号,内容,分值\nroad;1,道路,10\n", "编号"),
        ("编号,内容,分值\nroad,,10\n", "内容"),
        ("编号,内容,分值\n", "没有评分项"),
    ],
)
def test_a_bad_checklist_file_changes_nothing_and_names_the_row(client_for, cast, text, where):
    before = list(BeautyItem.objects.values_list("code", "is_active"))
    response = client_for(cast.district).post("/sanitation/beauty/items/", {"file": _upload(text)})
    assert response.status_code == 200
    assert where in response.content.decode()
    assert list(BeautyItem.objects.values_list("code", "is_active")) == before


def test_a_township_cannot_load_a_checklist(client_for, cast):
    response = client_for(cast.township_a).post("/sanitation/beauty/items/", {"file": _upload(COUNTY)})
    assert response.status_code == 403
    assert not BeautyItem.objects.filter(code="road").exists()


def test_the_cli_loads_a_checklist_and_refuses_a_bad_one(tmp_path, db):
    good = tmp_path / "county.csv"
    good.write_text(COUNTY, encoding="utf-8")
    call_command("beauty_items", str(good))
    assert BeautyItem.objects.filter(is_active=True).count() == 6
    assert BeautyItem.objects.get(code="road").max_score == 25
    bad = tmp_path / "bad.csv"
    bad.write_text("编号,内容,分值\nroad,道路,500\n", encoding="utf-8")
    with pytest.raises(CommandError, match="分值"):
        call_command("beauty_items", str(bad))
    assert BeautyItem.objects.get(code="road").max_score == 25


def test_tasks_26_and_27_carry_the_ecology_indicators_computed_by_registered_sources(places, cast):
    from shuxiang.core.actors import OPERATOR
    from shuxiang.indicators.registry import sources
    from shuxiang.plan.loader import load_file
    from shuxiang.plan.models import Task

    plan = load_file(actor=OPERATOR).plan
    attached = {
        t.number: sorted(i.computed_by for i in t.indicators.all())
        for t in Task.objects.filter(plan=plan, number__in=[26, 27])
    }
    assert attached == {
        26: ["ecology.forest_area", "ecology.samples_meeting_standard", "ecology.sources_meeting_standard"],
        27: ["ecology.beautiful_village_score", "ecology.collection_on_schedule"],
    }
    assert all(by in sources for by in attached[26] + attached[27])


def test_the_demo_refreshes_the_ecology_indicators_of_the_plan(places, cast, section):
    from shuxiang.core.actors import OPERATOR
    from shuxiang.ecology import demo
    from shuxiang.ecology.tests.conftest import clean_values
    from shuxiang.indicators.models import Indicator
    from shuxiang.plan.loader import load_file

    load_file(actor=OPERATOR)
    from shuxiang.ecology import services

    services.do_record_sample(
        section, actor=OPERATOR, taken_at=timezone.now(), sampler="李明", values=clean_values()
    )
    demo.refresh_indicators()
    indicator = Indicator.objects.get(code="water_samples_meeting_standard")
    assert indicator.values.filter(place=places.village_a).exists()
