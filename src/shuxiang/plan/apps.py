from django.apps import AppConfig


class PlanConfig(AppConfig):
    name = "shuxiang.plan"
    label = "plan"
    verbose_name = "规划督导"

    def ready(self):
        from shuxiang.core.choices import Role
        from shuxiang.core.permissions import grant
        from shuxiang.plan import assignments, navigation, sources  # noqa: F401  (sources registers computed indicators)

        grant(Role.ADMIN, "plan.manage", "ledger.fill", "ledger.approve", "registry.edit")
        grant(Role.DISTRICT, "plan.manage", "ledger.fill", "ledger.approve", "registry.edit")
        grant(Role.DEPARTMENT, "ledger.fill", "registry.edit")
        grant(Role.TOWNSHIP, "ledger.fill", "ledger.approve", "registry.edit")
        grant(Role.VILLAGE, "ledger.fill", "registry.edit")
        assignments.register()
        navigation.register()
