from django.urls import reverse

from shuxiang.core.navigation import PendingItem
from shuxiang.monitoring import worklist
from shuxiang.monitoring.perms import can


def pending_work(user):
    if not can(user, "monitoring.view"):
        return []
    url = reverse("monitoring:worklist")
    return [
        PendingItem("待核实的返贫风险线索", worklist.clues_to_verify(user).count(), url, "warning"),
        PendingItem("到期未走访的监测户", worklist.visits_due(user).count(), url, "warning"),
        PendingItem("超期的识别/消除程序", worklist.procedures_overdue(user).count(), url, "danger"),
    ]
