from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "shuxiang.monitoring"
    label = "monitoring"
    verbose_name = "防止返贫动态监测"

    def ready(self):
        from shuxiang.core.choices import Role
        from shuxiang.core.navigation import MenuItem, register_menu, register_pending
        from shuxiang.core.permissions import grant
        from shuxiang.monitoring import perms, procedures  # noqa: F401  (registers the case types)
        from shuxiang.monitoring.views import pending_work

        # Department users hold these only if their unit is responsible for "monitoring" (perms.can).
        grant(Role.ADMIN, *perms.ALL)
        grant(
            Role.DISTRICT, "monitoring.view", "monitoring.health", "monitoring.edit", "monitoring.configure"
        )
        grant(Role.DISTRICT, "monitoring.county_approval")
        grant(Role.DEPARTMENT, "monitoring.view", "monitoring.health", "monitoring.edit", "monitoring.alert")
        grant(Role.DEPARTMENT, "monitoring.county_approval", "monitoring.assist")
        grant(Role.TOWNSHIP, "monitoring.view", "monitoring.health", "monitoring.edit", "monitoring.screen")
        grant(Role.TOWNSHIP, "monitoring.township_review", "monitoring.assist")
        grant(Role.VILLAGE, "monitoring.view", "monitoring.health", "monitoring.edit", "monitoring.screen")
        grant(Role.VILLAGE, "monitoring.home_visit", "monitoring.village_review", "monitoring.assist")
        grant(Role.GRID, "monitoring.view", "monitoring.screen", "monitoring.home_visit")

        register_menu(
            "防返贫监测",
            MenuItem("工作台", "monitoring:worklist", perm="monitoring.view"),
            MenuItem("农户", "monitoring:household_list", perm="monitoring.view"),
            MenuItem("风险线索", "monitoring:clue_list", perm="monitoring.view"),
            MenuItem("识别与消除", "monitoring:procedure_list", perm="monitoring.view"),
            MenuItem("统计", "monitoring:stats", perm="monitoring.view"),
            MenuItem("农户导入", "monitoring:import", perm="monitoring.edit"),
            MenuItem("部门预警导入", "monitoring:alert_upload", perm="monitoring.alert"),
            MenuItem("监测标准与规则", "monitoring:config", perm="monitoring.view"),
            order=30,
        )
        register_pending(pending_work)
        from django.db.models.signals import post_migrate

        from shuxiang.monitoring.defaults import ensure_default_rules

        post_migrate.connect(ensure_default_rules, sender=self, dispatch_uid="monitoring_default_rules")
