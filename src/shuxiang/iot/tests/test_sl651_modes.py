"""SL 651 beyond HEX/M2: ASCII frames, M3 multi-packet messages and the centre's downlink queries."""

import contextlib
import socket
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shuxiang.core.actors import OPERATOR
from shuxiang.core.models import AuditEntry
from shuxiang.iot import sl651, sl651_commands
from shuxiang.iot.choices import Sl651CommandStatus
from shuxiang.iot.models import Reading, Rejection, Sl651Command

ADDRESS = "0012345678"
OBSERVED = datetime(2025, 6, 1, 0, 0, tzinfo=UTC)


def _now_minute():
    return datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)


def ascii_frame(
    address=ADDRESS, elements=None, observed=None, serial=7, function=sl651.TIMED, password="0000"
):
    observed = observed or OBSERVED
    if elements is None:
        elements = sl651.encode_ascii_element("Z", 85.37, 3) + sl651.encode_ascii_element("VT", 12.45)
    body = sl651.report_body(
        serial=serial,
        sent_at=observed,
        address=address,
        observed_at=observed,
        elements=elements,
        encoding=sl651.ASCII,
    )
    return sl651.build_frame(
        centre=1, address=address, password=password, function=function, body=body, encoding=sl651.ASCII
    )


def hex_body(address=ADDRESS, observed=None, serial=9):
    elements = (
        sl651.encode_element("Z", 85.37, 4, 3)
        + sl651.encode_element("VT", 12.45, 2, 2)
        + sl651.encode_element("PJ", 3.5, 3, 1)
        + sl651.encode_element("PT", 812.5, 3, 1)
    )
    return sl651.report_body(
        serial=serial,
        sent_at=observed or OBSERVED,
        address=address,
        observed_at=observed or OBSERVED,
        elements=elements,
    )


