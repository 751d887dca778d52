"""Home-page lines for cadres: postings waiting for moderation in their region."""

from django.urls import reverse

from shuxiang.core.navigation import PendingItem
from shuxiang.core.permissions import has_perm
from shuxiang.villager.choices import PostingStatus
from shuxiang.villager.models import Posting


def pending_items(user) -> list[PendingItem]:
    if not has_perm(user, "villager.posting.moderate"):
        return []
    waiting = Posting.objects.restrict(user, "moderate").filter(status=PostingStatus.PENDING)
    reported = waiting.filter(report_count__gt=0).count()
    items = [PendingItem("待审核的需求信息", waiting.count(), reverse("villager:queue"), "warning")]
    if reported:
        items.append(PendingItem("被举报待复核的需求信息", reported, reverse("villager:queue"), "danger"))
    return items
