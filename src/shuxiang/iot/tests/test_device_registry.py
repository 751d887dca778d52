"""Registering devices, taking them out of service and rotating MQTT passwords from the browser and the API."""

import json
import re

import pytest
from django.contrib.messages import get_messages

from shuxiang.core.actors import OPERATOR
from shuxiang.core.choices import Role
from shuxiang.core.models import AuditEntry
from shuxiang.iot import conf, services
from shuxiang.iot.models import Device, Reading, Sensor
from shuxiang.iot.tests.conftest import unique_code

pytestmark = pytest.mark.django_db

ADD = "/iot/devices/add/"
API = "/api/v1/iot/devices/"
TELEMETRY = "/api/v1/iot/telemetry"


@pytest.fixture(autouse=True)
def unmanaged_broker(monkeypatch):
    """These tests are about the platform's records; the broker's own accounts are tested in test_broker."""
    monkeypatch.setattr(conf, "MQTT_ADMIN_URL", "")


@pytest.fixture
def township_device_keeper(db):
    """Township officers as a county that lets its townships keep their own devices would configure them:
    a grant to the role (core.grants), in effect at once for every township officer."""
    from shuxiang.core.grants import do_create_grant

    do_create_grant(actor=OPERATOR, role=Role.TOWNSHIP, object_type="iot.device", actions=["add", "change"])


def audit_entries(device_code, action):
    return AuditEntry.objects.filter(
        object_type="iot.device", action=action, object_repr__contains=device_code
    )


def credential(page, name):
    match = re.search(rf'id="credential-{name}" value="([^"]*)"', page)
    assert match, f"{name} not on the page"
    return match.group(1)


def send_telemetry(client, token, values):
    return client.post(
        TELEMETRY,
        data=json.dumps(values),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )


# --- browser ---------------------------------------------------------------------------------------


def test_the_device_list_offers_registration_only_to_staff_who_may_register(cast, client_for):
    assert "登记设备" in client_for(cast.district).get("/iot/devices/").content.decode()
    assert "登记设备" not in client_for(cast.township_a).get("/iot/devices/").content.decode()


def test_staff_register_a_device_in_the_browser_and_see_its_token_once(cast, places, client_for, anon_api):
    code = unique_code("WEB")
    client = client_for(cast.district)
    assert client.get(ADD).status_code == 200
    response = client.post(
        ADD, {"code": code, "protocol": "http", "place": places.hamlet_a.code, "name": "清水村一号水位计"}
    )
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("no-store")
    page = response.content.decode()
    assert "只显示这一次" in page
    token = credential(page, "token")
    device = Device.objects.get(code=code)
    assert device.place == places.hamlet_a and device.name == "清水村一号水位计"
    assert token not in device.token_digest
    assert list(get_messages(response.wsgi_request)) == []
    assert not any(token in str(v) for v in client.session.values())
    assert "只能上报已登记的要素" in page
    refused = send_telemetry(anon_api, token, {"Z": 12.5})
    assert refused.status_code == 400 and refused.json()["code"] == "unknown_key"
    client.post(
        f"/iot/devices/{code}/sensors/", {"key": "Z", "name": "水位", "unit": "m", "max_value": "200"}
    )
    assert send_telemetry(anon_api, token, {"Z": 12.5}).status_code == 200
    assert Reading.objects.filter(sensor__device=device).count() == 1
    assert audit_entries(code, "create").filter(actor=cast.district, source="web").count() == 1
    detail = client.get(f"/iot/devices/{code}/").content.decode()
    assert token not in detail


def test_an_mqtt_device_registered_in_the_browser_gets_broker_credentials(cast, places, client_for):
    code = unique_code("WEBM")
    response = client_for(cast.district).post(
        ADD, {"code": code, "protocol": "mqtt", "place": places.hamlet_a.code}
    )
    page = response.content.decode()
    assert credential(page, "mqtt-username") == code
    assert credential(page, "mqtt-topic") == f"shuxiang/v1/devices/{code}/telemetry"
    assert services.check_mqtt_password(Device.objects.get(code=code), credential(page, "mqtt-password"))
    assert "mosquitto_ctrl dynsec createClient" in page  # the broker is not administered by the platform here


