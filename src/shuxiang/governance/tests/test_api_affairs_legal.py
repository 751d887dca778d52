"""Legal help and village affairs over the API: list, detail and create, scoped to the caller's region,
paginated, people masked; bad input answers 400/409 in the one error shape and writes nothing."""

from datetime import timedelta

from django.utils import timezone

from shuxiang.core.models import AuditEntry
from shuxiang.governance.models import Consultation, LegalAdviser, PartyMeeting, VillageDecision
from shuxiang.governance.tests.test_affairs import ID_OR_PHONE
from shuxiang.governance.tests.test_legal import idn


def test_legal_help_api_appoints_books_answers_and_masks(places, cast, api_for):
    township = api_for(cast.township_a)
    since = (timezone.localdate() - timedelta(days=30)).isoformat()
    r = township.post(
        "/api/v1/legal/advisers/",
        {
            "village": places.village_a.code,
            "name": "刘明律",
            "id_number": idn(11),
            "phone": "13907371234",
            "firm": "湖南某律师事务所",
            "since": since,
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    assert r.json()["name"] == "刘*律" and r.json()["in_office"] is True
    assert not ID_OR_PHONE.search(r.content.decode())
    # a cadre books a consultation for a villager; the adviser is the village's
    cadre = api_for(cast.village_a)
    question = {
        "village": places.village_a.code,
        "name": "张三丰",
        "id_number": idn(12),
        "topic": "土地流转合同到期",
        "question": "流转合同到期后承租方不退地，也不续签，应该怎么办？",
        "mode": "written",
    }
    r = cadre.post("/api/v1/legal/consultations/", question, format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["asker"] == "张*丰" and body["adviser"].startswith("刘*律") and body["answered_at"] is None
    assert idn(12) not in r.content.decode()
    pk = body["id"]
    # bad input: a wrong ID number, an appointment without a time — 400, nothing written
    bad = cadre.post(
        "/api/v1/legal/consultations/", {**question, "id_number": "4309031988080812"}, format="json"
    )
    assert bad.status_code == 400 and "asker_id_number" in bad.json()["fields"]
    bad = cadre.post("/api/v1/legal/consultations/", {**question, "mode": "appointment"}, format="json")
    assert bad.status_code == 400 and "appointment_at" in bad.json()["fields"]
    assert Consultation.objects.count() == 1
    # list, filter, detail
    listing = cadre.get("/api/v1/legal/consultations/?answered=false").json()
    assert listing["count"] == 1 and listing["results"][0]["id"] == pk
    assert cadre.get(f"/api/v1/legal/consultations/{pk}/").json()["topic"] == "土地流转合同到期"
    # the answer: a grid worker may not record it; the cadre does, once
    assert (
        api_for(cast.grid_a)
        .post(f"/api/v1/legal/consultations/{pk}/answer/", {"answer": "x" * 20})
        .status_code
        == 403
    )
    short = cadre.post(f"/api/v1/legal/consultations/{pk}/answer/", {"answer": "去仲裁"}, format="json")
    assert short.status_code == 400 and "answer" in short.json()["fields"]
    r = cadre.post(
        f"/api/v1/legal/consultations/{pk}/answer/",
        {"answer": "先协商；协商不成可向农村土地承包仲裁委员会申请仲裁，合同到期承租方应返还土地。"},
        format="json",
    )
    assert r.status_code == 200 and r.json()["answered_at"]
    again = cadre.post(
        f"/api/v1/legal/consultations/{pk}/answer/", {"answer": "再答复一次试试看看"}, format="json"
    )
    assert again.status_code == 409
    assert cadre.get("/api/v1/legal/consultations/?answered=true").json()["count"] == 1
    assert AuditEntry.objects.filter(
        action="update", object_type="governance.consultation", source="api"
    ).exists()
    # another township sees neither the adviser nor the consultation
    other = api_for(cast.township_b)
    assert other.get("/api/v1/legal/consultations/").json()["count"] == 0
    assert other.get(f"/api/v1/legal/consultations/{pk}/").status_code == 404
    assert other.get("/api/v1/legal/advisers/").json()["count"] == 0
    # nor may it appoint one in a village outside its region
    r = other.post(
        "/api/v1/legal/advisers/",
        {
            "village": places.village_a.code,
            "name": "王律",
            "id_number": idn(13),
            "firm": "某所",
            "since": since,
        },
        format="json",
    )
    assert r.status_code == 403 and LegalAdviser.objects.count() == 1


def test_affairs_api_proposes_and_advances_a_decision_in_order_and_records_meetings(places, cast, api_for):
    cadre = api_for(cast.village_a)
    start = timezone.localdate() - timedelta(days=20)
    r = cadre.post(
        "/api/v1/affairs/decisions/",
        {
            "village": places.village_a.code,
            "title": "清水村村道硬化工程",
            "content": "拟使用村集体经济收入硬化村道1.2公里，预算38万元。",
            "proposed_on": start.isoformat(),
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    assert r.json()["stage"] == "proposal" and r.json()["public_url"] == f"/affairs/{places.village_a.code}/"

    def advance(days, **extra):
        return cadre.post(
            f"/api/v1/affairs/decisions/{pk}/advance/",
            {"on": (start + timedelta(days=days)).isoformat(), **extra},
            format="json",
        )

    assert advance(1).json()["stage"] == "discussion"
    assert advance(2).json()["stage"] == "review"
    # a resolution needs votes with a majority: refused, nothing written
    bad = advance(3, votes=[3, 5, 1])
    assert bad.status_code == 400 and "votes" in bad.json()["fields"]
    assert VillageDecision.objects.get(pk=pk).stage == "review"
    done = advance(3, votes=[28, 2, 1]).json()
    assert done["stage"] == "resolution" and done["votes"] == {"yes": 28, "no": 2, "abstain": 1}
    assert advance(4).json()["disclosed_on_time"] is True
    assert advance(15).status_code == 400  # the result needs its text
    assert advance(15, result="村道硬化完工，验收合格，决算36.5万元。").json()["stage"] == "result"
    assert advance(16).status_code == 409
    assert cadre.get("/api/v1/affairs/decisions/?stage=result").json()["count"] == 1
    # a party meeting: attendance as counts only
    meeting = {
        "village": places.village_a.code,
        "kind": "assembly",
        "held_on": start.isoformat(),
        "topic": "学习乡村振兴政策",
        "attended": 18,
        "expected": 21,
    }
    r = cadre.post("/api/v1/affairs/meetings/", meeting, format="json")
    assert r.status_code == 201, r.content
    bad = cadre.post("/api/v1/affairs/meetings/", {**meeting, "attended": 25}, format="json")
    assert bad.status_code == 400 and "attended" in bad.json()["fields"]
    assert PartyMeeting.objects.count() == 1
    listing = cadre.get("/api/v1/affairs/meetings/").json()
    assert listing["count"] == 1 and listing["results"][0]["attended"] == 18
    # scoped: the other township sees nothing and cannot advance
    other = api_for(cast.township_b)
    assert other.get("/api/v1/affairs/decisions/").json()["count"] == 0
    assert other.get("/api/v1/affairs/meetings/").json()["count"] == 0
    assert (
        other.post(f"/api/v1/affairs/decisions/{pk}/advance/", {"on": start.isoformat()}).status_code == 404
    )
    # a grid worker reads but may not propose
    grid = api_for(cast.grid_a)
    assert grid.post("/api/v1/affairs/decisions/", {}, format="json").status_code == 403
