"""Menu entries and the home page's pending-work lines for plan supervision."""

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from shuxiang.core.choices import PlaceLevel, Role
from shuxiang.core.navigation import MenuItem, PendingItem, register_menu, register_pending
from shuxiang.core.permissions import has_perm
from shuxiang.plan.choices import EntryStatus
from shuxiang.plan.models import LedgerEntry


def to_fill(user):
    """Open forms this user reports: their unit's, or their township's/village's own."""
    if not has_perm(user, "ledger.fill"):
        return LedgerEntry.objects.none()
    qs = LedgerEntry.objects.restrict(user).filter(
        status__in=[EntryStatus.DRAFT, EntryStatus.RETURNED], round__deadline__gte=timezone.now()
    )
    mine = Q(unit_id=user.unit_id) if user.unit_id else Q(pk__in=[])
    if user.role == Role.TOWNSHIP:
        mine |= Q(place_id=user.place_id, unit__isnull=True)
    if user.role == Role.VILLAGE:
        mine |= Q(place_id=user.place_id, unit__isnull=True)
    return qs.filter(mine)


def to_approve(user):
    submitted = LedgerEntry.objects.restrict(user).filter(status=EntryStatus.SUBMITTED)
    if has_perm(user, "plan.manage"):
        return submitted.exclude(place__level=PlaceLevel.VILLAGE, approval_level__isnull=True)
    if user.role == Role.TOWNSHIP and has_perm(user, "ledger.approve"):
        return submitted.filter(place__level=PlaceLevel.VILLAGE, approval_level__isnull=True)
    return LedgerEntry.objects.none()


def pending(user):
    url = reverse("plan_ledgers")
    return [
        PendingItem("待填报的工作台账", to_fill(user).count(), f"{url}?status=draft", "warning"),
        PendingItem("待审批的工作台账", to_approve(user).count(), f"{url}?waiting=true", "info"),
    ]


def register():
    register_menu(
        "规划督导",
        MenuItem("驾驶舱", "plan_dashboard"),
        MenuItem("工作方案", "plan_home"),
        MenuItem("工作台账", "plan_ledgers"),
        MenuItem("季度调度", "plan_rounds", perm="plan.manage"),
        MenuItem("交办事项", "plan_assignments"),
        MenuItem("年度考核", "plan_assessment"),
        MenuItem("网络覆盖", "plan_coverage"),
        MenuItem("服务网点", "plan_service_points"),
        MenuItem("导入登记", "plan_registry_import", perm="registry.edit"),
        order=20,
    )
    register_pending(pending)
