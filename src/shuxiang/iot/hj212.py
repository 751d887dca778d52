"""HJ 212-2017 (污染物在线监控（监测）系统数据传输标准) packets: read, check, build.

Facts as summarised in docs/iot.md (HJ 212 section); where a source was not checkable the choice is named.

**Packet**: `##` + data-segment length (4 decimal digits) + data segment (≤ 1024 characters) +
CRC (4 hex characters, upper- or lower-case accepted, upper-case written) + `\\r\\n`.

**CRC**: over the data segment only, and it is *not* CRC-16/MODBUS: the register starts at FFFF and
each byte is folded in as `crc = (crc >> 8) ^ byte` before eight shift/xor-A001 steps. The worked
example `QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&`
gives 1C80 (MODBUS would give 0759).

**Data segment**: `QN=…;ST=…;CN=…;PW=…;MN=…;Flag=…;[PNUM=…;PNO=…;]CP=&&…&&`. QN is the request
number yyyyMMddHHmmssSSS (Beijing time), ST the system code, CN the command, PW the access password,
MN the station (≤ 24 characters). Flag: bits 7–2 the protocol version (000001 = HJ 212-2017, 000000 =
HJ 212-2005), bit 1 D (PNUM/PNO present: a packet of a split message), bit 0 A (an answer is wanted).
CP holds groups separated by `;`, items in a group by `,`, each `name=value`:
`DataTime=20160801084000;w01018-Rtd=52.1,w01018-Flag=N;w21003-Rtd=1.2,w21003-Flag=N`.

**Uploads**: 2011 real-time (`-Rtd`), 2051 minute, 2061 hourly, 2031 daily (`-Avg`, `-Min`, `-Max`,
`-Cou`), each value with its data flag `-Flag`: N normal, F stopped, M maintenance, S manual value,
D fault, C calibration, T over the upper limit, B communication error. Only N and S values count in
statistics. A value without a flag is taken as N.

**Answers**: 9011 request answer (`QnRtn`: 1 ready, 2 refused, 3 PW wrong, 4 MN wrong, 5 ST wrong,
6 Flag wrong, 7 QN wrong, 8 CN wrong, 9 CRC wrong, 100 unknown), 9012 execution result (`ExeRtn`: 1
done, 2 failed, 3 condition wrong, 4 communication timeout, 5 busy, 6 system fault, 100 unknown, 101 no
data), 9013 notification answer, 9014 data answer. Answers carry the QN of the packet they answer,
ST=91 (system interaction) and the packet's version with the A bit cleared.

**HJ 212-2005 factor codes** [U: from open implementations, not from the standard's text]: a
2005 station writes three-character codes (`011` COD, `060` NH3-N, …); they are stored under the 2017
code they became (`HJ212_2005_CODES`); other 2005 codes are refused as unknown keys.
"""

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

START = b"##"
END = b"\r\n"
MAX_DATA = 1024
BEIJING = ZoneInfo("Asia/Shanghai")

VERSION_2005, VERSION_2017 = 0, 1
FLAG_ANSWER, FLAG_SPLIT = 0x01, 0x02

# commands
REALTIME, MINUTE, HOURLY, DAILY = "2011", "2051", "2061", "2031"
UPLOADS = {REALTIME: "实时数据", MINUTE: "分钟数据", HOURLY: "小时数据", DAILY: "日数据"}
STATUS = "2021"  # device running status (`…-RS`): accepted and answered, values not stored
REQUEST_ANSWER, EXECUTION_RESULT, NOTICE_ANSWER, DATA_ANSWER = "9011", "9012", "9013", "9014"
ANSWERS = {REQUEST_ANSWER, EXECUTION_RESULT, NOTICE_ANSWER, DATA_ANSWER}
GET_TIME, SET_TIME, TIME_CALIBRATION = "1011", "1012", "1013"
GET_RTD_INTERVAL, SET_RTD_INTERVAL = "1061", "1062"
# Commands of the standard that the platform, the upper computer, does not execute when a station sends
# them (they are meant for stations): answered QnRtn=2 (refused) instead of QnRtn=8 (unknown CN).
STATION_COMMANDS = {
    "1000", "1001", "1011", "1012", "1013", "1014", "1015", "1061", "1062", "1063", "1064", "1072",
    "2011", "2012", "2021", "2022", "2031", "2041", "2051", "2061", "2081", "3011", "3012", "3013",
    "3014", "3015", "3016", "3017", "3018", "3019", "3020", "3021", "3022", "3023", "3024", "3025",
}  # fmt: skip
SYSTEM_INTERACTION = "91"
STS = {
    "21": "地表水质量监测",
    "22": "空气质量监测",
    "23": "声环境质量监测",
    "24": "地下水质量监测",
    "25": "土壤质量监测",
    "26": "海水质量监测",
    "27": "挥发性有机物监测",
    "31": "大气环境污染源",
    "32": "地表水体环境污染源",
    "33": "地下水体环境污染源",
    "34": "海洋环境污染源",
    "35": "土壤环境污染源",
    "36": "声环境污染源",
    "37": "振动环境污染源",
    "38": "放射性环境污染源",
    "39": "工地扬尘污染源",
    "41": "电磁环境污染源",
    "91": "系统交互",
}