def packets(body, parts, address=ADDRESS, encoding=sl651.HEX, function=sl651.TIMED):
    """The body cut into `parts` M3 packets, ETB on all but the last."""
    size = -(-len(body) // parts)
    chunks = [body[i * size : (i + 1) * size] for i in range(parts)]
    return [
        sl651.build_frame(
            centre=1,
            address=address,
            password="0000",
            function=function,
            body=chunk,
            end=sl651.ETX if n == parts else sl651.ETB,
            encoding=encoding,
            packet=(parts, n),
        )
        for n, chunk in enumerate(chunks, start=1)
    ]


# --- a real device's frame -----------------------------------------------------------------------


def test_a_published_test_report_and_its_confirmation_decode():
    """Frame pair published with SL 651 walkthroughs (test report 30H and the centre's reply)."""
    up = bytes.fromhex(
        "7E7E010012345678123430002B020003591011154947F1F1001234567848F0F0591011154920190000052619000005392300000127381211150320FA"
    )
    frame, used = sl651.read_frame(up)
    assert used == len(up) and frame.function == sl651.TEST and frame.password == "1234"
    report = sl651.decode_report(frame)
    assert report.serial == 3 and report.station == ADDRESS and report.station_class == "H"
    assert [(k, v) for k, _, v in report.values] == [("PJ", 0.5), ("PT", 0.5), ("Z", 0.127), ("VT", 11.15)]
    down, _ = sl651.read_frame(bytes.fromhex("7E7E00123456780112343080080200035910111549471B75D4"))
    assert (
        down.direction == sl651.DOWN
        and down.address == ADDRESS
        and down.centre == 1
        and down.end == sl651.ESC
    )
    assert sl651.reply_for(frame, report, report.sent_at) == down.raw


# --- ASCII ------------------------------------------------------------------------------------------


def test_an_ascii_report_decodes_to_the_same_mnemonic_keys_as_hex():
    frame, used = sl651.read_frame(ascii_frame())
    assert frame.encoding == sl651.ASCII and used == len(ascii_frame())
    assert frame.address == ADDRESS and frame.function == sl651.TIMED and frame.centre == 1
    report = sl651.decode_report(frame)
    assert report.serial == 7 and report.station == ADDRESS and report.station_class == "K"
    assert report.values == [("Z", OBSERVED, 85.37), ("VT", OBSERVED, 12.45)]


def test_ascii_accepts_serial_and_time_written_together_and_the_class_as_its_hex_byte():
    body = b"0007250601080000 ST 0012345678 4B TT 2506010800 PJ 12.5 Z -1.25 VT FFFF"
    raw = sl651.build_frame(
        centre=1, address=ADDRESS, password="0000", function=sl651.HOURLY, body=body, encoding=sl651.ASCII
    )
    report = sl651.decode_report(sl651.read_frame(raw)[0])
    assert report.serial == 7 and report.station_class == "K"
    assert report.values == [("PJ", OBSERVED, 12.5), ("Z", OBSERVED, -1.25)]  # FFFF = invalid, skipped


def test_ascii_uniform_interval_and_five_minute_series():
    body = b"0001 250601080000 ST 0012345678 K TT 2506010800 DRN05 Z 85.1 85.2 FF 85.4"
    raw = sl651.build_frame(
        centre=1, address=ADDRESS, password="0000", function=sl651.UNIFORM, body=body, encoding=sl651.ASCII
    )
    values = sl651.decode_report(sl651.read_frame(raw)[0]).values
    assert values == [
        ("Z", OBSERVED, 85.1),
        ("Z", OBSERVED + timedelta(minutes=5), 85.2),
        ("Z", OBSERVED + timedelta(minutes=15), 85.4),
    ]
    drp = bytes([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0xFF, 12]).hex().upper()
    body = f"0001 250601080000 ST 0012345678 P TT 2506010800 DRP {drp}".encode()
    raw = sl651.build_frame(
        centre=1, address=ADDRESS, password="0000", function=sl651.HOURLY, body=body, encoding=sl651.ASCII
    )
    series = sl651.decode_report(sl651.read_frame(raw)[0]).values
    assert len(series) == 11 and series[0] == ("DRP", OBSERVED - timedelta(minutes=55), 0.1)


def test_a_corrupted_ascii_frame_fails_the_crc_and_an_unknown_mnemonic_is_unsupported():
    raw = bytearray(ascii_frame())
    raw[30] = ord("9") if raw[30] != ord("9") else ord("8")
    with pytest.raises(sl651.FrameError) as exc:
        sl651.read_frame(bytes(raw))
    assert exc.value.reason == "bad_crc"
    frame, _ = sl651.read_frame(ascii_frame(elements=b" XYZ 1.0"))
    with pytest.raises(sl651.FrameError) as exc:
        sl651.decode_report(frame)
    assert exc.value.reason == "unsupported"


def test_the_reply_to_an_ascii_frame_is_ascii_and_hex_and_ascii_frames_can_follow_each_other():
    hex_raw = sl651.build_frame(
        centre=1, address=ADDRESS, password="0000", function=sl651.TIMED, body=hex_body()
    )
    stream = ascii_frame() + hex_raw + ascii_frame(serial=8)
    encodings = []
    while stream:
        frame, used = sl651.read_frame(stream)
        encodings.append(frame.encoding)
        stream = stream[used:]
    assert encodings == [sl651.ASCII, sl651.HEX, sl651.ASCII]
    frame, _ = sl651.read_frame(ascii_frame(serial=0x1A2))
    reply = sl651.reply_for(frame, sl651.decode_report(frame), datetime.now(UTC))
    assert reply[0] == sl651.SOH_ASCII
    parsed, _ = sl651.read_frame(reply)
    assert parsed.encoding == sl651.ASCII and parsed.direction == sl651.DOWN and parsed.end == sl651.ESC
    assert parsed.function == sl651.TIMED and parsed.body.startswith(b"01A2 ")


def test_a_query_is_a_downlink_frame_ending_enq_in_either_encoding():
    for encoding in (sl651.HEX, sl651.ASCII):
        raw = sl651.build_query(
            centre=1,
            address=ADDRESS,
            password="0000",
            function=0x37,
            serial=5,
            now=OBSERVED,
            encoding=encoding,
        )
        frame, _ = sl651.read_frame(raw)
        assert (frame.direction, frame.function, frame.end, frame.encoding) == (
            sl651.DOWN,
            0x37,
            sl651.ENQ,
            encoding,
        )
        assert sl651.decode_report(replace_direction(frame)).serial == 5


def replace_direction(frame):
    from dataclasses import replace

    return replace(frame, direction=sl651.UP)


# --- M3 -------------------------------------------------------------------------------------------------


def _reassemble(reassembler, raws):
    result = None
    for raw in raws:
        result = reassembler.add(sl651.read_frame(raw)[0])
    return result


@pytest.mark.parametrize("encoding", [sl651.HEX, sl651.ASCII])
def test_m3_packets_reassemble_into_one_report_in_any_order(encoding):
    body = hex_body() if encoding == sl651.HEX else sl651.read_frame(ascii_frame())[0].body
    raws = packets(body, 3, encoding=encoding)
    first, _ = sl651.read_frame(raws[0])
    assert (first.packet_total, first.packet_seq, first.end) == (3, 1, sl651.ETB)
    result = _reassemble(sl651.Reassembler(), [raws[1], raws[0], raws[2]])
    assert result.complete is not None and result.complete.packet_total == 0 and result.serial in (7, 9)
    keys = [k for k, _, _ in sl651.decode_report(result.complete).values]
    assert keys[:2] == ["Z", "VT"]


def test_m3_names_the_missing_packets_when_the_last_arrives_and_completes_on_the_resend():
    raws = packets(hex_body(), 4)
    reassembler = sl651.Reassembler()
    result = _reassemble(reassembler, [raws[0], raws[2], raws[3]])
    assert result.complete is None and result.missing == [2] and result.kept
    assert _reassemble(reassembler, [raws[1]]).complete is not None
    assert len(reassembler) == 0


def test_m3_assemblies_are_bounded_in_time_size_and_number():
    clock = [0.0]
    reassembler = sl651.Reassembler(timeout=60, max_assemblies=2, max_bytes=20, clock=lambda: clock[0])
    raws = packets(hex_body(), 4)
    reassembler.add(sl651.read_frame(raws[0])[0])
    clock[0] = 61
    assert [a for a, _ in reassembler.expire()] == [ADDRESS] and len(reassembler) == 0
    too_big = packets(hex_body(), 2)
    result = _reassemble(reassembler, too_big[:1])
    assert not result.kept and result.dropped[0][0] == ADDRESS and "字节" in result.dropped[0][1]
    for address in ("0000000001", "0000000002"):
        reassembler.add(sl651.read_frame(packets(b"\x00" * 10, 2, address=address)[0])[0])
    result = reassembler.add(sl651.read_frame(packets(b"\x00" * 10, 2, address="0000000003")[0])[0])
    assert not result.kept and len(reassembler) == 2


def test_a_packet_number_outside_the_total_is_a_bad_frame():
    raw = sl651.build_frame(
        centre=1, address=ADDRESS, password="0000", function=sl651.TIMED, body=b"\x00", packet=(2, 3)
    )
    with pytest.raises(sl651.FrameError) as exc:
        sl651.read_frame(raw)
    assert exc.value.reason == "bad_frame"


# --- fuzzing ASCII -------------------------------------------------------------------------------------


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=200))
def test_fuzz_bytes_after_an_ascii_start_never_crash_the_decoder(data):
    with contextlib.suppress(sl651.FrameError):
        frame, _ = sl651.read_frame(b"\x01" + data)
        if frame is not None:
            sl651.decode_report(frame)


