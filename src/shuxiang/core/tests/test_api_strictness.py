"""The API reads query parameters as its schema says (issue 13 §2): what it cannot read is a 400, not
a list the caller did not ask for."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "query", ["synthetic=maybe", "synthetic=true&synthetic=false", "level=town&level=village"]
)
def test_an_unreadable_or_repeated_filter_is_a_400_naming_it(cast, api_for, query):
    answer = api_for(cast.admin).get(f"/api/v1/places/?{query}")
    assert answer.status_code == 400
    name = query.split("=")[0]
    assert answer.json()["code"] == "invalid" and name in answer.json()["fields"]


@pytest.mark.parametrize("value", ["", "true", "false", "1", "0", "True"])
def test_a_yes_no_filter_takes_true_false_1_0_and_empty(cast, api_for, value):
    assert api_for(cast.admin).get(f"/api/v1/places/?synthetic={value}").status_code == 200


@pytest.mark.parametrize("value", ["abc", "0", "-1", "1001", "²", "5&page_size=6"])
def test_a_page_size_outside_1_to_1000_is_a_400(cast, api_for, value):
    answer = api_for(cast.admin).get(f"/api/v1/places/?page_size={value}")
    assert answer.status_code == 400
    assert "page_size" in answer.json()["fields"]


@pytest.mark.parametrize("value", ["abc", "0", "last", "99"])
def test_a_page_that_does_not_exist_is_a_404(cast, api_for, value):
    assert api_for(cast.admin).get(f"/api/v1/places/?page={value}").status_code == 404


def test_empty_page_parameters_mean_the_defaults(cast, api_for):
    answer = api_for(cast.admin).get("/api/v1/places/?page=&page_size=")
    assert answer.status_code == 200 and answer.json()["count"] >= 1


@pytest.mark.parametrize("when", ["0461-05-01T08:00:00+08:00", "2101-01-01T00:00:00Z", "1899-12-31T23:00:00"])
def test_an_event_time_outside_1900_to_2100_is_refused_and_nothing_is_recorded(cast, places, api_for, when):
    from shuxiang.core.tests.test_scope_walk import load_samples
    from shuxiang.trace.models import Lot, TraceEvent

    lot = load_samples()[Lot](places.hamlet_a, "年份批次")
    before = TraceEvent.objects.count()
    answer = api_for(cast.admin).post(
        f"/api/v1/trace/lots/{lot.pk}/events/",
        {"biz_step": "harvesting", "event_time": when},
        format="json",
    )
    assert answer.status_code == 400
    assert answer.json()["fields"]["event_time"] == ["日期应在 1900 年至 2100 年之间"]
    assert TraceEvent.objects.count() == before


def test_dates_inside_the_range_are_taken_as_sent():
    from datetime import date

    from shuxiang.core.api.base import BoundedDateField, BoundedDateTimeField

    assert BoundedDateField().to_internal_value("1900-01-01") == date(1900, 1, 1)
    assert BoundedDateTimeField().to_internal_value("2100-12-31T12:00:00+08:00").year == 2100


@pytest.mark.parametrize("query", ["biz_step=nonsense", "biz_step=packing&biz_step=shipping"])
def test_a_lots_events_refuse_an_unknown_or_repeated_step(cast, places, api_for, query):
    from shuxiang.core.tests.test_scope_walk import load_samples
    from shuxiang.trace.models import Lot

    lot = load_samples()[Lot](places.hamlet_a, "环节批次")
    answer = api_for(cast.admin).get(f"/api/v1/trace/lots/{lot.pk}/events/?{query}")
    assert answer.status_code == 400 and "biz_step" in answer.json()["fields"]
    assert api_for(cast.admin).get(f"/api/v1/trace/lots/{lot.pk}/events/?biz_step=").status_code == 200


def test_the_directory_answers_null_area_for_an_entity_without_plots_as_its_schema_says(
    cast, places, api_for
):
    from shuxiang.trace.models import Producer

    Producer.objects.create(name="无地块主体", place=places.hamlet_a, kind="household")
    rows = api_for(cast.admin).get("/api/v1/trace/directory/").json()["results"]
    assert any(row["name"] == "无地块主体" and row["area_mu"] is None for row in rows)


@pytest.mark.parametrize("query", ["year=0.5", "year=1e3"])
def test_a_whole_number_filter_refuses_a_fraction(cast, api_for, query):
    answer = api_for(cast.admin).get(f"/api/v1/monitoring/thresholds/?{query}")
    assert answer.status_code == 400 and answer.json()["fields"] == {"year": ["请填写整数"]}


@pytest.mark.parametrize("level", ["4", "hamlet"])
def test_the_place_level_filter_takes_a_number_or_a_name_as_its_schema_says(cast, api_for, level):
    rows = api_for(cast.admin).get(f"/api/v1/places/?level={level}").json()["results"]
    assert rows and {row["level"] for row in rows} == {"hamlet"}


def test_a_place_is_changed_with_patch_not_put(cast, api_for, places):
    api = api_for(cast.admin)
    assert api.put(f"/api/v1/places/{places.hamlet_a.code}/", {}, format="json").status_code == 405
    answer = api.patch(f"/api/v1/places/{places.hamlet_a.code}/", {"name": "改名小组"}, format="json")
    assert answer.status_code == 200 and answer.json()["name"] == "改名小组"


def test_a_required_yes_no_left_out_of_a_multipart_body_is_required_not_false(cast, places, api_for):
    from shuxiang.core.tests.test_scope_walk import load_samples
    from shuxiang.iot.models import Device

    device = load_samples()[Device](places.hamlet_a, "学习设备")
    api = api_for(cast.admin)
    answer = api.post(f"/api/v1/iot/devices/{device.code}/learning/", {}, format="multipart")
    assert answer.status_code == 400 and "learning" in answer.json()["fields"]
    on = api.post(f"/api/v1/iot/devices/{device.code}/learning/", {"learning": "true"}, format="multipart")
    assert on.status_code == 200 and on.json()["learning"] is True


def test_a_multipart_body_that_holds_no_part_is_refused_not_read_as_an_empty_form(cast, places, api_for):
    """Garbage sent as multipart once became "no fields" and a case step went ahead (Schemathesis ST201)."""
    from shuxiang.core.tests.test_scope_walk import load_samples
    from shuxiang.iot.models import Device

    device = load_samples()[Device](places.hamlet_a, "学习设备")
    api = api_for(cast.admin)
    garbage = b"--XyZ\r\n\xf2\xa8\x8c\xba\x1fL garbage without headers --XyZ"
    answer = api.generic(
        "POST",
        f"/api/v1/iot/devices/{device.code}/learning/",
        garbage,
        content_type="multipart/form-data; boundary=XyZ",
    )
    assert answer.status_code == 400 and "表单无法解析" in answer.json()["message"]
    device.refresh_from_db()
    assert device.learning is False
