"""HJ 212-2017: the packet codec (worked example, each upload CN, 2005/2017, fuzz) and `hj212 serve`
over real TCP sockets (answers, storage, refusals counted, the listener keeps serving)."""

import random
import socket
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from shuxiang.core.actors import OPERATOR
from shuxiang.iot import hj212, services
from shuxiang.iot.models import Device, FlaggedReading, Reading, Rejection

WORKED = (
    b"QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&"
)
MN = "010000A8900016F000169DC0"


def test_the_crc_of_the_worked_example_is_1C80_not_modbus():
    from shuxiang.iot.sl651 import crc16_modbus

    assert hj212.crc(WORKED) == 0x1C80 == hj212.crc_bitwise(WORKED)
    assert crc16_modbus(WORKED) != 0x1C80


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=1024))
def test_the_table_crc_equals_the_bitwise_definition(data):
    assert hj212.crc(data) == hj212.crc_bitwise(data)


def test_the_worked_example_is_built_and_read_back_exactly():
    packet = hj212.build(
        qn="20160801085857223", st="32", cn="1062", pw="100000", mn=MN, flag=5, cp="RtdInterval=30"
    )
    assert packet == b"##0101" + WORKED + b"1C80\r\n"
    data, used = hj212.read_packet(b"noise" + packet + b"##00")
    assert data == WORKED and used == 5 + len(packet)
    parsed = hj212.parse(data)
    assert (parsed.qn, parsed.st, parsed.cn, parsed.pw, parsed.mn) == (
        "20160801085857223",
        "32",
        "1062",
        "100000",
        MN,
    )
    assert parsed.is_2017 and parsed.wants_answer and parsed.param("RtdInterval") == "30"


def test_a_lower_case_crc_is_accepted_and_a_wrong_one_refused_with_qnrtn_9():
    assert hj212.read_packet(b"##0101" + WORKED + b"1c80\r\n")[0] == WORKED
    with pytest.raises(hj212.PacketError) as caught:
        hj212.read_packet(b"##0101" + WORKED + b"0759\r\n")  # the MODBUS value
    assert caught.value.reason == "bad_crc" and caught.value.qn_rtn == hj212.QN_CRC
    assert caught.value.packet.mn == MN  # readable header: the station can be answered and counted


def test_a_length_field_that_does_not_match_the_data_is_refused():
    wrong = b"##0100" + WORKED + b"1C80\r\n"
    with pytest.raises(hj212.PacketError) as caught:
        hj212.read_packet(wrong)
    assert caught.value.reason == "bad_frame"
    with pytest.raises(hj212.PacketError):
        hj212.read_packet(b"##2000" + WORKED)  # longer than 1024


def test_a_partial_packet_waits_for_more_bytes():
    packet = hj212.frame(WORKED.decode())
    assert hj212.read_packet(packet[:50]) == (None, 0)


@pytest.mark.parametrize("cn", ["2011", "2051", "2061", "2031"])
def test_each_upload_is_read_into_factor_values_with_their_flags(cn):
    at = timezone.now().replace(microsecond=0)
    raw = hj212.build_upload(
        mn=MN, pw="123456", cn=cn, at=at, values={"w01018": 52.1, "w21003": (1.25, "M"), "w01001": (7.2, "S")}
    )
    packet = hj212.parse(hj212.read_packet(raw)[0])
    values = hj212.upload_values(packet)
    main = {v.key: (v.value, v.flag, v.counted) for v in values if "_" not in v.key}
    assert main == {"w01018": (52.1, "N", True), "w21003": (1.25, "M", False), "w01001": (7.2, "S", True)}
    assert all(v.ts == at for v in values)
    assert not [v for v in values if "_" in v.key]  # -Min/-Max are checked, not stored


def test_a_2005_packet_is_told_apart_and_its_codes_mapped_to_2017():
    data = "QN=20250601080000000;ST=32;CN=2011;PW=123456;MN=A1;Flag=1;CP=&&DataTime=20250601080000;011-Rtd=40.5,011-Flag=N&&"
    packet = hj212.parse(hj212.read_packet(hj212.frame(data))[0])
    assert packet.version == hj212.VERSION_2005 and not packet.is_2017 and packet.wants_answer
    assert [(v.key, v.value) for v in hj212.upload_values(packet)] == [("w01018", 40.5)]
    assert b"Flag=0;" in hj212.data_answer(packet)  # the answer speaks the station's version


def test_answers_echo_the_qn_with_st_91_and_no_answer_wanted():
    packet = hj212.parse(WORKED)
    assert hj212.data_answer(packet) == hj212.frame(
        "QN=20160801085857223;ST=91;CN=9014;PW=100000;MN=010000A8900016F000169DC0;Flag=4;CP=&&&&"
    )
    assert b"CN=9011" in hj212.request_answer(packet, 9) and b"CP=&&QnRtn=9&&" in hj212.request_answer(
        packet, 9
    )
    assert b"CP=&&ExeRtn=1&&" in hj212.execution_result(packet, 1)