# QnRtn of a 9011 request answer
QN_READY, QN_REFUSED, QN_PW, QN_MN, QN_ST, QN_FLAG, QN_QN, QN_CN, QN_CRC, QN_UNKNOWN = (
    1, 2, 3, 4, 5, 6, 7, 8, 9, 100,
)  # fmt: skip
EXE_OK, EXE_FAILED, EXE_NO_DATA = 1, 2, 101

DATA_FLAGS = {
    "N": "正常",
    "F": "停运",
    "M": "维护",
    "S": "手工输入",
    "D": "故障",
    "C": "校准",
    "T": "超测上限",
    "B": "通讯异常",
}
COUNTED = frozenset("NS")  # the flags whose values count in averages and are stored as readings

# value suffixes of an upload that are stored, and under which key: the factor code itself for the
# real-time value and the interval average, code_cou for the interval's cumulative amount (discharge).
# An interval's -Min and -Max are read (and checked) but not stored: the average is the factor's value
# of the interval, and storing both would triple every upload (docs/iot.md).
VALUE_FIELDS = {"Rtd": "", "Avg": "", "Cou": "_cou"}
CHECKED_FIELDS = ("Min", "Max")

HJ212_2005_CODES = {  # [U] 2005 code → 2017 code
    "001": "w01001",  # pH
    "010": "w01010",  # water temperature
    "011": "w01018",  # COD
    "060": "w21003",  # NH3-N
    "065": "w21001",  # TN
    "101": "w21011",  # TP
    "B01": "w00000",  # sewage flow
}

QN_RE = re.compile(r"^\d{17}$")
MN_RE = re.compile(r"^[A-Za-z0-9]{1,24}$")
CN_RE = re.compile(r"^\d{4}$")
ST_RE = re.compile(r"^\d{2}$")
PW_RE = re.compile(r"^[^;,=&\s]{1,16}$")
CODE_RE = re.compile(r"^[A-Za-z0-9]{1,16}$")


class PacketError(ValueError):
    """A packet that cannot be accepted. `reason` is an iot RejectReason code; `qn_rtn` the QnRtn a
    station that asked for an answer gets (None: the packet is too broken to answer)."""

    def __init__(self, reason: str, message: str, qn_rtn: int | None = None, packet=None, used=None):
        super().__init__(message)
        self.used = used  # read_packet: the bytes to drop before looking for the next packet
        self.reason = reason
        self.message = message
        self.qn_rtn = qn_rtn
        self.packet = packet  # the header fields, when they could be read (to answer and to count)


def _step8(value: int) -> int:
    for _ in range(8):
        value = (value >> 1) ^ 0xA001 if value & 1 else value >> 1
    return value


# Eight shift/xor-A001 steps on a 16-bit register equal (register >> 8) ^ TABLE[register & 0xFF]
# (the steps are linear and only the low byte decides the xors), so the loop runs once per byte.
_TABLE = [_step8(i) for i in range(256)]


