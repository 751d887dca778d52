"""XLSX import of the registry: people matched on ID numbers, nothing duplicated."""

import io

import pytest
from openpyxl import Workbook

from shuxiang.core import services as core_services
from shuxiang.core.actors import OPERATOR
from shuxiang.core.importers import ImportRejected, read_rows
from shuxiang.core.models import Person
from shuxiang.monitoring.importers import import_households
from shuxiang.monitoring.models import Household, Member
from shuxiang.monitoring.tests.helpers import id_number

HEADER = [
    "户编号",
    "村民小组代码",
    "农户类别",
    "脱贫年度",
    "住房安全等级",
    "饮水安全",
    "姓名",
    "身份证号",
    "电话",
]
HEADER += ["与户主关系", "劳动能力", "健康状况", "残疾等级", "在校情况", "参加医保"]


def xlsx(rows):
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return read_rows(buf.getvalue(), "households.xlsx")


def test_import_creates_households_and_reuses_people_already_registered_by_id_number(places, cast):
    known = id_number()
    existing = core_services.do_create_person(
        actor=OPERATOR, name="陈老三", place=places.hamlet_a, id_number=known
    )
    hamlet = places.hamlet_a.code
    rows = [
        [
            "H100",
            hamlet,
            "脱贫户",
            "2019",
            "B",
            "是",
            "陈老三",
            known,
            "13800002222",
            "户主",
            "普通劳动力",
            "健康",
            "",
            "非在校生",
            "是",
        ],
        [
            "H100",
            hamlet,
            "脱贫户",
            "2019",
            "B",
            "是",
            "陈小妹",
            id_number(),
            "",
            "子女",
            "无劳动力",
            "残疾",
            "2",
            "送教上门",
            "是",
        ],
    ]
    result = import_households(xlsx(rows), actor=cast.village_a)
    assert (result.created, result.members) == (1, 2)
    hh = Household.objects.get(number="H100")
    assert hh.category == "lifted" and hh.lifted_year == 2019 and hh.housing_grade == "B"
    assert Member.objects.get(person=existing).relation == "head"
    assert Person.objects.filter(name="陈老三").count() == 1
    child = Member.objects.get(person__name="陈小妹")
    assert (child.health, child.disability_grade, child.schooling) == ("disabled", 2, "home_teaching")


def test_importing_the_same_file_again_updates_instead_of_duplicating(places, cast):
    hamlet = places.hamlet_a.code
    head = id_number()
    rows = [
        [
            "H200",
            hamlet,
            "一般农户",
            "",
            "A",
            "是",
            "周大",
            head,
            "",
            "户主",
            "普通劳动力",
            "健康",
            "",
            "",
            "是",
        ]
    ]
    import_households(xlsx(rows), actor=cast.village_a)
    rows[0][4] = "C"
    rows[0][14] = "否"
    again = import_households(xlsx(rows), actor=cast.village_a)
    assert (again.created, again.updated) == (0, 1)
    hh = Household.objects.get()
    assert hh.housing_grade == "C" and hh.members.get().medical_insured is False
    assert Person.objects.count() == 1


def test_a_file_with_any_bad_row_is_rejected_whole_with_every_problem_listed(places, cast):
    hamlet = places.hamlet_a.code
    rows = [
        ["H300", hamlet, "一般农户", "", "A", "是", "好人", id_number(), "", "户主", "", "", "", "", ""],
        [
            "H301",
            hamlet,
            "一般农户",
            "",
            "A",
            "是",
            "坏号",
            "430903198001010000",
            "",
            "户主",
            "",
            "",
            "",
            "",
            "",
        ],
        [
            "H302",
            places.hamlet_b.code,
            "富户",
            "",
            "A",
            "是",
            "外镇",
            id_number(),
            "",
            "户主",
            "",
            "",
            "",
            "",
            "",
        ],
        ["H303", hamlet, "一般农户", "", "A", "是", "无主", id_number(), "", "子女", "", "", "", "", ""],
    ]
    with pytest.raises(ImportRejected) as err:
        import_households(xlsx(rows), actor=cast.village_a)
    text = "\n".join(p.as_text() for p in err.value.problems)
    assert "第3行「身份证号」" in text and "校验位" in text
    assert "第4行「村民小组代码」" in text and "不在您的管辖范围内" in text
    assert "第4行「农户类别」" in text
    assert "户 H303 须有且只有一名户主" in text
    assert not Household.objects.exists() and not Person.objects.exists()
