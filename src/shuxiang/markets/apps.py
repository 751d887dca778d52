from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class MarketsConfig(AppConfig):
    name = "shuxiang.markets"
    label = "markets"
    verbose_name = "市场与数字经济"

    def ready(self):
        from shuxiang.core.actors import SYSTEM_LABELS
        from shuxiang.core.navigation import MenuItem, register_menu, register_pending
        from shuxiang.markets import permissions, services  # noqa: F401  (grants)
        from shuxiang.markets.navigation import pending

        SYSTEM_LABELS.setdefault("markets", "市场监测（价格预警重算、粮食异常工单）")
        post_migrate.connect(services.ensure_methods, sender=self, dispatch_uid="markets_methods")
        from shuxiang.markets import public_warning

        if apps.is_installed("shuxiang.warnings"):
            from shuxiang.warnings.registry import register_signal_type

            register_signal_type(public_warning.SIGNAL_TYPE, order=910)
        if apps.is_installed("shuxiang.indicators"):
            from shuxiang.markets import indicators  # noqa: F401  (online sales, logistics, grain paid)
        if apps.is_installed("shuxiang.cases"):
            from shuxiang.markets import grain

            post_migrate.connect(
                grain.ensure_case_category, sender=self, dispatch_uid="markets_case_category"
            )
        register_menu(
            "市场与电商",
            MenuItem("价格监测", "markets:home"),
            MenuItem("价格预警", "markets:warnings"),
            MenuItem("粮食购销", "grain:home"),
            MenuItem("电商与物流", "commerce:home"),
            MenuItem("经营主体名录", "directory:home"),
            MenuItem("农业保险保单", "directory:insurance"),
            MenuItem("名录查询机构", "directory:clients"),
            order=45,
        )
        register_pending(pending)
