"""Menu entries and the home page's pending-work lines for plan supervision.

A pending line is shown only to people who can act on it: forms they may fill (the grant the save
checks) and forms whose next approval is theirs (the level the approval service computes).
"""

from django.urls import reverse
from django.utils import timezone

from shuxiang.core.navigation import MenuItem, PendingItem, register_menu, register_pending
from shuxiang.core.permissions import has_perm
from shuxiang.plan.choices import EntryStatus
from shuxiang.plan.models import LedgerEntry
from shuxiang.plan.permissions import FILL
from shuxiang.plan.services import approvable, approver_level


def to_fill(user):
    """Open forms this user reports (their unit's, or their township's/village's own), in their region."""
    return LedgerEntry.objects.restrict(user, "change").filter(
        status__in=[EntryStatus.DRAFT, EntryStatus.RETURNED], round__deadline__gte=timezone.now()
    )


def to_approve(user):
    return approvable(user, LedgerEntry.objects.restrict(user, "approve"))


def pending(user):
    url = reverse("plan_ledgers")
    items = []
    if has_perm(user, FILL):
        items.append(PendingItem("待填报的工作台账", to_fill(user).count(), f"{url}?status=draft", "warning"))
    if approver_level(user) is not None:
        items.append(PendingItem("待审批的工作台账", to_approve(user).count(), f"{url}?waiting=true", "info"))
    return items


def register():
    register_menu(
        "规划督导",
        MenuItem("驾驶舱", "plan_dashboard"),
        MenuItem("工作方案", "plan_home"),
        MenuItem("工作台账", "plan_ledgers"),
        MenuItem("季度调度", "plan_rounds"),
        MenuItem("交办事项", "plan_assignments"),
        MenuItem("年度考核", "plan_assessment"),
        MenuItem("网络覆盖", "plan_coverage"),
        MenuItem("服务网点", "plan_service_points"),
        MenuItem("导入登记", "plan_registry_import"),
        order=20,
    )
    register_pending(pending)
