"""Pump station health score (0–100) from its latest telemetry, alarm history and maintenance plan.

Deductions, each explained to the user:
- vibration (ISO 10816-3, group 2 rigid foundation): ≤2.8 mm/s good; >2.8 −10; >4.5 −25; >7.1 −45
- current against the rated total: >100 % −10; >110 % −20
- running hours since maintenance: >80 % of the interval −5; over the interval −15
- maintenance date passed −10
- alarms in the last 30 days: −5 each, at most −20
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone


@dataclass
class Health:
    score: int
    grade: str  # 良好 / 注意 / 较差
    tag: str
    reasons: list = field(default_factory=list)
    maintenance_due: bool = False
    hours_since_maintenance: float | None = None


def assess(station, latest: dict, alarms_30d: int, today=None) -> Health:
    today = today or timezone.localdate()
    score, reasons = 100, []
    vib = latest.get("VIB")
    if vib is not None:
        if vib > 7.1:
            score -= 45
            reasons.append(f"振动 {vib:.1f} mm/s，超过 7.1（危险）")
        elif vib > 4.5:
            score -= 25
            reasons.append(f"振动 {vib:.1f} mm/s，超过 4.5（不允许长期运行）")
        elif vib > 2.8:
            score -= 10
            reasons.append(f"振动 {vib:.1f} mm/s，超过 2.8（注意）")
    current = latest.get("I")
    if current is not None:
        ratio = current / station.rated_current_a
        if ratio > 1.1:
            score -= 20
            reasons.append(f"电流 {current:.0f} A，为额定的 {ratio:.0%}")
        elif ratio > 1.0:
            score -= 10
            reasons.append(f"电流 {current:.0f} A，略超额定")
    hours = latest.get("RH")
    since = None
    if hours is not None:
        since = hours - station.hours_at_maintenance
        if since >= station.maintenance_interval_hours:
            score -= 15
            reasons.append(
                f"维护后已运行 {since:.0f} 小时，超过周期 {station.maintenance_interval_hours} 小时"
            )
        elif since >= 0.8 * station.maintenance_interval_hours:
            score -= 5
            reasons.append(f"维护后已运行 {since:.0f} 小时，接近周期")
    if today >= station.maintenance_due_on:
        score -= 10
        reasons.append(f"维护日期已到（{station.maintenance_due_on:%Y-%m-%d}）")
    if alarms_30d:
        score -= min(20, 5 * alarms_30d)
        reasons.append(f"近30天告警 {alarms_30d} 次")
    score = max(0, score)
    grade, tag = (
        ("良好", "tag-ok") if score >= 80 else ("注意", "tag-warn") if score >= 60 else ("较差", "tag-danger")
    )
    return Health(
        score=score,
        grade=grade,
        tag=tag,
        reasons=reasons,
        maintenance_due=station.is_maintenance_due(hours, today),
        hours_since_maintenance=since,
    )


def alarms_since(days=30):
    return timezone.now() - timedelta(days=days)
