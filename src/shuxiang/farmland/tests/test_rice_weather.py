"""Stage-specific weather warnings go, through the warnings engine, to exactly the villages whose rice is
in the hazard's stages in the forecast's window; nothing is issued where no rice is exposed."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError
from shuxiang.farmland import rice_weather, services
from shuxiang.farmland.models import RiceVariety
from shuxiang.warnings.models import Warning

pytestmark = pytest.mark.django_db


@pytest.fixture
def heading(fields_a, field_b):
    """清水村's field is heading now (sown 80 days ago); 荷花村's was sown 20 days ago (tillering)."""
    variety = RiceVariety.objects.create(
        name="测试晚稻", rice_type="late", growth_days=118,
        stages=[["秧田期", 0], ["分蘖期", 30], ["拔节孕穗期", 58], ["抽穗扬花期", 78], ["灌浆结实期", 92]],
        tasks=[],
    )  # fmt: skip
    today = timezone.localdate()
    for parcel, days in ((fields_a[0], 80), (field_b, 20)):
        services.do_record_rice_season(
            actor=OPERATOR, parcel=parcel, season=f"{today.year}-late", variety=variety,
            sowing_date=today - timedelta(days=days), transplant="machine",
        )  # fmt: skip
    return fields_a[0].place, field_b.place


def test_exposure_lists_only_the_villages_with_rice_in_the_hazards_stage(heading):
    village_a, village_b = heading
    rows = rice_weather.exposure(rice_weather.HAZARDS["low_temp_heading"], timezone.localdate(), 3)
    assert [v["village"] for r in rows for v in r["villages"]] == [village_a]
    assert rows[0]["township"] == village_a.parent.name and rows[0]["area_mu"] > 0
    later = rice_weather.exposure(
        rice_weather.HAZARDS["storm_filling"], timezone.localdate() + timedelta(days=14), 3
    )
    assert [v["village"] for r in later for v in r["villages"]] == [village_a]


def test_the_warning_is_issued_to_the_exposed_villages_only(heading, cast):
    village_a, village_b = heading
    warning = rice_weather.do_issue_stage_warning(
        actor=cast.district, hazard="low_temp_heading", start=timezone.localdate(), days=3, colour="yellow",
        forecast="受冷空气影响，未来三天日平均气温18～20℃",
    )  # fmt: skip
    assert warning.status == "issued" and warning.signal_type.name == "水稻生育期气象提示"
    assert list(warning.areas.values_list("code", flat=True)) == [village_a.code]
    assert "抽穗扬花期" in warning.description and "灌深水" in warning.instruction


def test_no_exposed_rice_and_bad_input_issue_nothing(heading, cast):
    with pytest.raises(ServiceError) as caught:
        rice_weather.do_issue_stage_warning(
            actor=cast.district, hazard="heat_heading", start=timezone.localdate() + timedelta(days=40), days=2,
            forecast="持续晴热，日最高气温36～38℃",
        )  # fmt: skip
    assert caught.value.code == "no_rice_in_stage"
    with pytest.raises(ServiceError) as caught:
        rice_weather.do_issue_stage_warning(
            actor=cast.department,
            hazard="hail",
            start=timezone.localdate(),
            days=30,
            colour="red",
            forecast="",
        )
    assert set(caught.value.fields) == {"hazard", "days", "colour", "forecast"}
    assert not Warning.objects.exists()


def test_the_bureau_previews_and_issues_in_the_browser_and_a_grid_worker_may_not(heading, cast, client_for):
    c = client_for(cast.district)
    today = timezone.localdate().isoformat()
    preview = c.get(
        reverse("farmland:rice_weather"), {"hazard": "low_temp_heading", "start": today, "days": 3}
    )
    page = preview.content.decode()
    assert (
        preview.status_code == 200
        and heading[0].name in page
        and heading[1].name not in page.split("影响范围")[1]
    )
    answer = c.post(
        reverse("farmland:rice_weather"),
        {
            "hazard": "low_temp_heading",
            "start": today,
            "days": 3,
            "colour": "yellow",
            "forecast": "冷空气南下，日均温19℃",
        },
    )
    assert answer.status_code == 302 and Warning.objects.count() == 1
    assert client_for(cast.grid_a).get(reverse("farmland:rice_weather")).status_code == 403