def test_an_sl651_station_registered_in_the_browser_shows_its_address_and_password(cast, places, client_for):
    response = client_for(cast.district).post(
        ADD,
        {"code": "0043090301", "protocol": "sl651", "place": places.hamlet_a.code, "sl651_password": "12ab"},
    )
    page = response.content.decode()
    assert credential(page, "sl651-address") == "0043090301"
    assert credential(page, "sl651-password") == "12AB"


def test_a_duplicate_code_is_shown_on_the_form_and_nothing_is_written(
    cast, places, client_for, device_factory
):
    device, _ = device_factory()
    entries = AuditEntry.objects.filter(object_type__startswith="iot.").count()
    response = client_for(cast.district).post(
        ADD, {"code": device.code, "protocol": "http", "place": places.hamlet_a.code, "name": "重复"}
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["code"] == [f"设备编码 {device.code} 已登记"]
    assert "设备信息有误" in form.non_field_errors()
    assert "只显示这一次" not in response.content.decode()
    assert Device.objects.count() == 1 and Device.objects.get().name != "重复"
    assert AuditEntry.objects.filter(object_type__startswith="iot.").count() == entries


def test_a_nine_digit_sl651_address_is_refused_on_the_form(cast, places, client_for):
    response = client_for(cast.district).post(
        ADD, {"code": "004309030", "protocol": "sl651", "place": places.hamlet_a.code}
    )
    assert "10 位数字测站地址" in response.context["form"].errors["code"][0]
    assert not Device.objects.exists()


def test_an_sl651_password_for_another_protocol_is_refused_on_the_form(cast, places, client_for):
    response = client_for(cast.district).post(
        ADD,
        {"code": unique_code(), "protocol": "http", "place": places.hamlet_a.code, "sl651_password": "1234"},
    )
    assert response.context["form"].errors["sl651_password"] == ["只有 SL 651 遥测站需要填写密码"]
    assert not Device.objects.exists()


def test_a_township_officer_without_the_device_permission_gets_403(cast, places, client_for):
    client = client_for(cast.township_a)
    assert client.get(ADD).status_code == 403
    assert (
        client.post(
            ADD, {"code": unique_code(), "protocol": "http", "place": places.hamlet_a.code}
        ).status_code
        == 403
    )
    assert not Device.objects.exists()


def test_a_township_officer_cannot_register_a_device_in_another_township(
    township_device_keeper, cast, places, client_for
):
    client = client_for(cast.township_a)
    refused = client.post(ADD, {"code": unique_code(), "protocol": "http", "place": places.hamlet_b.code})
    assert refused.status_code == 400
    assert refused.context["form"].errors["place"] == ["不在管辖范围内"]
    assert not Device.objects.exists()
    own = client.post(ADD, {"code": unique_code(), "protocol": "http", "place": places.hamlet_a.code})
    assert "只显示这一次" in own.content.decode()
    assert Device.objects.get().place == places.hamlet_a


def test_the_owner_unit_choices_are_only_the_units_in_scope(township_device_keeper, cast, client_for):
    form = client_for(cast.township_a).get(ADD).context["form"]
    names = {unit.name for unit in form.fields["owner_unit"].queryset}
    assert "泉交河镇人民政府" in names and "兰溪镇人民政府" not in names


def test_staff_deactivate_a_device_and_its_telemetry_is_refused_until_reactivated(
    cast, places, client_for, anon_api, device_factory, django_capture_on_commit_callbacks
):
    device, creds = device_factory()
    assert send_telemetry(anon_api, creds["token"], {"Z": 1.0}).status_code == 200
    client = client_for(cast.district)
    page = client.get(f"/iot/devices/{device.code}/").content.decode()
    assert "停用设备" in page
    with django_capture_on_commit_callbacks(execute=True):  # the listeners' device cache is cleared
        response = client.post(f"/iot/devices/{device.code}/active/", {"is_active": "false"})
    assert response.status_code == 302 and response["Location"] == f"/iot/devices/{device.code}/"
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["设备已停用，其上报数据将被拒收"]
    device.refresh_from_db()
    assert not device.is_active
    refused = send_telemetry(anon_api, creds["token"], {"Z": 1.0})
    assert refused.status_code == 400 and refused.json()["code"] == "inactive"
    assert "启用设备" in client.get(f"/iot/devices/{device.code}/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/iot/devices/{device.code}/active/", {"is_active": "true"})
    assert send_telemetry(anon_api, creds["token"], {"Z": 2.0}).status_code == 200
    entries = audit_entries(device.code, "update").filter(actor=cast.district, source="web").order_by("pk")
    changes = [e.changes for e in entries]
    assert changes == [{"is_active": [True, False]}, {"is_active": [False, True]}]


def test_activation_buttons_and_posts_are_refused_to_officers_and_404_outside_scope(
    cast, places, client_for, device_factory
):
    device, _ = device_factory(protocol="mqtt", place=places.hamlet_a)
    officer = client_for(cast.township_a)
    page = officer.get(f"/iot/devices/{device.code}/").content.decode()
    assert "停用设备" not in page and "重置 MQTT 密码" not in page
    other = client_for(cast.township_b)
    for client in (officer, other):  # without the grant: 403, whether or not the device is theirs
        assert client.post(f"/iot/devices/{device.code}/active/", {"is_active": "false"}).status_code == 403
        rotate = client.post(f"/iot/devices/{device.code}/rotate-mqtt-password/", {"confirm": "on"})
        assert rotate.status_code == 403
    assert client_for(cast.district).get(f"/iot/devices/{device.code}/active/").status_code == 405
    device.refresh_from_db()
    assert device.is_active


def test_a_township_granted_device_keeping_gets_404_for_another_townships_device(
    township_device_keeper, cast, places, client_for, device_factory
):
    device, _ = device_factory(protocol="mqtt", place=places.hamlet_a)
    other = client_for(cast.township_b)
    assert other.post(f"/iot/devices/{device.code}/active/", {"is_active": "false"}).status_code == 404
    assert (
        other.post(f"/iot/devices/{device.code}/rotate-mqtt-password/", {"confirm": "on"}).status_code == 404
    )
    device.refresh_from_db()
    assert device.is_active


def test_staff_rotate_an_mqtt_password_in_the_browser_and_the_old_one_stops_working(
    cast, places, client_for, device_factory
):
    device, creds = device_factory(protocol="mqtt")
    client = client_for(cast.district)
    assert "重置 MQTT 密码" in client.get(f"/iot/devices/{device.code}/").content.decode()
    response = client.post(f"/iot/devices/{device.code}/rotate-mqtt-password/", {"confirm": "on"})
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("no-store")
    page = response.content.decode()
    assert "只显示这一次" in page and "setClientPassword" in page
    new_password = credential(page, "mqtt-password")
    device.refresh_from_db()
    assert services.check_mqtt_password(device, new_password)
    assert not services.check_mqtt_password(device, creds["mqtt_password"])
    assert list(get_messages(response.wsgi_request)) == []
    entry = audit_entries(device.code, "update").get(actor=cast.district)
    assert "mqtt_password" in entry.changes and new_password not in json.dumps(entry.changes)


def test_rotation_without_the_confirmation_changes_nothing(cast, client_for, device_factory):
    device, creds = device_factory(protocol="mqtt")
    response = client_for(cast.district).post(f"/iot/devices/{device.code}/rotate-mqtt-password/", {})
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["请先勾选确认：旧密码将立即失效"]
    device.refresh_from_db()
    assert services.check_mqtt_password(device, creds["mqtt_password"])


def test_an_http_device_has_no_rotation_and_a_forged_post_is_refused(cast, client_for, device_factory):
    device, _ = device_factory(protocol="http")
    client = client_for(cast.district)
    assert "重置 MQTT 密码" not in client.get(f"/iot/devices/{device.code}/").content.decode()
    response = client.post(f"/iot/devices/{device.code}/rotate-mqtt-password/", {"confirm": "on"})
    assert response.status_code == 302
    assert "不是 MQTT 设备" in str(next(iter(get_messages(response.wsgi_request))))
    assert not audit_entries(device.code, "update").exists()


# --- API -------------------------------------------------------------------------------------------


def test_a_system_registers_a_device_with_sensors_over_the_api(cast, places, api_for, anon_api):
    code = unique_code("API")
    body = {
        "code": code,
        "protocol": "mqtt",
        "place": places.hamlet_a.code,
        "name": "清水村泵站",
        "kind": "pump",
        "sensors": [{"key": "I", "name": "电流", "unit": "A", "min_value": 0, "max_value": 200}],
    }
    response = api_for(cast.district).post(API, body, format="json")
    assert response.status_code == 201, response.content
    assert response["Cache-Control"].startswith("no-store")
    data = response.json()
    assert data["code"] == code and data["place"] == places.hamlet_a.code and data["is_active"] is True
    assert data["sensors"][0]["key"] == "I" and data["sensors"][0]["max_value"] == 200
    creds = data["credentials"]
    assert creds["mqtt_username"] == code and creds["mqtt_topic"].endswith(f"/{code}/telemetry")
    device = Device.objects.get(code=code)
    assert services.check_mqtt_password(device, creds["mqtt_password"])
    assert send_telemetry(anon_api, creds["token"], {"I": 12}).status_code == 200
    assert send_telemetry(anon_api, creds["token"], {"I": 500}).json()["code"] == "out_of_range"
    assert audit_entries(code, "create").filter(actor=cast.district, source="api").count() == 1
    again = api_for(cast.district).get(f"{API}{code}/").json()
    assert "credentials" not in again


@pytest.mark.parametrize(
    "change, field, code",
    [
        ({"protocol": "lora"}, "protocol", "invalid"),
        ({"protocol": "sl651", "code": "004309030"}, "code", "invalid"),
        ({"sl651_password": "xyz1", "protocol": "sl651", "code": "0043090399"}, "sl651_password", "invalid"),
        ({"place": "999999999999"}, "place", "invalid"),
        ({"code": ""}, "code", "invalid"),
        ({"sensors": [{"key": "9bad"}]}, "key", "invalid"),
        ({"sensors": [{"key": "Z", "min_value": 5, "max_value": 1}]}, "min_value", "invalid"),
    ],
)
def test_bad_registrations_are_refused_in_chinese_and_nothing_is_written(
    cast, places, api_for, change, field, code
):
    body = {"code": unique_code("BAD"), "protocol": "http", "place": places.hamlet_a.code, **change}
    response = api_for(cast.district).post(API, body, format="json")
    assert response.status_code == 400, response.content
    data = response.json()
    assert set(data) == {"code", "message", "fields"} and data["code"] == code
    assert field in data["fields"]
    assert re.search(r"[\u4e00-\u9fff]", data["message"])
    assert not Device.objects.exists() and not Sensor.objects.exists()
    assert not AuditEntry.objects.filter(object_type__startswith="iot.").exists()


def test_a_duplicate_code_is_refused_over_the_api(cast, places, api_for, device_factory):
    device, _ = device_factory()
    response = api_for(cast.district).post(
        API, {"code": device.code, "protocol": "http", "place": places.hamlet_a.code}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["fields"]["code"] == [f"设备编码 {device.code} 已登记"]
    assert Device.objects.count() == 1


def test_registering_outside_scope_is_refused_with_out_of_scope(
    township_device_keeper, cast, places, api_for
):
    response = api_for(cast.township_a).post(
        API, {"code": unique_code(), "protocol": "http", "place": places.hamlet_b.code}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "out_of_scope" and "place" in response.json()["fields"]
    assert not Device.objects.exists()


def test_registering_over_the_api_needs_the_device_permission(cast, places, api_for):
    response = api_for(cast.township_a).post(
        API, {"code": unique_code(), "protocol": "http", "place": places.hamlet_a.code}, format="json"
    )
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert not Device.objects.exists()


def test_staff_deactivate_and_activate_a_device_over_the_api(
    cast, api_for, anon_api, device_factory, django_capture_on_commit_callbacks
):
    device, creds = device_factory()
    api = api_for(cast.district)
    send_telemetry(anon_api, creds["token"], {"Z": 1})  # the device is now in the listeners' cache
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"{API}{device.code}/deactivate/")
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert send_telemetry(anon_api, creds["token"], {"Z": 1}).json()["code"] == "inactive"
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"{API}{device.code}/activate/")
    assert response.status_code == 200 and response.json()["is_active"] is True
    assert send_telemetry(anon_api, creds["token"], {"Z": 2}).status_code == 200
    assert audit_entries(device.code, "update").filter(actor=cast.district, source="api").count() == 2


def test_activation_over_the_api_is_403_without_the_permission_and_404_outside_scope(
    cast, places, api_for, device_factory
):
    device, _ = device_factory(place=places.hamlet_a)
    deactivate = f"{API}{device.code}/deactivate/"
    refused = api_for(cast.township_a).post(deactivate)
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    from shuxiang.core.grants import do_create_grant

    do_create_grant(actor=OPERATOR, role=Role.TOWNSHIP, object_type="iot.device", actions=["change"])
    hidden = api_for(cast.township_b).post(deactivate)
    assert hidden.status_code == 404 and hidden.json()["code"] == "not_found"
    device.refresh_from_db()
    assert device.is_active
    assert not audit_entries(device.code, "update").exists()


# --- on a phone ------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_register_deactivate_and_rotate_on_a_phone(live_server, phone_page, places, cast):
    from shuxiang import testing
    from shuxiang.conftest import login

    base, page = live_server.url, phone_page
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(base) else None)
    login(page, base, cast.district.username, testing.PASSWORD)
    page.wait_for_url(lambda url: "/login/" not in url)
    page.goto(f"{base}/iot/devices/")
    page.click("text=登记设备")
    code = unique_code("PHONE")
    page.fill("input[name=code]", code)
    page.select_option("select[name=protocol]", "mqtt")
    page.fill("input[name=place]", places.hamlet_a.code)
    page.fill("input[name=name]", "清水村一号泵站")
    page.click("button[type=submit]:has-text('登记')")
    page.wait_for_selector("#shown-once")
    first_password = page.input_value("#credential-mqtt-password")
    wide = page.evaluate(
        "[...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > 361)"
        ".map(e => e.tagName + '.' + e.className + ':' + e.textContent.slice(0, 40))"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, wide
    page.click("text=我已抄录，查看设备")
    page.click("#deactivate")
    page.wait_for_selector(".messages:has-text('设备已停用')")
    page.click("#activate")
    page.wait_for_selector(".messages:has-text('设备已启用')")
    rotate = page.locator("#rotate-mqtt-password")
    rotate.locator("button").click()  # the confirmation is required: the browser does not send the form
    assert page.url.endswith(f"/iot/devices/{code}/") and not page.locator("#shown-once").count()
    rotate.locator("input[name=confirm]").check()
    rotate.locator("button").click()
    page.wait_for_selector("#shown-once")
    new_password = page.input_value("#credential-mqtt-password")
    assert new_password and new_password != first_password
    device = Device.objects.get(code=code)
    assert device.is_active and services.check_mqtt_password(device, new_password)
    assert outside == []


def test_a_resent_rotation_replays_the_same_password_which_is_not_stored_readable(
    cast, api_for, device_factory
):
    """A field app that loses the answer resends with its Idempotency-Key: it gets the same new password
    (not a second rotation), and the kept answer is encrypted, since it holds a credential."""
    from shuxiang.core.models import IdempotencyRecord

    device, _ = device_factory(protocol="mqtt")
    client = api_for(cast.district)
    url = f"{API}{device.code}/rotate-mqtt-password/"
    first = client.post(url, HTTP_IDEMPOTENCY_KEY="rotate-1")
    again = client.post(url, HTTP_IDEMPOTENCY_KEY="rotate-1")
    assert first.status_code == again.status_code == 200
    password = first.json()["mqtt_password"]
    assert again.json()["mqtt_password"] == password
    assert again["Idempotent-Replayed"] == "true" and "no-store" in again["Cache-Control"]
    device.refresh_from_db()
    assert services.check_mqtt_password(device, password)
    record = IdempotencyRecord.objects.get(key="rotate-1")
    assert record.sealed and password.encode() not in bytes(record.body)
    assert audit_entries(device.code, "update").count() == 1


def test_a_device_cannot_take_the_registration_page_s_name(places):
    with pytest.raises(services.ServiceError) as refused:
        services.do_register_device(actor=OPERATOR, code="ADD", protocol="http", place=places.hamlet_a)
    assert "保留字" in refused.value.fields["code"][0]
    assert not Device.objects.filter(code__iexact="add").exists()


def test_a_leaked_token_is_replaced_in_the_browser_and_stops_working(
    cast, client, client_for, device_factory
):
    device, creds = device_factory(protocol="http")
    staff = client_for(cast.district)
    page = staff.get(f"/iot/devices/{device.code}/").content.decode()
    stamp = re.search(r'form[^>]*id="rotate-token".*?name="stamp" value="([0-9a-f]+)"', page, re.S).group(1)
    response = staff.post(f"/iot/devices/{device.code}/rotate-token/", {"confirm": "on", "stamp": stamp})
    assert response.status_code == 200 and response["Cache-Control"].startswith("no-store")
    token = credential(response.content.decode(), "token")
    assert send_telemetry(client, creds["token"], {"Z": 1.0}).status_code == 401
    assert send_telemetry(client, token, {"Z": 1.0}).status_code == 200
    entry = audit_entries(device.code, "update").get(actor=cast.district)
    assert "token" in entry.changes and token not in json.dumps(entry.changes)
    # the same form sent again (a browser resubmitting) rotates nothing
    again = staff.post(f"/iot/devices/{device.code}/rotate-token/", {"confirm": "on", "stamp": stamp})
    assert again.status_code == 302
    assert "已经重置过" in str(list(get_messages(again.wsgi_request))[0])
    assert send_telemetry(client, token, {"Z": 2.0}).status_code == 200


def test_a_resubmitted_mqtt_rotation_form_rotates_nothing(cast, client_for, device_factory):
    device, _ = device_factory(protocol="mqtt")
    staff = client_for(cast.district)
    page = staff.get(f"/iot/devices/{device.code}/").content.decode()
    stamp = re.search(r'id="rotate-mqtt-password".*?name="stamp" value="([0-9a-f]+)"', page, re.S).group(1)
    first = staff.post(f"/iot/devices/{device.code}/rotate-mqtt-password/", {"confirm": "on", "stamp": stamp})
    password = credential(first.content.decode(), "mqtt-password")
    again = staff.post(f"/iot/devices/{device.code}/rotate-mqtt-password/", {"confirm": "on", "stamp": stamp})
    assert again.status_code == 302
    device.refresh_from_db()
    assert services.check_mqtt_password(device, password)


def test_the_token_is_rotated_over_the_api_and_from_the_command_line(cast, api_for, client, device_factory):
    from io import StringIO

    from django.core.management import call_command

    device, creds = device_factory(protocol="http")
    response = api_for(cast.district).post(f"{API}{device.code}/rotate-token/")
    assert response.status_code == 200 and response["Cache-Control"].startswith("no-store")
    token = response.json()["token"]
    assert send_telemetry(client, creds["token"], {"Z": 1.0}).status_code == 401
    assert api_for(cast.village_a).post(f"{API}{device.code}/rotate-token/").status_code in (403, 404)
    out = StringIO()
    call_command("device", "rotate", device.code, "--token", stdout=out)
    new = re.search(r"token: (\S+)", out.getvalue()).group(1)
    assert send_telemetry(client, token, {"Z": 1.0}).status_code == 401
    assert send_telemetry(client, new, {"Z": 1.0}).status_code == 200


def test_device_kinds_are_picked_by_their_chinese_name_not_typed_as_codes(cast, places, client_for):
    client = client_for(cast.district)
    form = client.get(ADD).content.decode()
    assert '<option value="reservoir_rtu">水库遥测站</option>' in form  # declared by the water app
    refused = client.post(
        ADD, {"code": unique_code("K"), "protocol": "http", "place": places.hamlet_a.code, "kind": "typo"}
    )
    assert "typo 不在可用的选项中" in refused.content.decode()
    assert not Device.objects.filter(kind="typo").exists()
    code = unique_code("K")
    client.post(ADD, {"code": code, "protocol": "http", "place": places.hamlet_a.code, "kind": "pump"})
    assert Device.objects.get(code=code).kind == "pump"
    listed = client.get("/iot/devices/", {"kind": "pump"}).content.decode()
    assert code in listed and "泵站监测终端" in listed
    wrong = client.get("/iot/devices/", {"kind": "nonsense"}).content.decode()
    assert "筛选条件有误" in wrong and code not in wrong


def test_the_kind_filter_offers_every_kind_in_use_declared_or_not(cast, places, client_for):
    """The kinds in use are read by skipping along an index on PostgreSQL (iot.filtersets._kinds_in_use):
    the filter still offers an undeclared code found on a device, by its code, and each kind once."""
    from shuxiang.iot.filtersets import _kinds_in_use

    for kind in ("pump", "pump", "zz_undeclared", ""):
        code = unique_code("KI")
        Device.objects.create(code=code, protocol="http", place=places.hamlet_a, kind=kind, token_digest=code)
    kinds = list(_kinds_in_use())
    assert sorted(kinds) == sorted(set(Device.objects.values_list("kind", flat=True)))
    page = client_for(cast.district).get("/iot/devices/").content.decode()
    assert '<option value="zz_undeclared">zz_undeclared</option>' in page
    assert page.count('<option value="pump">') == 1
