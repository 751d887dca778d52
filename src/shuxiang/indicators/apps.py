from django.apps import AppConfig


class IndicatorsConfig(AppConfig):
    name = "shuxiang.indicators"
    label = "indicators"
    verbose_name = "指标"

    def ready(self):
        from shuxiang.core.choices import Role
        from shuxiang.core.navigation import MenuItem, register_menu
        from shuxiang.core.permissions import grant

        grant(Role.ADMIN, "indicator.define", "indicator.report")
        grant(Role.DISTRICT, "indicator.define", "indicator.report")
        grant(Role.DEPARTMENT, "indicator.report")
        grant(Role.TOWNSHIP, "indicator.report")
        grant(Role.VILLAGE, "indicator.report")
        register_menu("规划督导", MenuItem("指标", "indicator_list"), order=20)
