from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "shuxiang.cases"
    label = "cases"
    verbose_name = "事件办理"

    def ready(self):
        from shuxiang.cases import permissions, registry  # noqa: F401  (grants roles, registers built-in types)
        from shuxiang.cases.navigation import register

        register()
