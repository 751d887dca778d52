"""CAP 1.2 (OASIS) in and out: build a warning's XML, parse an incoming message safely.

Parsing uses defusedxml (no entity expansion, no external entities, no DTD fetches).
Every refusal names the CAP element at fault, in `fields` and in the message.
"""

import re
import xml.etree.ElementTree as ET  # only to build; untrusted input goes through defusedxml
from dataclasses import dataclass, field
from datetime import datetime

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException
from django.conf import settings
from django.utils import timezone

from shuxiang.core.errors import ServiceError
from shuxiang.core.models import Place
from shuxiang.warnings.choices import (
    COLOUR_SEVERITY,
    SEVERITY_COLOUR,
    CapStatus,
    Certainty,
    Colour,
    MsgType,
    Urgency,
)

NS = "urn:oasis:names:tc:emergency:cap:1.2"
GEOCODE_NAME = "GB/T 2260"
SIGNAL_CODE_NAME = "shuxiang:signal"
COLOUR_CODE_NAME = "shuxiang:colour"
COLOUR_WORDS = {"红色": Colour.RED, "橙色": Colour.ORANGE, "黄色": Colour.YELLOW, "蓝色": Colour.BLUE}
MAX_BYTES = 1024 * 1024


def cap_time(value: datetime) -> str:
    """CAP wants seconds and an explicit offset: 2026-07-01T08:00:00+08:00."""
    return timezone.localtime(value).replace(microsecond=0).isoformat()


# --- export ----------------------------------------------------------------------------------


def _sub(parent, tag, text=None):
    el = ET.SubElement(parent, f"{{{NS}}}{tag}")
    if text is not None:
        el.text = str(text)
    return el


def _value(parent, tag, name, value):
    el = _sub(parent, tag)
    _sub(el, "valueName", name)
    _sub(el, "value", value)


def build(warning, *, audio_url: str | None = None) -> bytes:
    """The warning as a CAP 1.2 alert document (UTF-8)."""
    ET.register_namespace("", NS)
    alert = ET.Element(f"{{{NS}}}alert")
    _sub(alert, "identifier", warning.identifier or f"draft-{warning.pk}")
    _sub(alert, "sender", warning.sender or "draft")
    _sub(alert, "sent", cap_time(warning.issued_at or warning.created_at))
    _sub(alert, "status", warning.cap_status if warning.identifier else "Draft")
    _sub(alert, "msgType", warning.msg_type)
    _sub(alert, "scope", "Public")
    if warning.references_id:
        refs = [
            f"{w.sender},{w.identifier},{cap_time(w.issued_at)}"
            for w in reversed(warning.references.chain())
            if w.identifier and w.issued_at
        ]
        _sub(alert, "references", " ".join(refs))
    info = _sub(alert, "info")
    _sub(info, "language", "zh-CN")
    _sub(info, "category", warning.signal_type.category)
    _sub(info, "event", warning.signal_type.name)
    _sub(info, "urgency", warning.urgency)
    _sub(info, "severity", COLOUR_SEVERITY[warning.colour])
    _sub(info, "certainty", warning.certainty)
    _value(info, "eventCode", SIGNAL_CODE_NAME, warning.signal_type.code)
    _value(info, "eventCode", COLOUR_CODE_NAME, warning.colour)
    _sub(info, "effective", cap_time(warning.effective))
    if warning.onset:
        _sub(info, "onset", cap_time(warning.onset))
    _sub(info, "expires", cap_time(warning.expires))
    _sub(info, "senderName", warning.sender_name)
    _sub(info, "headline", warning.headline)
    _sub(info, "description", warning.description)
    if warning.instruction:
        _sub(info, "instruction", warning.instruction)
    if warning.pk:
        _sub(info, "web", f"{settings.PUBLIC_URL}/warnings/{warning.pk}/")
    if audio_url:
        resource = _sub(info, "resource")
        _sub(resource, "resourceDesc", "预警语音")
        _sub(resource, "mimeType", "audio/wav")
        _sub(resource, "uri", audio_url)
    for place in warning.areas.all():
        area = _sub(info, "area")
        _sub(area, "areaDesc", place.name)
        _value(area, "geocode", GEOCODE_NAME, place.code)
    for poly in warning.polygons or []:
        area = _sub(info, "area")
        _sub(area, "areaDesc", poly.get("desc") or "多边形区域")
        _sub(area, "polygon", poly["polygon"])
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(alert, encoding="utf-8")