# Each step is register = TABLE[(register >> 8) ^ byte]: the low byte is dropped, only the high byte h
# carries on, as h' = L(h ^ byte) with L(x) = TABLE[x] >> 8. L is linear over GF(2) (x ^ y goes to
# L(x) ^ L(y)) and L applied 8 times is the identity (checked below), so over bytes b1…bm
#     h_m = L^m(h_0) ^ L^m(b1) ^ L^(m-1)(b2) ^ … ^ L(bm)
# and a byte's term depends only on its distance to the end modulo 8. XOR-folding the data into one
# 8-byte word (a handful of big-integer operations, in C) gives, in lane j, the XOR of the bytes whose
# position is j modulo 8: eight table look-ups then give h. A 709-byte minute upload (10 factors): ~4 µs,
# where the two-bytes-at-a-time loop this replaced took ~15–18 µs on the same machine (the listener checks
# every packet it reads, a station's client builds every one it sends).
_HIGH = [t >> 8 for t in _TABLE]
_POWERS = [list(range(256))]  # _POWERS[e][x] = L^e(x)
for _ in range(8):
    _POWERS.append([_HIGH[x] for x in _POWERS[-1]])
assert _POWERS[8] == _POWERS[0], "L^8 is the identity: the CRC below relies on it"
del _POWERS[8]
# the term of lane j (position ≡ j mod 8 in the data padded in front to a multiple of 8 bytes) is L^((8 - j) % 8)
_LANES = [(_POWERS[(8 - j) % 8], 8 * (7 - j)) for j in range(8)]


def crc(data: bytes) -> int:
    """The HJ 212 CRC of a data segment (see the module docstring; not CRC-16/MODBUS)."""
    n = len(data)
    if not n:
        return 0xFFFF
    head = n - 1  # all bytes but the last fold into h; the last gives the register's low byte too
    words = (head + 7) // 8
    folded = int.from_bytes(data[:head], "big")  # as if padded with zeros in front: L(0) is 0
    while words > 1:
        half = words // 2
        folded = (folded >> (64 * half)) ^ (folded & ((1 << (64 * half)) - 1))
        words -= half
    high = _POWERS[head % 8][0xFF]  # the initial FFFF's high byte, carried through every step
    for power, shift in _LANES:
        high ^= power[(folded >> shift) & 0xFF]
    return _TABLE[high ^ data[-1]]


def crc_bitwise(data: bytes) -> int:
    """The same CRC written as the reference states it, bit by bit (kept to test the table against)."""
    value = 0xFFFF
    for byte in data:
        value = (value >> 8) ^ byte
        for _ in range(8):
            value = (value >> 1) ^ 0xA001 if value & 1 else value >> 1
    return value


@dataclass
class Packet:
    """One data segment, its header fields read; `cp` the command parameters as groups of items."""

    qn: str = ""
    st: str = ""
    cn: str = ""
    pw: str = ""
    mn: str = ""
    flag: int = 0
    pnum: int | None = None
    pno: int | None = None
    cp: list = field(default_factory=list)  # [[(name, value), …], …]
    raw: str = ""

    @property
    def version(self) -> int:
        return self.flag >> 2

    @property
    def is_2017(self) -> bool:
        return self.version == VERSION_2017

    @property
    def wants_answer(self) -> bool:
        return bool(self.flag & FLAG_ANSWER)

    def param(self, name: str, default: str = "") -> str:
        for group in self.cp:
            for key, value in group:
                if key == name:
                    return value
        return default


@dataclass
class Value:
    """One factor value of an upload: the key it is stored under, when, the value and its flag."""

    key: str
    ts: datetime
    value: float
    flag: str = "N"

    @property
    def counted(self) -> bool:
        return self.flag in COUNTED


def find_start(buffer: bytes, offset: int = 0) -> int:
    return buffer.find(START, offset)


