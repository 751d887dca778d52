from django.apps import AppConfig


class IndicatorsConfig(AppConfig):
    name = "shuxiang.indicators"
    label = "indicators"
    verbose_name = "指标"

    def ready(self):
        from shuxiang.core.choices import STAFF_ROLES, Role
        from shuxiang.core.navigation import MenuItem, register_menu
        from shuxiang.core.permissions import default_grant, define, grant, system_grant

        # Short names used across the app for the object actions they stand for.
        define("indicator.define", "indicators.indicator", "change")
        define("indicator.refresh", "indicators.indicator", "refresh", label="重新计算")
        define("indicator.report", "indicators.datavalue", "add")
        # Definitions are not regional (declared unscoped), so the staff rule does not cover them:
        # every staff role reads them; client roles do not.
        default_grant(STAFF_ROLES, "indicators.indicator", ["view"])
        grant(Role.ADMIN, "indicator.define", "indicator.refresh", "indicator.report")
        grant(Role.DISTRICT, "indicator.define", "indicator.refresh", "indicator.report")
        grant(Role.DEPARTMENT, "indicator.report")
        grant(Role.TOWNSHIP, "indicator.report")
        grant(Role.VILLAGE, "indicator.report")
        # Background recounts of computed indicators (nightly snapshot, after a ledger changes).
        system_grant("tasks", "indicator.refresh")
        register_menu("规划督导", MenuItem("指标", "indicator_list"), order=20)
