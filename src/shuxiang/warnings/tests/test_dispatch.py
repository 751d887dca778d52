import json
import threading

import paho.mqtt.client as mqtt
import pytest

from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError
from shuxiang.core.services import do_create_place
from shuxiang.warnings import services
from shuxiang.warnings.models import Delivery
from shuxiang.warnings.tests.helpers import endpoint, issue, reached

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_villages(places, gateways):
    """Two loudspeakers in 清水村 (泉交河镇), one in 荷花村 (兰溪镇)."""
    return {
        "qs1": endpoint(places.village_a, gateways.url("qs1"), "清水村村部大喇叭"),
        "qs2": endpoint(places.hamlet_a, gateways.url("qs2"), "清水村一组大喇叭"),
        "hh": endpoint(places.village_b, gateways.url("hh"), "荷花村村部大喇叭"),
    }


def test_only_the_targeted_villages_endpoints_receive_the_warning(
    officers, places, gateways, two_villages, django_capture_on_commit_callbacks
):
    warning = issue(officers, [places.village_a.code], django_capture_on_commit_callbacks)
    assert gateways.paths() == {"qs1", "qs2"}
    message = gateways.messages_for("qs1")[0]
    assert message["identifier"] == warning.identifier
    assert message["text"].startswith("区气象局发布暴雨红色预警")
    assert "<msgType>Alert</msgType>" in message["cap"]
    assert reached(warning) == {"清水村村部大喇叭", "清水村一组大喇叭"}


def test_a_district_wide_warning_reaches_every_township(
    officers, places, gateways, two_villages, django_capture_on_commit_callbacks
):
    issue(officers, [places.district.code], django_capture_on_commit_callbacks, colour="yellow")
    assert gateways.paths() == {"qs1", "qs2", "hh"}


def test_endpoint_failing_its_first_attempt_is_retried_and_delivered(
    officers, places, gateways, two_villages, django_capture_on_commit_callbacks
):
    gateways.fail_first["/qs1"] = 1
    warning = issue(officers, [places.village_a.code], django_capture_on_commit_callbacks)
    d = warning.deliveries.get(endpoint=two_villages["qs1"])
    assert (d.status, d.attempts, d.last_error) == ("delivered", 2, "")
    assert gateways.attempts["/qs1"] == 2


def test_endpoint_that_stays_down_is_shown_failed_and_does_not_hold_up_the_others(
    officers, places, gateways, two_villages, django_capture_on_commit_callbacks
):
    gateways.down.add("/qs1")
    warning = issue(officers, [places.village_a.code], django_capture_on_commit_callbacks)
    failed = warning.deliveries.get(endpoint=two_villages["qs1"])
    assert failed.status == "failed"
    assert failed.attempts == 3  # first try + the two retries configured for tests
    assert failed.last_error == "终端返回 HTTP 503 Service Unavailable"
    assert reached(warning) == {"清水村一组大喇叭"}


def test_unreachable_endpoint_reports_connection_refused(
    officers, places, gateways, django_capture_on_commit_callbacks
):
    from shuxiang.warnings.tests.receivers import free_port

    dead = endpoint(places.village_a, f"http://127.0.0.1:{free_port()}/x", "断电的大喇叭")
    warning = issue(officers, [places.village_a.code], django_capture_on_commit_callbacks)
    d = warning.deliveries.get(endpoint=dead)
    assert d.status == "failed"
    assert "连接被拒绝" in d.last_error


def test_resend_delivers_to_a_failed_endpoint_once_it_is_back(
    officers, places, gateways, two_villages, django_capture_on_commit_callbacks
):
    gateways.down.add("/qs1")
    warning = issue(officers, [places.village_a.code], django_capture_on_commit_callbacks)
    gateways.down.clear()
    with django_capture_on_commit_callbacks(execute=True):
        count = services.do_resend(warning, actor=officers.weather)
    assert count == 1
    assert reached(warning) == {"清水村村部大喇叭", "清水村一组大喇叭"}
    with pytest.raises(ServiceError) as nothing:
        services.do_resend(warning, actor=officers.weather)
    assert nothing.value.code == "nothing_to_resend"


