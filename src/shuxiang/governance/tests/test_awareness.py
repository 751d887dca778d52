"""反诈、普法提示 through the warnings engine: a blue non-emergency notice to the villages'
loudspeakers, issued without a second approver, audited, with the loudspeakers' receipts counted."""

import pytest

from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import AuditEntry
from shuxiang.governance import awareness
from shuxiang.warnings import services as warnings
from shuxiang.warnings.models import Delivery, SignalType, Warning

TEXT = "凡是要求下载陌生软件、开启屏幕共享、转账到“安全账户”的都是诈骗，请不听、不信、不转账。"


@pytest.fixture
def loudspeakers(places):
    return [
        warnings.do_create_endpoint(
            actor=OPERATOR, name=f"{place.name}大喇叭", place=place, adapter="http", url="http://gw.test/cap"
        )
        for place in (places.village_a, places.hamlet_a, places.village_b)
    ]


def test_the_signal_type_is_a_blue_non_emergency_notice(db):
    kind = SignalType.objects.get(code="safety_awareness")
    assert kind.name == "安全宣传提示" and kind.colours == ["blue"] and kind.category == "Safety"


def test_an_anti_fraud_notice_reaches_the_township_s_loudspeakers_and_receipts_are_counted(
    places, cast, loudspeakers
):
    notice = awareness.do_issue_awareness_notice(
        actor=cast.district,
        topic="anti_fraud",
        headline="警惕冒充客服退款诈骗",
        description=TEXT,
        areas=[places.township_a.code],
        days=7,
    )
    notice = Warning.objects.get(pk=notice.pk)
    assert notice.status == "issued" and notice.colour == "blue" and not notice.needs_approval
    assert notice.headline == "反诈提示：警惕冒充客服退款诈骗" and "96110" in notice.instruction
    # the two loudspeakers of 泉交河镇, not 兰溪镇's
    deliveries = list(Delivery.objects.filter(warning=notice))
    assert {d.endpoint.place for d in deliveries} == {places.village_a, places.hamlet_a}
    assert AuditEntry.objects.filter(object_type="warnings.warning", object_id=str(notice.pk)).exists()
    warnings.do_record_receipt(actor=cast.gateway, token=deliveries[0].token, status="played")
    [row] = awareness.recent_notices(cast.district)
    assert (row.targeted, row.delivered, row.receipts) == (2, 1, 1)
    # the township officer sees the notice aimed at their villages, the other township does not
    assert [n.pk for n in awareness.recent_notices(cast.township_a)] == [notice.pk]
    assert awareness.recent_notices(cast.township_b) == []


def test_bad_notices_are_refused_and_nothing_is_written(places, cast, loudspeakers):
    before = Warning.objects.count()
    with pytest.raises(ServiceError) as exc:
        awareness.do_issue_awareness_notice(
            actor=cast.district, topic="rumour", headline="", description="短", areas=[], days=90
        )
    assert {"topic", "headline", "description", "areas", "days"} <= set(exc.value.fields)
    # a township officer holds no warnings grant: refused by the engine's gate
    with pytest.raises(ServiceError):
        awareness.do_issue_awareness_notice(
            actor=cast.township_a,
            topic="legal",
            headline="民法典进乡村",
            description=TEXT,
            areas=[places.village_a.code],
        )
    assert Warning.objects.count() == before and not Delivery.objects.exists()


def test_the_issuing_page_on_a_phone_form(places, cast, client_for, loudspeakers):
    browser = client_for(cast.district)
    page = browser.get("/awareness/")
    assert page.status_code == 200 and "反诈普法提示" in page.content.decode()
    bad = browser.post(
        "/awareness/",
        {"topic": "legal", "headline": "x", "description": "短", "areas": [places.village_a.code], "days": 7},
    )
    assert bad.status_code == 400 and "至少10个字" in bad.content.decode()
    assert not Warning.objects.exists()
    done = browser.post(
        "/awareness/",
        {
            "topic": "legal",
            "headline": "土地流转要签书面合同",
            "description": "土地经营权流转应当签订书面合同，写明期限、用途和价款，有疑问找村法律顾问。",
            "areas": [places.village_a.code],
            "days": 10,
        },
        follow=True,
    )
    text = done.content.decode()
    assert "已发布：普法宣传：土地流转要签书面合同" in text and "大喇叭2个" in text
    assert Warning.objects.get().signal_type.code == "safety_awareness"
    # the township officer may not issue: no warnings grant
    assert client_for(cast.township_a).get("/awareness/").status_code == 403


def test_the_demo_issues_notices_with_receipts_for_most_loudspeakers(places, cast, loudspeakers):
    import random
    from types import SimpleNamespace

    from shuxiang.governance import demo

    ctx = SimpleNamespace(
        users={"district": cast.district, "gateway": cast.gateway},
        townships=[places.township_a, places.township_b],
    )
    demo.build_awareness(ctx, random.Random(3))
    rows = awareness.recent_notices(cast.district)
    assert len(rows) == 3 and {r.headline.split("：")[0] for r in rows} == {"反诈提示", "普法宣传"}
    assert sum(r.receipts for r in rows) >= 1 and all(r.targeted >= 1 for r in rows)
