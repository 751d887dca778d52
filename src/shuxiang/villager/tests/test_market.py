"""The needs market: posting without an account, moderation, expiry, reports, contact, matching."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from shuxiang.core.models import AuditEntry, Notification
from shuxiang.villager import market
from shuxiang.villager.models import Inquiry, Match, Posting, Report
from shuxiang.villager.tests.conftest import post

pytestmark = pytest.mark.django_db

PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")

FORM = {
    "kind": "rental",
    "category": "machine",
    "title": "出租50马力拖拉机",
    "body": "带旋耕机，可上门耕田，按亩收费，周边村优先。",
    "price": "80元/亩",
    "place": "430903103201",
    "contact_name": "王师傅",
    "phone": "13807372222",
    "days": "30",
}


def test_a_resident_posts_without_an_account_and_it_waits_for_a_cadre(
    client, places, cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/market/post/", FORM, REMOTE_ADDR="10.1.1.1")
    assert response.status_code == 302
    posting = Posting.objects.get()
    assert posting.status == "pending" and posting.poster_kind == "resident"
    assert response["Location"] == f"/market/mine/{posting.key}/"
    assert "出租50马力拖拉机" not in client.get("/market/").content.decode()
    assert Notification.objects.filter(recipient=cast.village_a, title__contains="待审核").exists()
    mine = client.get(response["Location"]).content.decode()
    assert "待审核" in mine


def test_an_approved_posting_is_public_until_it_expires(client, anon_api, places, cast, pending):
    market.do_moderate_posting(
        pending, actor=cast.township_a, approve=True, poster_kind="villager", verified_note="清水村村委核实"
    )
    page = client.get("/market/").content.decode()
    assert "招采茶工10名" in page
    detail = client.get(f"/market/{pending.pk}/").content.decode()
    assert "已核实" not in detail or "本村村民" in detail
    assert "清水村村委核实" in detail
    api = anon_api.get("/api/v1/market/postings/").json()
    assert api["count"] == 1 and api["results"][0]["place"] == "430903103201"
    assert api["results"][0]["verified"] is True
    later = timezone.localdate() + timedelta(days=31)
    assert market.do_expire_postings(actor=market.TASKS, today=later) == 1
    pending.refresh_from_db()
    assert pending.status == "expired"
    Posting.objects.filter(pk=pending.pk).update(status="published")  # even if a row were left published,
    Posting.objects.filter(pk=pending.pk).update(expires_on=timezone.localdate() - timedelta(days=1))
    cache.clear()  # rows changed behind the services' back: the public page's cache does not know
    assert "招采茶工10名" not in client.get("/market/").content.decode()  # past its date it is not shown
    assert client.get(f"/market/{pending.pk}/").status_code == 404


def test_a_rejected_posting_needs_a_reason_and_stays_off_the_market(client, cast, pending):
    from shuxiang.core.errors import ServiceError

    with pytest.raises(ServiceError) as exc:
        market.do_moderate_posting(pending, actor=cast.village_a, approve=False)
    assert exc.value.fields == {"note": ["请填写理由"]}
    market.do_moderate_posting(pending, actor=cast.village_a, approve=False, note="内容不实")
    pending.refresh_from_db()
    assert pending.status == "rejected"
    assert client.get(f"/market/{pending.pk}/").status_code == 404
    assert "内容不实" in client.get(f"/market/mine/{pending.key}/").content.decode()


def test_a_cadre_posting_for_a_villager_is_public_at_once(client_for, cast):
    c = client_for(cast.village_a)
    response = c.post("/market/post/", {**FORM, "poster_kind": "villager", "verified_note": "清水村村委核实"})
    assert response.status_code == 302
    posting = Posting.objects.get()
    assert posting.status == "published" and posting.poster == cast.village_a


@pytest.mark.parametrize(
    "field,value",
    [
        ("body", "有意者请打电话13907371234联系"),
        ("body", "电话 139-0737-1234 随时联系"),
        ("title", "出租拖拉机 0737-4212345"),
        ("body", "身份证430903199001011234，本人出租"),
        ("body", "加微信: heshan_tractor88 详谈价格"),
    ],
)
def test_numbers_in_free_text_are_refused_and_nothing_is_written(client, places, field, value):
    response = client.post("/market/post/", {**FORM, field: value}, REMOTE_ADDR="10.1.1.2")
    assert response.status_code == 400
    assert "请不要在文字中填写电话" in response.content.decode()
    assert not Posting.objects.exists()


def test_the_api_refuses_bad_input_with_the_error_shape(anon_api, places):
    response = anon_api.post(
        "/api/v1/market/postings/",
        {**FORM, "days": 30, "body": "电话13907371234", "place": "999999999999", "phone": "12345"},
        format="json",
        REMOTE_ADDR="10.1.1.3",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and body["message"]
    assert set(body["fields"]) >= {"body", "place", "phone"}
    assert not Posting.objects.exists()


def test_the_api_takes_an_anonymous_posting_and_answers_the_private_link(anon_api, places):
    response = anon_api.post(
        "/api/v1/market/postings/", {**FORM, "days": 30}, format="json", REMOTE_ADDR="10.1.1.4"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending" and "/market/mine/" in body["manage_url"]
    assert anon_api.get("/api/v1/market/postings/").json()["count"] == 0


def test_posting_from_one_address_is_rate_limited(anon_api, places):
    cache.clear()
    codes = []
    for i in range(7):
        response = anon_api.post(
            "/api/v1/market/postings/",
            {**FORM, "days": 30, "phone": f"1380737{i:04d}"},
            format="json",
            REMOTE_ADDR="10.9.9.9",
        )
        codes.append(response.status_code)
    assert codes[:5] == [201] * 5
    assert codes[5] == 429 and codes[6] == 429
    assert Posting.objects.count() == 5
    assert response.json()["code"] == "rate_limited"


def test_one_phone_holds_at_most_five_live_postings(places):
    from shuxiang.core.errors import ServiceError

    for i in range(5):
        post(places, title=f"招采茶工第{i + 1}批", source=f"10.2.0.{i}")
    with pytest.raises(ServiceError) as exc:
        post(places, title="招采茶工第6批", source="10.2.0.9")
    assert exc.value.code == "too_many_postings"


def test_no_phone_or_id_number_on_public_pages_or_the_public_api(client, anon_api, live):
    Inquiry.objects.create(
        posting=live,
        name="张",
        phone="13600001111",
        phone_digest="x",
        message="想去",
        created_at=timezone.now(),
    )
    for url in ("/market/", f"/market/{live.pk}/", "/market/?kind=job&q=采茶&place=430903103000"):
        text = client.get(url).content.decode()
        assert not PHONE.search(text), url
    text = anon_api.get("/api/v1/market/postings/").content.decode()
    assert not PHONE.search(text) and "phone" not in text
    text = anon_api.get(f"/api/v1/market/postings/{live.pk}/").content.decode()
    assert not PHONE.search(text)


def test_contact_goes_to_the_poster_only(client, live):
    response = client.post(
        f"/market/{live.pk}/contact/",
        {"name": "张大姐", "phone": "13600001111", "message": "我想报名采茶"},
        REMOTE_ADDR="10.3.3.3",
    )
    assert response.status_code == 302
    assert Inquiry.objects.get().phone == "13600001111"
    assert "13600001111" not in client.get(f"/market/{live.pk}/").content.decode()
    assert "13600001111" in client.get(f"/market/mine/{live.key}/").content.decode()


def test_three_reports_take_a_posting_off_the_market_into_the_queue(client, client_for, cast, live):
    for i in range(3):
        response = client.post(
            f"/market/{live.pk}/report/",
            {"reason": "fraud", "note": "要求先交押金"},
            REMOTE_ADDR=f"10.4.4.{i}",
        )
        assert response.status_code == 302
    live.refresh_from_db()
    assert live.status == "pending" and live.report_count == 3
    assert client.get(f"/market/{live.pk}/").status_code == 404
    queue = client_for(cast.township_a).get("/market/queue/").content.decode()
    assert live.title in queue


def test_one_address_reports_a_posting_once(client, live):
    client.post(f"/market/{live.pk}/report/", {"reason": "false"}, REMOTE_ADDR="10.5.5.5")
    response = client.post(f"/market/{live.pk}/report/", {"reason": "false"}, REMOTE_ADDR="10.5.5.5")
    assert response.status_code == 400
    assert Report.objects.count() == 1


def test_the_poster_withdraws_through_the_private_link(client, live):
    response = client.post(f"/market/mine/{live.key}/")
    assert response.status_code == 302
    live.refresh_from_db()
    assert live.status == "withdrawn"
    assert client.post("/market/mine/not-the-key/").status_code == 404


def test_a_job_is_matched_with_job_seekers_and_their_cadres_are_told(
    places, cast, operator, django_capture_on_commit_callbacks
):
    from shuxiang.core import services as core_services
    from shuxiang.villager import employment

    person = core_services.do_create_person(actor=operator, name="赵小军", place=places.hamlet_a)
    employment.do_record_employment(
        actor=cast.village_a,
        person=person,
        group="poverty_exited",
        year=2026,
        quarter=4,
        status="not_working",
        wanted_sector="agriculture",
    )
    seeker = post(
        places,
        kind="job_wanted",
        title="求采茶或农场工作",
        phone="13700001111",
        actor=cast.village_a,
        poster_kind="villager",
    )
    assert seeker.status == "published"
    job = post(places, source="10.6.6.6")
    with django_capture_on_commit_callbacks(execute=True):
        market.do_moderate_posting(job, actor=cast.township_a, approve=True)
    assert Match.objects.filter(job=job, seeker=seeker).exists()
    assert Match.objects.filter(job=job, person=person).exists()
    told = Notification.objects.filter(recipient=cast.village_a, title__contains="岗位匹配")
    assert told.exists() and "赵*" in told.get().title
    assert Notification.objects.filter(recipient=cast.village_a, title__contains="与您的求职相符").exists()
    # matched once: publishing again (or a second seeker pass) does not repeat
    market.match_job(job)
    assert Match.objects.filter(job=job).count() == 2


def test_township_officer_gets_404_for_another_townships_posting(client_for, cast, places):
    other = post(places, place=places.village_b, source="10.7.7.7")
    response = client_for(cast.township_a).post(
        f"/market/queue/{other.pk}/", {"approve": "yes", "poster_kind": "resident"}
    )
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.status == "pending"


def test_grid_worker_may_not_moderate(client_for, cast, pending):
    c = client_for(cast.grid_a)
    before = AuditEntry.objects.exclude(action="refused").count()
    response = c.post(f"/market/queue/{pending.pk}/", {"approve": "yes", "poster_kind": "resident"})
    assert response.status_code == 403
    pending.refresh_from_db()
    assert pending.status == "pending"
    assert AuditEntry.objects.exclude(action="refused").count() == before


def test_the_market_renders_for_a_phone_and_filters_by_township_kind_and_keyword(client, places, cast):
    post(places, title="招采茶工10名", actor=cast.village_a)
    post(
        places,
        kind="rental",
        category="cold_storage",
        title="冷库出租200立方",
        place=places.village_b,
        phone="13900002222",
        actor=cast.admin,
    )
    page = client.get("/market/").content.decode()
    assert 'name="viewport"' in page and "招采茶工10名" in page and "冷库出租200立方" in page
    only_a = client.get("/market/?place=430903103000").content.decode()
    assert "招采茶工10名" in only_a and "冷库出租200立方" not in only_a
    rentals = client.get("/market/?kind=rental").content.decode()
    assert "冷库出租200立方" in rentals and "招采茶工10名" not in rentals
    found = client.get("/market/?q=冷库").content.decode()
    assert "冷库出租200立方" in found and "招采茶工10名" not in found
    assert client.get("/market/?kind=nonsense").status_code == 200


def test_the_queue_shows_on_a_cadres_home_page_and_not_on_a_grid_workers(client_for, cast, pending):
    from shuxiang.villager.pending import pending_items

    lines = {i.title: i.count for i in pending_items(cast.township_a)}
    assert lines["待审核的需求信息"] == 1
    assert pending_items(cast.township_b)[0].count == 0
    assert pending_items(cast.grid_a) == []


def test_the_nightly_task_expires_postings(places, cast, live):
    from shuxiang.villager.tasks import expire_postings

    Posting.objects.filter(pk=live.pk).update(expires_on=timezone.localdate() - timedelta(days=1))
    assert expire_postings.call_local() == 1
    live.refresh_from_db()
    assert live.status == "expired"


@pytest.mark.parametrize(
    "query", ["page=abc", "page=99999999999999999999", "place=nonsense", "q=" + "长" * 500, "verified=maybe"]
)
def test_odd_market_queries_answer_without_error(client, anon_api, live, query):
    assert client.get(f"/market/?{query}").status_code == 200
    assert anon_api.get(f"/api/v1/market/postings/?{query}").status_code in (200, 400, 404)


def test_anonymous_visitors_share_a_cached_page_that_a_moderation_renews(client, cast, live, pending):
    first = client.get("/market/").content.decode()
    assert live.title in first and 'X-CSRFToken": ""' in first
    assert client.get("/market/").content.decode() == first
    market.do_moderate_posting(pending, actor=cast.village_a, approve=False, note="重复发布")
    market.do_withdraw_posting(live, actor=market.PUBLIC, key=live.key)
    assert live.title not in client.get("/market/").content.decode()
    assert client.get("/api/v1/market/postings/").json()["count"] == 0