def test_update_reaches_every_endpoint_that_got_the_alert_even_outside_the_new_area(
    officers, places, gateways, two_villages, django_capture_on_commit_callbacks
):
    alert = issue(
        officers, [places.village_a.code, places.village_b.code], django_capture_on_commit_callbacks
    )
    update = services.do_update_warning(
        alert, actor=officers.weather, areas=[places.village_a.code], description="雨势减弱，荷花村解除。"
    )
    services.do_submit_warning(update, actor=officers.weather)
    services.do_approve_warning(update, actor=officers.emergency)
    with django_capture_on_commit_callbacks(execute=True):
        services.do_issue_warning(update, actor=officers.weather)
    alert.refresh_from_db()
    assert alert.status == "updated"
    for path in ("qs1", "qs2", "hh"):
        kinds = [m["msgType"] for m in gateways.messages_for(path)]
        assert kinds == ["Alert", "Update"], path
    assert gateways.messages_for("hh")[1]["references"] == [alert.identifier]


def test_cancel_reaches_every_endpoint_that_got_the_alert(
    officers, places, gateways, two_villages, django_capture_on_commit_callbacks
):
    alert = issue(
        officers, [places.township_a.code, places.village_b.code], django_capture_on_commit_callbacks
    )
    with django_capture_on_commit_callbacks(execute=True):
        cancel = services.do_cancel_warning(alert, actor=officers.weather, reason="降雨结束")
    alert.refresh_from_db()
    assert alert.status == "cancelled"
    assert cancel.msg_type == "Cancel" and cancel.status == "issued"
    for path in ("qs1", "qs2", "hh"):
        assert [m["msgType"] for m in gateways.messages_for(path)] == ["Alert", "Cancel"]
    assert "解除暴雨红色预警" in gateways.messages_for("hh")[1]["text"]
    with pytest.raises(ServiceError) as again:
        services.do_cancel_warning(alert, actor=officers.weather)
    assert again.value.code == "not_current"


def test_cancel_withdraws_alert_deliveries_not_yet_sent(officers, places, gateways, two_villages):
    """Issued but the worker has not run yet (no on-commit execution): the Cancel supersedes them."""
    from shuxiang.warnings.tests.helpers import draft

    alert = draft(officers, [places.village_a.code], colour="yellow")
    services.do_issue_warning(alert, actor=officers.weather)
    services.do_cancel_warning(alert, actor=officers.weather)
    assert set(alert.deliveries.values_list("status", flat=True)) == {"skipped"}


def test_endpoint_receipt_marks_the_delivery_played(
    officers, cast, places, gateways, two_villages, api_for, django_capture_on_commit_callbacks
):
    issue(officers, [places.village_a.code], django_capture_on_commit_callbacks)
    token = gateways.messages_for("qs1")[0]["receipt_token"]
    gateway = api_for(cast.gateway)
    response = gateway.post("/api/v1/warnings/receipts/", {"token": token, "status": "played"}, format="json")
    assert response.status_code == 200
    d = Delivery.objects.get(token=token)
    assert d.status == "played" and d.receipt_at is not None
    bad = gateway.post("/api/v1/warnings/receipts/", {"token": token, "status": "failed"}, format="json")
    assert bad.status_code == 400
    assert bad.json()["fields"] == {"note": ["请说明失败原因"]}
    unknown = gateway.post(
        "/api/v1/warnings/receipts/", {"token": "x" * 32, "status": "played"}, format="json"
    )
    assert unknown.status_code == 404


def test_cadres_and_grid_workers_of_targeted_villages_are_notified(
    officers, cast, places, gateways, django_capture_on_commit_callbacks
):
    warning = issue(officers, [places.village_a.code], django_capture_on_commit_callbacks)
    for user in (cast.village_a, cast.grid_a):
        note = user.notifications.get(kind="warning")
        assert note.title == "【暴雨红色预警】发布：赫山区气象台发布暴雨预警"
        assert note.url == f"/warnings/{warning.pk}/"
    assert not cast.grid_b.notifications.exists()
    # the township of the targeted village hears of it too (docs/warnings.md), another township does not
    assert cast.township_a.notifications.filter(kind="warning").exists()
    assert not cast.township_b.notifications.exists()


