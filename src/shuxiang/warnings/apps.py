from django.apps import AppConfig
from django.db.models.signals import post_migrate


class WarningsConfig(AppConfig):
    name = "shuxiang.warnings"
    label = "warnings"
    verbose_name = "预警信息发布"

    def ready(self):
        from shuxiang.core.choices import STAFF_ROLES, Role
        from shuxiang.core.metrics import register_gauges
        from shuxiang.core.navigation import MenuItem, register_menu, register_pending
        from shuxiang.core.permissions import default_grant, define, system_grant
        from shuxiang.warnings import pending, tasks  # noqa: F401  (registers huey tasks and start-up hook)

        register_gauges(_delivery_gauges)

        # Short names kept for the actions people know them by.
        define("warning.author", "warnings.warning", "add")
        define("warning.approve", "warnings.warning", "approve", "审批")
        define("warning.endpoint", "warnings.endpoint", "change")
        define("warning.receipt", "warnings.delivery", "receipt", "上报回执")
        define("warning.escalate", "warnings.warning", "escalate", "审批超时升级")
        # Staff roles view warnings, endpoints and deliveries in their region by the core staff rule.
        # Writing (add: write, submit, issue, update, cancel, re-send, import; change: edit a draft) and
        # approving are district-wide duties; department users hold them only when their unit's
        # domains include "warnings" (区气象局, 区应急局): services._gate checks that on top.
        issuers = (Role.ADMIN, Role.DISTRICT, Role.DEPARTMENT)
        default_grant(issuers, "warnings.warning", ["add", "change", "approve"])
        default_grant((*issuers, Role.TOWNSHIP), "warnings.endpoint", ["add", "change"])
        # The national signal types are reference data every staff member reads (not region-scoped).
        default_grant(STAFF_ROLES, "warnings.signaltype", ["view"])
        # A loudspeaker gateway reports receipts for deliveries in its region, and nothing else:
        # the messages reach it by push, and published warnings are public (CAP, Atom).
        default_grant(Role.GATEWAY, "warnings.delivery", ["receipt"])
        # Machines: a reservoir alarm writes (and, when its rule says so, issues) a 水库险情 warning;
        # the dispatch task attaches the rendered speech.
        system_grant("water", "warnings.warning.add")
        system_grant("warnings", "warnings.warning.change")
        # A machine's warning left waiting for approval is handed up by the periodic check.
        system_grant("escalation", "warnings.warning.escalate")
        register_menu(
            "预警发布",
            MenuItem("预警信息", "warning_list"),
            MenuItem("编写预警", "warning_create"),
            MenuItem("待审批", "warning_approvals"),
            MenuItem("广播终端", "endpoint_list"),
            MenuItem("预警统计", "warning_stats"),
            order=40,
        )
        register_pending(pending.pending_items)
        post_migrate.connect(ensure_signal_types, sender=self)


def ensure_signal_types(sender=None, using="default", **kwargs):
    """The national signal types, and those the domain apps registered (warnings.registry), exist in
    every database, also after `flush` (demo --reset, tests), which empties what the data migration
    loaded. Existing rows, possibly edited by the county, stay."""
    from shuxiang.warnings import registry
    from shuxiang.warnings.data.signal_types import SIGNAL_TYPES
    from shuxiang.warnings.models import SignalType

    have = set(SignalType.objects.using(using).values_list("code", flat=True))
    rows = [{**row, "order": i * 10} for i, row in enumerate(SIGNAL_TYPES, start=1)] + registry.registered()
    SignalType.objects.using(using).bulk_create(
        [SignalType(**row) for row in rows if row["code"] not in have]
    )


def _delivery_gauges():
    """/metrics: deliveries to loudspeaker gateways still owed and failed (core.metrics)."""
    from django.db.models import Count

    from shuxiang.warnings.choices import DeliveryStatus
    from shuxiang.warnings.models import Delivery

    counts = dict(
        Delivery.objects.filter(
            status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.FAILED]
        )
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    for status in (DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.FAILED):
        yield (
            "shuxiang_warning_deliveries",
            "预警投递（待发送、发送中、失败）",
            {"status": status.value},
            counts.get(status, 0),
        )
