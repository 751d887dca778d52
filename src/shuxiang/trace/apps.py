from django.apps import AppConfig


class TraceConfig(AppConfig):
    name = "shuxiang.trace"
    label = "trace"
    verbose_name = "农产品质量追溯"

    def ready(self):
        from shuxiang.cases.registry import CaseField, CaseType, register_type
        from shuxiang.core.choices import Role
        from shuxiang.core.navigation import MenuItem, PendingItem, register_menu, register_pending
        from shuxiang.core.permissions import grant
        from shuxiang.ledger import services as ledger
        from shuxiang.trace import services

        # Registering producers and their land; recording lots and events on behalf of producers.
        for role in (Role.ADMIN, Role.DISTRICT, Role.DEPARTMENT, Role.TOWNSHIP, Role.VILLAGE):
            grant(role, "trace.manage", "trace.record")
        grant(Role.GRID, "trace.record")
        # The directory of registered business entities, read by banks with a token (task 13).
        for role in (Role.ADMIN, Role.DISTRICT, Role.DEPARTMENT, Role.CLIENT):
            grant(role, "trace.directory")

        ledger.register_source(services.STREAM, services.ledger_payloads)
        register_type(
            CaseType(
                code=services.COMPLAINT_TYPE,
                label="食品安全 (12315)",
                actions={
                    "accept",
                    "dispatch",
                    "return",
                    "start",
                    "note",
                    "resolve",
                    "close",
                    "escalate",
                    "info",
                    "confirm",
                    "reopen",
                    "rate",
                },
                # The consumer follows the complaint on the case engine's tracking page and may confirm or rate it.
                reporter_actions=True,
                fields=[
                    CaseField("product", "产品", required=True, max_length=100),
                    CaseField("producer", "经营主体", max_length=100),
                    CaseField("gtin", "商品条码", required=True, max_length=14),
                    CaseField("lot_number", "批次号", required=True, max_length=20),
                    CaseField("short_code", "追溯码", max_length=10),
                    CaseField("purchase_place", "购买地点", max_length=100),
                ],
            )
        )

        register_menu(
            "农产品追溯",
            MenuItem("经营主体", "trace:producer_list"),
            MenuItem("批次", "trace:lot_list"),
            order=40,
        )

        def pending(user):
            from django.urls import reverse

            from shuxiang.trace.models import Lot

            count = Lot.objects.restrict(user).filter(suspicious=True).count()
            return [
                PendingItem(
                    "疑似假冒追溯码的批次", count, reverse("trace:lot_list") + "?suspicious=true", "danger"
                )
            ]

        register_pending(pending)
