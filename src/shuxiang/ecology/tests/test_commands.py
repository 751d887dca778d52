"""Commands from the platform to an HJ 212 station: asked for on the point page or the API, queued per
station, written by `hj212 serve` on the station's open link with a new QN, matched to the station's
9011/9012/9013 and data packets by that QN; refused input writes nothing; every step audited."""

import socket
import time
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from shuxiang.core import pii
from shuxiang.core.actors import OPERATOR
from shuxiang.core.models import AuditEntry
from shuxiang.ecology import hj212_commands as hc
from shuxiang.ecology import services
from shuxiang.ecology.models import StationCommand
from shuxiang.iot import hj212
from shuxiang.iot import services as iot
from shuxiang.iot.models import Device, Rejection

MN = "43090300HS0000000000T001"


def _station(places):
    iot.caches.clear()
    device, _ = iot.do_register_device(
        actor=OPERATOR, code=MN, protocol="hj212", place=places.village_a, hj212_password="123456"
    )
    return device


@pytest.fixture
def linked(section, places):
    services.do_link_station(section, actor=OPERATOR, device=_station(places))
    section.refresh_from_db()
    yield section
    iot.caches.clear()


@pytest.fixture
def server(transactional_db):
    from shuxiang.iot.hj212_server import Server

    iot.caches.clear()
    srv = Server("127.0.0.1", 0, workers=1)
    srv.poll_interval = 0.1
    thread = srv.start_in_thread()
    yield srv
    srv.shutdown()
    thread.join(5)
    iot.caches.clear()