@pytest.mark.parametrize(
    "data, qn_rtn",
    [
        ("QN=1;ST=32;CN=2011;PW=1;MN=A;Flag=5;CP=&&&&", hj212.QN_QN),
        ("QN=20250601080000000;ST=3;CN=2011;PW=1;MN=A;Flag=5;CP=&&&&", hj212.QN_ST),
        ("QN=20250601080000000;ST=32;CN=20;PW=1;MN=A;Flag=5;CP=&&&&", hj212.QN_CN),
        ("QN=20250601080000000;ST=32;CN=2011;PW=1;MN=A;Flag=x;CP=&&&&", hj212.QN_FLAG),
        ("QN=20250601080000000;ST=32;CN=2011;PW=1;MN=A;Flag=5;CP=&&a&&", hj212.QN_UNKNOWN),
        ("QN=20250601080000000;ST=32;CN=2011;PW=1;MN=A;Flag=5;CP=&&x=1", hj212.QN_UNKNOWN),
    ],
)
def test_malformed_data_segments_name_the_field_at_fault(data, qn_rtn):
    with pytest.raises(hj212.PacketError) as caught:
        hj212.parse(data.encode())
    assert caught.value.qn_rtn == qn_rtn


def test_an_upload_with_a_value_that_is_not_a_number_is_refused():
    data = "QN=20250601080000000;ST=32;CN=2011;PW=1;MN=A;Flag=5;CP=&&DataTime=20250601080000;w01018-Rtd=abc&&"
    with pytest.raises(hj212.PacketError):
        hj212.upload_values(hj212.parse(data.encode()))


def _check_no_crash(blob: bytes):
    buffer = blob
    for _ in range(50):
        if not buffer:
            return
        try:
            data, used = hj212.read_packet(buffer)
        except hj212.PacketError as exc:
            following = hj212.find_start(buffer, max(exc.used or 0, 1))
            buffer = buffer[following:] if following > 0 else b""
            continue
        buffer = buffer[used:]
        if data is None:
            return
        try:
            packet = hj212.parse(data)
            if packet.cn in hj212.UPLOADS:
                hj212.upload_values(packet)
        except hj212.PacketError:
            pass


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_arbitrary_bytes_never_crash_the_reader(blob):
    _check_no_crash(blob)
    _check_no_crash(b"##" + blob)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="QNSTCPWMFlag=&;,-.0123456789wRtdAvg", max_size=200))
def test_fuzz_well_framed_random_data_segments_fail_only_with_packet_errors(text):
    _check_no_crash(hj212.frame(text))


def test_no_crash_in_100000_mutated_packets():
    """100,000 packets: valid uploads with bytes flipped, cut, duplicated, and re-framed (CRC fixed) so the
    mutation reaches the data-segment parser too."""
    rng = random.Random(212)
    at = timezone.now()
    base = [
        hj212.build_upload(mn=MN, pw="123456", cn=cn, at=at, values={"w01018": 52.1, "w21003": (1.2, "D")})
        for cn in hj212.UPLOADS
    ] + [hj212.frame(WORKED.decode())]
    for i in range(100_000):
        raw = bytearray(rng.choice(base))
        for _ in range(rng.randint(1, 4)):
            pos = rng.randrange(len(raw))
            op = rng.random()
            if op < 0.5:
                raw[pos] = rng.randrange(256)
            elif op < 0.75:
                del raw[pos : pos + rng.randint(1, 8)]
            else:
                raw[pos:pos] = bytes(rng.choice(b"#&;,=-0123456789") for _ in range(rng.randint(1, 4)))
        if i % 2:  # re-frame: length and CRC right, the data segment mutated
            inner = bytes(raw[6:-6]).decode("latin-1")[:1024]
            raw = bytearray(b"##%04d" % len(inner.encode("latin-1")) + inner.encode("latin-1"))
            raw += b"%04X\r\n" % hj212.crc(raw[6:])
        _check_no_crash(bytes(raw))


# --- hj212 serve over TCP ------------------------------------------------------------------------------


@pytest.fixture
def hj212_server(transactional_db):
    from shuxiang.iot.hj212_server import Server

    services.caches.clear()
    server = Server("127.0.0.1", 0, workers=1)
    thread = server.start_in_thread()
    yield server
    server.shutdown()
    thread.join(5)
    services.caches.clear()


@pytest.fixture
def station(places):
    device, creds = services.do_register_device(
        actor=OPERATOR, code=MN, protocol="hj212", place=places.hamlet_a, hj212_password="123456"
    )
    return device


