import re
from datetime import timedelta

import pytest
from django.utils import timezone

from shuxiang.core import pii
from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError
from shuxiang.governance import affairs
from shuxiang.governance.models import VillageDecision
from shuxiang.indicators.periods import quarter_of

ID_OR_PHONE = re.compile(r"(?<!\d)(\d{17}[\dXx]|1[3-9]\d{9})(?!\d)")


def _decision(places, days_ago=20):
    start = timezone.localdate() - timedelta(days=days_ago)
    return affairs.do_propose_decision(
        actor=OPERATOR,
        village=places.village_a,
        title="清水村村道硬化工程",
        content="拟使用村集体经济收入硬化村道1.2公里，预算38万元。",
        proposed_on=start,
    ), start


def test_a_decision_goes_through_four_deliberations_and_two_disclosures_in_order(places):
    d, start = _decision(places)
    with pytest.raises(ServiceError) as exc:
        affairs.do_advance_decision(d, actor=OPERATOR, on=start - timedelta(days=1))
    assert "不能早于上一环节" in exc.value.fields["on"][0]
    affairs.do_advance_decision(d, actor=OPERATOR, on=start + timedelta(days=1))
    affairs.do_advance_decision(d, actor=OPERATOR, on=start + timedelta(days=3))
    with pytest.raises(ServiceError) as exc:
        affairs.do_advance_decision(d, actor=OPERATOR, on=start + timedelta(days=5), votes=(10, 12, 3))
    assert "未过半数" in exc.value.fields["votes"][0]
    assert VillageDecision.objects.get(pk=d.pk).stage == "review"
    affairs.do_advance_decision(d, actor=OPERATOR, on=start + timedelta(days=5), votes=(31, 2, 1))
    affairs.do_advance_decision(d, actor=OPERATOR, on=start + timedelta(days=8))
    with pytest.raises(ServiceError):
        affairs.do_advance_decision(d, actor=OPERATOR, on=start + timedelta(days=18), result="")
    affairs.do_advance_decision(
        d, actor=OPERATOR, on=start + timedelta(days=18), result="村道已硬化完成并通过验收"
    )
    d.refresh_from_db()
    assert d.stage == "result" and d.disclosed_on_time is True
    rows = affairs.disclosed_on_time(quarter_of(d.resolved_on), today=timezone.localdate())
    assert rows == [(places.village_a.pk, 1, 1)]


def test_the_public_affairs_page_shows_disclosed_decisions_and_no_personal_data(places, cast, client):
    from shuxiang.governance import mediation

    d, start = _decision(places)
    for i, on in enumerate((1, 2, 3, 4)):
        affairs.do_advance_decision(
            d, actor=OPERATOR, on=start + timedelta(days=on), votes=(20, 1, 0) if i == 2 else None
        )
    hidden, _ = _decision(places)
    VillageDecision.objects.filter(pk=hidden.pk).update(title="尚未公开的提议")
    affairs.do_record_meeting(
        actor=OPERATOR,
        village=places.village_a,
        kind="assembly",
        held_on=timezone.localdate(),
        topic="学习党章",
        attended=18,
        expected=20,
        minutes="张三发言……电话13812345678",
    )
    first17 = "43090319800101001"
    mediation.do_register_dispute(
        actor=OPERATOR,
        place=places.hamlet_a,
        kind="neighbour",
        description="邻里纠纷某某",
        parties=[
            {"name": "王五", "id_number": first17 + pii.id_check_char(first17), "side": "applicant"},
            {
                "name": "赵六",
                "id_number": "43090319800101002" + pii.id_check_char("43090319800101002"),
                "side": "respondent",
            },
        ],
    )
    page = client.get(f"/affairs/{places.village_a.code}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "清水村村道硬化工程" in text and "赞成 20" in text and "尚未公开的提议" not in text
    assert "支部党员大会" in text and "90%" in text
    assert ID_OR_PHONE.search(text) is None
    for secret in ("张三", "王五", "赵六", "13812345678", "邻里纠纷某某"):
        assert secret not in text
    assert client.get("/affairs/430903999999/").status_code == 404


def test_meeting_attendance_cannot_exceed_those_expected(places):
    with pytest.raises(ServiceError) as exc:
        affairs.do_record_meeting(
            actor=OPERATOR,
            village=places.village_a,
            kind="lecture",
            held_on=timezone.localdate(),
            topic="党课",
            attended=30,
            expected=20,
        )
    assert "attended" in exc.value.fields


def test_staff_advance_a_decision_on_its_page(places, cast, client_for):
    d, start = _decision(places)
    web = client_for(cast.village_a)
    assert "清水村村道硬化工程" in web.get("/affairs/").content.decode()
    r = web.post(f"/affairs/decisions/{d.pk}/", {"on": (start + timedelta(days=1)).isoformat()})
    assert r.status_code == 302
    assert VillageDecision.objects.get(pk=d.pk).stage == "discussion"
    assert client_for(cast.township_b).get(f"/affairs/decisions/{d.pk}/").status_code == 404