TOKENS = st.sampled_from(
    [
        "ST",
        "TT",
        "Z",
        "VT",
        "PJ",
        "DRP",
        "DRZ1",
        "DRN05",
        "DRH01",
        "0012345678",
        "K",
        "2506010800",
        "1.5",
        "-2",
        "FF",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(TOKENS, st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=12)),
        max_size=20,
    ),
    st.sampled_from(sorted(sl651.DATA_FUNCTIONS | sl651.ANSWER_FUNCTIONS | {sl651.KEEPALIVE})),
)
def test_fuzz_valid_ascii_frames_with_random_token_bodies_fail_only_with_frame_errors(tokens, function):
    body = ("0001 250601080000 " + " ".join(tokens)).encode("ascii")
    raw = sl651.build_frame(
        centre=1, address=ADDRESS, password="0000", function=function, body=body, encoding=sl651.ASCII
    )
    frame, used = sl651.read_frame(raw)
    assert used == len(raw)
    with contextlib.suppress(sl651.FrameError):
        sl651.decode_report(frame)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["Z", "ZU", "ZB", "VT", "PJ", "Q"]), st.integers(-9_999_999, 9_999_999)),
        max_size=8,
    )
)
def test_fuzz_ascii_elements_decode_back_to_their_values(elements):
    encoded = b"".join(sl651.encode_ascii_element(k, v / 1000, 3) for k, v in elements)
    frame, _ = sl651.read_frame(ascii_frame(elements=encoded))
    decoded = sl651.decode_report(frame).values
    assert [(k, round(v, 3)) for k, _, v in decoded] == [(k, v / 1000) for k, v in elements]


