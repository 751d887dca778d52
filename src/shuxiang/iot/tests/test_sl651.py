import contextlib
import socket
import time
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shuxiang.iot import sl651
from shuxiang.iot.models import Device, Reading, Rejection

ADDRESS = "0012345678"


def _now_minute():
    return datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)


def report_frame(
    function=sl651.TIMED, address=ADDRESS, elements=None, observed=None, serial=7, password="0000"
):
    observed = observed or _now_minute()
    if elements is None:
        elements = sl651.encode_element("Z", 85.37, 4, 3) + sl651.encode_element("VT", 12.45, 2, 2)
    body = sl651.report_body(
        serial=serial, sent_at=observed, address=address, observed_at=observed, elements=elements
    )
    return sl651.build_frame(centre=1, address=address, password=password, function=function, body=body)


def test_crc16_modbus_matches_the_standard_check_value():
    assert sl651.crc16_modbus(b"123456789") == 0x4B37


def test_a_timed_report_decodes_to_its_elements_under_the_standard_mnemonics():
    observed = datetime(2025, 6, 1, 0, 0, tzinfo=UTC)
    frame, used = sl651.read_frame(report_frame(observed=observed))
    assert used == len(report_frame(observed=observed))
    assert frame.address == ADDRESS and frame.function == sl651.TIMED
    report = sl651.decode_report(frame)
    assert report.serial == 7 and report.station == ADDRESS and report.station_class == "K"
    assert report.values == [("Z", observed, 85.37), ("VT", observed, 12.45)]


def test_rainfall_elements_and_five_minute_series_decode():
    observed = datetime(2025, 6, 1, 1, 0, tzinfo=UTC)
    drp = bytes([0xF4, 0x60]) + bytes([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0xFF, 12])
    elements = sl651.encode_element("PJ", 12.5, 3, 1) + sl651.encode_element("PT", 1234.5, 3, 1) + drp
    frame, _ = sl651.read_frame(report_frame(function=sl651.HOURLY, elements=elements, observed=observed))
    values = sl651.decode_report(frame).values
    assert ("PJ", observed, 12.5) in values and ("PT", observed, 1234.5) in values
    drp_values = [(ts, v) for k, ts, v in values if k == "DRP"]
    assert len(drp_values) == 11  # the FF slot is "invalid" and skipped
    assert drp_values[0] == (observed - timedelta(minutes=55), 0.1)
    assert drp_values[-1] == (observed, 1.2)


def test_a_uniform_interval_report_spreads_its_values_over_the_time_step():
    observed = datetime(2025, 6, 1, 0, 0, tzinfo=UTC)
    step = bytes([0x04, 0x18, 0x00, 0x00, 0x05])  # every 5 minutes
    series = bytes([0x39, 0x23]) + sl651.bcd_encode("00085100") + sl651.bcd_encode("00085200")
    frame, _ = sl651.read_frame(
        report_frame(function=sl651.UNIFORM, elements=step + series, observed=observed)
    )
    assert sl651.decode_report(frame).values == [
        ("Z", observed, 85.1),
        ("Z", observed + timedelta(minutes=5), 85.2),
    ]


def test_a_keepalive_carries_only_serial_and_time():
    body = (3).to_bytes(2, "big") + sl651.bcd_encode("250601080000")
    frame, _ = sl651.read_frame(
        sl651.build_frame(centre=1, address=ADDRESS, password="0000", function=sl651.KEEPALIVE, body=body)
    )
    report = sl651.decode_report(frame)
    assert report.serial == 3 and report.values == []


def test_a_corrupted_byte_fails_the_crc():
    frame = bytearray(report_frame())
    frame[20] ^= 0x01
    with pytest.raises(sl651.FrameError) as exc:
        sl651.read_frame(bytes(frame))
    assert exc.value.reason == "bad_crc"


def test_a_partial_frame_asks_for_more_bytes():
    data = report_frame()
    assert sl651.read_frame(data[:20]) == (None, 0)