# --- import ----------------------------------------------------------------------------------


@dataclass
class ParsedArea:
    desc: str
    geocodes: list[str] = field(default_factory=list)
    polygons: list[str] = field(default_factory=list)


@dataclass
class ParsedAlert:
    identifier: str
    sender: str
    sent: datetime
    status: str
    msg_type: str
    references: list[str]
    event: str
    event_name: str
    event_code: str
    colour: str
    urgency: str
    certainty: str
    headline: str
    description: str
    instruction: str
    sender_name: str
    effective: datetime | None
    onset: datetime | None
    expires: datetime
    areas: list[ParsedArea]

    @property
    def polygons(self):
        return [{"desc": a.desc, "polygon": p} for a in self.areas for p in a.polygons]


def _bad(element, message):
    raise ServiceError("invalid_cap", f"CAP 元素 <{element}> {message}", {element: [message]})


def _text(parent, tag, *, required=False):
    el = parent.find(f"{{{NS}}}{tag}")
    text = (el.text or "").strip() if el is not None else ""
    if required and not text:
        _bad(tag, "缺失或为空")
    return text


def _enum(parent, tag, allowed, *, required=True, default=""):
    value = _text(parent, tag, required=required) or default
    if value and value not in allowed:
        _bad(tag, f"取值“{value}”无效，应为 {'、'.join(allowed)} 之一")
    return value


def _time(parent, tag, *, required=False):
    text = _text(parent, tag, required=required)
    if not text:
        return None
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d([+-]\d\d:\d\d|Z)", text):
        _bad(tag, f"时间“{text}”格式错误，应为 2026-07-01T08:00:00+08:00")
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        _bad(tag, f"时间“{text}”无效")


def parse(data: bytes) -> ParsedAlert:
    if not data or not data.strip():
        _bad("alert", "请求体为空")
    if len(data) > MAX_BYTES:
        _bad("alert", "文档超过1MB")
    try:
        root = SafeET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        _bad("alert", "含有 DTD 或实体声明，出于安全原因拒绝")
    except SafeET.ParseError as exc:
        _bad("alert", f"不是格式正确的 XML（{exc}）")
    if root.tag != f"{{{NS}}}alert":
        _bad("alert", f"根元素应为命名空间 {NS} 下的 <alert>，收到 {root.tag}")
    identifier = _text(root, "identifier", required=True)
    if re.search(r"[\s,<&]", identifier):
        _bad("identifier", "不能包含空格、逗号、< 或 &")
    sender = _text(root, "sender", required=True)
    sent = _time(root, "sent", required=True)
    status = _enum(root, "status", [*CapStatus.values, "Draft"])
    if status == "Draft":
        _bad("status", "为 Draft 的消息不发布")
    msg_type = _enum(root, "msgType", [*MsgType.values, "Ack", "Error"])
    if msg_type not in MsgType.values:
        _bad("msgType", f"{msg_type} 消息不在本平台发布范围（仅 Alert、Update、Cancel）")
    scope = _enum(root, "scope", ["Public", "Restricted", "Private"])
    if scope != "Public":
        _bad("scope", "仅接收面向公众（Public）的预警")
    references = []
    for ref in _text(root, "references").split():
        parts = ref.split(",")
        if len(parts) != 3:
            _bad("references", f"“{ref}”应为 sender,identifier,sent")
        references.append(parts[1])
    if msg_type != MsgType.ALERT and not references:
        _bad("references", f"{msg_type} 消息必须给出所指原预警")
    infos = root.findall(f"{{{NS}}}info")
    if not infos:
        _bad("info", "缺失")
    info = next((i for i in infos if _text(i, "language").lower().startswith("zh")), infos[0])
    if info.find(f"{{{NS}}}category") is None:
        _bad("category", "缺失或为空")
    event = _text(info, "event", required=True)
    urgency = _enum(info, "urgency", Urgency.values)
    severity = _enum(info, "severity", [*SEVERITY_COLOUR, "Unknown"])
    certainty = _enum(info, "certainty", Certainty.values)
    codes = {}
    for code in info.findall(f"{{{NS}}}eventCode"):
        codes[_text(code, "valueName")] = _text(code, "value")
    colour = codes.get(COLOUR_CODE_NAME) or next((c for w, c in COLOUR_WORDS.items() if w in event), None)
    colour = colour or SEVERITY_COLOUR.get(severity)
    if colour not in Colour.values:
        _bad("severity", "无法确定预警颜色（severity 为 Unknown 且 event 中无颜色）")
    event_name = re.sub(r"(红色|橙色|黄色|蓝色)?(预警)?(信号)?$", "", event)
    expires = _time(info, "expires")
    if expires is None:
        _bad("expires", "缺失：本平台不发布没有失效时间的预警")
    areas = []
    for el in info.findall(f"{{{NS}}}area"):
        desc = _text(el, "areaDesc", required=True)
        area = ParsedArea(desc)
        for geo in el.findall(f"{{{NS}}}geocode"):
            area.geocodes.append(_text(geo, "value"))
        for poly in el.findall(f"{{{NS}}}polygon"):
            text = (poly.text or "").strip()
            if len(_polygon_points(text)) < 4:
                _bad("polygon", f"“{text[:40]}”至少需要4个坐标点且首尾相同")
            area.polygons.append(text)
        areas.append(area)
    if not areas:
        _bad("area", "缺失：必须给出预警区域")
    return ParsedAlert(
        identifier=identifier,
        sender=sender,
        sent=sent,
        status=status,
        msg_type=msg_type,
        references=references,
        event=event,
        event_name=event_name,
        event_code=codes.get(SIGNAL_CODE_NAME, ""),
        colour=colour,
        urgency=urgency,
        certainty=certainty,
        headline=_text(info, "headline"),
        description=_text(info, "description"),
        instruction=_text(info, "instruction"),
        sender_name=_text(info, "senderName"),
        effective=_time(info, "effective"),
        onset=_time(info, "onset"),
        expires=expires,
        areas=areas,
    )


