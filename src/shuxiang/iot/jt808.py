"""JT/T 808 (2013 and 2019) frames and the messages a BeiDou/GNSS terminal sends a platform.

The protocol only: no database, no sockets (`jt808_server` is the TCP front end).

- A frame on the wire is `7E | header | body | check | 7E`. Inside it 0x7E is sent as 7D 02 and
  0x7D as 7D 01 (escaping is done after the check is computed, undone before it is verified).
  The check is the XOR of every unescaped byte of header and body.
- The header's properties word: bits 0–9 body length, 10–12 encryption, 13 split packet, 14 the
  2019 version flag. 2013 header: id, properties, phone BCD[6], serial (12 bytes); 2019 header:
  id, properties, protocol version BYTE, phone BCD[10], serial (17 bytes). A split packet adds
  total and index words. Each frame is told apart by its own flag, never by the connection.
- The terminal's phone number as written in its header (12 digits for 2013, 20 for 2019) is its
  device code on the platform.

Vendors differ from the standard (maker id 5 bytes on 2019 terminals, left or right padding of fixed
fields, extra items in location reports): registration fields are read leniently, additional items
are bound-checked and the ones we do not know are kept raw, never a reason to refuse a report.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

FLAG = 0x7E
ESC = 0x7D
BEIJING = timezone(timedelta(hours=8), "GMT+8")
MAX_FRAME = 4096  # escaped bytes between two flags: a 1023-byte body escaped twice over fits

# Terminal messages
TERMINAL_REPLY = 0x0001
HEARTBEAT = 0x0002
LOGOUT = 0x0003
REGISTER = 0x0100
AUTH = 0x0102
LOCATION = 0x0200
BATCH = 0x0704
# Platform messages
PLATFORM_REPLY = 0x8001
REGISTER_REPLY = 0x8100

# 0x8001 results
OK, FAIL, BAD_MESSAGE, UNSUPPORTED, ALARM_CONFIRMED = 0, 1, 2, 3, 4
# 0x8100 results
REG_OK, REG_VEHICLE_TAKEN, REG_NO_VEHICLE, REG_TERMINAL_TAKEN, REG_NO_TERMINAL = 0, 1, 2, 3, 4

# Alarm flag bits (DWORD) stored as their own 0/1 keys, so an alarm rule "above 0.5" fires on them.
ALARM_BITS = {
    0: ("emergency", "紧急报警"),
    1: ("overspeed", "超速报警"),
    2: ("fatigue", "疲劳驾驶"),
    7: ("under_voltage", "终端主电源欠压"),
    8: ("power_lost", "终端主电源掉电"),
    20: ("area_alarm", "进出区域报警"),
    23: ("route_deviation", "路线偏离报警"),
    26: ("stolen", "车辆被盗"),
    29: ("collision", "碰撞预警"),
    30: ("rollover", "侧翻预警"),
}
# Status bits (DWORD) stored as their own keys; bit 1 (positioned) is always kept.
STATUS_BITS = {
    0: ("acc", "ACC 开"),
    1: ("positioned", "已定位"),
    10: ("oil_cut", "油路断开"),
    11: ("power_cut", "电路断开"),
}
SOUTH_BIT, WEST_BIT = 2, 3
ALWAYS_STATUS_MASK = sum(1 << bit for bit in STATUS_BITS if bit > 1)

# Additional items of a location report: id → (key, name, unit, size in bytes, scale).
EXTRAS = {
    0x01: ("mileage", "里程", "km", 4, 0.1),
    0x02: ("fuel", "油量", "L", 2, 0.1),
    0x03: ("recorder_speed", "行驶记录速度", "km/h", 2, 0.1),
    0x25: ("ext_signals", "扩展车辆信号状态位", "", 4, 1),
    0x2A: ("io_status", "IO状态位", "", 2, 1),
    0x2B: ("analog", "模拟量", "", 4, 1),
    0x30: ("signal", "无线通信网络信号强度", "", 1, 1),
    0x31: ("satellites", "GNSS定位卫星数", "颗", 1, 1),
}
# Items outside the standard that farm-machinery terminals commonly add (深松 depth, implement
# down). Their ids are vendor-specific [not in the standard]: configurable data, see docs/machinery.md.
VENDOR_EXTRAS = {
    0xE1: ("depth", "作业深度", "cm", 2, 0.1),
    0xE2: ("implement", "机具落下", "", 1, 1),
    # Refrigerated vehicles (冷藏车): the cargo-box temperature, a signed WORD in 0.1 ℃ (the standard
    # has no temperature item; JT/T 808 terminals with a cold-chain probe add one of their own).
    0xE3: ("cargo_temp", "车厢温度", "℃", 2, 0.1),
}
SIGNED_EXTRAS = {0xE3}  # items read as two's complement (temperatures below zero)


def known_keys() -> dict:
    """Every key a location report is stored under, with its name and unit (for iot.keys)."""
    keys = {
        "alarm": ("报警标志", ""),
        "status": ("状态位", ""),
        "lat": ("纬度", "°"),
        "lon": ("经度", "°"),
        "altitude": ("高程", "m"),
        "speed": ("速度", "km/h"),
        "direction": ("方向", "°"),
    }
    keys.update({key: (name, "") for key, name in ALARM_BITS.values()})
    keys.update({key: (name, "") for key, name in STATUS_BITS.values()})
    for table in (EXTRAS, VENDOR_EXTRAS):
        keys.update({key: (name, unit) for key, name, unit, _size, _scale in table.values()})
    return keys


class FrameError(Exception):
    """A frame refused: `reason` is an iot RejectReason code, `phone` the terminal if the header told it."""

    def __init__(self, reason: str, message: str, phone: str = ""):
        super().__init__(message)
        self.reason, self.message, self.phone = reason, message, phone


# --- escaping, check, BCD ---------------------------------------------------------------------------


def checksum(data: bytes) -> int:
    value = 0
    for byte in data:
        value ^= byte
    return value


def escape(data: bytes) -> bytes:
    return data.replace(b"\x7d", b"\x7d\x01").replace(b"\x7e", b"\x7d\x02")


def unescape(data: bytes) -> bytes:
    if ESC not in data:
        return data
    out = bytearray()
    i, n = 0, len(data)
    while i < n:
        byte = data[i]
        if byte == ESC:
            following = data[i + 1] if i + 1 < n else None
            if following == 0x01:
                out.append(ESC)
            elif following == 0x02:
                out.append(FLAG)
            else:
                raise FrameError("bad_frame", "转义错误：0x7D 后应为 0x01 或 0x02")
            i += 2
        else:
            out.append(byte)
            i += 1
    return bytes(out)


def bcd_decode(data: bytes) -> str:
    digits = data.hex()
    if not digits.isdigit():
        raise FrameError("bad_frame", f"BCD 码含非数字：{digits.upper()}")
    return digits


def bcd_encode(digits: str, size: int) -> bytes:
    digits = digits.rjust(size * 2, "0")
    if len(digits) != size * 2 or not digits.isdigit():
        raise ValueError(f"{digits!r} is not {size * 2} decimal digits")
    return bytes.fromhex(digits)


def _text(data: bytes) -> str:
    return data.decode("gbk", errors="replace").strip("\x00 ").strip()


# --- frames -----------------------------------------------------------------------------------------


@dataclass
class Frame:
    msg_id: int
    phone: str
    serial: int
    body: bytes
    version: int = 2013  # 2013 or 2019 header
    protocol_version: int = 0  # the 2019 header's version byte
    encryption: int = 0
    packet_total: int = 0  # split packet: total and index (1-based); 0 when not split
    packet_index: int = 0


def decode_frame(content: bytes) -> Frame:
    """One frame from the escaped bytes between its two flags."""
    data = unescape(content)
    if len(data) < 13:
        raise FrameError("bad_frame", f"帧过短（{len(data)} 字节）")
    msg_id, props = struct.unpack_from(">HH", data)
    is_2019 = bool(props & 0x4000)
    if is_2019:
        if len(data) < 18:
            raise FrameError("bad_frame", "2019 版帧头不完整")
        protocol_version = data[4]
        phone = bcd_decode(data[5:15])
        serial = struct.unpack_from(">H", data, 15)[0]
        pos = 17
    else:
        protocol_version = 0
        phone = bcd_decode(data[4:10])
        serial = struct.unpack_from(">H", data, 10)[0]
        pos = 12
    total = index = 0
    if checksum(data[:-1]) != data[-1]:
        raise FrameError("bad_crc", f"校验码错误：应为 {checksum(data[:-1]):02X}，收到 {data[-1]:02X}", phone)
    if props & 0x2000:
        if len(data) < pos + 5:
            raise FrameError("bad_frame", "分包项不完整", phone)
        total, index = struct.unpack_from(">HH", data, pos)
        pos += 4
    body = data[pos:-1]
    length = props & 0x03FF
    if len(body) != length:
        raise FrameError("bad_frame", f"消息体长度 {len(body)} 与消息头所写 {length} 不符", phone)
    return Frame(
        msg_id=msg_id,
        phone=phone,
        serial=serial,
        body=body,
        version=2019 if is_2019 else 2013,
        protocol_version=protocol_version,
        encryption=(props >> 10) & 0x07,
        packet_total=total,
        packet_index=index,
    )


def encode_frame(
    msg_id: int, phone: str, serial: int, body: bytes = b"", *, version: int = 2013, protocol_version: int = 1
) -> bytes:
    """A complete frame on the wire (flags, escaped, with its check)."""
    if len(body) > 0x03FF:
        raise ValueError("body longer than 1023 bytes: split packets are not sent")
    props = len(body)
    if version == 2019:
        header = struct.pack(">HHB", msg_id, props | 0x4000, protocol_version) + bcd_encode(phone, 10)
    else:
        header = struct.pack(">HH", msg_id, props) + bcd_encode(phone, 6)
    data = header + struct.pack(">H", serial & 0xFFFF) + body
    return b"\x7e" + escape(data + bytes([checksum(data)])) + b"\x7e"


class Splitter:
    """Cuts a TCP byte stream into frames, whatever the reads' boundaries.

    `feed(data)` returns what the data completed: decoded frames and FrameErrors, in order. Bytes
    outside a pair of flags are garbage (counted once per run); a flag that closes a refused frame
    may open the next one, so one bad frame never costs the good one after it.
    """

    def __init__(self):
        self.buffer = b""

    def feed(self, data: bytes) -> list[Frame | FrameError]:
        buffer = self.buffer + data
        out: list[Frame | FrameError] = []
        while buffer:
            start = buffer.find(b"\x7e")
            if start < 0:
                out.append(FrameError("bad_frame", f"帧外的 {len(buffer)} 字节被丢弃"))
                buffer = b""
                break
            if start > 0:
                out.append(FrameError("bad_frame", f"帧外的 {start} 字节被丢弃"))
                buffer = buffer[start:]
            end = buffer.find(b"\x7e", 1)
            if end < 0:
                if len(buffer) > MAX_FRAME:
                    out.append(FrameError("bad_frame", f"超过 {MAX_FRAME} 字节仍无结束标志，数据被丢弃"))
                    buffer = b""
                break
            content = buffer[1:end]
            if not content:  # 7E 7E: the end of one frame and the start of the next, or noise
                buffer = buffer[end:]
                continue
            try:
                out.append(decode_frame(content))
            except FrameError as exc:
                out.append(exc)
                buffer = buffer[end:]
                continue
            buffer = buffer[end + 1 :]
        self.buffer = buffer
        return out


# --- message bodies ---------------------------------------------------------------------------------


@dataclass
class Registration:
    province: int
    city: int
    maker: str
    model: str
    terminal_id: str
    plate_colour: int
    plate: str


def parse_register(frame: Frame) -> Registration:
    """0x0100. 2013: maker 5, model 20, terminal id 7; 2019: 11, 30, 30. Terminals that keep the
    2013 widths under a 2019 header exist: whichever layout leaves a plausible plate is taken."""
    body = frame.body
    if len(body) < 4:
        raise FrameError("bad_frame", "注册消息过短", frame.phone)
    province, city = struct.unpack_from(">HH", body)
    layouts = [(11, 30, 30), (5, 20, 7)] if frame.version == 2019 else [(5, 20, 7), (5, 20, 8)]
    for maker_len, model_len, id_len in layouts:
        end = 4 + maker_len + model_len + id_len
        if len(body) >= end + 1:
            return Registration(
                province,
                city,
                _text(body[4 : 4 + maker_len]),
                _text(body[4 + maker_len : 4 + maker_len + model_len]),
                _text(body[4 + maker_len + model_len : end]),
                body[end],
                _text(body[end + 1 :]),
            )
    return Registration(province, city, _text(body[4:9]), "", "", 0, "")


def register_reply(frame: Frame, serial: int, result: int, auth_code: str = "") -> bytes:
    body = struct.pack(">HB", frame.serial, result)
    if result == REG_OK:
        body += auth_code.encode("gbk")
    return encode_frame(REGISTER_REPLY, frame.phone, serial, body, version=frame.version)


def parse_auth(frame: Frame) -> str:
    """0x0102: the auth code (2013: the whole body; 2019: length byte, code, IMEI, software version)."""
    body = frame.body
    if frame.version == 2019:
        if not body or len(body) < 1 + body[0]:
            raise FrameError("bad_frame", "鉴权码长度与消息不符", frame.phone)
        return _text(body[1 : 1 + body[0]])
    return _text(body)


def general_reply(frame: Frame, serial: int, result: int) -> bytes:
    """0x8001, answering `frame`."""
    body = struct.pack(">HHB", frame.serial, frame.msg_id, result)
    return encode_frame(PLATFORM_REPLY, frame.phone, serial, body, version=frame.version)


@dataclass
class Location:
    alarm: int
    status: int
    lat: float
    lon: float
    altitude: int
    speed: float  # km/h
    direction: int
    time: datetime  # aware, GMT+8 as the terminal sends it
    extras: dict = field(default_factory=dict)  # item id → raw bytes, every item as received

    @property
    def positioned(self) -> bool:
        return bool(self.status & 0b10)

    def possible(self) -> bool:
        return -90 <= self.lat <= 90 and -180 <= self.lon <= 180

    def values(self, previous: tuple[int, int] | None = (0, 0)) -> list[tuple[str, datetime, float]]:
        """(key, time, value) for the iot engine: basic fields, alarm and status bits, known extras.

        `acc` and `positioned` are always there; the other bit keys only when a bit is set now or was
        in the terminal's `previous` (alarm, status) words (None: unknown, all of them) — enough for a
        rule to fire and to clear, without ten zeros in every report.
        """
        ts = self.time
        old_alarm, old_status = previous if previous is not None else (-1, -1)
        out = [
            ("lat", ts, self.lat),
            ("lon", ts, self.lon),
            ("altitude", ts, self.altitude),
            ("speed", ts, self.speed),
            ("direction", ts, self.direction),
            ("alarm", ts, self.alarm),
            ("status", ts, self.status),
        ]
        if self.alarm or old_alarm:
            out += [(key, ts, (self.alarm >> bit) & 1) for bit, (key, _name) in ALARM_BITS.items()]
        for bit, (key, _name) in STATUS_BITS.items():
            if bit <= 1 or (self.status | old_status) & ALWAYS_STATUS_MASK:
                out.append((key, ts, (self.status >> bit) & 1))
        for item, raw in self.extras.items():
            spec = EXTRAS.get(item) or VENDOR_EXTRAS.get(item)
            if spec and len(raw) == spec[3]:
                value = int.from_bytes(raw, "big", signed=item in SIGNED_EXTRAS) * spec[4]
                out.append((spec[0], ts, round(value, 6)))
        return out

    def unknown_extras(self) -> dict:
        """Items we do not read (vendor-specific, or of an unexpected length), raw as hex."""
        out = {}
        for item, raw in self.extras.items():
            spec = EXTRAS.get(item) or VENDOR_EXTRAS.get(item)
            if not spec or len(raw) != spec[3]:
                out[f"{item:02X}"] = raw.hex().upper()
        return out


def _bcd_time(data: bytes, phone: str) -> datetime:
    digits = data.hex()
    try:
        if not digits.isdigit():
            raise ValueError(digits)
        year, month, day, hour, minute, second = (int(digits[i : i + 2]) for i in range(0, 12, 2))
        return datetime(2000 + year, month, day, hour, minute, second, tzinfo=BEIJING)
    except ValueError:
        raise FrameError("bad_frame", f"定位时间不合法：{digits.upper()}", phone) from None


def parse_location(body: bytes, phone: str = "") -> Location:
    """A 0x0200 body (also one item of 0x0704)."""
    if len(body) < 28:
        raise FrameError("bad_frame", f"位置信息过短（{len(body)} 字节，至少 28）", phone)
    alarm, status, lat, lon, altitude, speed, direction = struct.unpack_from(">IIIIHHH", body)
    lat_deg, lon_deg = lat / 1e6, lon / 1e6
    if status & (1 << SOUTH_BIT):
        lat_deg = -lat_deg
    if status & (1 << WEST_BIT):
        lon_deg = -lon_deg
    time = _bcd_time(body[22:28], phone)
    extras = {}
    pos, n = 28, len(body)
    while pos < n:
        if pos + 2 > n:
            raise FrameError("bad_frame", "附加信息项不完整", phone)
        item, length = body[pos], body[pos + 1]
        if pos + 2 + length > n:
            raise FrameError("bad_frame", f"附加信息 {item:02X} 的长度 {length} 超出消息体", phone)
        extras[item] = body[pos + 2 : pos + 2 + length]
        pos += 2 + length
    return Location(alarm, status, lat_deg, lon_deg, altitude, speed / 10, direction, time, extras)


def parse_batch(frame: Frame) -> tuple[int, list[Location | FrameError]]:
    """0x0704: (type, items); 0 normal batch, 1 blind-area catch-up. A bad item does not spoil the rest,
    but lengths that disagree with the body refuse the whole batch."""
    body = frame.body
    if len(body) < 3:
        raise FrameError("bad_frame", "批量位置消息过短", frame.phone)
    count, kind = struct.unpack_from(">HB", body)
    pos, items = 3, []
    for _ in range(count):
        if pos + 2 > len(body):
            raise FrameError("bad_frame", f"批量位置声明 {count} 条，消息体只有 {len(items)} 条", frame.phone)
        length = struct.unpack_from(">H", body, pos)[0]
        if pos + 2 + length > len(body):
            raise FrameError("bad_frame", "批量位置数据项长度超出消息体", frame.phone)
        try:
            items.append(parse_location(body[pos + 2 : pos + 2 + length], frame.phone))
        except FrameError as exc:
            items.append(exc)
        pos += 2 + length
    if pos != len(body):
        raise FrameError("bad_frame", "批量位置消息体有多余字节", frame.phone)
    return kind, items


# --- building terminal messages (simulators, tests, bench) ------------------------------------------


def location_body(
    *,
    lat: float,
    lon: float,
    time: datetime,
    speed: float = 0.0,
    direction: int = 0,
    altitude: int = 0,
    alarm: int = 0,
    status: int = 0b11,
    extras: dict | None = None,
) -> bytes:
    if lat < 0:
        status |= 1 << SOUTH_BIT
    if lon < 0:
        status |= 1 << WEST_BIT
    local = time.astimezone(BEIJING)
    body = struct.pack(
        ">IIIIHHH",
        alarm,
        status,
        round(abs(lat) * 1e6),
        round(abs(lon) * 1e6),
        altitude,
        round(speed * 10),
        direction,
    )
    body += bytes.fromhex(local.strftime("%y%m%d%H%M%S"))
    for item, raw in (extras or {}).items():
        body += bytes([item, len(raw)]) + raw
    return body


def batch_body(locations: list[bytes], kind: int = 0) -> bytes:
    body = struct.pack(">HB", len(locations), kind)
    for item in locations:
        body += struct.pack(">H", len(item)) + item
    return body


def register_body(
    *,
    province=44,
    city=784,
    maker="SXNJ1",
    model="BD-NJ100",
    terminal_id="T000001",
    plate="粤J12345",
    colour=1,
):
    def fixed(text, size):
        return text.encode("gbk")[:size].ljust(size, b"\x00")

    return (
        struct.pack(">HH", province, city)
        + fixed(maker, 5)
        + fixed(model, 20)
        + fixed(terminal_id, 7)
        + bytes([colour])
        + plate.encode("gbk")
    )
