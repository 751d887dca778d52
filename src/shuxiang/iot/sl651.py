"""SL 651-2014 (水文监测数据通信规约) frames, HEX/BCD and ASCII: decode uplink, build downlink.

Facts from the standard as summarised in docs/references.md and docs/iot.md, and the open
implementations they list. Where the sources disagree or are silent, the choice made here is named.

**HEX/BCD frame** (uplink): `7E 7E | centre (1) | RTU address (5, BCD) |
password (2) | function (1) | direction+length (2: high nibble 0 = up, 8 = down;
low 12 bits length) | STX 02 | body | end | CRC-16/MODBUS (2, high byte first)`,
CRC over everything from the first 7E through the end character. Downlink frames
put the RTU address before the centre (confirmed by published frame pairs).

**ASCII frame**: `SOH 01 | centre (2 hex chars) | address (10 digits) |
password (4 hex) | function (2 hex) | direction+length (4 hex) | STX | body |
end | CRC (4 hex chars)`. Control characters (SOH, STX/SYN, end) are single bytes;
the length counts body characters; the CRC is CRC-16/MODBUS over the transmitted
characters from SOH through the end character. The body is space-separated:
`serial (4 hex) send-time (12 digits) ST address class TT obs-time element value …`
where an element is its mnemonic (PJ, Z, VT…) and a decimal value.
[Uncertain: built from the control-character tables of two implementations and
one decoder that also accepts serial and send time written together; the
standard's PDF was not readable here. The decoder accepts both forms, the
builder writes the spaced one. The time-step code is written `DRxnn` with
x = D/H/N (day/hour/minute); DRP/DRZn carry their 12 five-minute values as one
token of hex characters; an all-`F` value means invalid, as in HEX mode.]

**M3 multi-packet**: the start character is SYN 16 and is followed by 3 bytes
(ASCII: 6 hex chars), total packets in the high 12 bits and this packet's number
(from 1) in the low 12; the length includes them. Intermediate packets end with
ETB, the last with ETX. Only the first packet carries serial number, send time,
station and observation time; the others continue the body. (Both the RTU
firmware and the server implementation read agree on this.)

Report bodies (0x30–0x35, and the answers to 0x37 queries): serial (2) + send
time (6 BCD) + F1 F1 address (5) + station class (1) + F0 F0 observation time
(5 BCD) + elements. An element is identifier + data-definition byte (high 5
bits length, low 3 bits decimals) + BCD value; F0 F0 starts a new observation
time; 04 18 is the time-step code of a uniform-interval report (the next element
then carries one value per step); F4 is DRP (12 × 5-minute rainfall), F5–FC are
DRZ1–8 (12 × 5-minute levels).
"""

import re
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

SOH = b"\x7e\x7e"  # HEX/BCD frame start
SOH_ASCII = 0x01  # ASCII frame start
STX, SYN = 0x02, 0x16
ETX, ETB, ENQ, EOT, ACK, NAK, ESC = 0x03, 0x17, 0x05, 0x04, 0x06, 0x15, 0x1B
END_CHARS = (ETX, ETB, ENQ, EOT, ACK, NAK, ESC)
UP, DOWN = 0x0, 0x8
HEX, ASCII = "hex", "ascii"
BEIJING = ZoneInfo("Asia/Shanghai")  # RTUs in China stamp Beijing time
MAX_BODY = 4095
MAX_PACKETS = 4095
ASCII_HEAD = 24  # SOH + 22 header characters + STX/SYN
HEX_DIGITS = frozenset(b"0123456789ABCDEFabcdef")

