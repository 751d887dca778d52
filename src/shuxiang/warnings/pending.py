"""The warnings lines of the home page's "my pending work".

Every count is a query over the current state, so a line disappears as soon as the work is done
(a warning approved or returned by another approver is no longer waiting for this one)."""

from django.urls import reverse
from django.utils import timezone

from shuxiang.core.navigation import PendingItem
from shuxiang.warnings.choices import DeliveryStatus, WarningStatus
from shuxiang.warnings.models import Delivery, Warning, waiting_label
from shuxiang.warnings.services import APPROVE, AUTHOR, is_escalation_recipient, may


def pending_items(user) -> list[PendingItem]:
    items = []
    warnings = Warning.objects.restrict(user)
    if is_escalation_recipient(user):
        late = warnings.filter(status=WarningStatus.PENDING, escalated_at__isnull=False)
        oldest = late.order_by("submitted_at").values_list("submitted_at", flat=True).first()
        if oldest is not None:
            age = waiting_label((timezone.now() - oldest).total_seconds() // 60)
            items.append(
                PendingItem(
                    f"审批超时的预警（最久已等待 {age}）",
                    late.count(),
                    reverse("warning_approvals"),
                    "danger",
                )
            )
    if may(user, APPROVE):
        n = (
            Warning.objects.restrict(user, "approve")
            .filter(status=WarningStatus.PENDING)
            .exclude(author=user)
        )
        items.append(PendingItem("待审批的预警", n.count(), reverse("warning_approvals"), "danger"))
    if may(user, AUTHOR):
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