def read_packet(buffer: bytes) -> tuple[bytes | None, int]:
    """The first complete packet's data segment in `buffer` and the bytes it used; (None, used) when more
    bytes are needed (`used` skips garbage before `##`). Raises PacketError (with `used` in `.used`)
    for a packet that is complete but wrong: bad length field, oversize, wrong end, wrong CRC."""
    start = buffer.find(START)
    if start < 0:
        # keep a trailing '#' that may be the first half of the next start
        return None, len(buffer) - 1 if buffer.endswith(b"#") else len(buffer)
    if len(buffer) < start + 6:
        return None, start
    length_field = buffer[start + 2 : start + 6]
    if not length_field.isdigit():
        raise _framing("bad_frame", f"数据段长度字段 {length_field!r} 不是 4 位数字", start + 2)
    length = int(length_field)
    if length > MAX_DATA:
        raise _framing("bad_frame", f"数据段长度 {length} 超过 {MAX_DATA}", start + 2)
    total = 6 + length + 4 + 2
    if len(buffer) < start + total:
        nxt = buffer.find(START, start + 2)
        # a new packet starts inside what should be this one: the length field was wrong
        if (
            0 <= nxt < start + 6 + length
            and buffer[nxt + 2 : nxt + 6].isdigit()
            and _looks_like_qn(buffer, nxt)
        ):
            raise _framing("bad_frame", "数据段长度与实际不符", nxt)
        return None, start
    data = buffer[start + 6 : start + 6 + length]
    tail = buffer[start + 6 + length : start + total]
    if tail[4:] != END:
        raise _framing("bad_frame", "数据段长度与实际不符（包尾不是 CRLF）", start + 2)
    crc_text = tail[:4]
    given = int(crc_text, 16) if all(c in HEX for c in crc_text) else None
    if given is None or given != crc(data):
        error = _framing(
            "bad_crc",
            f"CRC 校验错误（收到 {crc_text.decode('latin-1')}，应为 {crc(data):04X}）",
            start + total,
        )
        error.qn_rtn = QN_CRC
        try:  # a station that asked for an answer gets QnRtn=9, if its header can be read at all
            error.packet = parse_header(data.decode("ascii"))
        except (PacketError, UnicodeDecodeError):
            error.packet = None
        raise error
    return data, start + total


HEX = frozenset(b"0123456789ABCDEFabcdef")


def _looks_like_qn(buffer: bytes, at: int) -> bool:
    return buffer[at + 6 : at + 9] in (b"QN=", b"ST=")


def _framing(reason, message, used):
    return PacketError(reason, message, used=used)


def parse_header(text: str) -> Packet:
    """The fields before CP (and where CP starts), checked for form: QN, ST, CN, PW, MN, Flag."""
    head, sep, _rest = text.partition("CP=&&")
    if not sep:
        raise PacketError("bad_frame", "缺少 CP=&&…&& 指令参数区", QN_UNKNOWN)
    fields = {}
    for part in head.split(";"):
        if not part:
            continue
        name, eq, value = part.partition("=")
        if not eq:
            raise PacketError("bad_frame", f"数据段字段 {part[:20]} 缺少“=”", QN_UNKNOWN)
        fields[name] = value
    packet = Packet(
        qn=fields.get("QN", ""),
        st=fields.get("ST", ""),
        cn=fields.get("CN", ""),
        pw=fields.get("PW", ""),
        mn=fields.get("MN", ""),
        raw=text,
    )
    if not MN_RE.match(packet.mn):
        raise PacketError("bad_frame", "MN 应为 1–24 位字母或数字", QN_MN, packet)
    flag = fields.get("Flag", "")
    if not flag.isdigit() or int(flag) > 255:
        raise PacketError("bad_frame", f"Flag={flag[:8]} 不是 0–255 的整数", QN_FLAG, packet)
    packet.flag = int(flag)
    if packet.version not in (VERSION_2005, VERSION_2017):
        raise PacketError("bad_frame", f"Flag={flag} 的版本号不是 HJ 212-2005 或 -2017", QN_FLAG, packet)
    if packet.qn and not QN_RE.match(packet.qn):
        raise PacketError("bad_frame", "QN 应为 17 位数字（yyyyMMddHHmmssSSS）", QN_QN, packet)
    if not ST_RE.match(packet.st):
        raise PacketError("bad_frame", "ST 应为 2 位数字", QN_ST, packet)
    if not CN_RE.match(packet.cn):
        raise PacketError("bad_frame", "CN 应为 4 位数字", QN_CN, packet)
    if not PW_RE.match(packet.pw):
        raise PacketError("bad_frame", "缺少访问密码 PW", QN_PW, packet)
    if packet.flag & FLAG_SPLIT:
        pnum, pno = fields.get("PNUM", ""), fields.get("PNO", "")
        if not (pnum.isdigit() and pno.isdigit() and 1 <= int(pno) <= int(pnum) <= 9999):
            raise PacketError("bad_frame", "拆分包的 PNUM/PNO 不正确", QN_FLAG, packet)
        packet.pnum, packet.pno = int(pnum), int(pno)
    return packet


