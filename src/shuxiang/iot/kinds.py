"""Device kinds: the codes apps give their devices ("reservoir_rtu", "pump"), with the Chinese name people
read. The engine stores the code; apps declare what their codes mean, without the engine importing them:
```python
from shuxiang.iot.kinds import register_device_kind
register_device_kind("reservoir_rtu", "水库遥测站")
```
Staff pick a kind from the declared list (device form, list filter) instead of typing a code; a code found on
a device but declared by no installed app still shows (as itself) so nothing becomes unfindable.
"""

import re

from django.core.exceptions import ImproperlyConfigured

KIND_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

_KINDS: dict[str, str] = {}


def register_device_kind(code: str, label: str) -> None:
    if not KIND_RE.match(code or ""):
        raise ImproperlyConfigured(f"device kind {code!r}: lower-case letters, digits and _")
    _KINDS[code] = label


def kind_label(code: str) -> str:
    """The Chinese name of a kind ('—' for none; the code itself for a kind no installed app declares)."""
    if not code:
        return "—"
    return _KINDS.get(code, code)


def kind_choices(*, with_blank: bool = False, extra=()) -> list[tuple[str, str]]:
    """Declared kinds by Chinese name, plus `extra` codes found on devices (undeclared ones by their code)."""
    codes = set(_KINDS) | {c for c in extra if c}
    choices = sorted(((c, kind_label(c)) for c in codes), key=lambda item: item[1])
    return ([("", "未分类")] if with_blank else []) + choices
