"""Menu entries and the home page's pending work for cases."""

from django.urls import reverse

from shuxiang.core.navigation import MenuItem, PendingItem, register_menu, register_pending
from shuxiang.core.permissions import has_perm


def pending(user):
    from shuxiang.cases.choices import CaseState
    from shuxiang.cases.models import Case

    if not has_perm(user, "case.handle") and not has_perm(user, "case.dispatch"):
        return []
    queue = Case.objects.for_queue(user)
    url = reverse("cases:queue")
    items = [
        PendingItem(
            "待受理事件", queue.filter(state=CaseState.SUBMITTED).count(), f"{url}?state=submitted", "warning"
        ),
        PendingItem("超期未办结事件", queue.filter(is_overdue=True).count(), f"{url}?overdue=true", "danger"),
    ]
    if has_perm(user, "case.dispatch"):
        items.append(
            PendingItem(
                "被退回待改派事件",
                queue.filter(state=CaseState.RETURNED).count(),
                f"{url}?state=returned",
                "warning",
            )
        )
    if has_perm(user, "case.supervise"):
        escalated = Case.objects.restrict(user).open().filter(escalation_level__gt=0).count()
        items.append(PendingItem("升级督办事件", escalated, reverse("cases:escalated"), "danger"))
    return items


def register():
    register_menu(
        "事件办理",
        MenuItem("我的待办", "cases:queue", perm="case.handle"),
        MenuItem("全部事件", "cases:list"),
        MenuItem("督办事件", "cases:escalated", perm="case.supervise"),
        MenuItem("登记事件", "cases:create", perm="case.open"),
        MenuItem("统计分析", "cases:stats", perm="case.stats"),
        MenuItem("类别与时限", "cases:categories", perm="case.configure"),
        MenuItem("分派规则", "cases:routing", perm="case.configure"),
        MenuItem("公开事件地图", "cases_public:map"),
        order=20,
    )
    register_pending(pending)