def _talk(port, data, replies=1, timeout=5.0, sock=None):
    """Send `data`, read `replies` complete packets back (fewer if none come within a second)."""
    own = sock is None
    s = sock or socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        got, buffer = [], b""
        s.settimeout(1.0 if replies == 0 else timeout)
        while len(got) < max(replies, 1):
            try:
                chunk = s.recv(4096)
            except TimeoutError:
                break
            if not chunk:
                break
            buffer += chunk
            while True:
                segment, used = hj212.read_packet(buffer)
                buffer = buffer[used:]
                if segment is None:
                    break
                got.append(hj212.parse(segment))
        return got
    finally:
        if own:
            s.close()


def _minute():
    return (timezone.now() - timedelta(minutes=2)).replace(second=0, microsecond=0)


@pytest.mark.services
def test_an_upload_asking_for_an_answer_is_stored_and_answered_by_exactly_one_9014_with_its_qn(
    hj212_server, station
):
    at = _minute()
    raw = hj212.build_upload(
        mn=MN,
        pw="123456",
        cn="2011",
        at=at,
        qn="20250601080000123",
        values={"w01018": 52.1, "w21003": (1.25, "M")},
    )
    with socket.create_connection(("127.0.0.1", hj212_server.port), timeout=5) as s:
        answers = _talk(hj212_server.port, raw, replies=1, sock=s)
        extra = _talk(hj212_server.port, b"", replies=0, sock=s)
    assert [(a.cn, a.qn, a.st, a.mn, a.flag) for a in answers] == [("9014", "20250601080000123", "91", MN, 4)]
    assert extra == []
    readings = {r.sensor.key: r.value for r in Reading.objects.select_related("sensor")}
    assert readings == {"w01018": 52.1}  # the M-flagged value is not a reading: it never enters averages
    kept = FlaggedReading.objects.get()
    assert (kept.key, kept.value, kept.flag, kept.source, kept.ts) == ("w21003", 1.25, "M", "2011", at)
    station.refresh_from_db()
    assert station.last_seen_at is not None


@pytest.mark.services
def test_an_upload_without_flag_bit_0_gets_no_answer_and_is_stored(hj212_server, station):
    raw = hj212.build_upload(mn=MN, pw="123456", cn="2061", at=_minute(), flag=4, values={"w21011": 0.18})
    assert _talk(hj212_server.port, raw, replies=0) == []
    keys = {r.sensor.key: r.value for r in Reading.objects.select_related("sensor")}
    assert keys == {"w21011": 0.18}


@pytest.mark.services
def test_minute_hourly_and_daily_uploads_and_a_resend_are_stored_once(hj212_server, station):
    at = _minute()
    with socket.create_connection(("127.0.0.1", hj212_server.port), timeout=5) as s:
        for cn in ("2051", "2061", "2031"):
            raw = hj212.build_upload(
                mn=MN, pw="123456", cn=cn, at=at - timedelta(hours=int(cn[2])), values={"w01018": 30}
            )
            assert [a.cn for a in _talk(0, raw, sock=s)] == ["9014"]
            assert [a.cn for a in _talk(0, raw, sock=s)] == [
                "9014"
            ]  # a resend is answered again, stored once
    assert Reading.objects.filter(sensor__key="w01018").count() == 3


@pytest.mark.services
def test_refused_packets_are_counted_answered_as_the_standard_says_and_the_listener_keeps_serving(
    hj212_server, station
):
    at = _minute()
    good = hj212.build_upload(mn=MN, pw="123456", cn="2011", at=at, values={"w01018": 40})
    wrong_pw = hj212.build_upload(mn=MN, pw="000000", cn="2011", at=at, values={"w01018": 41})
    unknown = hj212.build_upload(mn="UNKNOWN01", pw="123456", cn="2011", at=at, values={"w01018": 42})
    bad_crc = good[:-6] + (b"0000" if good[-6:-2] != b"0000" else b"1111") + b"\r\n"
    bad_cp = hj212.frame(f"QN=20250601080000000;ST=32;CN=2011;PW=123456;MN={MN};Flag=5;CP=&&DataTime=x&&")
    with socket.create_connection(("127.0.0.1", hj212_server.port), timeout=5) as s:
        answers = _talk(0, bad_crc + wrong_pw + unknown + bad_cp + good, replies=5, sock=s)
    assert [(a.cn, a.param("QnRtn")) for a in answers] == [
        ("9011", "9"),
        ("9011", "3"),
        ("9011", "4"),
        ("9011", "100"),
        ("9014", ""),
    ]
    assert [r.value for r in Reading.objects.all()] == [40.0]
    counts = {r.reason: r.count for r in Rejection.objects.filter(device_code=MN)}
    assert counts == {"bad_crc": 1, "wrong_password": 1, "bad_frame": 1}
    assert Rejection.objects.get(device_code="UNKNOWN01").reason == "unknown_device"