class Station:
    """A station's side of the link: sends packets, reads what the platform writes."""

    def __init__(self, port, pw="123456"):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buffer = b""
        self.pw = pw

    def send(self, cn, qn, cp="", flag=4, st="91"):
        self.sock.sendall(hj212.build(qn=qn, st=st, cn=cn, pw=self.pw, mn=MN, flag=flag, cp=cp))

    def read(self, timeout=5.0) -> hj212.Packet | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            data, used = hj212.read_packet(self.buffer)
            if data is not None:
                self.buffer = self.buffer[used:]
                return hj212.parse(data)
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(4096)
            except TimeoutError:
                return None
            if not chunk:
                return None
            self.buffer += chunk
        return None

    def hello(self):
        """An hourly upload asking for its 9014: the link is now the station's."""
        at = (timezone.now() - timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
        self.sock.sendall(
            hj212.build_upload(mn=MN, pw=self.pw, cn=hj212.HOURLY, at=at, values={"w01018": 15.0})
        )
        assert self.read().cn == "9014"

    def close(self):
        self.sock.close()


def _wait(command, status, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            command.refresh_from_db()
        except OperationalError:  # the in-memory SQLite of the tests: the server thread holds the table
            time.sleep(0.05)
            continue
        if command.status == status:
            return command
        time.sleep(0.05)
    raise AssertionError(f"command still {command.status}, wanted {status}")


def _read(query, timeout=5.0):
    """A read from the test thread while the server thread may hold the in-memory SQLite's table lock."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return query()
        except OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_set_time_asked_over_the_api_reaches_the_connected_station_and_closes_on_its_9011_and_9012(
    server, linked, cast, api_for
):
    station = Station(server.port)
    station.hello()
    response = api_for(cast.district).post(
        f"/api/v1/ecology/points/{linked.pk}/commands/", {"cn": "1012"}, format="json"
    )
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "pending"
    packet = station.read()
    assert packet is not None and packet.cn == "1012"
    assert (packet.st, packet.pw, packet.mn, packet.flag) == ("91", "123456", MN, 5)
    assert len(packet.qn) == 17 and len(packet.param("SystemTime")) == 14
    command = StationCommand.objects.get()
    assert command.qn == packet.qn and command.status == "sent"
    station.send("9011", packet.qn, "QnRtn=1")
    _wait(command, "accepted")
    station.send("9012", packet.qn, "ExeRtn=1")
    _wait(command, "done")
    assert command.exe_rtn == 1 and command.answered_at is not None
    listed = api_for(cast.district).get(f"/api/v1/ecology/points/{linked.pk}/commands/").json()
    assert [(c["cn"], c["status"]) for c in listed["results"]] == [("1012", "done")]
    actions = list(
        AuditEntry.objects.filter(object_type="ecology.stationcommand").values_list("action", flat=True)
    )
    assert actions.count("create") == 1 and actions.count("transition") == 3  # sent, accepted, done
    station.close()


@pytest.mark.django_db(transaction=True)
def test_get_time_keeps_the_stations_clock_and_its_1011_is_not_taken_for_a_request(server, linked):
    station = Station(server.port)
    station.hello()
    command = hc.do_request_hj212_command(linked, actor=OPERATOR, cn="1011")
    packet = station.read()
    assert packet.cn == "1011" and packet.qn == _wait(command, "sent").qn
    station.send("9011", packet.qn, "QnRtn=1")
    station.send("1011", packet.qn, "SystemTime=20261207083000")
    station.send("9012", packet.qn, "ExeRtn=1")
    _wait(command, "done")
    assert command.result == {"SystemTime": "20261207083000"}
    assert station.read(timeout=0.5) is None  # the station's 1011 answer got no 9011/1011/9012 of ours
    station.close()


@pytest.mark.django_db(transaction=True)
def test_a_new_password_set_by_1072_is_what_the_station_is_checked_against_once_it_says_done(server, linked):
    station = Station(server.port)
    station.hello()
    command = hc.do_request_hj212_command(linked, actor=OPERATOR, cn="1072", value="654321")
    packet = station.read()
    assert packet.cn == "1072" and packet.param("NewPW") == "654321" and packet.pw == "123456"
    station.send("9011", packet.qn, "QnRtn=1")
    station.send("9012", packet.qn, "ExeRtn=1")
    _wait(command, "done")
    assert command.params == {"NewPW": "******"}  # the plain text is not kept
    assert _read(lambda: Device.objects.get(code=MN).hj212_password_digest) == pii.digest("654321")
    assert "654321" not in str(_read(lambda: list(AuditEntry.objects.values_list("changes", flat=True))))
    station.close()
    old = Station(server.port, pw="123456")
    old.send("2021", "20261207080000001", "DataTime=20261207080000", flag=5, st="32")
    assert old.read().param("QnRtn") == "3"  # PW wrong
    old.close()
    new = Station(server.port, pw="654321")
    new.hello()
    new.close()


@pytest.mark.django_db(transaction=True)
def test_a_refusal_fails_the_command_with_its_meaning_and_a_station_never_connected_lets_it_expire(
    server, linked
):
    station = Station(server.port)
    station.hello()
    command = hc.do_request_hj212_command(linked, actor=OPERATOR, cn="1062", value="60")
    packet = station.read()
    assert packet.cn == "1062" and packet.param("RtdInterval") == "60"
    station.send("9011", packet.qn, "QnRtn=2")
    _wait(command, "failed")
    assert command.qn_rtn == 2 and "请求被拒绝" in command.detail
    station.close()
    # a second command while the station is away waits, then expires after its lifetime
    waiting = hc.do_request_hj212_command(linked, actor=OPERATOR, cn="2011")
    time.sleep(0.4)
    _wait(waiting, "pending")
    server.poll_interval = 3600  # the listener's own expiry round must not race the one below
    time.sleep(0.3)
    assert hc.expire_commands(now=timezone.now() + hc.LIFETIME + timedelta(minutes=1)) == 1
    waiting.refresh_from_db()
    assert waiting.status == "expired" and "未连接" in waiting.detail
    assert not Rejection.objects.filter(device__code=MN).exists()  # answers are not counted as refusals


def test_2012_closes_on_the_notice_answer_and_a_sent_command_without_an_answer_expires(linked):
    stop = hc.do_request_hj212_command(linked, actor=OPERATOR, cn="2012")
    (stop,) = hc.claim_commands([MN])
    reply = hj212.parse(
        hj212.read_packet(hj212.build(qn=stop.qn, st="91", cn="9013", pw="123456", mn=MN, flag=4))[0]
    )
    assert hc.record_reply(reply) == stop
    stop.refresh_from_db()
    assert stop.status == "done"
    start = hc.do_request_hj212_command(linked, actor=OPERATOR, cn="2011")
    (start,) = hc.claim_commands([MN])
    assert start.qn != stop.qn or start.sent_at != stop.sent_at
    assert hc.expire_commands(now=timezone.now() + hc.ANSWER_TIMEOUT + timedelta(seconds=5)) == 1
    start.refresh_from_db()
    assert start.status == "expired" and start.detail == "监测站未给出执行结果"


@pytest.mark.parametrize(
    "body, code",
    [
        ({"cn": "9999"}, 400),
        ({"cn": "1062", "value": "5"}, 400),
        ({"cn": "1062", "value": "abc"}, 400),
        ({"cn": "1072", "value": "12;PW"}, 400),
        ({"cn": "1072"}, 400),
    ],
)
def test_bad_commands_are_refused_with_a_message_and_nothing_is_written(linked, cast, api_for, body, code):
    response = api_for(cast.district).post(
        f"/api/v1/ecology/points/{linked.pk}/commands/", body, format="json"
    )
    assert response.status_code == code
    assert response.json()["message"]
    assert not StationCommand.objects.exists()


def test_a_point_without_a_station_or_a_role_without_the_right_gets_no_command(section, cast, api_for):
    response = api_for(cast.district).post(
        f"/api/v1/ecology/points/{section.pk}/commands/", {"cn": "1011"}, format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "no_station"
    response = api_for(cast.village_a).post(
        f"/api/v1/ecology/points/{section.pk}/commands/", {"cn": "1011"}, format="json"
    )
    assert response.status_code in (403, 404)
    assert not StationCommand.objects.exists()


def test_at_most_five_open_commands_per_station(linked):
    for _ in range(hc.MAX_OPEN_PER_STATION):
        hc.do_request_hj212_command(linked, actor=OPERATOR, cn="1011")
    from shuxiang.core.errors import ServiceError

    with pytest.raises(ServiceError) as refused:
        hc.do_request_hj212_command(linked, actor=OPERATOR, cn="1011")
    assert refused.value.code == "too_many"
    assert StationCommand.objects.count() == hc.MAX_OPEN_PER_STATION


def test_the_point_page_offers_the_commands_and_lists_them_with_their_outcome(linked, cast, client_for):
    client = client_for(cast.district)
    page = client.get(f"/ecology/points/{linked.pk}/").content.decode()
    assert 'id="command-form"' in page and "1012 设置现场机时间" in page
    response = client.post(f"/ecology/points/{linked.pk}/commands/", {"cn": "1072", "value": "abcdef"})
    assert response.status_code == 302
    command = StationCommand.objects.get()
    assert command.requested_by == cast.district and command.params == {"NewPW": "abcdef"}
    page = client.get(f"/ecology/points/{linked.pk}/").content.decode()
    assert "1072 设置现场机访问密码" in page and "待发送" in page and "abcdef" not in page
    client.post(f"/ecology/points/{linked.pk}/commands/", {"cn": "1062", "value": "1"})
    assert StationCommand.objects.count() == 1
    page = client_for(cast.township_a).get(f"/ecology/points/{linked.pk}/").content.decode()
    assert 'id="command-form"' not in page and "1072 设置现场机访问密码" in page


def test_the_demos_command_history_runs_through_the_listeners_matching(linked, cast):
    from types import SimpleNamespace

    from shuxiang.ecology import demo

    demo._commands(SimpleNamespace(users={"district": cast.district}), linked, MN, timezone.now())
    outcome = dict(StationCommand.objects.values_list("cn", "status"))
    assert outcome == {"1011": "done", "1012": "done", "1062": "failed", "2011": "done", "1061": "pending"}
    assert StationCommand.objects.get(cn="1011").result["SystemTime"]
