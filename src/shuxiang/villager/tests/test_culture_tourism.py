"""Culture and heritage, tourism, and public-health notices."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from shuxiang.core.errors import ServiceError
from shuxiang.core.models import Attachment, Notification
from shuxiang.villager import culture, health, tourism
from shuxiang.villager.models import VisitCount

pytestmark = pytest.mark.django_db


def png_bytes():
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 120, 40)).save(out, format="PNG")
    return out.getvalue()


MP3 = b"ID3\x03\x00\x00\x00\x00\x00\x0f" + b"\x00" * 200
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 200


@pytest.fixture
def craft(places, cast):
    return culture.do_save_heritage_item(
        actor=cast.district,
        place=places.village_a,
        kind="intangible",
        category="craft",
        name="清水村竹编技艺",
        level="county",
        inheritors="刘德福",
        description="清水村世代以楠竹编制箩筐、簸箕、凉席，工艺三十余道。",
    )


@pytest.fixture
def temple(places, cast):
    return culture.do_save_heritage_item(
        actor=cast.district,
        place=places.village_a,
        kind="relic",
        category="building",
        name="清水村刘氏宗祠",
        level="county",
        description="清代中期砖木结构祠堂，三进两天井，保存较完整。",
        condition="good",
    )


@pytest.fixture
def site(places, cast):
    return tourism.do_save_site(
        actor=cast.district,
        place=places.village_a,
        kind="scenic",
        name="清水湖景区",
        grade="3A",
        capacity=1000,
        latitude=28.47,
        longitude=112.6,
    )


def test_media_are_content_checked_and_served_on_the_public_exhibition_page(client, cast, craft):
    culture.do_add_media(craft, actor=cast.district, upload=SimpleUploadedFile("zhubian.png", png_bytes()))
    culture.do_add_media(craft, actor=cast.district, upload=SimpleUploadedFile("changqiang.mp3", MP3))
    culture.do_add_media(craft, actor=cast.district, upload=SimpleUploadedFile("jilu.mp4", MP4))
    kinds = sorted(a.content_type for a in culture.media_of(craft))
    assert kinds == ["audio/mpeg", "image/webp", "video/mp4"] or kinds == [
        "audio/mpeg",
        "image/png",
        "video/mp4",
    ]
    page = client.get(f"/culture/items/{craft.pk}/").content.decode()
    assert "清水村竹编技艺" in page and "<audio" in page and "<video" in page and "<img" in page
    media = Attachment.objects.filter(owner_id=str(craft.pk)).first()
    assert client.get(f"/attachments/{media.pk}").status_code == 200
    assert client.get("/culture/").status_code == 200
    assert "清水村竹编技艺" in client.get("/culture/townships/430903103000/").content.decode()


@pytest.mark.parametrize(
    "name,data,code",
    [
        ("fake.mp4", b"this is not a video at all, just text" * 4, "bad_file_type"),
        ("big.mp3", b"ID3" + b"\x00" * (culture.MAX_AUDIO_BYTES + 1), "file_too_large"),
    ],
)
def test_fake_or_oversized_media_are_refused(cast, craft, name, data, code):
    with pytest.raises(ServiceError) as exc:
        culture.do_add_media(craft, actor=cast.district, upload=SimpleUploadedFile(name, data))
    assert exc.value.code == code
    assert not Attachment.objects.exists()


def test_an_unpublished_item_is_not_shown_to_the_public(client, anon_api, places, cast, craft):
    culture.do_save_heritage_item(
        actor=cast.district,
        item=craft,
        place=places.village_a,
        kind="intangible",
        category="craft",
        name=craft.name,
        level="county",
        inheritors="",
        description=craft.description,
        is_published=False,
    )
    assert client.get(f"/culture/items/{craft.pk}/").status_code == 404
    assert anon_api.get("/api/v1/culture/items/").json()["count"] == 0


def test_the_public_items_api_lists_media(anon_api, cast, craft):
    culture.do_add_media(craft, actor=cast.district, upload=SimpleUploadedFile("changqiang.mp3", MP3))
    body = anon_api.get("/api/v1/culture/items/").json()
    assert body["count"] == 1
    item = body["results"][0]
    assert item["place"] == "430903103201" and item["media"][0]["content_type"] == "audio/mpeg"


def test_a_damaged_relic_opens_a_case(cast, temple):
    from shuxiang.cases.models import Case

    inspection = culture.do_record_inspection(
        temple,
        actor=cast.grid_a,
        inspected_on=timezone.localdate(),
        condition="damaged",
        note="后墙开裂，屋面漏雨",
    )
    case = Case.objects.get(tracking_number=inspection.case_number)
    assert case.category.code == "heritage-damage" and "刘氏宗祠" in case.title
    temple.refresh_from_db()
    assert temple.condition == "damaged"


def test_an_intangible_item_is_not_inspected(cast, craft):
    with pytest.raises(ServiceError) as exc:
        culture.do_record_inspection(
            craft, actor=cast.grid_a, inspected_on=timezone.localdate(), condition="good"
        )
    assert exc.value.fields == {"item": ["只有文物需要巡查"]}


def test_a_crowded_day_warns_the_township_once(site, cast, django_capture_on_commit_callbacks):
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        tourism.do_record_visits(site, actor=cast.village_a, day=today, count=500)
        tourism.do_record_visits(site, actor=cast.village_a, day=today, count=850)
        tourism.do_record_visits(site, actor=cast.village_a, day=today, count=900)
    warned = Notification.objects.filter(recipient=cast.township_a, title__contains="游客量预警")
    assert warned.count() == 1 and "850" in warned.get().title
    with django_capture_on_commit_callbacks(execute=True):
        tourism.do_record_visits(site, actor=cast.village_a, day=today, count=1000)
    assert Notification.objects.filter(recipient=cast.township_a, title__contains="已达到").count() == 1
    assert VisitCount.objects.get().count == 1000


def test_the_visits_api_records_a_day_and_refuses_bad_input(api_for, cast, site):
    c = api_for(cast.village_a)
    today = timezone.localdate().isoformat()
    ok = c.post("/api/v1/tourism/visits/", {"site": site.pk, "day": today, "count": 820}, format="json")
    assert ok.status_code == 201 and ok.json()["crowd"] == "crowded"
    future = (timezone.localdate() + timedelta(days=2)).isoformat()
    bad = c.post("/api/v1/tourism/visits/", {"site": site.pk, "day": future, "count": 10}, format="json")
    assert bad.status_code == 400 and bad.json()["fields"] == {"day": ["日期应在一年内且不晚于今天"]}
    neg = c.post("/api/v1/tourism/visits/", {"site": site.pk, "day": today, "count": -1}, format="json")
    assert neg.status_code == 400 and neg.json()["code"]
    other = api_for(cast.grid_b).post(
        "/api/v1/tourism/visits/", {"site": site.pk, "day": today, "count": 1}, format="json"
    )
    assert other.status_code in (400, 403)
    assert VisitCount.objects.get().count == 820


def test_the_public_site_page_shows_integrity_and_takes_rescue_requests(client, anon_api, site):
    from shuxiang.cases.models import Case

    page = client.get(f"/tourism/sites/{site.pk}/")
    assert page.status_code == 200 and "诚信信息" in page.content.decode()
    response = client.post(
        f"/tourism/sites/{site.pk}/rescue/",
        {"description": "游客在后山步道扭伤脚踝，无法行走", "phone": "13912345678"},
        REMOTE_ADDR="10.8.8.8",
    )
    assert response.status_code == 302
    case = Case.objects.get(category__code="tourism-rescue")
    assert case.priority == "urgent"
    assert "13912345678" not in client.get(f"/tourism/sites/{site.pk}/").content.decode()
    response = client.post(
        f"/tourism/sites/{site.pk}/complaint/", {"description": "门票价格与公示不符"}, REMOTE_ADDR="10.8.8.9"
    )
    assert response.status_code == 302
    assert tourism.integrity(site)["total"] == 1
    geo = anon_api.get("/api/v1/tourism/sites/?format=geojson").json()
    assert geo["type"] == "FeatureCollection" and geo["features"][0]["geometry"]["coordinates"] == [
        112.6,
        28.47,
    ]
    assert client.get("/tourism/").status_code == 200


def test_a_rescue_request_needs_a_phone(client, site):
    response = client.post(
        f"/tourism/sites/{site.pk}/rescue/", {"description": "迷路了"}, REMOTE_ADDR="10.8.8.7"
    )
    assert response.status_code == 400


def test_a_homestay_needs_its_licence(places, cast):
    with pytest.raises(ServiceError) as exc:
        tourism.do_save_site(
            actor=cast.district, place=places.village_a, kind="homestay", name="竹林人家", capacity=30
        )
    assert exc.value.fields == {"licence_no": ["民宿须登记经营许可证号"]}


def test_a_vaccination_notice_goes_out_as_a_blue_public_health_warning(cast, places):
    from shuxiang.warnings.models import Warning

    warning = health.do_issue_health_notice(
        actor=cast.district,
        topic="vaccination",
        headline="12月10日流感疫苗接种日",
        description="12月10日上午8点至12点在清水村卫生室接种流感疫苗，60岁以上老人免费，请带好身份证。",
        areas=["430903103201"],
        days=5,
    )
    warning = Warning.objects.get(pk=warning.pk)
    assert warning.status == "issued" and warning.colour == "blue"
    assert warning.signal_type.code == "public_health" and warning.signal_type.category == "Health"


def test_a_township_officer_may_not_issue_health_notices(client_for, cast):
    response = client_for(cast.township_a).get("/health/notices/")
    assert response.status_code == 403


def test_township_officer_gets_404_for_another_townships_site(client_for, places, cast):
    other = tourism.do_save_site(
        actor=cast.district, place=places.village_b, kind="key_village", name="荷花村", capacity=500
    )
    assert client_for(cast.township_a).get(f"/tourism/manage/{other.pk}/").status_code == 404
    response = client_for(cast.township_a).post(
        f"/tourism/manage/{other.pk}/visits/", {"day": timezone.localdate().isoformat(), "count": "3"}
    )
    assert response.status_code == 404
    assert not VisitCount.objects.exists()


def test_a_gate_counter_reports_through_the_iot_engine_and_fills_the_day(
    cast, site, django_capture_on_commit_callbacks
):
    from shuxiang.core.actors import Actor
    from shuxiang.iot import services as iot
    from shuxiang.villager.tasks import sync_visitor_counters

    credentials = tourism.do_attach_counter(site, actor=cast.district, code="HS-KL-0001")
    assert credentials["token"]
    iot.caches.clear()
    now = timezone.now()
    for minutes, total in ((90, 310), (45, 640), (0, 870)):
        at = now - timedelta(minutes=minutes)
        if at.date() != now.date():
            continue
        iot.do_ingest_one("HS-KL-0001", [("PV", at, total)], actor=Actor.device("HS-KL-0001"), now=at)
    with django_capture_on_commit_callbacks(execute=True):
        assert sync_visitor_counters.call_local() == 1
    visit = VisitCount.objects.get(site=site)
    assert visit.source == "counter" and visit.count == 870
    assert Notification.objects.filter(recipient=cast.township_a, title__contains="游客量预警").exists()
    assert tourism.do_sync_counters(actor=cast.district) == 0  # nothing new: nothing rewritten
    with pytest.raises(ServiceError):
        tourism.do_attach_counter(site, actor=cast.district, code="HS-KL-0002")
