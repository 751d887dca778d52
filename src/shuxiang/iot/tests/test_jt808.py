"""JT/T 808: the public test vectors, the frame rules, and the TCP front end with real sockets."""

import contextlib
import socket
import struct
import time
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shuxiang.iot import jt808
from shuxiang.iot.models import Device, Reading, Rejection


def hexbytes(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


# Public vectors (SmallChi/JT808 tests; checks recomputed), as in the reference notes.
LOCATION_2013 = hexbytes(
    "7E 02 00 00 26 12 34 56 78 90 12 00 7D 02 00 00 00 01 00 00 00 02 00 BA 7F 0E 07 E4 F1 1C 00 28 00 3C"
    " 00 00 18 10 15 10 10 10 01 04 00 00 00 64 02 02 00 7D 01 13 7E"
)
HEARTBEAT = hexbytes("7E 00 02 00 00 04 00 21 67 92 87 00 2B 7D 02 7E")
AUTH = hexbytes("7E 01 02 00 09 01 23 45 67 89 00 30 39 34 35 36 31 32 31 31 31 31 BE 7E")
PLATFORM_REPLY = hexbytes("7E 80 01 00 05 01 23 45 67 89 00 00 0A 00 64 02 00 00 61 7E")
REGISTER_REPLY = hexbytes("7E 81 00 00 09 01 23 45 67 89 00 00 0A 00 64 00 31 32 33 34 35 36 68 7E")


def one(data: bytes) -> jt808.Frame:
    items = jt808.Splitter().feed(data)
    assert len(items) == 1 and isinstance(items[0], jt808.Frame), items
    return items[0]


def test_the_2013_location_vector_with_both_escapes_decodes_to_the_published_values():
    frame = one(LOCATION_2013)
    assert (frame.msg_id, frame.phone, frame.serial, frame.version) == (0x0200, "123456789012", 126, 2013)
    loc = jt808.parse_location(frame.body)
    assert (loc.alarm, loc.status) == (1, 2)
    assert loc.lat == pytest.approx(12.222222) and loc.lon == pytest.approx(132.444444)
    assert (loc.altitude, loc.speed, loc.direction) == (40, 6.0, 0)
    assert loc.time == datetime(2018, 10, 15, 10, 10, 10, tzinfo=jt808.BEIJING)
    values = {k: v for k, _ts, v in loc.values()}
    assert values["mileage"] == pytest.approx(10.0) and values["fuel"] == pytest.approx(12.5)
    assert values["emergency"] == 1 and values["positioned"] == 1 and values["acc"] == 0


def test_the_heartbeat_whose_check_byte_is_escaped_decodes():
    frame = one(HEARTBEAT)
    assert (frame.msg_id, frame.phone, frame.serial, frame.body) == (0x0002, "040021679287", 43, b"")


def test_the_auth_vector_carries_its_code():
    frame = one(AUTH)
    assert (frame.msg_id, frame.phone, frame.serial) == (0x0102, "012345678900", 12345)
    assert jt808.parse_auth(frame) == "456121111"


def test_platform_replies_are_built_byte_for_byte_as_the_vectors():
    location = jt808.Frame(msg_id=0x0200, phone="012345678900", serial=100, body=b"")
    assert jt808.general_reply(location, 10, jt808.OK) == PLATFORM_REPLY
    register = jt808.Frame(msg_id=0x0100, phone="012345678900", serial=100, body=b"")
    assert jt808.register_reply(register, 10, jt808.REG_OK, "123456") == REGISTER_REPLY
    # and they read back
    assert one(PLATFORM_REPLY).body == struct.pack(">HHB", 100, 0x0200, 0)


def test_encoding_and_decoding_round_trip_in_both_header_versions():
    body = jt808.location_body(lat=22.5, lon=112.9, time=datetime(2026, 5, 1, 8, 0, tzinfo=UTC), speed=7.2)
    for version, phone in ((2013, "013800138000"), (2019, "00000000013800138000")):
        frame = one(jt808.encode_frame(0x0200, phone, 7, body, version=version))
        assert (frame.version, frame.phone, frame.body) == (version, phone, body)
        assert frame.protocol_version == (1 if version == 2019 else 0)


def test_a_2019_auth_reads_its_length_prefixed_code():
    body = bytes([6]) + b"ABC123" + b"861234567890123" + b"V1.0".ljust(20, b"\x00")
    frame = one(jt808.encode_frame(0x0102, "00000000013800138000", 1, body, version=2019))
    assert jt808.parse_auth(frame) == "ABC123"


def test_a_frame_split_at_every_byte_and_a_lone_7d_at_a_read_boundary_decodes_once():
    for cut in range(1, len(LOCATION_2013)):
        splitter = jt808.Splitter()
        items = splitter.feed(LOCATION_2013[:cut]) + splitter.feed(LOCATION_2013[cut:])
        assert [type(i) for i in items] == [jt808.Frame], cut
    index = LOCATION_2013.index(b"\x7d")
    splitter = jt808.Splitter()
    assert splitter.feed(LOCATION_2013[: index + 1]) == []  # ends on the 0x7D
    assert splitter.feed(LOCATION_2013[index + 1 :])[0].serial == 126


def test_garbage_and_a_bad_frame_do_not_cost_the_good_frame_after_them():
    bad = bytearray(HEARTBEAT)
    bad[5] ^= 0x01
    items = jt808.Splitter().feed(b"\x00\x01garbage" + bytes(bad) + LOCATION_2013 + HEARTBEAT)
    reasons = [i.reason for i in items if isinstance(i, jt808.FrameError)]
    frames = [i for i in items if isinstance(i, jt808.Frame)]
    assert reasons == ["bad_frame", "bad_crc"]
    assert [f.msg_id for f in frames] == [0x0200, 0x0002]


def test_a_wrong_check_byte_a_wrong_escape_and_a_length_mismatch_are_refused_with_their_reason():
    wrong_check = LOCATION_2013[:-2] + b"\x14\x7e"
    assert jt808.Splitter().feed(wrong_check)[0].reason == "bad_crc"
    assert jt808.Splitter().feed(wrong_check)[0].phone == "123456789012"
    wrong_escape = LOCATION_2013.replace(b"\x7d\x02", b"\x7d\x03", 1)
    assert jt808.Splitter().feed(wrong_escape)[0].reason == "bad_frame"
    data = bytearray(jt808.unescape(LOCATION_2013[1:-1]))
    data[3] = 0x25  # the header says 37 bytes, the body has 38
    data[-1] = jt808.checksum(bytes(data[:-1]))
    error = jt808.Splitter().feed(b"\x7e" + jt808.escape(bytes(data)) + b"\x7e")[0]
    assert error.reason == "bad_frame" and "不符" in error.message


def test_vendor_extras_are_kept_raw_and_a_tlv_overrunning_the_body_is_refused():
    ts = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
    body = jt808.location_body(lat=22.5, lon=112.9, time=ts, extras={0xF3: b"\x01\x02\x03", 0x30: b"\x1c"})
    loc = jt808.parse_location(body)
    assert loc.unknown_extras() == {"F3": "010203"}
    assert {k: v for k, _t, v in loc.values()}["signal"] == 28
    with pytest.raises(jt808.FrameError):
        jt808.parse_location(body + b"\xf4\x09\x00")


def test_a_batch_reads_every_item_and_a_bad_item_spoils_only_itself():
    ts = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
    good = jt808.location_body(lat=22.5, lon=112.9, time=ts)
    bad = good[:22] + b"\x99\x99\x99\x99\x99\x99"  # an impossible time
    frame = one(jt808.encode_frame(0x0704, "013800138000", 3, jt808.batch_body([good, bad, good], kind=1)))
    kind, items = jt808.parse_batch(frame)
    assert kind == 1 and [type(i).__name__ for i in items] == ["Location", "FrameError", "Location"]


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_fuzz_arbitrary_bytes_never_crash_the_splitter(data):
    for item in jt808.Splitter().feed(data):
        if isinstance(item, jt808.Frame):
            for parse in (jt808.parse_register, jt808.parse_auth, jt808.parse_batch):
                with contextlib.suppress(jt808.FrameError):
                    parse(item)
            with contextlib.suppress(jt808.FrameError):
                jt808.parse_location(item.body)


@settings(max_examples=2000, deadline=None)
@given(st.integers(0, 0xFFFF), st.binary(max_size=200), st.sampled_from([2013, 2019]))
def test_fuzz_valid_frames_with_random_bodies_fail_only_with_frame_errors(msg_id, body, version):
    frame = one(jt808.encode_frame(msg_id, "013800138000", 1, body, version=version))
    assert frame.body == body
    for parse in (jt808.parse_register, jt808.parse_auth, jt808.parse_batch):
        with contextlib.suppress(jt808.FrameError):
            parse(frame)
    with contextlib.suppress(jt808.FrameError):
        jt808.parse_location(body).values()


# --- the TCP server end to end --------------------------------------------------------------------


@pytest.fixture
def jt808_server(transactional_db):
    from shuxiang.iot.jt808_server import Server

    server = Server("127.0.0.1", 0, workers=2)
    thread = server.start_in_thread()
    yield server
    server.shutdown()
    thread.join(5)


class Terminal:
    """A terminal on a real socket: sends frames, reads the platform's frames back."""

    def __init__(self, port, phone, version=2013):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.phone, self.version, self.serial = phone, version, 0
        self.splitter = jt808.Splitter()
        self.inbox = []

    def send(self, msg_id, body=b"", raw=None):
        self.serial += 1
        data = (
            raw
            if raw is not None
            else jt808.encode_frame(msg_id, self.phone, self.serial, body, version=self.version)
        )
        self.sock.sendall(data)
        return self.serial

    def receive(self, timeout=5.0) -> jt808.Frame:
        deadline = time.monotonic() + timeout
        while not self.inbox and time.monotonic() < deadline:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            self.inbox += [f for f in self.splitter.feed(chunk) if isinstance(f, jt808.Frame)]
        assert self.inbox, "no reply"
        return self.inbox.pop(0)

    def reply_result(self):
        frame = self.receive()
        assert frame.msg_id == jt808.PLATFORM_REPLY, hex(frame.msg_id)
        serial, msg_id, result = struct.unpack(">HHB", frame.body)
        return serial, msg_id, result

    def login(self):
        self.send(jt808.REGISTER, jt808.register_body())
        reply = self.receive()
        assert reply.msg_id == jt808.REGISTER_REPLY
        acked, result = struct.unpack_from(">HB", reply.body)
        assert result == jt808.REG_OK
        code = reply.body[3:]
        body = code if self.version == 2013 else bytes([len(code)]) + code + b"0" * 15 + b"\0" * 20
        self.send(jt808.AUTH, body)
        assert self.reply_result()[2] == jt808.OK
        return code.decode()

    def close(self):
        self.sock.close()


def _recent(minutes=5):
    return datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=minutes)


