"""What the telemetry engine adds to /metrics (core.metrics): active alarms by severity and readings refused
per protocol and reason, read from the database at each scrape (the same on every node). Readings stored
are counted where they are stored (core.metrics.count_ingested in services.do_ingest)."""

from django.db.models import Count, Sum

from shuxiang.iot.choices import AlarmStatus
from shuxiang.iot.models import Alarm, Device, Rejection


def gauges():
    active = (
        Alarm.objects.filter(status=AlarmStatus.ACTIVE).order_by().values("severity").annotate(n=Count("pk"))
    )
    for row in active:
        yield ("shuxiang_alarms_active", "未解除的告警（按级别）", {"severity": row["severity"]}, row["n"])
    protocols = dict(Device.objects.order_by().values_list("code", "protocol"))
    refused: dict[tuple[str, str], int] = {}
    for row in Rejection.objects.order_by().values("device_code", "reason").annotate(n=Sum("count")):
        key = (protocols.get(row["device_code"], "unknown"), row["reason"])
        refused[key] = refused.get(key, 0) + (row["n"] or 0)
    for (protocol, reason), n in sorted(refused.items()):
        yield (
            "shuxiang_readings_refused",
            "被拒收的报文或读数（按接入方式、原因；累计）",
            {"protocol": protocol, "reason": reason},
            n,
        )
