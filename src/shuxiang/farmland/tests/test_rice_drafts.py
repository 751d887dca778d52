"""When the meteorological bureau's warning reaches the warnings engine, farmland drafts the stage advisory
it calls for — for exactly the villages whose rice is exposed, once per warning, nothing when no field is
exposed — and the agriculture bureau issues the draft through the warnings engine."""

from datetime import timedelta

import pytest
from django.utils import timezone

from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import Forbidden, NotFound, ServiceError
from shuxiang.core.models import AuditEntry
from shuxiang.farmland import rice_weather, services
from shuxiang.farmland.models import RiceAdvisory, RiceVariety
from shuxiang.warnings import services as warnings
from shuxiang.warnings.models import Warning

pytestmark = pytest.mark.django_db


def cap_xml(*, event="寒潮黄色预警信号", identifier="43090341600000_20261201080000_0", msg_type="Alert",
            references="", area_code="430903000000", hours=48):  # fmt: skip
    now = timezone.localtime().replace(microsecond=0)
    refs = f"<references>{references}</references>" if references else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">'
        f"<identifier>{identifier}</identifier><sender>43090341600000</sender><sent>{now.isoformat()}</sent>"
        f"<status>Actual</status><msgType>{msg_type}</msgType><scope>Public</scope>{refs}"
        f"<info><language>zh-CN</language><category>Met</category><event>{event}</event>"
        "<urgency>Expected</urgency><severity>Moderate</severity><certainty>Likely</certainty>"
        f"<effective>{now.isoformat()}</effective><expires>{(now + timedelta(hours=hours)).isoformat()}</expires>"
        f"<senderName>赫山区气象台</senderName><headline>赫山区气象台发布{event}</headline>"
        "<description>受强冷空气影响，未来48小时全区日平均气温下降8～10℃。</description>"
        "<instruction>注意防寒保暖。</instruction>"
        f"<area><areaDesc>赫山区</areaDesc><geocode><valueName>GB/T 2260</valueName><value>{area_code}</value>"
        "</geocode></area></info></alert>"
    ).encode()


@pytest.fixture
def variety():
    return RiceVariety.objects.create(
        name="草稿测试晚稻", rice_type="late", growth_days=118,
        stages=[["秧田期", 0], ["分蘖期", 30], ["拔节孕穗期", 58], ["抽穗扬花期", 78], ["灌浆结实期", 92]],
        tasks=[],
    )  # fmt: skip


def sow(parcel, variety, days_ago):
    today = timezone.localdate()
    return services.do_record_rice_season(
        actor=OPERATOR, parcel=parcel, season=f"{today.year}-late", variety=variety,
        sowing_date=today - timedelta(days=days_ago), transplant="machine",
    )  # fmt: skip


@pytest.fixture
def heading(fields_a, field_b, variety):
    """清水村's rice is heading (sown 80 days ago); 荷花村's is young (sown 20 days ago)."""
    sow(fields_a[0], variety, 80)
    sow(field_b, variety, 20)
    return fields_a[0].place, field_b.place


def imported(xml, actor, capture):
    with capture(execute=True):
        return warnings.do_import_cap(xml, actor=actor)


def test_a_cold_wave_import_drafts_one_advisory_for_exactly_the_exposed_villages(
    heading, cast, django_capture_on_commit_callbacks
):
    village_a, _ = heading
    source = imported(cap_xml(), cast.district, django_capture_on_commit_callbacks)
    advisory = RiceAdvisory.objects.get()
    assert advisory.source == source and advisory.status == "draft"
    assert advisory.hazard in ("low_temp_heading", "cold_dew_wind")  # 寒露风 from August to November
    assert [v["code"] for v in advisory.villages] == [village_a.code]
    # 48 hours from now touch two or three Beijing days
    assert advisory.start == timezone.localdate() and advisory.days in (2, 3) and advisory.colour == "yellow"
    assert "寒潮" in advisory.forecast and advisory.area_mu > 0
    # a draft only: nothing of the rice signal type was issued
    assert not Warning.objects.filter(signal_type__code="rice_stage_weather").exists()
    entry = AuditEntry.objects.get(object_type="farmland.riceadvisory", action="create")
    assert entry.actor_label == "system:rice"
    assert rice_weather.pending_items(cast.district)[0].count == 1


def test_a_second_import_of_the_same_warning_does_not_draft_twice(
    heading, cast, django_capture_on_commit_callbacks
):
    source = imported(cap_xml(), cast.district, django_capture_on_commit_callbacks)
    with pytest.raises(ServiceError) as caught:
        imported(cap_xml(), cast.district, django_capture_on_commit_callbacks)
    assert caught.value.code == "duplicate"
    rice_weather.on_warning_issued(source.pk)  # the hook heard twice
    assert RiceAdvisory.objects.count() == 1


def test_a_heat_warning_when_no_field_is_in_a_heat_sensitive_stage_drafts_nothing(
    field_b, variety, cast, django_capture_on_commit_callbacks
):
    sow(field_b, variety, 20)
    imported(cap_xml(event="高温黄色预警信号"), cast.district, django_capture_on_commit_callbacks)
    assert Warning.objects.filter(signal_type__code="heat", status="issued").exists()
    assert not RiceAdvisory.objects.exists()