def _readings(code):
    return {
        r.sensor.key: r.value
        for r in Reading.objects.filter(sensor__device__code=code).select_related("sensor")
    }


@pytest.mark.services
def test_a_terminal_registers_authenticates_and_its_location_is_stored_before_the_ack(
    jt808_server, places, cast, device_factory, api_for
):
    device, creds = device_factory(protocol="jt808", code="013800138000", sensors=())
    t = Terminal(jt808_server.port, device.code)
    code = t.login()
    assert code == creds["jt808_auth_code"]
    ts = _recent()
    body = jt808.location_body(
        lat=22.765,
        lon=112.96,
        time=ts,
        speed=8.4,
        direction=90,
        alarm=1,
        extras={0x01: (1234).to_bytes(4, "big")},
    )
    serial = t.send(jt808.LOCATION, body)
    acked, msg_id, result = t.reply_result()
    assert (acked, msg_id, result) == (serial, 0x0200, jt808.OK)
    values = _readings(device.code)  # read after the ack: stored before it was sent
    assert values["lat"] == pytest.approx(22.765) and values["lon"] == pytest.approx(112.96)
    assert values["speed"] == pytest.approx(8.4) and values["direction"] == 90
    assert (
        values["emergency"] == 1 and values["positioned"] == 1 and values["mileage"] == pytest.approx(123.4)
    )
    t.send(jt808.HEARTBEAT)
    assert t.reply_result()[1:] == (0x0002, jt808.OK)
    t.close()
    latest = api_for(cast.district).get(f"/api/v1/iot/devices/{device.code}/latest/")
    assert latest.status_code == 200
    text = latest.content.decode()
    for key in ("lat", "lon", "speed", "direction"):
        assert f'"{key}"' in text