def test_mqtt_endpoint_receives_the_warning_on_its_topic(
    officers, places, settings, django_capture_on_commit_callbacks
):
    import uuid

    settings.MQTT_URL = "mqtt://127.0.0.1:1883"
    topic = f"test/shuxiang/{uuid.uuid4().hex}/loudspeaker"
    got, subscribed = [], threading.Event()
    sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    sub.on_connect = lambda c, u, f, rc, p: c.subscribe(topic, qos=1)
    sub.on_subscribe = lambda *a: subscribed.set()
    sub.on_message = lambda c, u, m: got.append(json.loads(m.payload))
    sub.connect("127.0.0.1", 1883)
    sub.loop_start()
    try:
        assert subscribed.wait(5)
        e = services.do_create_endpoint(
            actor=OPERATOR, name="应急广播适配器", place=places.village_a, adapter="mqtt", topic=topic
        )
        warning = issue(officers, [places.village_a.code], django_capture_on_commit_callbacks)
        for _ in range(50):
            if got:
                break
            threading.Event().wait(0.1)
    finally:
        sub.loop_stop()
        sub.disconnect()
    assert got and got[0]["identifier"] == warning.identifier
    assert warning.deliveries.get(endpoint=e).status == "delivered"


def test_file_drop_endpoint_gets_the_message_as_a_file(
    officers, places, settings, tmp_path, django_capture_on_commit_callbacks
):
    e = services.do_create_endpoint(
        actor=OPERATOR, name="县应急广播平台", place=places.township_a, adapter="file", directory="qjh/in"
    )
    warning = issue(officers, [places.township_a.code], django_capture_on_commit_callbacks)
    d = warning.deliveries.get(endpoint=e)
    written = tmp_path / "drop" / "qjh" / "in" / f"{warning.identifier}_{d.pk}.json"
    assert json.loads(written.read_text("utf-8"))["headline"] == warning.headline
    assert d.status == "delivered"


def test_endpoint_with_a_path_outside_the_drop_root_is_refused(places):
    with pytest.raises(ServiceError) as refused:
        services.do_create_endpoint(
            actor=OPERATOR, name="x", place=places.village_a, adapter="file", directory="../etc"
        )
    assert "directory" in refused.value.fields


def test_new_village_endpoints_are_not_sent_old_warnings(
    officers, places, gateways, django_capture_on_commit_callbacks
):
    issue(officers, [places.village_a.code], django_capture_on_commit_callbacks)
    village = do_create_place(
        actor=OPERATOR, code="430903103202", name="新村", level=3, kind="village", parent=places.township_a
    )
    endpoint(village, gateways.url("new"))
    assert "new" not in gateways.paths()


def test_endpoint_addressed_by_host_name_is_reached(
    officers, places, gateways, django_capture_on_commit_callbacks
):
    url = gateways.url("named").replace("127.0.0.1", "localhost")
    named = endpoint(places.village_a, url, "按主机名登记的大喇叭")
    warning = issue(officers, [places.village_a.code], django_capture_on_commit_callbacks)
    assert warning.deliveries.get(endpoint=named).status == "delivered"
    assert gateways.paths() == {"named"}


def test_periodic_sweep_picks_up_only_overdue_deliveries_and_sends_them(
    officers, places, gateways, two_villages, settings
):
    """A lost task (e.g. the queue was flushed): the minute sweep finds the overdue deliveries."""
    from datetime import timedelta

    from django.utils import timezone

    from shuxiang.warnings import dispatch, tasks
    from shuxiang.warnings.tests.helpers import draft

    warning = draft(officers, [places.village_a.code], colour="blue")
    services.do_issue_warning(warning, actor=officers.weather)  # on-commit task never runs here
    assert dispatch.warnings_with_open_deliveries(overdue_by=30) == []
    warning.deliveries.update(next_attempt_at=timezone.now() - timedelta(minutes=1))
    assert dispatch.warnings_with_open_deliveries(overdue_by=30) == [warning.pk]
    tasks.sweep_deliveries.call_local()
    assert gateways.paths() == {"qs1", "qs2"}
