from datetime import timedelta

import pytest
from django.utils import timezone

from shuxiang.cases.models import Case
from shuxiang.core import pii
from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import Attachment, Person
from shuxiang.governance import mediation
from shuxiang.governance.models import Dispute


def idn(n):
    first17 = f"43090319760303{n:03d}"
    return first17 + pii.id_check_char(first17)


def parties(a=1, b=2):
    return [
        {"name": "黄建军", "id_number": idn(a), "side": "applicant"},
        {"name": "谢桂英", "id_number": idn(b), "side": "respondent"},
    ]


def register(places, actor=OPERATOR, **kw):
    return mediation.do_register_dispute(
        actor=actor,
        place=kw.pop("place", places.hamlet_a),
        kind="land",
        description="两户因宅基地界址发生争执",
        parties=kw.pop("parties", parties()),
        **kw,
    )


def test_a_party_s_wrong_id_number_is_refused_and_nothing_is_written(places):
    bad = parties()
    bad[1]["id_number"] = "430903197603030020"  # wrong check digit
    with pytest.raises(ServiceError) as exc:
        register(places, parties=bad)
    assert (
        "parties[1].id_number" in exc.value.fields
        and "第2位当事人" in exc.value.fields["parties[1].id_number"][0]
    )
    assert (
        not Dispute.objects.exists()
        and not Case.objects.exists()
        and not Person.objects.filter(name="黄建军").exists()
    )


def test_a_dispute_is_a_mediation_case_and_ends_with_an_agreement_pdf(places):
    dispute = register(places)
    assert dispute.case.case_type == "governance.mediation" and dispute.case.is_public is False
    assert dispute.parties.count() == 2
    today = timezone.localdate()
    with pytest.raises(ServiceError) as exc:
        mediation.do_conclude_dispute(
            dispute, actor=OPERATOR, outcome="agreed", concluded_on=today, agreement_text="双方同意按原界址线"
        )
    assert "outcome" in exc.value.fields  # no session yet
    mediation.do_record_session(
        dispute, actor=OPERATOR, held_on=today, note="双方到场，现场核对界址", location="村委会"
    )
    with pytest.raises(ServiceError) as exc:
        mediation.do_conclude_dispute(
            dispute, actor=OPERATOR, outcome="agreed", concluded_on=today, agreement_text=""
        )
    assert "agreement_text" in exc.value.fields
    mediation.do_conclude_dispute(
        dispute,
        actor=OPERATOR,
        outcome="agreed",
        concluded_on=today,
        agreement_text="双方同意以1998年确权界址为准，黄家拆除越界围墙0.5米。",
    )
    dispute.refresh_from_db()
    assert dispute.outcome == "agreed" and dispute.follow_up_on == today + timedelta(days=30)
    pdf = Attachment.objects.get(owner_type="governance.dispute", owner_id=str(dispute.pk))
    assert pdf.content_type == "application/pdf"
    data = pdf.file.read()
    assert data.startswith(b"%PDF") and idn(1).encode() not in data
    assert Case.objects.get(pk=dispute.case_id).state == "closed"
    mediation.do_follow_up(dispute, actor=OPERATOR, note="回访双方，协议已履行")


def test_dispute_pages_mask_the_parties(places, cast, client_for):
    dispute = register(places)
    web = client_for(cast.village_a)
    listing = web.get("/mediation/").content.decode()
    assert dispute.case.tracking_number in listing and "黄建军" not in listing
    page = web.get(f"/mediation/{dispute.pk}/").content.decode()
    assert "黄*军" in page and "黄建军" not in page and idn(1) not in page
    assert web.get(f"/mediation/{dispute.pk}/").status_code == 200
    assert client_for(cast.township_b).get(f"/mediation/{dispute.pk}/").status_code == 404


def test_registering_a_dispute_on_the_page(places, cast, client_for):
    web = client_for(cast.village_a)
    r = web.post(
        "/mediation/new/",
        {
            "place": places.hamlet_a.code,
            "kind": "neighbour",
            "description": "邻居建房遮挡采光发生争执",
            "applicant_name": "甲",
            "applicant_id_number": idn(5),
            "respondent_name": "乙",
            "respondent_id_number": "123",
        },
    )
    assert r.status_code == 400 and "身份证" in r.content.decode() and not Dispute.objects.exists()
    r = web.post(
        "/mediation/new/",
        {
            "place": places.hamlet_a.code,
            "kind": "neighbour",
            "description": "邻居建房遮挡采光发生争执",
            "applicant_name": "甲",
            "applicant_id_number": idn(5),
            "respondent_name": "乙",
            "respondent_id_number": idn(6),
        },
    )
    assert r.status_code == 302 and Dispute.objects.get().mediator == cast.village_a


def test_dispute_api_masks_parties_and_refuses_bad_input(places, cast, api_for):
    api = api_for(cast.township_a)
    r = api.post(
        "/api/v1/mediation/disputes/",
        {
            "place": places.hamlet_a.code,
            "kind": "family",
            "description": "赡养老人费用分担争议",
            "parties": parties(7, 8),
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["parties"][0]["name"] == "黄*军" and idn(7) not in r.content.decode()
    assert api.get("/api/v1/mediation/disputes/").json()["count"] == 1
    bad = api.post(
        "/api/v1/mediation/disputes/",
        {
            "place": places.hamlet_a.code,
            "kind": "family",
            "description": "x" * 10,
            "parties": [{"side": "applicant", "name": "甲", "id_number": "1"}],
        },
        format="json",
    )
    assert bad.status_code == 400 and Dispute.objects.count() == 1


def test_the_success_rate_is_computed(places):
    from shuxiang.indicators.periods import quarter_of

    today = timezone.localdate()
    d1, d2 = register(places), register(places, parties=parties(3, 4))
    for d in (d1, d2):
        mediation.do_record_session(d, actor=OPERATOR, held_on=today, note="组织双方调解一次")
    mediation.do_conclude_dispute(
        d1,
        actor=OPERATOR,
        outcome="agreed",
        concluded_on=today,
        agreement_text="双方达成一致意见，互不追究。",
    )
    mediation.do_conclude_dispute(d2, actor=OPERATOR, outcome="failed", concluded_on=today)
    rows = mediation.success_rate(quarter_of(today))
    assert rows == [(places.hamlet_a.pk, 1, 2)]
