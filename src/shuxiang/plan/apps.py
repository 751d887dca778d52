from django.apps import AppConfig


class PlanConfig(AppConfig):
    name = "shuxiang.plan"
    label = "plan"
    verbose_name = "规划督导"

    def ready(self):
        from shuxiang.indicators.registry import register_lock
        from shuxiang.plan import assignments, figures, navigation, permissions, sources  # noqa: F401  (sources registers computed indicators)

        permissions.declare()
        # An approved ledger form's figures stay as approved, whoever writes to the engine.
        register_lock(figures.approved_form_holding)
        assignments.register()
        navigation.register()