KEEPALIVE, TEST, UNIFORM, TIMED, ADDED, HOURLY, MANUAL = 0x2F, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35
QUERY_REALTIME, QUERY_MANUAL = 0x37, 0x39
QUERY_VERSION, QUERY_STATUS, QUERY_EVENTS, SET_CLOCK, QUERY_CLOCK = 0x45, 0x46, 0x50, 0x4A, 0x51
REPORT_FUNCTIONS = {TEST, UNIFORM, TIMED, ADDED, HOURLY, MANUAL}
# answers whose body is laid out like a report and carries element values
DATA_FUNCTIONS = REPORT_FUNCTIONS | {QUERY_REALTIME}
# answers read as serial + send time only; the rest of the body is kept as it came
ANSWER_FUNCTIONS = {QUERY_MANUAL, QUERY_VERSION, QUERY_STATUS, QUERY_EVENTS, SET_CLOCK, QUERY_CLOCK}
FUNCTION_NAMES = {
    KEEPALIVE: "链路维持报",
    TEST: "测试报",
    UNIFORM: "均匀时段水文信息报",
    TIMED: "遥测站定时报",
    ADDED: "遥测站加报报",
    HOURLY: "遥测站小时报",
    MANUAL: "遥测站人工置数报",
    0x36: "遥测站图片报",
    QUERY_REALTIME: "查询遥测站实时数据",
    0x38: "查询遥测站时段数据",
    QUERY_MANUAL: "查询遥测站人工置数",
    0x3A: "查询遥测站指定要素数据",
    QUERY_VERSION: "查询遥测站软件版本",
    QUERY_STATUS: "查询遥测站状态和报警信息",
    QUERY_EVENTS: "查询遥测站事件记录",
    SET_CLOCK: "设置遥测站时钟",
    QUERY_CLOCK: "查询遥测站时钟",
}

# identifier byte -> mnemonic (the key readings are stored under)
ELEMENTS = {
    0x02: "AI",
    0x03: "C",
    0x0E: "H",
    0x10: "M10",
    0x11: "M20",
    0x12: "M30",
    0x13: "M40",
    0x14: "M50",
    0x15: "M60",
    0x16: "M80",
    0x17: "M100",
    0x18: "MST",
    0x1A: "P1",
    0x1B: "P2",
    0x1C: "P3",
    0x1D: "P6",
    0x1E: "P12",
    0x1F: "PD",
    0x20: "PJ",
    0x21: "PN01",
    0x22: "PN05",
    0x23: "PN10",
    0x24: "PN30",
    0x25: "PR",
    0x26: "PT",
    0x27: "Q",
    0x35: "US",
    0x36: "VA",
    0x37: "VJ",
    0x38: "VT",
    0x39: "Z",
    0x3A: "ZB",
    0x3B: "ZU",
    **{0x3C + i: f"Z{i + 1}" for i in range(8)},
    0x45: "ZT",
    0x46: "pH",
    0x47: "DO",
    0x48: "COND",
    0x49: "TURB",
    **{0x58 + i: f"WP{i + 1}" for i in range(8)},
    **{0x60 + i: f"SYL{i + 1}" for i in range(8)},
    **{0x68 + i: f"SBL{i + 1}" for i in range(8)},
    0x70: "VTA",
    0x71: "VTB",
    0x72: "VTC",
    0x73: "VIA",
    0x74: "VIB",
    0x75: "VIC",
}
MNEMONIC_IDS = {v: k for k, v in ELEMENTS.items()}