def parse(data: bytes) -> Packet:
    """A checked data segment (from `read_packet`) read into a Packet. Raises PacketError."""
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise PacketError("bad_frame", "数据段含非 ASCII 字符", QN_UNKNOWN) from None
    packet = parse_header(text)
    body = text[text.index("CP=&&") + 5 :]
    if not body.endswith("&&"):
        raise PacketError("bad_frame", "CP 指令参数区应以 && 结尾", QN_UNKNOWN, packet)
    body = body[:-2]
    if "&&" in body:
        raise PacketError("bad_frame", "CP 指令参数区中有多余的 &&", QN_UNKNOWN, packet)
    groups = []
    for group_text in body.split(";"):
        if not group_text:
            continue
        group = []
        for item in group_text.split(","):
            name, eq, value = item.partition("=")
            if not eq or not name:
                raise PacketError("bad_frame", f"CP 中的“{item[:30]}”不是 名称=值", QN_UNKNOWN, packet)
            group.append((name, value))
        groups.append(group)
    packet.cp = groups
    return packet


_TIMES: dict[str, datetime] = {}  # DataTime text → instant: a minute's uploads from every station share one


def data_time(packet: Packet) -> datetime:
    """The DataTime of an upload (Beijing time, yyyyMMddHHmmss) as an aware datetime in UTC: the same
    instant, and a UTC datetime compares and hashes without asking the time zone for its offset — each
    value's instant is compared and hashed several times on the write path."""
    text = packet.param("DataTime")
    ts = _TIMES.get(text)
    if ts is not None:
        return ts
    try:
        if len(text) != 14 or not text.isdigit():
            raise ValueError
        ts = datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=BEIJING).astimezone(UTC)
    except ValueError:
        raise PacketError(
            "bad_frame", f"DataTime={text[:20]} 不是 yyyyMMddHHmmss", QN_UNKNOWN, packet
        ) from None
    if len(_TIMES) >= 10_000:
        _TIMES.clear()
    _TIMES[text] = ts
    return ts


def factor_key(code: str, version: int) -> str:
    """The sensor key a factor code is stored under: the 2017 code itself, a 2005 code mapped to it."""
    if version == VERSION_2005:
        return HJ212_2005_CODES.get(code, code)
    return code


_CODES: set[str] = (
    set()
)  # factor codes already matched against CODE_RE: a station sends the same ones every time


def upload_values(packet: Packet) -> list[Value]:
    """The factor values of an upload (2011/2051/2061/2031) with their data flags.

    Real-time `-Rtd` and interval `-Avg` are stored under the factor code (`w01018`), an interval's
    cumulative amount `-Cou` under `w01018_cou`; `-Min`/`-Max` are checked, not stored. Raises
    PacketError for a malformed upload (no DataTime, a value that is not a number, an unknown flag).
    """
    ts = data_time(packet)
    found: dict[str, dict] = {}  # code → {suffix: raw}, in the order the codes first appear
    codes = _CODES
    for group in packet.cp:
        for name, raw in group:
            code, dash, suffix = name.rpartition("-")
            if not dash or not code:
                continue  # a parameter of the upload (DataTime among them), not a factor item
            if code not in codes:
                if not CODE_RE.match(code):
                    raise PacketError("bad_frame", f"监测因子编码 {code[:16]} 不合法", QN_UNKNOWN, packet)
                if len(codes) >= 10_000:
                    codes.clear()
                codes.add(code)
            entry = found.get(code)
            if entry is None:
                found[code] = {suffix: raw}
            else:
                entry[suffix] = raw
    values = []
    isfinite = math.isfinite
    version = packet.version
    for code, entry in found.items():
        flag = entry.get("Flag") or "N"
        if flag not in DATA_FLAGS:
            raise PacketError("bad_frame", f"{code}-Flag={flag[:4]} 不是 HJ 212 数据标记", QN_UNKNOWN, packet)
        key = HJ212_2005_CODES.get(code, code) if version == VERSION_2005 else code
        for suffix in CHECKED_FIELDS:
            raw = entry.get(suffix)
            if raw is not None:
                try:
                    float(raw)
                except ValueError:
                    raise PacketError(
                        "bad_frame", f"{code}-{suffix}={raw[:20]} 不是数字", QN_UNKNOWN, packet
                    ) from None
        for suffix, tail in VALUE_FIELDS.items():
            raw = entry.get(suffix)
            if raw is None:
                continue
            try:
                number = float(raw)
            except ValueError:
                raise PacketError(
                    "bad_frame", f"{code}-{suffix}={raw[:20]} 不是数字", QN_UNKNOWN, packet
                ) from None
            if not isfinite(number):
                raise PacketError("bad_frame", f"{code}-{suffix} 不是有限数值", QN_UNKNOWN, packet)
            values.append(Value(key + tail if tail else key, ts, number, flag))
    return values