@pytest.mark.services
def test_a_2019_terminal_is_answered_in_2019_headers_and_its_batch_is_stored(
    jt808_server, places, device_factory
):
    device, _ = device_factory(protocol="jt808", code="00000000013800138001", sensors=())
    t = Terminal(jt808_server.port, device.code, version=2019)
    t.login()
    base = _recent(30)
    items = [
        jt808.location_body(lat=22.7 + i * 0.0001, lon=112.9, time=base + timedelta(seconds=10 * i), speed=6)
        for i in range(5)
    ]
    t.send(jt808.BATCH, jt808.batch_body(items, kind=1))
    reply = t.receive()
    assert reply.version == 2019 and reply.phone == device.code
    assert struct.unpack(">HHB", reply.body)[1:] == (0x0704, jt808.OK)
    lat = Reading.objects.filter(sensor__device=device, sensor__key="lat")
    assert lat.count() == 5
    t.close()


@pytest.mark.services
def test_unregistered_and_unauthenticated_terminals_are_refused_counted_and_others_served(
    jt808_server, places, device_factory
):
    device, _ = device_factory(protocol="jt808", code="013800138002", sensors=())
    body = jt808.location_body(lat=22.7, lon=112.9, time=_recent())
    stranger = Terminal(jt808_server.port, "019999999999")
    stranger.send(jt808.REGISTER, jt808.register_body())
    reply = stranger.receive()
    assert struct.unpack_from(">HB", reply.body)[1] == jt808.REG_NO_TERMINAL
    stranger.send(jt808.LOCATION, body)
    assert stranger.reply_result()[2] == jt808.FAIL
    known = Terminal(jt808_server.port, device.code)
    known.send(jt808.LOCATION, body)  # not authenticated yet
    assert known.reply_result()[2] == jt808.FAIL
    known.send(jt808.AUTH, b"WRONGCODE")
    assert known.reply_result()[2] == jt808.FAIL
    known.send(0x0900, b"\x01")  # an id we do not handle
    assert known.reply_result()[1:] == (0x0900, jt808.UNSUPPORTED)
    assert not Reading.objects.exists()
    assert Rejection.objects.get(device_code="019999999999", reason="unknown_device").count == 2
    assert Rejection.objects.get(device=device, reason="unauthenticated").count == 1
    assert Rejection.objects.get(device=device, reason="wrong_password").count == 1
    assert Rejection.objects.get(device=device, reason="unsupported").count == 1
    known.login()
    known.send(jt808.LOCATION, body)
    assert known.reply_result()[2] == jt808.OK
    assert _readings(device.code)["lat"] == pytest.approx(22.7)
    stranger.close()
    known.close()


