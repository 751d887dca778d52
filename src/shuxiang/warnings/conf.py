"""Warnings settings, read from Django settings with environment-driven defaults."""

import json
import os
from pathlib import Path

from django.conf import settings


def _floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


def retry_delays() -> list[float]:
    """Seconds to wait before attempt 2, 3, …; the attempt after the last delay is the final one."""
    value = getattr(settings, "WARNINGS_RETRY_DELAYS", None)
    if value is None:
        value = _floats(os.environ.get("SHUXIANG_WARNING_RETRY_DELAYS", "0.5,2,10,30,120,600"))
    return list(value)


def max_attempts() -> int:
    return len(retry_delays()) + 1


def http_timeout() -> float:
    return float(
        getattr(settings, "WARNINGS_HTTP_TIMEOUT", os.environ.get("SHUXIANG_WARNING_HTTP_TIMEOUT", 5))
    )


def concurrency() -> int:
    return int(getattr(settings, "WARNINGS_CONCURRENCY", os.environ.get("SHUXIANG_WARNING_CONCURRENCY", 200)))


def claim_lease() -> float:
    """A claimed delivery whose worker went silent this long is taken over by another worker."""
    return float(
        getattr(settings, "WARNINGS_CLAIM_LEASE", os.environ.get("SHUXIANG_WARNING_CLAIM_LEASE", 120))
    )


def drop_root() -> Path:
    """File-drop endpoints write below this directory only."""
    value = getattr(settings, "WARNINGS_DROP_ROOT", None) or os.environ.get("SHUXIANG_WARNING_DROP_ROOT")
    return Path(value) if value else Path(settings.VAR_DIR) / "broadcast"


def sector_codes() -> dict[str, str]:
    """Issuing unit (short name) → 3-digit organisation-sector code of the national identifier.

    416 for the meteorological service follows identifiers seen on the national release
    system [unverified, standards-cn.md §5.3]; others default to 000 until the county sets them.
    """
    value = getattr(settings, "WARNINGS_SECTOR_CODES", None)
    if value is None:
        value = json.loads(os.environ.get("SHUXIANG_WARNING_SECTOR_CODES", '{"区气象局": "416"}'))
    return dict(value)


def sender_name() -> str:
    return getattr(settings, "WARNINGS_SENDER_NAME", None) or os.environ.get(
        "SHUXIANG_WARNING_SENDER_NAME", "赫山区突发事件预警信息发布中心"
    )


def mqtt_url() -> str:
    return getattr(settings, "MQTT_URL", "") or ""


def batch_size() -> int:
    """Deliveries claimed and recorded together: progress survives a worker kill batch by batch."""
    return int(getattr(settings, "WARNINGS_BATCH", os.environ.get("SHUXIANG_WARNING_BATCH", 1000)))


def speech_enabled() -> bool:
    return bool(
        getattr(settings, "WARNINGS_SPEECH", os.environ.get("SHUXIANG_WARNING_SPEECH", "true") == "true")
    )


def approval_escalate_minutes() -> int:
    """A warning written by a machine (a reservoir alarm) that waits this long for approval is handed
    up to the approvers' superiors and the emergency bureau, once."""
    return int(
        getattr(
            settings,
            "WARNINGS_APPROVAL_ESCALATE_MINUTES",
            os.environ.get("SHUXIANG_WARNING_APPROVAL_ESCALATE_MINUTES", 30),
        )
    )


def escalation_units() -> list[str]:
    """Units (name or short name) told when a machine's warning waits too long for approval, beside the
    district officers: the emergency management bureau. Another county names its own."""
    value = getattr(settings, "WARNINGS_ESCALATE_UNITS", None)
    if value is None:
        value = os.environ.get("SHUXIANG_WARNING_ESCALATE_UNITS", "区应急局,区应急管理局").split(",")
    return [v.strip() for v in value if v.strip()]