def test_the_reply_is_a_downlink_frame_with_the_same_function_and_serial():
    frame, _ = sl651.read_frame(report_frame(serial=513))
    reply = sl651.reply_for(frame, sl651.decode_report(frame), datetime.now(UTC))
    parsed, _ = sl651.read_frame(reply)
    assert parsed.direction == sl651.DOWN and parsed.function == sl651.TIMED
    assert parsed.address == ADDRESS and parsed.end == sl651.ESC
    assert int.from_bytes(parsed.body[:2], "big") == 513


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_fuzz_arbitrary_bytes_never_crash_the_decoder(data):
    try:
        frame, _ = sl651.read_frame(data)
        if frame is not None:
            sl651.decode_report(frame)
    except sl651.FrameError:
        pass


@settings(max_examples=300, deadline=None)
@given(
    st.binary(min_size=0, max_size=120), st.sampled_from(sorted(sl651.REPORT_FUNCTIONS | {sl651.KEEPALIVE}))
)
def test_fuzz_valid_frames_with_random_bodies_fail_only_with_frame_errors(body, function):
    raw = sl651.build_frame(centre=1, address=ADDRESS, password="0000", function=function, body=body)
    frame, used = sl651.read_frame(raw)
    assert used == len(raw)
    with contextlib.suppress(sl651.FrameError):
        sl651.decode_report(frame)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["Z", "ZU", "ZB", "VT", "PJ", "Q"]), st.integers(0, 9_999_999)), max_size=8
    )
)
def test_fuzz_encoded_elements_decode_back_to_their_values(elements):
    observed = datetime(2025, 6, 1, 0, 0, tzinfo=UTC)
    encoded = b"".join(sl651.encode_element(k, v / 1000, 4, 3) for k, v in elements)
    frame, _ = sl651.read_frame(report_frame(elements=encoded, observed=observed))
    decoded = sl651.decode_report(frame).values
    assert [(k, round(v, 3)) for k, _, v in decoded] == [(k, v / 1000) for k, v in elements]


# --- the TCP server end to end --------------------------------------------------------------


@pytest.fixture
def sl651_server(transactional_db):
    from shuxiang.iot.sl651_server import Server

    server = Server("127.0.0.1", 0, workers=2)
    thread = server.start_in_thread()
    yield server
    server.shutdown()
    thread.join(5)


def _exchange(port, data, expect_reply=True, timeout=5.0):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        if not expect_reply:
            time.sleep(0.5)
            return b""
        reply = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            chunk = s.recv(4096)
            if not chunk:
                break
            reply += chunk
            if len(reply) >= 17:
                frame, used = sl651.read_frame(reply)
                if frame is not None:
                    return reply[:used]
        return reply


@pytest.mark.services
def test_an_rtu_report_over_tcp_is_stored_and_confirmed_in_m2_mode(sl651_server, places, device_factory):
    device, _ = device_factory(protocol="sl651", code="0043090301")
    reply = _exchange(sl651_server.port, report_frame(address=device.code, serial=42))
    frame, _ = sl651.read_frame(reply)
    assert frame.function == sl651.TIMED and int.from_bytes(frame.body[:2], "big") == 42
    assert {r.sensor.key: r.value for r in Reading.objects.select_related("sensor")} == {
        "Z": 85.37,
        "VT": 12.45,
    }
    device.refresh_from_db()
    assert device.last_seen_at is not None


@pytest.mark.services
def test_bad_frames_and_unknown_stations_are_counted_and_the_server_keeps_serving(
    sl651_server, places, device_factory
):
    device, _ = device_factory(protocol="sl651", code="0043090302", sl651_password="1234")
    broken = bytearray(report_frame(address=device.code, password="1234"))
    broken[-1] ^= 0xFF
    _exchange(sl651_server.port, bytes(broken), expect_reply=False)
    _exchange(sl651_server.port, report_frame(address="0099999999"), expect_reply=False)
    _exchange(sl651_server.port, report_frame(address=device.code, password="0000"), expect_reply=False)
    _exchange(sl651_server.port, b"\x00garbage\x7e\x7e\x01", expect_reply=False)
    assert Rejection.objects.get(device=device, reason="bad_crc").count == 1
    assert Rejection.objects.get(device=device, reason="wrong_password").count == 1
    assert Rejection.objects.get(device_code="0099999999", reason="unknown_device").count == 1
    assert not Reading.objects.exists()
    reply = _exchange(sl651_server.port, report_frame(address=device.code, password="1234"))
    assert sl651.read_frame(reply)[0] is not None
    assert Reading.objects.count() == 2
    assert Device.objects.get(pk=device.pk).rejections.count() == 2