# --- the server end to end ----------------------------------------------------------------------------


@pytest.fixture
def server(transactional_db):
    from shuxiang.iot.sl651_server import Server

    srv = Server("127.0.0.1", 0, workers=2, poll_interval=0.1, m3_timeout=1.0)
    thread = srv.start_in_thread()
    yield srv
    srv.shutdown()
    thread.join(5)


class RTU:
    """A station on one TCP connection that stays open."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buffer = b""

    def send(self, data):
        self.sock.sendall(data)

    def receive(self, timeout=5.0) -> sl651.Frame:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            frame, used = sl651.read_frame(self.buffer)
            if frame is not None:
                self.buffer = self.buffer[used:]
                return frame
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            with contextlib.suppress(TimeoutError):
                chunk = self.sock.recv(4096)
                if not chunk:
                    break
                self.buffer += chunk
        raise AssertionError("no frame from the centre")

    def close(self):
        self.sock.close()


def _wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OperationalError):  # SQLite's shared-cache test database locks whole tables
            if predicate():
                return True
        time.sleep(0.05)
    return False


def _request(device, actor, function):
    """The service call, retried while the server thread holds a table lock (SQLite test database only)."""
    for _ in range(50):
        try:
            return sl651_commands.do_request_sl651_query(device, actor=actor, function=function)
        except OperationalError:
            time.sleep(0.05)
    raise AssertionError("database stayed locked")


def _values():
    return {r.sensor.key: r.value for r in Reading.objects.select_related("sensor")}


@pytest.mark.services
def test_an_ascii_rtu_is_stored_and_confirmed_in_ascii(server, places, device_factory):
    device, _ = device_factory(protocol="sl651", code="0043090311")
    rtu = RTU(server.port)
    rtu.send(ascii_frame(address=device.code, observed=_now_minute(), serial=42))
    reply = rtu.receive()
    rtu.close()
    assert reply.encoding == sl651.ASCII and reply.end == sl651.ESC and reply.body.startswith(b"002A ")
    assert _values() == {"Z": 85.37, "VT": 12.45}


@pytest.mark.services
def test_an_m3_message_is_confirmed_per_packet_and_stored_once_complete(server, places, device_factory):
    device, _ = device_factory(protocol="sl651", code="0043090312")
    raws = packets(hex_body(address=device.code, observed=_now_minute()), 3, address=device.code)
    rtu = RTU(server.port)
    rtu.send(raws[0])
    ack = rtu.receive()
    assert (ack.end, ack.packet_total, ack.packet_seq) == (sl651.ACK, 3, 1)
    rtu.send(raws[2])  # packet 2 lost on the way
    nak = rtu.receive()
    assert (nak.end, nak.packet_seq) == (sl651.NAK, 2)
    assert not Reading.objects.exists()
    rtu.send(raws[1])
    done = rtu.receive()
    rtu.close()
    assert (done.end, done.packet_seq) == (sl651.ESC, 2) and int.from_bytes(done.body[:2], "big") == 9
    assert _values() == {"Z": 85.37, "VT": 12.45, "PJ": 3.5, "PT": 812.5}


@pytest.mark.services
def test_an_m3_message_never_completed_is_dropped_and_counted(server, places, device_factory):
    device, _ = device_factory(protocol="sl651", code="0043090313")
    rtu = RTU(server.port)
    rtu.send(packets(hex_body(address=device.code), 2, address=device.code)[0])
    assert rtu.receive().end == sl651.ACK
    assert _wait_for(lambda: Rejection.objects.filter(device=device, reason="incomplete").exists())
    rtu.close()
    assert len(server.reassembler) == 0 and not Reading.objects.exists()


@pytest.mark.services
def test_a_realtime_query_reaches_the_connected_rtu_and_its_answer_is_stored(
    server, places, cast, device_factory
):
    device, _ = device_factory(protocol="sl651", code="0043090314")
    rtu = RTU(server.port)
    keepalive = sl651.build_frame(
        centre=3,
        address=device.code,
        password="0000",
        function=sl651.KEEPALIVE,
        body=sl651.serial_and_time(1, datetime.now(UTC)),
    )
    rtu.send(keepalive)
    assert _wait_for(lambda: device.code in server.links)
    command = _request(device, cast.district, "37")
    query = rtu.receive()
    assert (query.direction, query.function, query.end, query.centre) == (sl651.DOWN, 0x37, sl651.ENQ, 3)
    serial = int.from_bytes(query.body[:2], "big")
    answer_body = hex_body(address=device.code, observed=_now_minute(), serial=serial)
    rtu.send(
        sl651.build_frame(centre=3, address=device.code, password="0000", function=0x37, body=answer_body)
    )
    assert _wait_for(lambda: Sl651Command.objects.get(pk=command.pk).status == Sl651CommandStatus.ANSWERED)
    rtu.close()
    command.refresh_from_db()
    assert command.serial == serial and command.result["stored"] == 4
    assert _values()["Z"] == 85.37
    actions = list(
        AuditEntry.objects.filter(object_type="iot.sl651command", object_id=str(command.pk))
        .order_by("pk")
        .values_list("action", "actor_label")
    )
    assert actions == [
        ("create", "t_district"),
        ("transition", "system:listener"),
        ("transition", "system:listener"),
    ]


@pytest.mark.services
def test_a_clock_query_in_ascii_records_the_rtu_clock(server, places, device_factory):
    device, _ = device_factory(protocol="sl651", code="0043090315")
    rtu = RTU(server.port)
    rtu.send(ascii_frame(address=device.code, observed=_now_minute()))
    assert rtu.receive().end == sl651.ESC
    command = _request(device, OPERATOR, "51H")
    query = rtu.receive()
    assert query.encoding == sl651.ASCII and query.function == 0x51
    clock = datetime(2025, 6, 1, 8, 30, 5, tzinfo=sl651.BEIJING)
    rtu.send(
        sl651.build_frame(
            centre=1,
            address=device.code,
            password="0000",
            function=0x51,
            body=sl651.serial_and_time(int(query.body[:4], 16), clock, sl651.ASCII),
            encoding=sl651.ASCII,
        )
    )
    assert _wait_for(lambda: Sl651Command.objects.get(pk=command.pk).status == Sl651CommandStatus.ANSWERED)
    rtu.close()
    assert Sl651Command.objects.get(pk=command.pk).result["clock"] == "2025-06-01 08:30:05"


@pytest.mark.services
def test_an_unanswered_query_expires(server, places, device_factory, monkeypatch):
    monkeypatch.setattr(sl651_commands, "ANSWER_TIMEOUT", timedelta(seconds=0))
    device, _ = device_factory(protocol="sl651", code="0043090316")
    rtu = RTU(server.port)
    rtu.send(ascii_frame(address=device.code, observed=_now_minute()))
    rtu.receive()
    command = _request(device, OPERATOR, "37")
    rtu.receive()
    assert _wait_for(lambda: Sl651Command.objects.get(pk=command.pk).status == Sl651CommandStatus.EXPIRED)
    rtu.close()
    assert Sl651Command.objects.get(pk=command.pk).detail == "测站未应答"


# --- requesting a query: service, API, page, CLI -------------------------------------------------------


def test_function_codes_are_read_as_hex_as_the_standard_writes_them():
    assert [sl651_commands.parse_function(x) for x in ("37", "37H", "0x37", 37, "4a", "", "xyz", None)] == [
        0x37,
        0x37,
        0x37,
        0x37,
        0x4A,
        None,
        None,
        None,
    ]


@pytest.mark.django_db
def test_staff_request_a_query_over_the_api_and_it_is_audited(cast, places, device_factory, api_for):
    device, _ = device_factory(protocol="sl651", code="0043090321")
    response = api_for(cast.department).post(
        f"/api/v1/iot/devices/{device.code}/sl651-query/", {"function": "37"}, format="json"
    )
    assert response.status_code == 202, response.content
    assert response.json()["function"] == "37" and response.json()["status"] == "pending"
    command = Sl651Command.objects.get(device=device)
    assert command.requested_by == cast.department
    assert AuditEntry.objects.filter(
        object_type="iot.sl651command", object_id=str(command.pk), action="create", actor=cast.department
    ).exists()


@pytest.mark.django_db
def test_the_api_refuses_bad_queries_with_chinese_errors(cast, places, device_factory, api_for):
    sl651_device, _ = device_factory(protocol="sl651", code="0043090322")
    http_device, _ = device_factory(protocol="http")
    api = api_for(cast.district)
    url = "/api/v1/iot/devices/{}/sl651-query/"
    unknown = api.post(url.format(sl651_device.code), {"function": "99"}, format="json")
    assert unknown.status_code == 400
    assert unknown.json()["code"] == "unknown_function" and "功能码" in unknown.json()["message"]
    assert "function" in unknown.json()["fields"]
    assert api.post(url.format(sl651_device.code), {}, format="json").json()["code"] == "unknown_function"
    not_sl651 = api.post(url.format(http_device.code), {"function": "37"}, format="json")
    assert not_sl651.status_code == 400 and not_sl651.json()["code"] == "not_sl651"
    for _ in range(sl651_commands.MAX_OPEN_PER_DEVICE):
        api.post(url.format(sl651_device.code), {"function": "51"}, format="json")
    too_many = api.post(url.format(sl651_device.code), {"function": "51"}, format="json")
    assert too_many.status_code == 400 and too_many.json()["code"] == "too_many"


@pytest.mark.django_db
def test_a_township_officer_cannot_request_queries(cast, places, device_factory, api_for, client_for):
    device, _ = device_factory(protocol="sl651", code="0043090323", place=places.hamlet_a)
    response = api_for(cast.township_a).post(
        f"/api/v1/iot/devices/{device.code}/sl651-query/", {"function": "37"}, format="json"
    )
    assert response.status_code == 403
    page = client_for(cast.township_a).get(f"/iot/devices/{device.code}/").content.decode()
    assert "SL 651 召测" in page and 'name="function"' not in page
    assert (
        client_for(cast.township_a)
        .post(f"/iot/devices/{device.code}/sl651-query/", {"function": "37"})
        .status_code
        == 403
    )
    assert not Sl651Command.objects.exists()


@pytest.mark.django_db
def test_staff_request_a_query_from_the_device_page(cast, places, device_factory, client_for):
    device, _ = device_factory(protocol="sl651", code="0043090324")
    web = client_for(cast.district)
    page = web.get(f"/iot/devices/{device.code}/").content.decode()
    assert 'name="function"' in page and "37H 查询遥测站实时数据" in page
    response = web.post(f"/iot/devices/{device.code}/sl651-query/", {"function": "51"}, follow=True)
    assert "已登记召测" in response.content.decode() and "51H 查询遥测站时钟" in response.content.decode()
    assert Sl651Command.objects.get(device=device).function == 0x51


@pytest.mark.django_db
def test_the_cli_enqueues_a_query(places, device_factory, capsys):
    device, _ = device_factory(protocol="sl651", code="0043090325")
    call_command("sl651", "query", device.code, "--function", "37")
    assert "已登记召测" in capsys.readouterr().out
    command = Sl651Command.objects.get(device=device)
    assert command.requested_label == "system:operator" and command.status == Sl651CommandStatus.PENDING
    with pytest.raises(CommandError, match="未登记"):
        call_command("sl651", "query", "0099999999", "--function", "37")
    with pytest.raises(CommandError, match="unknown_function"):
        call_command("sl651", "query", device.code, "--function", "3B")


@pytest.mark.services
def test_the_server_reports_its_heartbeat_with_its_connection_count(server, places, device_factory):
    from shuxiang.core import heartbeats
    from shuxiang.core.models import Heartbeat

    device, _ = device_factory(protocol="sl651", code="0043090316")
    rtu = RTU(server.port)
    rtu.send(ascii_frame(address=device.code, observed=_now_minute()))
    assert rtu.receive().end == sl651.ESC
    # the poller's first beat (its keyword argument once made every beat fail, so /healthz saw none)
    assert _wait_for(lambda: heartbeats.age("sl651") is not None)
    beat = Heartbeat.objects.get(component="sl651")
    assert "connections" in beat.info and heartbeats.age("sl651") < heartbeats.LISTENER_INTERVAL
