from django.apps import AppConfig
from django.db.models.signals import post_migrate


class WarningsConfig(AppConfig):
    name = "shuxiang.warnings"
    label = "warnings"
    verbose_name = "预警信息发布"

    def ready(self):
        from shuxiang.core.choices import Role
        from shuxiang.core.navigation import MenuItem, register_menu, register_pending
        from shuxiang.core.permissions import grant
        from shuxiang.warnings import pending, tasks  # noqa: F401  (registers huey tasks and start-up hook)

        # Department users act on warnings only when their unit's domains include "warnings"
        # (区气象局, 区应急局): services.can() checks that on top of these grants.
        grant(Role.ADMIN, "warning.author", "warning.approve", "warning.endpoint")
        grant(Role.DISTRICT, "warning.author", "warning.approve", "warning.endpoint")
        grant(Role.DEPARTMENT, "warning.author", "warning.approve", "warning.endpoint")
        grant(Role.TOWNSHIP, "warning.endpoint")
        register_menu(
            "预警发布",
            MenuItem("预警信息", "warning_list"),
            MenuItem("编写预警", "warning_create", perm="warning.author"),
            MenuItem("待审批", "warning_approvals", perm="warning.approve"),
            MenuItem("广播终端", "endpoint_list"),
            MenuItem("预警统计", "warning_stats"),
            order=40,
        )
        register_pending(pending.pending_items)
        post_migrate.connect(ensure_signal_types, sender=self)


def ensure_signal_types(sender=None, using="default", **kwargs):
    """The national signal types exist in every database, also after `flush` (demo --reset, tests),
    which empties what the data migration loaded. Existing rows, possibly edited by the county, stay."""
    from shuxiang.warnings.data.signal_types import SIGNAL_TYPES
    from shuxiang.warnings.models import SignalType

    have = set(SignalType.objects.using(using).values_list("code", flat=True))
    SignalType.objects.using(using).bulk_create(
        [
            SignalType(**row, order=i * 10)
            for i, row in enumerate(SIGNAL_TYPES, start=1)
            if row["code"] not in have
        ]
    )
