"""A case page names what the case is about in Chinese: its type's fields by their labels, or the links
the owning app gives — never the raw keys of `extra` ("alarm 1", "task_code T07")."""

import pytest

from shuxiang.cases import services
from shuxiang.cases.registry import CaseField, CaseLink, CaseType, _types, register_type
from shuxiang.core.actors import OPERATOR


@pytest.fixture
def inspection_type():
    register_type(
        CaseType(
            code="test.inspection",
            label="巡查发现",
            fields=[
                CaseField("task_code", "任务编号", required=True),
                CaseField("grade", "等级", kind="choice", choices=(("a", "一般"), ("b", "较重"))),
                CaseField("fenced", "已设围挡", kind="bool"),
            ],
        )
    )
    yield "test.inspection"
    _types.pop("test.inspection", None)


def open_case(places, case_type, extra):
    return services.do_open_case(
        actor=OPERATOR,
        case_type=case_type,
        title="塘坝渗漏",
        description="巡查发现塘坝背水坡渗漏，请核查",
        place=places.village_a,
        extra=extra,
        channel="system",
    )


def test_the_page_shows_a_types_fields_by_their_chinese_labels(places, cast, client_for, inspection_type):
    case = open_case(places, inspection_type, {"task_code": "T07", "grade": "b", "fenced": True})
    page = client_for(cast.district).get(f"/cases/{case.pk}/").content.decode()
    assert "<dt>任务编号</dt><dd>T07</dd>" in page
    assert "<dt>等级</dt><dd>较重</dd>" in page and "<dt>已设围挡</dt><dd>是</dd>" in page
    assert "task_code" not in page and "grade" not in page and "fenced" not in page


def test_a_type_with_links_shows_the_links_instead(places, cast, client_for, inspection_type):
    _types[inspection_type].links = lambda case: [CaseLink("关联设施", "清水冲塘坝", "/water/reservoirs/1/")]
    case = open_case(places, inspection_type, {"task_code": "T07"})
    page = client_for(cast.district).get(f"/cases/{case.pk}/").content.decode()
    assert '<dt>关联设施</dt><dd><a href="/water/reservoirs/1/">清水冲塘坝</a></dd>' in page
    assert "T07" not in page
