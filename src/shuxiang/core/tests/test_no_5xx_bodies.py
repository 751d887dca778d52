"""Bodies that used to answer 500 (issue 13 §1 and what Schemathesis found): JSON nested 50,000 deep
wherever JSON comes in beyond the API's default parser (the case API's own parser list, device
telemetry, the anonymous scan beacon, JSON text inside a form body), `null` for a JSON column that
may not be null (in a JSON body and as the text "null" in a form), and a number beyond 64 bits in a
filter. Each is a refusal or is ignored, never a 500, and nothing is written."""

import pytest
from django.test import Client
from django.utils import timezone

from shuxiang.core.errors import ServiceError

DEEP = b"[" * 50000 + b"]" * 50000

pytestmark = pytest.mark.django_db


def test_a_case_body_nested_50000_deep_is_a_400_and_no_case_is_opened(cast, api_for):
    from shuxiang.cases.models import Case

    before = Case.objects.count()
    answer = api_for(cast.township_a).generic("POST", "/api/v1/cases/", DEEP, content_type="application/json")
    assert answer.status_code == 400 and "嵌套" in answer.json()["message"]
    assert Case.objects.count() == before


def test_telemetry_nested_50000_deep_is_refused_as_bad_json():
    from shuxiang.iot.payloads import parse_json

    with pytest.raises(ServiceError) as refused:
        parse_json(DEEP, now=timezone.now())
    assert refused.value.code == "bad_json" and "嵌套" in refused.value.message


def test_a_scan_beacon_nested_50000_deep_counts_the_scan_without_a_location(places):
    from shuxiang.core.tests.test_scope_walk import load_samples
    from shuxiang.trace.models import Lot, Scan
    from shuxiang.trace.public import consumer_lots

    lot = load_samples()[Lot](places.hamlet_a, "信标批次")
    assert consumer_lots().filter(pk=lot.pk).exists()
    answer = Client().post(f"/t/{lot.short_code}/scan", DEEP, content_type="application/json")
    assert answer.status_code == 204
    scan = Scan.objects.get(lot=lot)
    assert scan.latitude is None and scan.longitude is None


def _rule(places):
    from shuxiang.core.tests.test_scope_walk import load_samples
    from shuxiang.iot.models import AlarmRule

    return load_samples()[AlarmRule](places.hamlet_a, "联动规则")


@pytest.mark.parametrize("fmt", ["json", "multipart"])
def test_a_rules_actions_set_to_null_is_a_400_in_any_body_format(cast, places, api_for, fmt):
    rule = _rule(places)
    data = {"actions": None} if fmt == "json" else {"actions": "null", "action_config": "null"}
    answer = api_for(cast.admin).patch(f"/api/v1/iot/rules/{rule.pk}/", data, format=fmt)
    assert answer.status_code == 400 and "actions" in answer.json()["fields"]
    rule.refresh_from_db()
    assert rule.actions is not None


def test_json_text_nested_50000_deep_in_a_form_body_is_a_400(cast, places, api_for):
    rule = _rule(places)
    answer = api_for(cast.admin).patch(
        f"/api/v1/iot/rules/{rule.pk}/", {"action_config": DEEP.decode()}, format="multipart"
    )
    assert answer.status_code == 400 and "action_config" in answer.json()["fields"]


def test_a_producer_id_beyond_64_bits_in_the_lot_filter_is_a_400(cast, api_for):
    answer = api_for(cast.admin).get("/api/v1/trace/lots/?producer=99999999999999999999")
    assert answer.status_code == 400
