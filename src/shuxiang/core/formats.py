"""One way to write what every page shows: water levels, dates and times, and the codes the audit
log stores (who acted, on what kind of object, from where).

Pages used to mix "2025年3月4日 14:05", "03-04 14:05" and "2025-03-04 14:05", and water levels with
one, two or three decimals; the audit list showed "core.user", "system:operator" and "web". Templates
use these through `{% load fmt %}` (`|level_m`, `|when`, `|day`, `|actor_name`, `|object_type_name`,
`|source_name`); Python code that writes text for people (alarm messages, table cells) calls them.
"""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.utils import timezone

EMPTY = "—"
DATE_FORMAT = "%Y-%m-%d"
DATETIME_FORMAT = "%Y-%m-%d %H:%M"

# Where a change came from (core.context.origin), as the audit log names it.
SOURCE_LABELS = {
    "web": "网页",
    "api": "接口",
    "cli": "命令行",
    "task": "后台任务",
    "mqtt": "MQTT 接入",
    "sl651": "SL 651 接入",
    "hj212": "HJ 212 接入",
    "system": "系统",
}

# Fields many models share, for the audit page when a model left them unnamed.
COMMON_FIELDS = {"id": "编号", "created_at": "创建时间", "updated_at": "更新时间", "version": "版本"}

# Audit object types that are not models.
OTHER_TYPES = {"route": "页面或接口"}


def number(value, places: int = 2) -> str:
    """A measurement with a fixed number of decimals ("123.10"), or — when there is none."""
    if value is None or value == "":
        return EMPTY
    try:
        return f"{Decimal(str(value)):.{places}f}"
    except (InvalidOperation, ValueError):
        return str(value)


def level(value, unit: str = "m") -> str:
    """A water level (or any reading in metres): two decimals and the unit, "123.11 m"."""
    text = number(value, 2)
    return text if text == EMPTY or not unit else f"{text} {unit}"


def reading(value, unit: str = "") -> str:
    """A measured value with its unit: metres as levels ("123.11 m"), others as measured ("12.5 mm")."""
    if value is None or value == "":
        return EMPTY
    if unit == "m":
        return level(value)
    try:
        text = f"{float(value):g}"
    except (TypeError, ValueError):
        text = str(value)
    return f"{text} {unit}" if unit else text


def when(value) -> str:
    """A moment, in local time: "2025-03-04 14:05"."""
    if not value:
        return EMPTY
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime(DATETIME_FORMAT)
    if isinstance(value, date):
        return value.strftime(DATE_FORMAT)
    return str(value)


def day(value) -> str:
    """A date (a moment is shown as its local date): "2025-03-04"."""
    if not value:
        return EMPTY
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.date().strftime(DATE_FORMAT)
    if isinstance(value, date):
        return value.strftime(DATE_FORMAT)
    return str(value)


def source_name(code: str) -> str:
    return SOURCE_LABELS.get(code or "", code or EMPTY)


def object_type_name(label: str) -> str:
    """The Chinese name of a model (or pseudo type) label: "core.user" → "用户"."""
    from shuxiang.core.permissions import known_object_types

    return OTHER_TYPES.get(label) or known_object_types().get(label or "", label or EMPTY)


def actor_name(label: str) -> str:
    """An audit actor label in Chinese: "system:operator" → "系统·运维命令（…）", "device:X" → "设备 X",
    "user（经monitoring）" → "user（经防返贫监测联动）"; a username stays as it is."""
    from shuxiang.core.actors import ANONYMOUS_CHANNELS, SYSTEM_LABELS

    label = label or ""
    kind, _, rest = label.partition(":")
    if rest and kind == "system":
        return f"系统·{SYSTEM_LABELS.get(rest, rest)}"
    if rest and kind == "device":
        return f"设备 {rest}"
    if rest and kind == "anonymous":
        return ANONYMOUS_CHANNELS.get(rest, "群众")
    if label == "system":
        return "系统"
    if label in ANONYMOUS_CHANNELS:
        return ANONYMOUS_CHANNELS[label]
    if label.endswith("）") and "（经" in label:
        person, _, via = label[:-1].partition("（经")
        return f"{person}（经{SYSTEM_LABELS.get(via, via)}）"
    return label or EMPTY


def change_rows(object_type: str, changes: dict) -> list[tuple[str, str, str | None]]:
    """An audit entry's changes as people read them: [(field's Chinese name, before, after)], choice
    values by their labels, yes/no in words; `after` is None for a change that is not a before/after pair."""
    import json

    from django.apps import apps
    from django.core.exceptions import FieldDoesNotExist

    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        model = None

    def field_of(name):
        try:
            return model._meta.get_field(name) if model is not None else None
        except FieldDoesNotExist:
            return None

    def text(field, value):
        if value is None or value == "":
            return ""
        if isinstance(value, bool):
            return "是" if value else "否"
        choices = dict(field.flatchoices) if field is not None and getattr(field, "choices", None) else {}
        if not isinstance(value, dict | list) and value in choices:
            return str(choices[value])
        if isinstance(value, dict | list):
            return json.dumps(value, ensure_ascii=False)
        return str(value)

    rows = []
    for name, change in (changes or {}).items():
        field = field_of(name)
        label = str(getattr(field, "verbose_name", "") or name)
        if label == name.replace("_", " "):  # a field nobody named in Chinese
            label = COMMON_FIELDS.get(name, name)
        if isinstance(change, list) and len(change) == 2:
            rows.append((label, text(field, change[0]), text(field, change[1])))
        else:
            rows.append((label, text(field, change), None))
    return rows


def who(label: str) -> str:
    """Like actor_name, and a bare username becomes the person's name ("区气象局 陈预报员", not
    "weather"): for detail pages, one query."""
    from shuxiang.core.models import User

    name = actor_name(label)
    if name != label or not label:
        return name
    person = User.objects.filter(username=label).only("username", "display_name").first()
    return str(person) if person else label
