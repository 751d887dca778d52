from django.apps import AppConfig


class IotConfig(AppConfig):
    name = "shuxiang.iot"
    label = "iot"
    verbose_name = "物联感知"

    def ready(self):
        from django.urls import reverse

        from shuxiang.core.choices import Role
        from shuxiang.core.navigation import MenuItem, PendingItem, register_menu, register_pending
        from shuxiang.core.permissions import grant, has_perm

        grant(Role.ADMIN, "iot.device.change", "iot.rule.change", "iot.alarm.handle")
        grant(Role.DISTRICT, "iot.device.change", "iot.rule.change", "iot.alarm.handle")
        grant(Role.DEPARTMENT, "iot.device.change", "iot.rule.change", "iot.alarm.handle")
        grant(Role.TOWNSHIP, "iot.alarm.handle")
        grant(Role.VILLAGE, "iot.alarm.handle")

        register_menu(
            "物联感知",
            MenuItem("告警", "iot:alarm_list"),
            MenuItem("设备", "iot:device_list"),
            MenuItem("告警规则", "iot:rule_list"),
            order=40,
        )

        def pending_alarms(user):
            from shuxiang.iot.models import Alarm

            if not has_perm(user, "iot.alarm.handle"):
                return []
            active = Alarm.objects.restrict(user).filter(status="active", acknowledged_at__isnull=True)
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
