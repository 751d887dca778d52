from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "shuxiang.ledger"
    label = "ledger"
    verbose_name = "可信账本"

    def ready(self):
        from shuxiang.core.metrics import register_gauges
        from shuxiang.ledger import tasks  # registers the periodic checkpoint and nightly verification

        register_gauges(tasks.gauges)
