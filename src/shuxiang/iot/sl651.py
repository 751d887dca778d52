"""SL 651-2014 (水文监测数据通信规约) HEX/BCD frames: decode uplink reports, build replies.

Facts from ../shared/reference/standards-cn.md §1. Uplink frame:
`7E 7E | centre (1) | RTU address (5, BCD) | password (2) | function (1) |
direction+length (2: high nibble 0 = up, 8 = down; low 12 bits body length) |
STX 02 | body | ETX 03 or ETB 17 | CRC-16/MODBUS (2, high byte first)`,
CRC over everything from the first 7E through the end character.
Report bodies (0x30–0x35): serial (2) + send time (6 BCD) + F1 F1 address (5)
+ station class (1) + F0 F0 observation time (5 BCD) + elements. An element is
identifier + data-definition byte (high 5 bits length, low 3 bits decimals) +
BCD value; F0 F0 starts a new observation time; 04 18 is the time-step code of
a uniform-interval report (the next element then carries one value per step);
F4 is DRP (12 × 5-minute rainfall), F5–FC are DRZ1–8 (12 × 5-minute levels).
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

SOH = b"\x7e\x7e"
STX, SYN = 0x02, 0x16
ETX, ETB, ENQ, EOT, ACK, NAK, ESC = 0x03, 0x17, 0x05, 0x04, 0x06, 0x15, 0x1B
UP, DOWN = 0x0, 0x8
BEIJING = ZoneInfo("Asia/Shanghai")  # RTUs in China stamp Beijing time
MAX_BODY = 4095

KEEPALIVE, TEST, UNIFORM, TIMED, ADDED, HOURLY, MANUAL = 0x2F, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35
REPORT_FUNCTIONS = {TEST, UNIFORM, TIMED, ADDED, HOURLY, MANUAL}
FUNCTION_NAMES = {
    KEEPALIVE: "链路维持报",
    TEST: "测试报",
    UNIFORM: "均匀时段水文信息报",
    TIMED: "遥测站定时报",
    ADDED: "遥测站加报报",
    HOURLY: "遥测站小时报",
    MANUAL: "遥测站人工置数报",
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


def _time(data: bytes, with_seconds: bool) -> datetime:
    s = bcd_decode(data)
    try:
        parts = [int(s[i : i + 2]) for i in range(0, len(s), 2)]
        if with_seconds:
            y, mo, d, h, mi, sec = parts
        else:
            (y, mo, d, h, mi), sec = parts, 0
        return datetime(2000 + y, mo, d, h, mi, sec, tzinfo=BEIJING).astimezone(UTC)
    except ValueError:
        raise FrameError("bad_frame", f"时间非法：{data.hex().upper()}") from None


def _time_bytes(when: datetime, with_seconds: bool) -> bytes:
    local = when.astimezone(BEIJING)
    fmt = "%y%m%d%H%M%S" if with_seconds else "%y%m%d%H%M"
    return bcd_encode(local.strftime(fmt))


@dataclass
class Frame:
    centre: int
    address: str  # 10 digits
    password: str  # 4 hex digits
    function: int
    direction: int
    body: bytes
    end: int
    raw: bytes = b""

    @property
    def function_name(self):
        return FUNCTION_NAMES.get(self.function, f"功能码 {self.function:02X}")


@dataclass
class Report:
    """A decoded report body: serial number, send time, station and its values."""

    serial: int
    sent_at: datetime
    station: str | None = None
    station_class: str | None = None
    observed_at: datetime | None = None
    values: list = field(default_factory=list)  # (mnemonic, ts, value)


def read_frame(buffer: bytes) -> tuple[Frame | None, int]:
    """Parse the first frame in `buffer`: (frame, bytes consumed), or (None, 0) when more bytes are needed.

    Raises FrameError for a frame that is complete but wrong; the caller drops
    up to the next 7E 7E and carries on.
    """
    start = buffer.find(SOH)
    if start < 0:
        return None, 0 if len(buffer) < 2 else len(buffer) - 1
    if start > 0:
        raise FrameError("bad_frame", f"帧头前有 {start} 个无关字节")
    if len(buffer) < 14:
        return None, 0
    direction = buffer[11] >> 4
    length = (buffer[11] & 0x0F) << 8 | buffer[12]
    start_char = buffer[13]
    if start_char == SYN:
        raise FrameError("unsupported", "暂不支持多包传输（M3）")
    if start_char != STX:
        raise FrameError("bad_frame", f"报文起始符应为 02，实为 {start_char:02X}")
    total = 14 + length + 1 + 2
    if len(buffer) < total:
        return None, 0
    frame_bytes = buffer[:total]
    end = frame_bytes[14 + length]
    if end not in (ETX, ETB, ENQ, EOT, ACK, NAK, ESC):
        raise FrameError("bad_frame", f"报文结束符非法：{end:02X}")
    crc = int.from_bytes(frame_bytes[-2:], "big")
    if crc16_modbus(frame_bytes[:-2]) != crc:
        raise FrameError("bad_crc", "CRC 校验失败")
    if direction == UP:
        centre, address_bytes = frame_bytes[2], frame_bytes[3:8]
    else:
        address_bytes, centre = frame_bytes[2:7], frame_bytes[7]
    frame = Frame(
        centre=centre,
        address=bcd_decode(address_bytes),
        password=frame_bytes[8:10].hex().upper(),
        function=frame_bytes[10],
        direction=direction,
        body=frame_bytes[14 : 14 + length],
        end=end,
        raw=frame_bytes,
    )
    return frame, total


def _element_value(data: bytes, decimals: int) -> float | None:
    if all(b == 0xFF for b in data):
        return None  # "invalid" marker
    negative = data[0] == 0xFF
    digits = bcd_decode(data[1:] if negative else data)
    value = int(digits) / (10**decimals) if digits else 0.0
    return -value if negative else value


def decode_report(frame: Frame) -> Report:
    body = frame.body
    if len(body) < 8:
        raise FrameError("bad_frame", "正文过短")
    report = Report(serial=int.from_bytes(body[0:2], "big"), sent_at=_time(body[2:8], True))
    if frame.function == KEEPALIVE:
        return report
    if frame.function not in REPORT_FUNCTIONS:
        raise FrameError("unsupported", f"不支持的功能码 {frame.function:02X}")
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
        if ident == 0xF4 or 0xF5 <= ident <= 0xFC:  # 5-minute series in the hour ending at TT
            width = 1 if ident == 0xF4 else 2
            count = 12
            need = width * count
            data = body[pos + 2 : pos + 2 + need]
            if len(data) != need:
                raise FrameError("bad_frame", "5 分钟序列长度不足")
            name = "DRP" if ident == 0xF4 else f"DRZ{ident - 0xF4}"
            for i in range(count):
                chunk = data[i * width : (i + 1) * width]
                if all(b == 0xFF for b in chunk):
                    continue
                raw_value = int.from_bytes(chunk, "big")
                value = raw_value / 10 if ident == 0xF4 else raw_value / 100  # 0.1 mm; cm → m
                report.values.append((name, observed - timedelta(minutes=55 - 5 * i), value))
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


# --- building frames (replies, and frames for tests and the simulator) ----------------------


def build_frame(
    *, centre: int, address: str, password: str, function: int, body: bytes, direction=UP, end=ETX
) -> bytes:
    if len(body) > MAX_BODY:
        raise ValueError("body too long")
    addr = bcd_encode(address.zfill(10))
    head = (
        SOH
        + (bytes([centre]) + addr if direction == UP else addr + bytes([centre]))
        + bytes.fromhex(password)
        + bytes([function])
        + (direction << 12 | len(body)).to_bytes(2, "big")
        + bytes([STX])
    )
    frame = head + body + bytes([end])
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


def report_body(
    *,
    serial: int,
    sent_at: datetime,
    address: str,
    station_class: str = "K",
    observed_at: datetime,
    elements: bytes = b"",
) -> bytes:
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


def reply_for(frame: Frame, report: Report | None, now: datetime, end=ESC) -> bytes:
    """M2 confirmation: same function code and serial number, downlink, ESC keeps the link up."""
    serial = report.serial if report is not None else 0
    body = serial.to_bytes(2, "big") + _time_bytes(now, True)
    return build_frame(
        centre=frame.centre,
        address=frame.address,
        password=frame.password,
        function=frame.function,
        body=body,
        direction=DOWN,
        end=end,
    )
