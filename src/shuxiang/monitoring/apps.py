from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "shuxiang.monitoring"
    label = "monitoring"
    verbose_name = "防止返贫动态监测"

    def ready(self):
        from shuxiang.core.choices import STAFF_ROLES, Role
        from shuxiang.core.navigation import MenuItem, register_menu, register_pending
        from shuxiang.core.permissions import anonymous_grant, default_grant, define, grant, system_grant
        from shuxiang.monitoring import perms as p
        from shuxiang.monitoring import procedures  # noqa: F401  (registers the case types)
        from shuxiang.monitoring.views import pending_work

        # Actions beyond view/add/change/delete/export. Department users use any of these only when
        # their unit is responsible for "monitoring" (perms.require).
        define(None, "monitoring.household", "health", "查看健康和残疾信息")
        define(None, "monitoring.clue", "screen", "排查核实")
        define(None, "monitoring.rule", "run", "执行")
        define(None, "monitoring.procedure", "home_visit", "入户核实")
        define(None, "monitoring.procedure", "village_review", "村级民主评议")
        define(None, "monitoring.procedure", "township_review", "乡镇审核")
        define(None, "monitoring.procedure", "county_approval", "县级审定")
        # Staff roles view every scoped monitoring type in their region (the platform's staff rule);
        # the province lines and the rules are reference data every monitoring page reads.
        grant(Role.ADMIN, p.HEALTH, p.EDIT, p.SCREEN, p.ALERT, p.CONFIGURE, p.RUN_RULES, p.ASSIST)
        grant(Role.ADMIN, *p.PROCEDURE_STEPS)
        for role in STAFF_ROLES:
            grant(role, "monitoring.monitoringthreshold.view", "monitoring.rule.view")
        grant(Role.DISTRICT, p.HEALTH, p.EDIT, p.CONFIGURE, p.RUN_RULES, p.COUNTY_APPROVAL)
        grant(Role.DEPARTMENT, p.HEALTH, p.EDIT, p.ALERT, p.COUNTY_APPROVAL, p.ASSIST)
        grant(Role.TOWNSHIP, p.HEALTH, p.EDIT, p.SCREEN, p.TOWNSHIP_REVIEW, p.ASSIST)
        grant(Role.VILLAGE, p.HEALTH, p.EDIT, p.SCREEN, p.HOME_VISIT, p.VILLAGE_REVIEW, p.ASSIST)
        grant(Role.GRID, p.SCREEN, p.HOME_VISIT)
        # A department's data feed (医保、民政、教育… pushing screening alerts) posts alert batches, nothing else.
        grant(Role.FEED, p.ALERT)
        # A resident without an account declares hardship (the public page and API); monitoring registers
        # the declarant as a person; the nightly task runs the rules.
        anonymous_grant("public", p.DECLARE)
        system_grant("monitoring", "core.person.add")
        system_grant("tasks", p.RUN_RULES)
        # Each procedure step is carried into its case on the cadre's behalf, checked with the cadre's
        # case grants. A procedure's case is in the village's hands until the township review and in the
        # county bureau's after it, whoever the case engine would call its handler (village cadres have
        # no unit; several bureaus share monitoring): at that stage, and only on monitoring's case types,
        # they act on it as a dispatcher may, and the county closes the case it decides.
        for roles, actions, states in (
            ((Role.VILLAGE, Role.GRID), ["dispatch"], ["submitted", "accepted", "in_progress"]),
            ((Role.DEPARTMENT,), ["dispatch", "close"], ["dispatched", "resolved"]),
        ):
            default_grant(
                roles,
                "cases.case",
                actions,
                constraint={"case_type__in": procedures.CASE_TYPES, "state__in": states},
            )

        register_menu(
            "防返贫监测",
            MenuItem("工作台", "monitoring:worklist", domain="monitoring"),
            MenuItem("农户", "monitoring:household_list", domain="monitoring"),
            MenuItem("风险线索", "monitoring:clue_list", domain="monitoring"),
            MenuItem("识别与消除", "monitoring:procedure_list", domain="monitoring"),
            MenuItem("统计", "monitoring:stats", domain="monitoring"),
            MenuItem("农户导入", "monitoring:import", domain="monitoring"),
            MenuItem("部门预警导入", "monitoring:alert_upload", domain="monitoring"),
            MenuItem("监测标准与规则", "monitoring:config", domain="monitoring"),
            order=30,
        )
        register_pending(pending_work)
        from django.db.models.signals import post_migrate

        from shuxiang.monitoring.defaults import ensure_default_rules

        post_migrate.connect(ensure_default_rules, sender=self, dispatch_uid="monitoring_default_rules")