def _polygon_points(text: str) -> list[tuple[float, float]]:
    points = []
    for pair in text.split():
        try:
            lat, lon = (float(x) for x in pair.split(","))
        except ValueError:
            _bad("polygon", f"坐标“{pair}”应为 纬度,经度")
        points.append((lat, lon))
    if points and points[0] != points[-1]:
        _bad("polygon", "首尾坐标应相同（闭合多边形）")
    return points


def _inside(lat, lon, points) -> bool:
    """Ray casting on (lat, lon): county-sized polygons are small enough for a flat plane."""
    inside = False
    j = len(points) - 1
    for i in range(len(points)):
        yi, xi = points[i]
        yj, xj = points[j]
        if (xi > lon) != (xj > lon) and lat < (yj - yi) * (lon - xi) / (xj - xi) + yi:
            inside = not inside
        j = i
    return inside


def match_places(parsed: ParsedAlert) -> list[Place]:
    """Target places: geocodes that are our division codes (6-digit county codes mean the
    district), else villages whose position lies inside a polygon. Codes of other counties in a
    provincial message are ignored; nothing matched at all is a refusal naming <area>."""
    codes = set()
    for area in parsed.areas:
        for value in area.geocodes:
            value = value.strip()
            codes.add(value + "000000" if re.fullmatch(r"\d{6}", value) else value)
    places = list(Place.objects.filter(code__in=codes, level__lte=3))
    if not places:
        polygons = [_polygon_points(p) for area in parsed.areas for p in area.polygons]
        if polygons:
            candidates = Place.objects.filter(level=3, latitude__isnull=False, longitude__isnull=False)
            places = [
                p for p in candidates if any(_inside(p.latitude, p.longitude, poly) for poly in polygons)
            ]
    if not places:
        names = "、".join(a.desc for a in parsed.areas)
        _bad("area", f"“{names}”未匹配到本区任何乡镇或村（geocode 应为统计用区划代码，或给出 polygon）")
    from shuxiang.warnings.services import resolve_areas

    return resolve_areas(places, field="area")
