from django.apps import AppConfig


class TraceConfig(AppConfig):
    name = "shuxiang.trace"
    label = "trace"
    verbose_name = "农产品质量追溯"

    def ready(self):
        from shuxiang.cases.registry import CaseField, CaseType, register_type
        from shuxiang.core.navigation import MenuItem, PendingItem, register_menu, register_pending
        from shuxiang.ledger import services as ledger
        from shuxiang.trace import checks, permissions, proof, services  # noqa: F401  (grants, checks)

        ledger.register_source(proof.STREAM, proof.fetch, proof.every)
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
            """Counterfeit clues to check and public warnings to review, for those who may act on them
            (not the grid, other bureaus or clients)."""
            from django.urls import reverse

            from shuxiang.trace.models import Lot

            if not services.allowed(user, "trace.lot.change"):
                return []
            lots = Lot.objects.restrict(user, "change")
            url = reverse("trace:lot_list")
            return [
                PendingItem(
                    "待核查的仿冒线索",
                    lots.exclude(clue_reason="").filter(suspicious=False).count(),
                    url + "?clue=true",
                    "warning",
                ),
                PendingItem(
                    "疑似假冒追溯码的批次",
                    lots.filter(suspicious=True).count(),
                    url + "?suspicious=true",
                    "danger",
                ),
            ]

        register_pending(pending)
