"""When a lot's scans suggest its label was copied — as a clue for staff, never a public verdict.

A passer-by with one phone (or one script) can send as many beacons as they like, with any coordinates;
what they cannot fake cheaply is many different clients in different places. So a clue needs, within a
window (24 h): at least `min_clients` clients that differ both in their /24 network and in their browser
(a hash of the user agent), located in at least `min_places` places more than `far_km` apart — or more
than `many_clients` such clients at all. Thresholds come from the setting TRACE_COUNTERFEIT
(environment SHUXIANG_TRACE_COUNTERFEIT="min_clients=3,min_places=2,far_km=300,window_hours=24,many_clients=30").

A clue goes to the township as a pending item; only when an official has checked the market and
confirms it does the public page say anything (services.do_confirm_counterfeit).
"""

import hashlib
import math
from dataclasses import dataclass, fields, replace
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Rule:
    window_hours: int = 24
    min_clients: int = 3
    min_places: int = 2
    far_km: float = 300
    many_clients: int = 30

    @property
    def window(self) -> timedelta:
        return timedelta(hours=self.window_hours)


def parse(text: str) -> Rule:
    """`key=value` pairs separated by commas; unknown keys and non-positive numbers are refused."""
    rule = Rule()
    types = {f.name: f.type for f in fields(Rule)}
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        name, _, value = part.partition("=")
        name = name.strip()
        if name not in types:
            raise ImproperlyConfigured(
                f"SHUXIANG_TRACE_COUNTERFEIT: 未知参数 {name}（可用：{', '.join(types)}）"
            )
        try:
            number = float(value) if name == "far_km" else int(value)
        except ValueError:
            raise ImproperlyConfigured(f"SHUXIANG_TRACE_COUNTERFEIT: {name} 应为数字") from None
        if number <= 0:
            raise ImproperlyConfigured(f"SHUXIANG_TRACE_COUNTERFEIT: {name} 应大于0")
        rule = replace(rule, **{name: number})
    return rule


def rule() -> Rule:
    return parse(getattr(settings, "TRACE_COUNTERFEIT", ""))


def agent_of(user_agent: str | None) -> str:
    """A short hash of the browser's user agent: enough to tell clients apart, not to identify anyone."""
    if not user_agent:
        return ""
    return hashlib.sha256(user_agent.encode("utf-8", "replace")).hexdigest()[:16]


def km(a, b) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 6371 * 2 * math.asin(math.sqrt(h))


def distinct_clients(scans) -> list:
    """Scans from clients that differ from every other kept one in network and in browser (scans with no
    known network are left out): one phone switching browsers, or one network's many phones, count once."""
    networks, agents, kept = set(), set(), []
    for scan in scans:
        if not scan.network or scan.network in networks or scan.agent in agents:
            continue
        networks.add(scan.network)
        agents.add(scan.agent)
        kept.append(scan)
    return kept


def places(points, far_km) -> list:
    """Group points into places: a point farther than `far_km` from every place so far starts a new one,
    so the places found are pairwise more than `far_km` apart."""
    centres: list = []
    for point in points:
        if all(km(point, c) > far_km for c in centres):
            centres.append(point)
    return centres


def clue(scans, r: Rule) -> str:
    """Why these scans (of one lot, within the window) look like a copied label, or ""."""
    clients = distinct_clients(scans)
    located = [(s.latitude, s.longitude) for s in clients if s.latitude is not None]
    found = places(located, r.far_km)
    if len(located) >= r.min_clients and len(found) >= r.min_places:
        spread = max(km(a, b) for i, a in enumerate(found) for b in found[i + 1 :])
        return (
            f"{r.window_hours}小时内{len(located)}个不同客户端在{len(found)}个相距{r.far_km:.0f}公里以上的地点扫码"
            f"（最远约{spread:.0f}公里）"
        )
    if len(clients) > r.many_clients:
        return f"{r.window_hours}小时内有{len(clients)}个不同网络和浏览器的客户端扫码，远超正常购买量"
    return ""
