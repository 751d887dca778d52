"""A small fixed-window rate limiter on the shared cache, for anything people can repeat too fast.

Reveals of ID numbers and phones are limited per user (SHUXIANG_REVEAL_RATE), so a leaked or
misused account cannot page through the county's residents; public pages use the same limiter
per client address. Counters live in the cache (Redis in production, shared by every server
process), one key per scope, caller and window:

    decision = ratelimit.hit("reveal", f"user:{user.pk}", ratelimit.parse_rate("10/minute"))
    if not decision.allowed: ...  # or ratelimit.enforce(...), which raises RateLimited (429)

A fixed window lets at most twice the limit through around a window boundary; that is enough
to stop a scan, and costs one cache round trip.
"""

import hashlib
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from shuxiang.core import audit
from shuxiang.core.actors import as_actor
from shuxiang.core.errors import ServiceError

UNITS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}
UNIT_LABELS = {1: "秒", 60: "分钟", 3600: "小时", 86400: "天"}


@dataclass(frozen=True)
class Rate:
    limit: int
    seconds: int

    def __str__(self):
        return f"{self.limit}/{self.seconds}s"

    @property
    def label(self) -> str:
        """The window in Chinese, for messages: "每分钟", "每10分钟"."""
        for unit in sorted(UNIT_LABELS, reverse=True):
            if self.seconds % unit == 0:
                count = self.seconds // unit
                return f"每{'' if count == 1 else count}{UNIT_LABELS[unit]}"
        return f"每{self.seconds}秒"


def parse_rate(text: str) -> Rate:
    """ "10/minute", "10/m", "100/hour", "5/30s", "20/10min" → Rate; ValueError for anything else."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d*)\s*([a-z]+)\s*", str(text).lower())
    unit = match.group(3) if match else ""
    if unit not in UNITS:
        unit = unit.removesuffix("s")  # "minutes", "hours"
    if unit not in UNITS:
        raise ValueError(f"rate must look like 10/minute, not {text!r}")
    limit, multiple = int(match.group(1)), int(match.group(2) or 1)
    if limit < 1 or multiple < 1:
        raise ValueError(f"rate must allow at least one request per window, not {text!r}")
    return Rate(limit, multiple * UNITS[unit])


@dataclass(frozen=True)
class Decision:
    allowed: bool
    count: int
    rate: Rate
    retry_after: int  # seconds until the window ends


class RateLimited(ServiceError):
    """Too many attempts in the window: 429 with the JSON error shape; `retry_after` in seconds."""

    status = 429

    def __init__(self, message: str, retry_after: int):
        super().__init__("rate_limited", message)
        self.retry_after = retry_after


def hit(scope: str, caller: str, rate: Rate, *, now: float | None = None) -> Decision:
    """Count one attempt by `caller` (e.g. "user:12", "ip:10.0.0.5") under `scope` and decide."""
    now = time.time() if now is None else now
    window = int(now // rate.seconds)
    digest = hashlib.sha256(caller.encode()).hexdigest()[:32]  # callers may be addresses: keep keys short
    key = f"ratelimit:{scope}:{digest}:{window}"
    if cache.add(key, 1, timeout=rate.seconds + 1):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # the key expired between add and incr: this is the first of a new window
            cache.set(key, 1, timeout=rate.seconds + 1)
            count = 1
    retry_after = max(int((window + 1) * rate.seconds - now), 1)
    return Decision(count <= rate.limit, count, rate, retry_after)


def enforce(scope: str, caller: str, rate: Rate, *, what: str = "操作") -> Decision:
    """`hit`, raising RateLimited with a Chinese message when the caller is over the limit."""
    decision = hit(scope, caller, rate)
    if not decision.allowed:
        raise RateLimited(
            f"{what}过于频繁：{rate.label}最多{rate.limit}次，请{decision.retry_after}秒后再试",
            decision.retry_after,
        )
    return decision


def reveal_rate() -> Rate:
    return parse_rate(settings.REVEAL_RATE)


def limit_reveal(actor, obj, fields) -> None:
    """Count one reveal of `obj`'s `fields` by `actor` (a User or an Actor: counted per person);
    over SHUXIANG_REVEAL_RATE raise RateLimited.

    The first refusal in a window is audited (who, which object, which fields); further ones in
    the same window are not, so a scan that keeps hammering cannot flood the log.
    """
    typed = as_actor(actor)
    rate = reveal_rate()
    decision = hit("reveal", f"user:{typed.human.pk}" if typed.human else typed.audit_label, rate)
    if decision.allowed:
        return
    if decision.count == rate.limit + 1:
        audit.record(
            actor,
            "refused",
            obj,
            changes={
                "action": "reveal",
                "fields": list(fields),
                "reason": "rate_limited",
                "rate": f"{rate.limit}/{rate.seconds}s",
                "note": "本时段内此后的拒绝不再逐条记录",
            },
        )
    raise RateLimited(
        f"查看敏感信息过于频繁：{rate.label}最多{rate.limit}次，请{decision.retry_after}秒后再试",
        decision.retry_after,
    )


def too_many_response(exc: RateLimited, *, html: bool = False):
    """The 429 answer for a view outside DRF: the JSON error shape, or the Chinese text for HTMX."""
    from django.http import HttpResponse, JsonResponse

    if html:
        response = HttpResponse(exc.message, status=429, content_type="text/plain; charset=utf-8")
    else:
        response = JsonResponse(exc.as_dict(), status=429, json_dumps_params={"ensure_ascii": False})
    response["Retry-After"] = str(exc.retry_after)
    return response
