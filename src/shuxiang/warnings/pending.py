"""The warnings lines of the home page's "my pending work"."""

from django.urls import reverse

from shuxiang.core.navigation import PendingItem
from shuxiang.warnings.choices import DeliveryStatus, WarningStatus
from shuxiang.warnings.models import Delivery, Warning
from shuxiang.warnings.services import can


def pending_items(user) -> list[PendingItem]:
    items = []
    warnings = Warning.objects.restrict(user)
    if can(user, "warning.approve"):
        n = warnings.filter(status=WarningStatus.PENDING).exclude(author=user).count()
        items.append(PendingItem("待审批的预警", n, reverse("warning_approvals"), "danger"))
    if can(user, "warning.author"):
        n = warnings.filter(status=WarningStatus.APPROVED).count()
        items.append(
            PendingItem("已审批待发布的预警", n, reverse("warning_list") + "?status=approved", "warning")
        )
        n = warnings.filter(status=WarningStatus.DRAFT, author=user).exclude(review_note="").count()
        items.append(PendingItem("被退回的预警草稿", n, reverse("warning_list") + "?status=draft", "warning"))
    n = (
        Delivery.objects.restrict(user)
        .filter(status=DeliveryStatus.FAILED, warning__status=WarningStatus.ISSUED)
        .count()
    )
    items.append(PendingItem("预警送达失败的广播终端", n, reverse("warning_list") + "?failed=true", "danger"))
    return items
