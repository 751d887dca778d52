from datetime import timedelta

import pytest
from django.utils import timezone

from shuxiang.cases.models import Case
from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError
from shuxiang.housing import services
from shuxiang.housing.models import BusinessInspection
from shuxiang.housing.tests.helpers import house, photo


def _shop(place):
    return house(place, use="mixed", business_kind="homestay", business_name="荷塘民宿", floors=3)


def test_a_living_house_is_not_inspected_as_a_business_house(places):
    h = house(places.hamlet_a)
    with pytest.raises(ServiceError) as exc:
        services.do_record_inspection(h, actor=OPERATOR, inspected_on=timezone.localdate())
    assert "house" in exc.value.fields and not BusinessInspection.objects.exists()


def test_a_business_house_needs_its_kind(places):
    with pytest.raises(ServiceError) as exc:
        house(places.hamlet_a, use="business")
    assert "business_kind" in exc.value.fields


def test_a_hazard_goes_from_inspection_to_a_case_to_closure_with_evidence(places, cast):
    h = _shop(places.hamlet_a)
    today = timezone.localdate()
    inspection = services.do_record_inspection(
        h,
        actor=cast.grid_a,
        inspected_on=today,
        hazards=["business_fire", "legal_planning"],
        note="楼梯间堆放杂物",
        photos=[photo()],
    )
    assert inspection.result == "hazard" and inspection.deadline == today + timedelta(days=30)
    case = Case.objects.get(pk=inspection.case_id)
    assert case.case_type == "housing.rectification" and case.deadline.date() == inspection.deadline
    assert "消防通道" in case.description
    # no closure without photos and a description
    with pytest.raises(ServiceError) as exc:
        services.do_rectify_inspection(inspection, actor=cast.grid_a, rectified_on=today, note="", photos=[])
    assert {"note", "photos"} <= set(exc.value.fields)
    assert BusinessInspection.objects.get(pk=inspection.pk).result == "hazard"
    # nor by resolving the case in the queue: refused with the way to close it
    from shuxiang.cases import services as cases

    case = cases.do_accept_case(case, actor=cast.township_a, note="受理")
    case = cases.do_start_case(case, actor=cast.township_a, note="督促整改")
    with pytest.raises(ServiceError) as exc:
        cases.do_resolve_case(case, actor=cast.township_a, note="已整改，办结")
    assert exc.value.code == "step_refused" and "整改销号" in exc.value.message
    assert Case.objects.get(pk=case.pk).state == "in_progress"
    services.do_rectify_inspection(
        inspection, actor=cast.grid_a, rectified_on=today, note="杂物已清理，补办规划手续", photos=[photo()]
    )
    inspection.refresh_from_db()
    assert inspection.result == "rectified"
    assert Case.objects.get(pk=case.pk).state == "closed"


def test_a_hazard_without_a_photo_or_an_unknown_hazard_is_refused(places):
    h = _shop(places.hamlet_a)
    with pytest.raises(ServiceError) as exc:
        services.do_record_inspection(
            h, actor=OPERATOR, inspected_on=timezone.localdate(), hazards=["business_fire", "ghost"]
        )
    assert "hazards" in exc.value.fields and "photos" in exc.value.fields
    assert not BusinessInspection.objects.exists() and not Case.objects.exists()


def test_a_safe_inspection_opens_no_case(places):
    h = _shop(places.hamlet_a)
    inspection = services.do_record_inspection(h, actor=OPERATOR, inspected_on=timezone.localdate())
    assert inspection.result == "safe" and inspection.case is None


def test_statistics_by_township_and_hazard(places, cast, client_for):
    today = timezone.localdate()
    a, b = _shop(places.hamlet_a), _shop(places.hamlet_b)
    services.do_record_inspection(
        a, actor=OPERATOR, inspected_on=today, hazards=["business_fire"], photos=[photo()]
    )
    i = services.do_record_inspection(
        b, actor=OPERATOR, inspected_on=today, hazards=["business_fire", "structure_crack"], photos=[photo()]
    )
    services.do_rectify_inspection(
        i, actor=OPERATOR, rectified_on=today, note="裂缝已加固处理", photos=[photo()]
    )
    page = client_for(cast.district).get("/housing/business/").content.decode()
    assert "经营：消防通道堵塞或无消防设施</td><td>2</td><td>1</td>" in page
    assert "结构：承重构件开裂变形</td><td>1</td><td>1</td>" in page
    assert "<td>泉交河镇</td><td>1</td><td>1</td><td>1</td><td>0</td>" in page
    assert "荷塘民宿" in page


def test_the_inspection_form_and_the_rectification_page(places, cast, client_for):
    h = _shop(places.hamlet_a)
    web = client_for(cast.village_a)
    today = timezone.localdate().isoformat()
    r = web.post(
        f"/housing/houses/{h.code}/inspect/",
        {"inspected_on": today, "hazards": ["legal_land"], "note": "未办理用地审批", "photos": [photo()]},
    )
    assert r.status_code == 302, r.content.decode()[:1500]
    inspection = BusinessInspection.objects.get()
    page = web.get(f"/housing/business/inspections/{inspection.pk}/").content.decode()
    assert "合法性：无用地审批" in page and "整改销号" in page
    r = web.post(
        f"/housing/business/inspections/{inspection.pk}/",
        {"rectified_on": today, "note": "已补办用地手续", "photos": [photo()]},
    )
    assert r.status_code == 302
    assert BusinessInspection.objects.get().result == "rectified"