@pytest.mark.services
def test_bad_checks_garbage_and_split_reads_on_one_connection_leave_the_good_frames_stored(
    jt808_server, places, device_factory
):
    device, _ = device_factory(protocol="jt808", code="013800138003", sensors=())
    t = Terminal(jt808_server.port, device.code)
    t.login()
    good = jt808.encode_frame(
        jt808.LOCATION, device.code, 50, jt808.location_body(lat=22.7, lon=112.9, time=_recent())
    )
    broken = bytearray(good)
    broken[-2] ^= 0x55  # the check byte
    t.sock.sendall(b"\xff\xfe junk" + bytes(broken))
    for i in range(len(good)):  # one byte per write
        t.sock.sendall(good[i : i + 1])
        time.sleep(0.001)
    assert t.reply_result()[0] == 50
    assert Rejection.objects.get(device=device, reason="bad_crc").count == 1
    assert Rejection.objects.filter(reason="bad_frame").exists()
    assert _readings(device.code)["lat"] == pytest.approx(22.7)
    t.close()


@pytest.mark.services
def test_impossible_coordinates_and_jumps_are_refused_unpositioned_fixes_stored(
    jt808_server, places, device_factory
):
    device, _ = device_factory(protocol="jt808", code="013800138004", sensors=())
    t = Terminal(jt808_server.port, device.code)
    t.login()
    base = _recent(20)
    frames = [
        jt808.location_body(lat=22.70, lon=112.90, time=base),
        jt808.location_body(lat=95.0, lon=112.90, time=base + timedelta(seconds=10)),  # beyond ±90
        jt808.location_body(lat=23.70, lon=112.90, time=base + timedelta(seconds=20)),  # 111 km in 20 s
        jt808.location_body(lat=0, lon=0, time=base + timedelta(seconds=30), status=0b01),  # not positioned
        jt808.location_body(lat=22.7002, lon=112.90, time=base + timedelta(seconds=40)),
    ]
    results = []
    for body in frames:
        t.send(jt808.LOCATION, body)
        results.append(t.reply_result()[2])
    assert results == [jt808.OK, jt808.BAD_MESSAGE, jt808.BAD_MESSAGE, jt808.OK, jt808.OK]
    assert Rejection.objects.get(device=device, reason="bad_position").count == 2
    positioned = Reading.objects.filter(sensor__device=device, sensor__key="positioned").order_by("ts")
    assert [r.value for r in positioned] == [1, 0, 1]
    t.close()