# --- building packets ------------------------------------------------------------------------------


def frame(data: str) -> bytes:
    """`##` + length + data + CRC + CRLF around a data segment."""
    raw = data.encode("ascii")
    if len(raw) > MAX_DATA:
        raise ValueError(f"data segment of {len(raw)} characters exceeds {MAX_DATA}")
    return b"##%04d%s%04X\r\n" % (len(raw), raw, crc(raw))


def new_qn(now: datetime) -> str:
    local = now.astimezone(BEIJING)
    return local.strftime("%Y%m%d%H%M%S") + f"{local.microsecond // 1000:03d}"


def build(
    *, qn: str, st: str, cn: str, pw: str, mn: str, flag: int, cp: str = "", pnum=None, pno=None
) -> bytes:
    """A packet from its fields; `cp` the text between `CP=&&` and `&&`."""
    split = f"PNUM={pnum};PNO={pno};" if pnum is not None else ""
    qn_part = f"QN={qn};" if qn else ""
    return frame(f"{qn_part}ST={st};CN={cn};PW={pw};MN={mn};Flag={flag};{split}CP=&&{cp}&&")


def _answer_flag(packet: Packet) -> int:
    return packet.version << 2  # the station's version, no answer wanted, not split


def answer(packet: Packet, cn: str, cp: str = "") -> bytes:
    """An answer (9011/9012/9013/9014) to `packet`: its QN, PW and MN, ST=91."""
    return build(
        qn=packet.qn,
        st=SYSTEM_INTERACTION,
        cn=cn,
        pw=packet.pw,
        mn=packet.mn,
        flag=_answer_flag(packet),
        cp=cp,
    )


def data_answer(packet: Packet) -> bytes:
    """9014: the upload was received."""
    return answer(packet, DATA_ANSWER)


def request_answer(packet: Packet, qn_rtn: int) -> bytes:
    """9011 with QnRtn."""
    return answer(packet, REQUEST_ANSWER, f"QnRtn={qn_rtn}")


def execution_result(packet: Packet, exe_rtn: int) -> bytes:
    """9012 with ExeRtn."""
    return answer(packet, EXECUTION_RESULT, f"ExeRtn={exe_rtn}")


def format_number(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def build_upload(
    *, mn: str, pw: str, cn: str, at: datetime, values, st: str = "32", qn: str | None = None, flag: int = 5
) -> bytes:
    """An upload as a station writes it: `values` maps factor code → value or (value, flag). Real-time
    (2011) writes `-Rtd`, the interval uploads `-Avg` (with `-Min`/`-Max` equal to it)."""
    local = at.astimezone(BEIJING)
    groups = [f"DataTime={local:%Y%m%d%H%M%S}"]
    for code, item in values.items():
        value, data_flag = item if isinstance(item, tuple) else (item, "N")
        number = format_number(value)
        if cn == REALTIME:
            groups.append(f"{code}-Rtd={number},{code}-Flag={data_flag}")
        else:
            groups.append(
                f"{code}-Min={number},{code}-Avg={number},{code}-Max={number},{code}-Flag={data_flag}"
            )
    return build(
        qn=qn if qn is not None else new_qn(at), st=st, cn=cn, pw=pw, mn=mn, flag=flag, cp=";".join(groups)
    )