def test_a_warning_for_another_township_or_without_a_rice_hazard_drafts_nothing(
    heading, cast, django_capture_on_commit_callbacks
):
    imported(cap_xml(area_code="430903111000"), cast.district, django_capture_on_commit_callbacks)  # 兰溪镇
    imported(
        cap_xml(event="大雾黄色预警信号", identifier="43090341600000_20261201090000_0"),
        cast.district,
        django_capture_on_commit_callbacks,
    )
    assert not RiceAdvisory.objects.exists()


def test_a_warning_issued_in_the_browser_drafts_too(heading, cast, django_capture_on_commit_callbacks):
    village_a, _ = heading
    with django_capture_on_commit_callbacks(execute=True):
        w = warnings.do_create_warning(
            actor=cast.district, signal_type="cold_wave", colour="blue", headline="寒潮蓝色预警",
            description="明起气温下降6～8℃", areas=[village_a.parent.code],
            expires=timezone.now() + timedelta(days=3),
        )  # fmt: skip
        warnings.do_issue_warning(w, actor=cast.district)
    advisory = RiceAdvisory.objects.get(source=w)
    assert advisory.colour == "blue" and [v["code"] for v in advisory.villages] == [village_a.code]


def test_issuing_the_draft_goes_through_the_warnings_engine(
    heading, cast, django_capture_on_commit_callbacks
):
    village_a, _ = heading
    imported(cap_xml(), cast.district, django_capture_on_commit_callbacks)
    advisory = RiceAdvisory.objects.get()
    with pytest.raises((Forbidden, NotFound)):
        rice_weather.do_issue_advisory(advisory, actor=cast.grid_a)
    with django_capture_on_commit_callbacks(execute=True):
        rice_weather.do_issue_advisory(advisory, actor=cast.district)
    advisory.refresh_from_db()
    warning = advisory.warning
    assert advisory.status == "issued" and warning.status == "issued"
    assert warning.signal_type.code == "rice_stage_weather"
    assert list(warning.areas.values_list("code", flat=True)) == [village_a.code]
    assert "寒潮" in warning.description and warning.issued_by == cast.district.username
    # the engine's hook heard the rice warning too, and drafted nothing from it
    assert RiceAdvisory.objects.count() == 1
    with pytest.raises(ServiceError) as caught:
        rice_weather.do_issue_advisory(advisory, actor=cast.district)
    assert caught.value.code == "not_draft"


def test_a_cancelled_met_warning_sets_its_draft_aside(heading, cast, django_capture_on_commit_callbacks):
    source = imported(cap_xml(), cast.district, django_capture_on_commit_callbacks)
    imported(
        cap_xml(identifier="43090341600000_20261201100000_0", msg_type="Cancel", references=(
            f"43090341600000,{source.identifier},{timezone.localtime(source.issued_at).isoformat()}"
        )),
        cast.district,
        django_capture_on_commit_callbacks,
    )  # fmt: skip
    advisory = RiceAdvisory.objects.get()
    assert (advisory.status, advisory.note) == ("dismissed", "气象预警已解除")
    assert RiceAdvisory.objects.count() == 1


def test_the_bureau_reviews_and_issues_in_the_browser_with_one_click(
    heading, cast, client_for, django_capture_on_commit_callbacks
):
    imported(cap_xml(), cast.district, django_capture_on_commit_callbacks)
    advisory = RiceAdvisory.objects.get()
    c = client_for(cast.district)
    page = c.get("/rice/weather/").content.decode()
    assert 'id="advisory-drafts"' in page and "1 条待审核" in page and "清水村" in page
    assert "待审核的水稻生育期气象提示" in c.get("/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(f"/rice/advisories/{advisory.pk}/issue/")
    advisory.refresh_from_db()
    assert response.status_code == 302 and response["Location"] == f"/warnings/{advisory.warning_id}/"
    assert advisory.status == "issued"


def test_setting_a_draft_aside_needs_a_reason(
    heading, cast, client_for, api_for, django_capture_on_commit_callbacks
):
    imported(cap_xml(), cast.district, django_capture_on_commit_callbacks)
    advisory = RiceAdvisory.objects.get()
    api = api_for(cast.district)
    listed = api.get("/api/v1/rice/advisories/?status=draft").json()
    assert listed["count"] == 1 and listed["results"][0]["villages"][0]["name"] == "清水村"
    refused = api.post(f"/api/v1/rice/advisories/{advisory.pk}/dismiss/", {"note": ""}, format="json")
    assert refused.status_code == 400
    advisory.refresh_from_db()
    assert advisory.status == "draft"
    done = api.post(
        f"/api/v1/rice/advisories/{advisory.pk}/dismiss/", {"note": "降温对晚稻影响不大"}, format="json"
    )
    assert done.status_code == 200 and done.json()["status"] == "dismissed"