@pytest.mark.services
def test_the_jt808_serve_command_and_device_add_speak_the_contract(places):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command(
        "device", "add", "013800138009", "--protocol", "jt808", "--place", places.hamlet_a.code, stdout=out
    )
    assert "jt808_auth_code:" in out.getvalue()
    assert Device.objects.get(code="013800138009").protocol == "jt808"
    from django.core.management import get_commands, load_command_class

    parser = load_command_class(get_commands()["jt808"], "jt808").create_parser("shuxiang", "jt808")
    opts = parser.parse_args(["serve", "--host", "127.0.0.1", "--port", "7808"])
    assert (opts.action, opts.host, opts.port) == ("serve", "127.0.0.1", 7808)


@pytest.mark.services
def test_while_the_database_is_away_nothing_is_acknowledged_and_the_resent_frames_are_stored(
    jt808_server, places, device_factory, monkeypatch
):
    """The database fails mid-stream (every store raises, as a restarting server does): those locations
    get no 0x8001, the listener keeps serving, and the terminal's resends are stored once it is back.
    Every location ever acknowledged is in the database."""
    from django.db import OperationalError

    from shuxiang.iot import services

    device, _ = device_factory(protocol="jt808", code="013800138005", sensors=())
    t = Terminal(jt808_server.port, device.code)
    t.login()
    real = services.do_ingest
    down = {"on": False}

    def flaky(*args, **kwargs):
        if down["on"]:
            raise OperationalError("server closed the connection unexpectedly")
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "do_ingest", flaky)
    base = _recent(30)
    bodies = [
        jt808.location_body(lat=22.7 + i * 1e-5, lon=112.9, time=base + timedelta(seconds=i))
        for i in range(20)
    ]
    acked, unacked = set(), []
    for i, body in enumerate(bodies):
        down["on"] = 8 <= i < 13
        serial = t.send(jt808.LOCATION, body)
        try:
            t.sock.settimeout(1.0)
            reply = t.receive(timeout=1.0)
            assert struct.unpack(">HHB", reply.body)[:2] == (serial, 0x0200)
            acked.add(i)
        except (TimeoutError, AssertionError, OSError):
            unacked.append(i)
    down["on"] = False
    assert unacked == [8, 9, 10, 11, 12]
    t.sock.settimeout(5)
    for i in unacked:  # the terminal sends what was not acknowledged again
        t.send(jt808.LOCATION, bodies[i])
        assert t.reply_result()[2] == jt808.OK
        acked.add(i)
    stored = {
        round((r.value - 22.7) * 1e5)
        for r in Reading.objects.filter(sensor__device=device, sensor__key="lat")
    }
    assert stored == acked == set(range(20))
    t.close()


def test_fuzz_100000_mutated_frames_never_crash_and_valid_ones_still_decode():
    """The issue's bar: no crash in 100,000 frames (random mutations of real frames, random cuts)."""
    import random

    rng = random.Random(808)
    seeds = [LOCATION_2013, HEARTBEAT, AUTH, PLATFORM_REPLY, REGISTER_REPLY]
    splitter = jt808.Splitter()
    decoded = 0
    for _ in range(100_000):
        frame = bytearray(rng.choice(seeds))
        for _m in range(rng.randint(0, 3)):
            frame[rng.randrange(len(frame))] = rng.randrange(256)
        data = bytes(frame)
        cut = rng.randrange(len(data) + 1)
        for item in splitter.feed(data[:cut]) + splitter.feed(data[cut:]):
            if isinstance(item, jt808.Frame):
                decoded += 1
                with contextlib.suppress(jt808.FrameError):
                    jt808.parse_location(item.body).values()
                with contextlib.suppress(jt808.FrameError):
                    jt808.parse_batch(item)
    assert decoded > 10_000  # unmutated frames keep coming through after the broken ones