@pytest.mark.services
def test_a_value_outside_the_instrument_range_refuses_the_whole_upload_without_an_answer(
    hj212_server, station
):
    services.do_define_sensor(station, actor=OPERATOR, key="w01018", min_value=0, max_value=500)
    raw = hj212.build_upload(
        mn=MN, pw="123456", cn="2011", at=_minute(), values={"w01018": 900, "w21003": (1, "D")}
    )
    assert _talk(hj212_server.port, raw, replies=0) == []
    assert not Reading.objects.exists() and not FlaggedReading.objects.exists()
    assert Rejection.objects.get(device=station).reason == "out_of_range"


@pytest.mark.services
def test_commands_get_9011_and_9012(hj212_server, station):
    get_time = hj212.build(qn="20250601080000001", st="32", cn="1011", pw="123456", mn=MN, flag=5)
    answers = _talk(hj212_server.port, get_time, replies=3)
    assert [(a.cn, a.qn) for a in answers] == [
        ("9011", "20250601080000001"),
        ("1011", "20250601080000001"),
        ("9012", "20250601080000001"),
    ]
    assert answers[0].param("QnRtn") == "1" and answers[2].param("ExeRtn") == "1"
    assert len(answers[1].param("SystemTime")) == 14
    # the worked example is a command for a station: refused (QnRtn 2), its password checked first
    worked = hj212.build(
        qn="20160801085857223", st="32", cn="1062", pw="123456", mn=MN, flag=5, cp="RtdInterval=30"
    )
    assert [(a.cn, a.param("QnRtn")) for a in _talk(hj212_server.port, worked)] == [("9011", "2")]
    unknown = hj212.build(qn="20250601080000002", st="32", cn="5555", pw="123456", mn=MN, flag=5)
    assert [(a.cn, a.param("QnRtn")) for a in _talk(hj212_server.port, unknown)] == [("9011", "8")]


def test_device_add_registers_a_station_by_its_mn_and_prints_its_password(places):
    out = StringIO()
    call_command("device", "add", MN, "--protocol", "hj212", "--place", places.hamlet_a.code, stdout=out)
    text = out.getvalue()
    assert f"hj212_mn: {MN}" in text
    password = text.split("hj212_password: ")[1].split()[0]
    assert len(password) == 6 and password.isdigit()
    device = Device.objects.get(code=MN)
    assert device.protocol == "hj212" and password not in device.hj212_password_digest
    out = StringIO()
    call_command(
        "device",
        "add",
        "STATION2",
        "--protocol",
        "hj212",
        "--place",
        places.hamlet_a.code,
        "--password",
        "pw2025",
        stdout=out,
    )
    assert "hj212_password: pw2025" in out.getvalue()


def test_a_station_password_for_another_protocol_or_with_separators_is_refused(places):
    from shuxiang.core.errors import ServiceError

    for protocol, password in (("http", "123456"), ("hj212", "12;34")):
        with pytest.raises(ServiceError) as caught:
            services.do_register_device(
                actor=OPERATOR, code="S3", protocol=protocol, place=places.hamlet_a, hj212_password=password
            )
        assert "hj212_password" in caught.value.fields
    assert not Device.objects.exists()


def test_hj212_serve_is_a_command():
    from shuxiang.iot.management.commands.hj212 import Command

    parser = Command().create_parser("shuxiang", "hj212")
    opts = parser.parse_args(["serve", "--host", "127.0.0.1", "--port", "7212"])
    assert (opts.host, opts.port) == ("127.0.0.1", 7212)


def test_staff_register_a_station_through_the_api_and_see_its_password_once(api_for, cast, places):
    response = api_for(cast.district).post(
        "/api/v1/iot/devices/",
        {"code": "HS0000YZ09", "protocol": "hj212", "place": places.village_a.code, "hj212_password": "pw9"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert "no-store" in response["Cache-Control"]
    assert response.json()["credentials"]["hj212_password"] == "pw9"
    bad = api_for(cast.district).post(
        "/api/v1/iot/devices/",
        {"code": "HS-0000-YZ10-TOO-LONG-FOR-MN", "protocol": "hj212", "place": places.village_a.code},
        format="json",
    )
    assert bad.status_code == 400 and "code" in bad.json()["fields"]


def test_the_device_page_shows_a_stations_flagged_values(client_for, cast, station):
    from datetime import UTC, datetime

    from shuxiang.iot.hj212_server import LISTENER, do_store_flagged

    at = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    do_store_flagged([(station.pk, "w21003", at, 1.25, "M", "2061")], actor=LISTENER, now=at)
    page = client_for(cast.district).get(f"/iot/devices/{station.code}/").content.decode()
    assert 'id="flagged"' in page and "w21003 = 1.25" in page and ">M<" in page