class FrameError(ValueError):
    """A frame that cannot be accepted; `reason` is a RejectReason code."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


def crc16_modbus(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def bcd_decode(data: bytes) -> str:
    digits = []
    for b in data:
        hi, lo = b >> 4, b & 0x0F
        if hi > 9 or lo > 9:
            raise FrameError("bad_frame", f"BCD 码非法：{data.hex().upper()}")
        digits.append(f"{hi}{lo}")
    return "".join(digits)


def bcd_encode(digits: str) -> bytes:
    if len(digits) % 2:
        digits = "0" + digits
    return bytes(int(digits[i]) << 4 | int(digits[i + 1]) for i in range(0, len(digits), 2))


def _parse_time(digits: str, with_seconds: bool) -> datetime:
    """`YYMMDDhhmm[ss]` Beijing time → aware UTC datetime."""
    if len(digits) != (12 if with_seconds else 10) or not digits.isascii() or not digits.isdigit():
        raise FrameError("bad_frame", f"时间非法：{digits[:20]}")
    parts = [int(digits[i : i + 2]) for i in range(0, len(digits), 2)]
    if not with_seconds:
        parts.append(0)
    y, mo, d, h, mi, sec = parts
    try:
        return datetime(2000 + y, mo, d, h, mi, sec, tzinfo=BEIJING).astimezone(UTC)
    except ValueError:
        raise FrameError("bad_frame", f"时间非法：{digits}") from None


def _time(data: bytes, with_seconds: bool) -> datetime:
    return _parse_time(bcd_decode(data), with_seconds)


def _time_text(when: datetime, with_seconds: bool) -> str:
    return when.astimezone(BEIJING).strftime("%y%m%d%H%M%S" if with_seconds else "%y%m%d%H%M")


def _time_bytes(when: datetime, with_seconds: bool) -> bytes:
    return bcd_encode(_time_text(when, with_seconds))


@dataclass
class Frame:
    """One frame as received: header fields, the body (without packet information) and its encoding.

    `packet_total`/`packet_seq` are 0 for a single-packet frame (STX) and the M3
    packet count / number (from 1) for a multi-packet one (SYN).
    """

    centre: int
    address: str  # 10 digits
    password: str  # 4 hex digits
    function: int
    direction: int
    body: bytes
    end: int
    raw: bytes = b""
    encoding: str = HEX
    packet_total: int = 0
    packet_seq: int = 0

    @property
    def function_name(self):
        return FUNCTION_NAMES.get(self.function, f"功能码 {self.function:02X}")


@dataclass
class Report:
    """A decoded body: serial number, send time, station and its values (`rest`: what an answer left undecoded)."""

    serial: int
    sent_at: datetime
    station: str | None = None
    station_class: str | None = None
    observed_at: datetime | None = None
    values: list = field(default_factory=list)  # (mnemonic, ts, value)
    rest: bytes = b""


def find_start(buffer: bytes, start: int = 0) -> int:
    """Index of the next plausible frame start (7E 7E, or 01 followed by a hex digit) at or after `start`."""
    hex_at = buffer.find(SOH, start)
    ascii_at = buffer.find(b"\x01", start)
    while 0 <= ascii_at < len(buffer) - 1 and buffer[ascii_at + 1] not in HEX_DIGITS:
        ascii_at = buffer.find(b"\x01", ascii_at + 1)
    found = [i for i in (hex_at, ascii_at) if i >= 0]
    return min(found) if found else -1


def read_frame(buffer: bytes) -> tuple[Frame | None, int]:
    """Parse the first frame in `buffer`: (frame, bytes consumed), or (None, n) when more bytes are needed.

    The encoding is chosen per frame by its first byte (7E 7E: HEX/BCD, 01: ASCII).
    Raises FrameError for a frame that is complete but wrong; the caller drops
    up to the next `find_start` and carries on. Bytes before any plausible start
    are consumed silently (n > 0 with no frame).
    """
    if not buffer:
        return None, 0
    start = find_start(buffer)
    if start < 0:
        keep = 1 if buffer[-1] == 0x7E else 0  # may be the first half of 7E 7E
        return None, len(buffer) - keep
    if start > 0:
        raise FrameError("bad_frame", f"帧头前有 {start} 个无关字节")
    if buffer[0] == SOH_ASCII:
        return _read_ascii(buffer)
    return _read_hex(buffer)


def _packet_info(value: int) -> tuple[int, int]:
    total, seq = value >> 12, value & 0xFFF
    if not 1 <= seq <= total:
        raise FrameError("bad_frame", f"多包报文的包序号 {seq} 不在 1–{total} 之内")
    return total, seq


def _read_hex(buffer: bytes) -> tuple[Frame | None, int]:
    if len(buffer) < 14:
        return None, 0
    direction = buffer[11] >> 4
    length = (buffer[11] & 0x0F) << 8 | buffer[12]
    start_char = buffer[13]
    if direction not in (UP, DOWN):
        raise FrameError("bad_frame", f"上下行标识非法：{direction:X}")
    if start_char not in (STX, SYN):
        raise FrameError("bad_frame", f"报文起始符应为 02 或 16，实为 {start_char:02X}")
    total = 14 + length + 1 + 2
    if len(buffer) < total:
        return None, 0
    frame_bytes = buffer[:total]
    end = frame_bytes[14 + length]
    if end not in END_CHARS:
        raise FrameError("bad_frame", f"报文结束符非法：{end:02X}")
    if crc16_modbus(frame_bytes[:-2]) != int.from_bytes(frame_bytes[-2:], "big"):
        raise FrameError("bad_crc", "CRC 校验失败")
    if direction == UP:
        centre, address_bytes = frame_bytes[2], frame_bytes[3:8]
    else:
        address_bytes, centre = frame_bytes[2:7], frame_bytes[7]
    body = frame_bytes[14 : 14 + length]
    packet_total = packet_seq = 0
    if start_char == SYN:
        if length < 3:
            raise FrameError("bad_frame", "多包报文缺少包总数及序列号")
        packet_total, packet_seq = _packet_info(int.from_bytes(body[:3], "big"))
        body = body[3:]
    frame = Frame(
        centre=centre,
        address=bcd_decode(address_bytes),
        password=frame_bytes[8:10].hex().upper(),
        function=frame_bytes[10],
        direction=direction,
        body=body,
        end=end,
        raw=frame_bytes,
        packet_total=packet_total,
        packet_seq=packet_seq,
    )
    return frame, total


def _hex_field(data: bytes, what: str) -> int:
    if not data or any(b not in HEX_DIGITS for b in data):
        raise FrameError("bad_frame", f"ASCII 报文的{what}不是十六进制字符")
    return int(data, 16)


def _read_ascii(buffer: bytes) -> tuple[Frame | None, int]:
    if len(buffer) < ASCII_HEAD:
        return None, 0
    head = buffer[1:23]
    dir_len = _hex_field(head[18:22], "上下行标识及长度")
    direction, length = dir_len >> 12, dir_len & 0x0FFF
    start_char = buffer[23]
    if direction not in (UP, DOWN):
        raise FrameError("bad_frame", f"上下行标识非法：{direction:X}")
    if start_char not in (STX, SYN):
        raise FrameError("bad_frame", f"报文起始符应为 02 或 16，实为 {start_char:02X}")
    total = ASCII_HEAD + length + 1 + 4
    if len(buffer) < total:
        return None, 0
    frame_bytes = buffer[:total]
    end = frame_bytes[ASCII_HEAD + length]
    if end not in END_CHARS:
        raise FrameError("bad_frame", f"报文结束符非法：{end:02X}")
    if crc16_modbus(frame_bytes[:-4]) != _hex_field(frame_bytes[-4:], "校验码"):
        raise FrameError("bad_crc", "CRC 校验失败")
    if direction == UP:
        centre, address = _hex_field(head[0:2], "中心站地址"), head[2:12]
    else:
        address, centre = head[0:10], _hex_field(head[10:12], "中心站地址")
    if not address.isdigit():
        raise FrameError("bad_frame", "ASCII 报文的遥测站地址应为 10 位数字")
    _hex_field(head[12:16], "密码")
    body = frame_bytes[ASCII_HEAD : ASCII_HEAD + length]
    packet_total = packet_seq = 0
    if start_char == SYN:
        if length < 6:
            raise FrameError("bad_frame", "多包报文缺少包总数及序列号")
        packet_total, packet_seq = _packet_info(_hex_field(body[:6], "包总数及序列号"))
        body = body[6:]
    frame = Frame(
        centre=centre,
        address=address.decode("ascii"),
        password=head[12:16].decode("ascii").upper(),
        function=_hex_field(head[16:18], "功能码"),
        direction=direction,
        body=body,
        end=end,
        raw=frame_bytes,
        encoding=ASCII,
        packet_total=packet_total,
        packet_seq=packet_seq,
    )
    return frame, total


# --- bodies --------------------------------------------------------------------------------


def decode_report(frame: Frame) -> Report:
    """The body of an uplink frame: its values for reports and 37H answers; serial and time for the rest."""
    if frame.function not in DATA_FUNCTIONS | ANSWER_FUNCTIONS | {KEEPALIVE}:
        raise FrameError("unsupported", f"不支持的功能码 {frame.function:02X}")
    if frame.encoding == ASCII:
        return _decode_ascii_body(frame.function, frame.body)
    return _decode_hex_body(frame.function, frame.body)


def _element_value(data: bytes, decimals: int) -> float | None:
    if all(b == 0xFF for b in data):
        return None  # "invalid" marker
    negative = data[0] == 0xFF
    digits = bcd_decode(data[1:] if negative else data)
    value = int(digits) / (10**decimals) if digits else 0.0
    return -value if negative else value


def _five_minute_series(report: Report, ident: int, data: bytes, observed: datetime) -> None:
    """F4 DRP (12 × 1 byte, 0.1 mm) or F5–FC DRZ1–8 (12 × 2 bytes, cm → m), the hour ending at `observed`."""
    width = 1 if ident == 0xF4 else 2
    name = "DRP" if ident == 0xF4 else f"DRZ{ident - 0xF4}"
    for i in range(12):
        chunk = data[i * width : (i + 1) * width]
        if all(b == 0xFF for b in chunk):
            continue
        raw_value = int.from_bytes(chunk, "big")
        value = raw_value / 10 if ident == 0xF4 else raw_value / 100
        report.values.append((name, observed - timedelta(minutes=55 - 5 * i), value))


def _decode_hex_body(function: int, body: bytes) -> Report:
    if len(body) < 8:
        raise FrameError("bad_frame", "正文过短")
    report = Report(serial=int.from_bytes(body[0:2], "big"), sent_at=_time(body[2:8], True))
    if function == KEEPALIVE:
        return report
    if function in ANSWER_FUNCTIONS:
        report.rest = body[8:]
        return report
    pos = 8
    step = None
    observed = None
    while pos < len(body):
        ident = body[pos]
        if ident == 0xF1 and body[pos + 1 : pos + 2] == b"\xf1":
            if pos + 8 > len(body):
                raise FrameError("bad_frame", "测站地址不完整")
            report.station = bcd_decode(body[pos + 2 : pos + 7])
            report.station_class = chr(body[pos + 7])
            pos += 8
            continue
        if ident == 0xF0 and body[pos + 1 : pos + 2] == b"\xf0":
            if pos + 7 > len(body):
                raise FrameError("bad_frame", "观测时间不完整")
            observed = _time(body[pos + 2 : pos + 7], False)
            report.observed_at = report.observed_at or observed
            pos += 7
            continue
        if pos + 2 > len(body):
            raise FrameError("bad_frame", "要素不完整")
        definition = body[pos + 1]
        if ident == 0x04 and definition == 0x18:  # time-step code DRxnn: day, hour, minute (BCD)
            raw = bcd_decode(body[pos + 2 : pos + 5]) if pos + 5 <= len(body) else ""
            if len(raw) != 6:
                raise FrameError("bad_frame", "时间步长码不完整")
            step = timedelta(days=int(raw[0:2]), hours=int(raw[2:4]), minutes=int(raw[4:6]))
            pos += 5
            continue
        if observed is None:
            raise FrameError("bad_frame", "要素前缺少观测时间 F0F0")
        if ident == 0xF4 or 0xF5 <= ident <= 0xFC:
            need = 12 if ident == 0xF4 else 24
            data = body[pos + 2 : pos + 2 + need]
            if len(data) != need:
                raise FrameError("bad_frame", "5 分钟序列长度不足")
            _five_minute_series(report, ident, data, observed)
            pos += 2 + need
            continue
        name = ELEMENTS.get(ident)
        if name is None:
            raise FrameError("unsupported", f"未知要素标识符 {ident:02X}")
        size, decimals = definition >> 3, definition & 0x07
        if size == 0:
            raise FrameError("bad_frame", f"要素 {name} 的长度为 0")
        if step is not None:
            # uniform-interval report: the element carries one value per step up to the end of the body
            data = body[pos + 2 :]
            if not data or len(data) % size:
                raise FrameError("bad_frame", f"均匀时段要素 {name} 的数据长度不对")
            for i in range(len(data) // size):
                value = _element_value(data[i * size : (i + 1) * size], decimals)
                if value is not None:
                    report.values.append((name, observed + step * i, value))
            pos = len(body)
            continue
        data = body[pos + 2 : pos + 2 + size]
        if len(data) != size:
            raise FrameError("bad_frame", f"要素 {name} 数据不完整")
        value = _element_value(data, decimals)
        if value is not None:
            report.values.append((name, observed, value))
        pos += 2 + size
    return report


ASCII_STEP_RE = re.compile(r"DR([DHN])(\d\d)")
ASCII_DRZ_RE = re.compile(r"DRZ([1-8])")
ASCII_NUMBER_RE = re.compile(r"[+-]?\d{1,12}(\.\d{1,9})?")
STEP_UNITS = {"D": "days", "H": "hours", "N": "minutes"}


def _ascii_value(name: str, token: str) -> float | None:
    if set(token.upper()) == {"F"}:
        return None  # "invalid", as the all-FF value in HEX mode
    if not ASCII_NUMBER_RE.fullmatch(token):
        raise FrameError("bad_frame", f"要素 {name} 的值 {token[:20]} 不是数字")
    return float(token)


def _ascii_series(token: str, ident: int) -> bytes:
    need = 24 if ident == 0xF4 else 48
    if len(token) != need or any(c not in "0123456789ABCDEFabcdef" for c in token):
        raise FrameError("bad_frame", f"5 分钟序列应为 {need} 个十六进制字符")
    return bytes.fromhex(token)


def _decode_ascii_body(function: int, body: bytes) -> Report:
    if not body.isascii():
        raise FrameError("bad_frame", "ASCII 正文含非 ASCII 字符")
    tokens = body.decode("ascii").split()
    if tokens and len(tokens[0]) == 16:  # serial and send time written together
        serial_text, sent_text, pos = tokens[0][:4], tokens[0][4:], 1
    elif len(tokens) >= 2 and len(tokens[0]) == 4:
        serial_text, sent_text, pos = tokens[0], tokens[1], 2
    else:
        raise FrameError("bad_frame", "ASCII 正文应以流水号和发报时间开始")
    report = Report(serial=_hex_field(serial_text.encode(), "流水号"), sent_at=_parse_time(sent_text, True))
    if function == KEEPALIVE:
        return report
    if function in ANSWER_FUNCTIONS:
        report.rest = " ".join(tokens[pos:]).encode("ascii")
        return report
    step = None
    observed = None

    def operand(count=1):
        if pos + count >= len(tokens):
            raise FrameError("bad_frame", f"{tokens[pos]} 后缺少数据")
        return tokens[pos + 1 : pos + 1 + count]

    while pos < len(tokens):
        token = tokens[pos]
        if token == "ST":
            address, station_class = operand(2)
            if len(address) != 10 or not address.isdigit():
                raise FrameError("bad_frame", "ST 后应为 10 位测站地址")
            if len(station_class) == 2 and all(c in "0123456789ABCDEFabcdef" for c in station_class):
                station_class = chr(int(station_class, 16))  # the class code written as its hex byte
            report.station, report.station_class = address, station_class[:1]
            pos += 3
            continue
        if token == "TT":
            observed = _parse_time(operand()[0], False)
            report.observed_at = report.observed_at or observed
            pos += 2
            continue
        step_match = ASCII_STEP_RE.fullmatch(token)
        if step_match:
            step = timedelta(**{STEP_UNITS[step_match.group(1)]: int(step_match.group(2))})
            pos += 1
            continue
        if observed is None:
            raise FrameError("bad_frame", "要素前缺少观测时间 TT")
        drz = ASCII_DRZ_RE.fullmatch(token)
        if token == "DRP" or drz:
            ident = 0xF4 if token == "DRP" else 0xF4 + int(drz.group(1))
            _five_minute_series(report, ident, _ascii_series(operand()[0], ident), observed)
            pos += 2
            continue
        name = token if token in MNEMONIC_IDS else None
        if name is None:
            raise FrameError("unsupported", f"未知要素标识符 {token[:20]}")
        if step is not None:
            # uniform-interval report: one value per step up to the end of the body
            values = tokens[pos + 1 :]
            if not values:
                raise FrameError("bad_frame", f"均匀时段要素 {name} 没有数据")
            for i, text in enumerate(values):
                value = _ascii_value(name, text)
                if value is not None:
                    report.values.append((name, observed + step * i, value))
            pos = len(tokens)
            continue
        value = _ascii_value(name, operand()[0])
        if value is not None:
            report.values.append((name, observed, value))
        pos += 2
    return report


# --- building frames (replies, queries, and frames for tests) ------------------------------------


def build_frame(
    *,
    centre: int,
    address: str,
    password: str,
    function: int,
    body: bytes,
    direction=UP,
    end=ETX,
    encoding=HEX,
    packet: tuple[int, int] | None = None,
) -> bytes:
    """One frame; `packet=(total, number)` makes it an M3 packet (SYN and packet information)."""
    start_char = STX if packet is None else SYN
    info = 0 if packet is None else packet[0] << 12 | packet[1]
    address = address.zfill(10)
    if encoding == ASCII:
        info_bytes = b"" if packet is None else f"{info:06X}".encode("ascii")
        length = len(info_bytes) + len(body)
        if length > MAX_BODY:
            raise ValueError("body too long")
        stations = f"{centre:02X}{address}" if direction == UP else f"{address}{centre:02X}"
        head = f"{stations}{password.upper()}{function:02X}{direction << 12 | length:04X}"
        frame = (
            bytes([SOH_ASCII]) + head.encode("ascii") + bytes([start_char]) + info_bytes + body + bytes([end])
        )
        return frame + f"{crc16_modbus(frame):04X}".encode("ascii")
    info_bytes = b"" if packet is None else info.to_bytes(3, "big")
    length = len(info_bytes) + len(body)
    if length > MAX_BODY:
        raise ValueError("body too long")
    addr = bcd_encode(address)
    frame = (
        SOH
        + (bytes([centre]) + addr if direction == UP else addr + bytes([centre]))
        + bytes.fromhex(password)
        + bytes([function])
        + (direction << 12 | length).to_bytes(2, "big")
        + bytes([start_char])
        + info_bytes
        + body
        + bytes([end])
    )
    return frame + crc16_modbus(frame).to_bytes(2, "big")


def encode_element(mnemonic: str, value: float, size: int = 4, decimals: int = 2) -> bytes:
    ident = MNEMONIC_IDS[mnemonic]
    scaled = round(abs(value) * 10**decimals)
    if value < 0:
        digits = bcd_encode(str(scaled).zfill((size - 1) * 2))
        data = b"\xff" + digits
    else:
        data = bcd_encode(str(scaled).zfill(size * 2))
    if len(data) != size:
        raise ValueError(f"{mnemonic}={value} does not fit in {size} bytes")
    return bytes([ident, size << 3 | decimals]) + data


def encode_ascii_element(mnemonic: str, value: float, decimals: int = 2) -> bytes:
    if mnemonic not in MNEMONIC_IDS:
        raise ValueError(f"unknown element {mnemonic}")
    return f" {mnemonic} {value:.{decimals}f}".encode("ascii")


def report_body(
    *,
    serial: int,
    sent_at: datetime,
    address: str,
    station_class: str = "K",
    observed_at: datetime,
    elements: bytes = b"",
    encoding=HEX,
) -> bytes:
    """A report body; with `encoding=ASCII`, `elements` is text from `encode_ascii_element`."""
    if encoding == ASCII:
        head = (
            f"{serial:04X} {_time_text(sent_at, True)} ST {address.zfill(10)} {station_class}"
            f" TT {_time_text(observed_at, False)}"
        )
        return head.encode("ascii") + elements
    return (
        serial.to_bytes(2, "big")
        + _time_bytes(sent_at, True)
        + b"\xf1\xf1"
        + bcd_encode(address.zfill(10))
        + station_class.encode("ascii")
        + b"\xf0\xf0"
        + _time_bytes(observed_at, False)
        + elements
    )


def serial_and_time(serial: int, when: datetime, encoding=HEX) -> bytes:
    """The body every downlink frame starts with: serial number and send time."""
    if encoding == ASCII:
        return f"{serial & 0xFFFF:04X} {_time_text(when, True)}".encode("ascii")
    return (serial & 0xFFFF).to_bytes(2, "big") + _time_bytes(when, True)


def reply_for(frame: Frame, report: Report | None, now: datetime, end=ESC, packet=None) -> bytes:
    """Confirmation in the frame's own encoding: same function code and serial number, downlink.

    M2: ESC keeps the link up. M3: each packet is answered with its packet
    information (`packet=(total, number)`): ACK for one taken in, NAK for one to
    send again, ESC once the whole message is stored.
    """
    serial = report.serial if report is not None else 0
    return build_frame(
        centre=frame.centre,
        address=frame.address,
        password=frame.password,
        function=frame.function,
        body=serial_and_time(serial, now, frame.encoding),
        direction=DOWN,
        end=end,
        encoding=frame.encoding,
        packet=packet,
    )


def build_query(
    *, centre: int, address: str, password: str, function: int, serial: int, now: datetime, encoding=HEX
) -> bytes:
    """A centre's query (37H, 51H…) or clock setting (4AH: the send time is the time to set), ending ENQ."""
    return build_frame(
        centre=centre,
        address=address,
        password=password,
        function=function,
        body=serial_and_time(serial, now, encoding),
        direction=DOWN,
        end=ENQ,
        encoding=encoding,
    )


