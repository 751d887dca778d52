from datetime import timedelta

import pytest
from django.utils import timezone

from shuxiang.warnings import cap
from shuxiang.warnings.models import Warning
from shuxiang.warnings.tests.helpers import endpoint

pytestmark = pytest.mark.django_db


def cap_xml(
    *,
    identifier="43000041600000_20260701080000_0",
    msg_type="Alert",
    references="",
    expires_in=timedelta(hours=6),
    area="<area><areaDesc>泉交河镇</areaDesc><geocode><valueName>GB/T 2260</valueName><value>430903103000</value></geocode></area>",
    drop=None,
):
    now = timezone.localtime().replace(microsecond=0)
    parts = {
        "identifier": f"<identifier>{identifier}</identifier>",
        "sender": "<sender>43000041600000</sender>",
        "sent": f"<sent>{now.isoformat()}</sent>",
        "status": "<status>Actual</status>",
        "msgType": f"<msgType>{msg_type}</msgType>",
        "scope": "<scope>Public</scope>",
    }
    if drop:
        parts.pop(drop)
    refs = f"<references>{references}</references>" if references else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">'
        + "".join(parts.values())
        + refs
        + "<info><language>zh-CN</language><category>Met</category><event>暴雨橙色预警信号</event>"
        "<urgency>Expected</urgency><severity>Severe</severity><certainty>Likely</certainty>"
        f"<effective>{now.isoformat()}</effective><expires>{(now + expires_in).isoformat()}</expires>"
        "<senderName>湖南省气象台</senderName><headline>湖南省气象台发布暴雨橙色预警</headline>"
        "<description>预计未来6小时益阳市赫山区泉交河镇降雨量将达50毫米以上。</description>"
        "<instruction>转移危险地带人员。</instruction>" + area + "</info></alert>"
    ).encode("utf-8")


def post(api, body, content_type="application/cap+xml"):
    return api.post("/api/v1/warnings/cap", data=body, content_type=content_type)


def test_imported_cap_is_issued_to_endpoints_and_exported_equal_in_meaning(
    officers, places, api_for, gateways, django_capture_on_commit_callbacks
):
    endpoint(places.village_a, gateways.url("qs"))
    original = cap_xml()
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api_for(officers.weather), original)
    assert response.status_code == 201, response.content
    warning = Warning.objects.get(pk=response.json()["id"])
    assert (warning.signal_type.code, warning.colour, warning.status) == ("rainstorm", "orange", "issued")
    assert gateways.messages_for("qs")[0]["identifier"] == "43000041600000_20260701080000_0"

    exported = api_for(officers.weather).get(f"/api/v1/warnings/{warning.pk}.cap")
    assert exported.status_code == 200
    assert exported["Content-Type"].startswith("application/cap+xml")
    a, b = cap.parse(original), cap.parse(exported.content)
    for name in (
        "identifier",
        "sender",
        "sent",
        "status",
        "msg_type",
        "colour",
        "urgency",
        "certainty",
        "headline",
        "description",
        "instruction",
        "sender_name",
        "effective",
        "expires",
    ):
        assert getattr(a, name) == getattr(b, name), name
    assert b.event_name == "暴雨"
    assert [g for area in b.areas for g in area.geocodes] == ["430903103000"]


def test_cap_export_of_an_issued_warning_is_public_and_a_draft_is_not(officers, places, anon_api):
    from shuxiang.warnings.tests.helpers import draft

    warning = draft(officers, [places.village_a.code], colour="blue")
    assert anon_api.get(f"/api/v1/warnings/{warning.pk}.cap").status_code == 404


@pytest.mark.parametrize(
    ("body", "element"),
    [
        (b"<alert><oops", "alert"),
        (b'<alert xmlns="urn:example"/>', "alert"),
        (cap_xml(drop="sent"), "sent"),
        (cap_xml(drop="identifier"), "identifier"),
        (cap_xml(msg_type="Ack"), "msgType"),
        (cap_xml(msg_type="Rumour"), "msgType"),
    ],
)
def test_invalid_cap_is_refused_naming_the_element(officers, places, api_for, body, element):
    response = post(api_for(officers.weather), body)
    assert response.status_code == 400
    payload = response.json()
    assert payload["code"] == "invalid_cap"
    assert f"<{element}>" in payload["message"]
    assert element in payload["fields"]
    assert not Warning.objects.exists()


def test_entity_expansion_is_refused(officers, places, api_for):
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
        b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol2;</identifier></alert>'
    )
    response = post(api_for(officers.weather), bomb, "application/xml")
    assert response.status_code == 400
    assert "DTD" in response.json()["message"]


def test_area_matching_no_place_is_refused(officers, places, api_for):
    other = "<area><areaDesc>长沙市</areaDesc><geocode><valueName>GB/T 2260</valueName><value>430100</value></geocode></area>"
    response = post(api_for(officers.weather), cap_xml(area=other))
    assert response.status_code == 400
    assert response.json()["fields"]["area"][0].startswith("“长沙市”未匹配到本区任何乡镇或村")
    assert not Warning.objects.exists()


def test_polygon_area_targets_the_villages_inside_it(
    officers, places, api_for, django_capture_on_commit_callbacks
):
    polygon = "28.46,112.59 28.48,112.59 28.48,112.61 28.46,112.61 28.46,112.59"
    area = f"<area><areaDesc>泉交河流域</areaDesc><polygon>{polygon}</polygon></area>"
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api_for(officers.weather), cap_xml(area=area))
    assert response.status_code == 201, response.content
    warning = Warning.objects.get(pk=response.json()["id"])
    assert [p.code for p in warning.areas.all()] == [places.village_a.code]
    assert f"<polygon>{polygon}</polygon>" in cap.build(warning).decode()


def test_expired_cap_is_refused(officers, places, api_for):
    response = post(api_for(officers.weather), cap_xml(expires_in=timedelta(hours=-1)))
    assert response.status_code == 400
    assert response.json()["code"] == "expired"


def test_update_for_an_unknown_warning_is_refused(officers, places, api_for):
    body = cap_xml(
        identifier="43000041600000_20260701090000_0",
        msg_type="Update",
        references="43000041600000,43000041600000_20200101000000_0,2020-01-01T00:00:00+08:00",
    )
    response = post(api_for(officers.weather), body)
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_reference"
    assert not Warning.objects.exists()


def test_imported_cancel_lifts_the_imported_alert(
    officers, places, api_for, django_capture_on_commit_callbacks
):
    api = api_for(officers.weather)
    with django_capture_on_commit_callbacks(execute=True):
        first = post(api, cap_xml())
        cancel = post(
            api,
            cap_xml(
                identifier="43000041600000_20260701100000_0",
                msg_type="Cancel",
                references="43000041600000,43000041600000_20260701080000_0,2026-07-01T08:00:00+08:00",
            ),
        )
    assert cancel.status_code == 201, cancel.content
    assert Warning.objects.get(pk=first.json()["id"]).status == "cancelled"


def test_wrong_content_type_is_refused_with_the_error_shape(officers, api_for):
    response = api_for(officers.weather).post("/api/v1/warnings/cap", {"x": 1}, format="json")
    assert response.status_code == 415
    assert set(response.json()) == {"code", "message", "fields"}
