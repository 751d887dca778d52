from django.apps import AppConfig


class IotConfig(AppConfig):
    name = "shuxiang.iot"
    label = "iot"
    verbose_name = "物联感知"

    def ready(self):
        from django.urls import reverse

        from shuxiang.core.metrics import register_gauges
        from shuxiang.iot import metrics as iot_metrics

        register_gauges(iot_metrics.gauges)

        from shuxiang.core.choices import Role
        from shuxiang.core.navigation import MenuItem, PendingItem, register_menu, register_pending
        from shuxiang.core.permissions import (
            default_grant,
            define,
            device_grant,
            exclude_from_admin,
            has_perm,
            system_grant,
        )
        from shuxiang.iot import keys  # noqa: F401  (the protocols' own keys, before any app adds to them)

        # Short names kept for the actions people know them by.
        define("iot.rule.change", "iot.alarmrule", "change")
        define("iot.alarm.handle", "iot.alarm", "handle", "处置")
        # Staff roles view devices, readings, rules and alarms in their region by the core staff rule;
        # client roles (bank, producer, gateway, feed) get nothing here. Registering and operating
        # devices (activate, rotate credentials, SL 651 queries) and writing rules are district-wide
        # duties; acknowledging and clearing alarms is also the township's and village's.
        keepers = (Role.ADMIN, Role.DISTRICT, Role.DEPARTMENT)
        default_grant(keepers, "iot.device", ["add", "change"])
        # Learning mode (keys nobody registered become pending sensors instead of being refused) and
        # approving or rejecting those sensors: an action of its own, the administrators' (a county
        # may grant it further at /grants/).
        define(None, "iot.device", "learn", "学习模式与待审要素")
        default_grant((Role.ADMIN,), "iot.device", ["learn"])
        default_grant(keepers, "iot.alarmrule", ["add", "change"])
        default_grant((*keepers, Role.TOWNSHIP, Role.VILLAGE), "iot.alarm", ["handle"])
        # Machines, each only what it does:
        # a device reports its own readings (and keep-alives): HTTP token, SL 651 address and password;
        device_grant("iot.reading.add")
        exclude_from_admin("iot.reading")  # readings come from devices; no person injects them
        # the listeners store batches that span devices (MQTT), and the SL 651 server moves the
        # downlink queries it sends on (sent, answered, expired);
        system_grant("listener", "iot.reading.add", "iot.sl651command.change")
        # alarm rules raise alarms and clear them when values return to normal or data comes back;
        system_grant("rules", "iot.alarm.add", "iot.alarm.handle")
        # the escalation check hands unacknowledged alarms on to the district.
        system_grant("escalation", "iot.alarm.escalate")

        register_menu(
            "物联感知",
            MenuItem("告警", "iot:alarm_list"),
            MenuItem("设备", "iot:device_list"),
            MenuItem("告警规则", "iot:rule_list"),
            order=40,
        )

        def pending_alarms(user):
            """Unacknowledged alarms, for the people who may acknowledge them (not for viewers)."""
            from shuxiang.iot.models import Alarm

            if not has_perm(user, "iot.alarm.handle"):
                return []
            active = Alarm.objects.restrict(user, "handle").filter(
                status="active", acknowledged_at__isnull=True
            )
            n = active.count()
            if not n:
                return []
            critical = active.filter(severity__in=("critical", "major")).exists()
            return [
                PendingItem(
                    "未确认的告警",
                    n,
                    reverse("iot:alarm_list") + "?status=active&acknowledged=false",
                    "danger" if critical else "warning",
                )
            ]

        register_pending(pending_alarms)