# --- M3: multi-packet reassembly ---------------------------------------------------------------


@dataclass
class _Assembly:
    total: int
    started: float
    parts: dict = field(default_factory=dict)  # number -> body
    size: int = 0
    serial: int = 0


@dataclass
class Added:
    """What one M3 packet caused: whether it was kept, the whole message once complete, the packets
    still missing after the last one arrived, and assemblies given up: (station address, detail) to count
    (expiry runs on every packet, so they may be other stations')."""

    kept: bool = False
    complete: Frame | None = None
    missing: list = field(default_factory=list)
    dropped: list = field(default_factory=list)
    serial: int = 0


class Reassembler:
    """M3 packets collected per station and function code until all of them have arrived.

    Later packets carry no serial number, so a message is known by station,
    function and packet count; a station has one message in flight per function.
    Memory is bounded: an assembly older than `timeout` seconds, bigger than
    `max_bytes`, or beyond `max_assemblies` is dropped and reported, never kept.
    Thread-safe: the server calls it from its database threads.
    """

    def __init__(self, timeout=300.0, max_assemblies=1000, max_bytes=1 << 20, clock=time.monotonic):
        self.timeout, self.max_assemblies, self.max_bytes, self.clock = (
            timeout,
            max_assemblies,
            max_bytes,
            clock,
        )
        self.assemblies: dict[tuple[str, int], _Assembly] = {}
        self.lock = threading.Lock()

    def __len__(self):
        return len(self.assemblies)

    def expire(self) -> list[tuple[str, str]]:
        """Drop assemblies older than the timeout: [(station address, detail)] to count."""
        now = self.clock()
        with self.lock:
            old = [k for k, a in self.assemblies.items() if now - a.started > self.timeout]
            gone = [(k, self.assemblies.pop(k)) for k in old]
        return [(k[0], _incomplete(k[1], a, "超时")) for k, a in gone]

    def add(self, frame: Frame) -> Added:
        result = Added()
        key = (frame.address, frame.function)
        result.dropped = self.expire()
        with self.lock:
            assembly = self.assemblies.get(key)
            if assembly is not None and assembly.total != frame.packet_total:
                self.assemblies.pop(key)
                result.dropped.append(
                    (frame.address, _incomplete(frame.function, assembly, "被新的多包报文取代"))
                )
                assembly = None
            if assembly is None:
                if len(self.assemblies) >= self.max_assemblies:
                    result.dropped.append(
                        (frame.address, f"同时进行的多包报文超过 {self.max_assemblies} 个，包被丢弃")
                    )
                    return result
                assembly = self.assemblies[key] = _Assembly(frame.packet_total, self.clock())
            previous = assembly.parts.get(frame.packet_seq, b"")
            assembly.size += len(frame.body) - len(previous)
            assembly.parts[frame.packet_seq] = frame.body
            if frame.packet_seq == 1 and len(frame.body) >= 2:
                assembly.serial = _serial_of(frame)
            result.serial = assembly.serial
            if assembly.size > self.max_bytes:
                self.assemblies.pop(key)
                result.dropped.append(
                    (frame.address, _incomplete(frame.function, assembly, f"超过 {self.max_bytes} 字节"))
                )
                return result
            result.kept = True
            if len(assembly.parts) == assembly.total:
                self.assemblies.pop(key)
                body = b"".join(assembly.parts[i] for i in range(1, assembly.total + 1))
                result.complete = replace(frame, body=body, end=ETX, raw=b"", packet_total=0, packet_seq=0)
            elif frame.end == ETX:
                result.missing = [i for i in range(1, assembly.total + 1) if i not in assembly.parts]
        return result


def _serial_of(frame: Frame) -> int:
    if frame.encoding == ASCII:
        text = frame.body[:4]
        return int(text, 16) if len(text) == 4 and all(b in HEX_DIGITS for b in text) else 0
    return int.from_bytes(frame.body[:2], "big")


def _incomplete(function: int, assembly: _Assembly, why: str) -> str:
    return f"多包报文（功能码 {function:02X}）{why}：收到 {len(assembly.parts)}/{assembly.total} 包"
