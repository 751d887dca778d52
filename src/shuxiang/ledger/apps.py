from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "shuxiang.ledger"
    label = "ledger"
    verbose_name = "可信账本"

    def ready(self):
        from shuxiang.ledger import tasks  # noqa: F401  (registers the periodic checkpoint)
