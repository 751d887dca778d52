"""The keys a protocol defines for every device that speaks it: the registry of known keys.

A device reports only what it is known to measure. Its own sensors are registered (at registration,
on the device page, by the domain app that owns it); besides those, a protocol's own vocabulary is
known for every device of that protocol — an SL 651 station may send any SL 651 element, a JT/T 808
terminal its position and alarm fields, an HJ 212 analyser its pollutant factor codes. Any other key
is refused (`unknown_key`), unless an admin has put the device in learning mode, where it becomes a
pending sensor for review. Without this a misspelt key or a stranger's payload would silently become
a sensor with no range that no rule watches.

Protocols and apps register into the same table, without the engine importing them:
```python
from shuxiang.iot.keys import register_protocol_keys
register_protocol_keys("hj212", {"w01018": ("化学需氧量", "mg/L")})
```
A protocol named here need not have a front end yet (JT/T 808 and HJ 212 are declared ahead of
theirs, so those front ends only have to parse). HTTP and MQTT carry generic JSON and define no keys:
their devices report only registered sensors.
"""

import re
from dataclasses import dataclass
from types import MappingProxyType

from django.core.exceptions import ImproperlyConfigured

KEY_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")


@dataclass(frozen=True)
class KnownKey:
    """One key of a protocol, with the name and unit a sensor created for it starts with."""

    key: str
    name: str = ""
    unit: str = ""


_REGISTRY: dict[str, dict[str, KnownKey]] = {}
_EMPTY = MappingProxyType({})


def register_protocol_keys(protocol: str, keys) -> None:
    """Declare keys known for every device of `protocol`: key strings, or a mapping key → (name, unit).

    Registering a key again replaces its name and unit (an app may name a code the engine only lists).
    """
    if not re.fullmatch(r"[a-z][a-z0-9]{1,15}", protocol or ""):
        raise ImproperlyConfigured(f"protocol code {protocol!r}: lower-case letters and digits")
    table = _REGISTRY.setdefault(protocol, {})
    items = keys.items() if hasattr(keys, "items") else ((k, ("", "")) for k in keys)
    for key, (name, unit) in items:
        if not KEY_RE.match(key):
            raise ImproperlyConfigured(f"{protocol} key {key!r} is not a valid sensor key")
        table[key] = KnownKey(key, name, unit)


def protocol_keys(protocol: str):
    """The keys known for every device of `protocol` (read-only; empty for HTTP and MQTT)."""
    table = _REGISTRY.get(protocol)
    return MappingProxyType(table) if table is not None else _EMPTY


def protocols() -> list[str]:
    return sorted(_REGISTRY)


# --- the engine's own protocols --------------------------------------------------------------------


def _sl651_keys() -> dict:
    """Every element mnemonic the SL 651 decoder stores under (sl651.ELEMENTS), plus the 5-minute
    series it unpacks (DRP, DRZ1–8). Names and units for the common ones."""
    from shuxiang.iot.sl651 import ELEMENTS

    named = {
        "Z": ("水位", "m"),
        "PJ": ("当前降水量", "mm"),
        "PT": ("降水量累计值", "mm"),
        "P1": ("1小时时段降水量", "mm"),
        "PD": ("日降水量", "mm"),
        "VT": ("电源电压", "V"),
        "Q": ("瞬时流量", "m³/s"),
        "pH": ("pH值", ""),
        "DO": ("溶解氧", "mg/L"),
        "COND": ("电导率", "μS/cm"),
        "TURB": ("浊度", "NTU"),
        "DRP": ("5分钟时段降水量", "mm"),
    }
    keys = {key: named.get(key, ("", "")) for key in ELEMENTS.values()}
    keys["DRP"] = named["DRP"]
    keys.update({f"DRZ{i}": (f"5分钟间隔水位{i}", "m") for i in range(1, 9)})
    return keys


def _jt808_keys() -> dict:
    """What the JT/T 808 front end stores a location report under (jt808.known_keys): the basic
    fields, alarm and status bits as 0/1 keys, the standard additional items and the configured
    vendor items."""
    from shuxiang.iot.jt808 import known_keys

    return known_keys()


# HJ 212-2017 pollutant factor codes. The front end (hj212.py) stores real-time `w01018-Rtd` and interval
# `w01018-Avg` under `w01018`, and an interval's cumulative amount `-Cou` under `w01018_cou`. The water
# factors as data; apps monitoring other factors register theirs.
HJ212_FACTORS = {
    "w00000": ("污水流量", "L/s"),
    "w00001": ("污水累计流量", "m³"),
    "w01001": ("pH值", ""),
    "w01009": ("溶解氧", "mg/L"),
    "w01010": ("水温", "℃"),
    "w01014": ("电导率", "μS/cm"),
    "w01017": ("五日生化需氧量", "mg/L"),
    "w01018": ("化学需氧量", "mg/L"),
    "w01019": ("高锰酸盐指数", "mg/L"),
    "w01020": ("总有机碳", "mg/L"),
    "w21001": ("总氮", "mg/L"),
    "w21003": ("氨氮", "mg/L"),
    "w21011": ("总磷", "mg/L"),
    "w23002": ("挥发酚", "mg/L"),
}


def hj212_keys(factors) -> dict:
    """The keys of factor codes: the code itself and its interval cumulative amount."""
    out = {}
    for code, (name, unit) in factors.items():
        out[code] = (name, unit)
        out[f"{code}_cou"] = (f"{name}（时段累计）", "m³" if code.startswith("w00") else "kg")
    return out


HJ212_KEYS = hj212_keys(HJ212_FACTORS)

register_protocol_keys("sl651", _sl651_keys())
register_protocol_keys("jt808", _jt808_keys())
register_protocol_keys("hj212", HJ212_KEYS)
