"""Menu entries and the home page's pending work for cases.

Menu entries show when the user may open their route (core.navigation reads the route's declaration).
A pending line shows only to people who can act on it: accepting needs case.accept, a returned case
waits for a dispatcher, an escalated one for a supervisor.
"""

from django.urls import reverse

from shuxiang.core.navigation import MenuItem, PendingItem, register_menu, register_pending
from shuxiang.core.permissions import grant_filter


def _holders(user, action: str):
    """None (no grant for `action`), "all" (every case in the region) or "some" (a constrained grant)."""
    allowed = grant_filter(user, "cases.case", action)
    if allowed is None:
        return None
    return "some" if allowed else "all"


def pending(user):
    from shuxiang.cases.choices import CaseState
    from shuxiang.cases.models import Case

    held = {action: _holders(user, action) for action in ("accept", "handle", "dispatch", "supervise")}
    items = []
    url = reverse("cases:queue")
    if held["accept"] or held["handle"] or held["dispatch"]:
        queue = Case.objects.for_queue(user)
        if held["accept"] or held["dispatch"]:
            submitted = queue.filter(state=CaseState.SUBMITTED).count()
            items.append(PendingItem("待受理事件", submitted, f"{url}?state=submitted", "warning"))
        overdue = queue.filter(is_overdue=True).count()
        items.append(PendingItem("超期未办结事件", overdue, f"{url}?overdue=true", "danger"))
    # A grant limited to some cases (a grid worker dispatching monitoring cases) shows its line only
    # when there is something to do; a dispatcher or supervisor always sees theirs.
    if held["dispatch"]:
        returned = Case.objects.restrict(user, "dispatch").filter(state=CaseState.RETURNED).count()
        if returned or held["dispatch"] == "all":
            items.append(PendingItem("被退回待改派事件", returned, f"{url}?state=returned", "warning"))
    if held["supervise"]:
        escalated = Case.objects.restrict(user, "supervise").open().filter(escalation_level__gt=0).count()
        if escalated or held["supervise"] == "all":
            items.append(PendingItem("升级督办事件", escalated, reverse("cases:escalated"), "danger"))
    return items


def register():
    register_menu(
        "事件办理",
        MenuItem("我的待办", "cases:queue"),
        MenuItem("全部事件", "cases:list"),
        MenuItem("督办事件", "cases:escalated"),
        MenuItem("登记事件", "cases:create"),
        MenuItem("统计分析", "cases:stats"),
        MenuItem("类别与时限", "cases:categories"),
        MenuItem("分派规则", "cases:routing"),
        MenuItem("公开事件地图", "cases_public:map"),
        order=20,
    )
    register_pending(pending)
