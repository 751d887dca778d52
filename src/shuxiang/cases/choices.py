from dataclasses import dataclass

from django.db import models


class CaseState(models.TextChoices):
    """The one lifecycle every case type shares (a type may use a subset of it)."""

    SUBMITTED = "submitted", "待受理"
    ACCEPTED = "accepted", "已受理"
    DISPATCHED = "dispatched", "已派单"
    IN_PROGRESS = "in_progress", "处置中"
    RETURNED = "returned", "已退回"
    RESOLVED = "resolved", "已办结"
    CLOSED = "closed", "已关闭"


# Colour of the state's tag in lists (core/app.css tag-*).
STATE_TAG = {
    CaseState.SUBMITTED: "tag-warn",
    CaseState.ACCEPTED: "",
    CaseState.DISPATCHED: "",
    CaseState.IN_PROGRESS: "",
    CaseState.RETURNED: "tag-danger",
    CaseState.RESOLVED: "tag-ok",
    CaseState.CLOSED: "tag-ok",
}

# A case in one of these is still someone's work: deadlines run, escalation applies.
OPEN_STATES = (
    CaseState.SUBMITTED,
    CaseState.ACCEPTED,
    CaseState.DISPATCHED,
    CaseState.IN_PROGRESS,
    CaseState.RETURNED,
)
FINISHED_STATES = (CaseState.RESOLVED, CaseState.CLOSED)


class CaseAction(models.TextChoices):
    """What can happen to a case; each is one service function and one timeline event kind."""

    OPEN = "open", "登记"
    ACCEPT = "accept", "受理"
    DISPATCH = "dispatch", "派单"
    RETURN = "return", "退回"
    START = "start", "开始处置"
    NOTE = "note", "办理记录"
    INFO = "info", "群众补充"
    RESOLVE = "resolve", "办结"
    CONFIRM = "confirm", "确认解决"
    CLOSE = "close", "关闭"
    REOPEN = "reopen", "重新办理"
    RATE = "rate", "评价"
    ESCALATE = "escalate", "升级督办"
    OVERDUE = "overdue", "超期"


@dataclass(frozen=True)
class Transition:
    """One row of the case workflow: which states it starts from, where it leads, who may do it, how.

    The HTML view, the API and `services.available_actions` all read this table, so a step is
    offered, routed, declared and checked the same way everywhere.

    - `perm`: what a signed-in person needs (None: nobody on staff does this step by hand);
    - `own_case`: handlers act only on their unit's / their own / their grid's cases (dispatchers on any);
    - `reporter`: the resident may do it too, with the key given at submission (anonymous "reporter");
    - `service`: the cases.services function that does it;
    - `form`: what it asks for (note, record, evidence, reason, escalate, dispatch) — the HTML form
      and the API serializer of that kind;
    - `public`: whether the timeline step is shown on the reporter's tracking page by default;
      `staff_choose`: staff may change that per step ("对反映人公开");
    - `forward`: the step moves the case on (受理, 派单, 开始处置, 办结, 关闭). The case page opens the
      first forward step it offers — a grid worker on a dispatched case sees 开始处置, not 退回.
    """

    action: str
    sources: tuple[str, ...]
    target: str | None
    perm: str | None
    service: str = ""
    form: str = "note"
    own_case: bool = False
    reporter: bool = False
    public: bool = True
    staff_choose: bool = False
    api_path: str = ""
    forward: bool = True

    @property
    def label(self) -> str:
        return CaseAction(self.action).label

    @property
    def path(self) -> str:
        """The URL segment of the step (HTML and API)."""
        return self.api_path or self.action

    @property
    def is_staff_step(self) -> bool:
        return self.perm is not None

    def run(self, case, *, actor, **values):
        """Call the step's service (looked up here: services import this module)."""
        from shuxiang.cases import services

        return getattr(services, self.service)(case, actor=actor, **values)


_HANDLING = (CaseState.ACCEPTED, CaseState.DISPATCHED, CaseState.IN_PROGRESS)

TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition(
            CaseAction.ACCEPT,
            (CaseState.SUBMITTED,),
            CaseState.ACCEPTED,
            "case.accept",
            "do_accept_case",
            own_case=True,
            staff_choose=True,
        ),
        Transition(
            CaseAction.DISPATCH,
            (CaseState.SUBMITTED, *_HANDLING, CaseState.RETURNED),
            CaseState.DISPATCHED,
            "case.dispatch",
            "do_dispatch_case",
            form="dispatch",
            public=False,
        ),
        Transition(
            CaseAction.RETURN,
            _HANDLING,
            CaseState.RETURNED,
            "case.handle",
            "do_return_case",
            form="reason",
            own_case=True,
            public=False,
            forward=False,
        ),
        Transition(
            CaseAction.START,
            (CaseState.ACCEPTED, CaseState.DISPATCHED),
            CaseState.IN_PROGRESS,
            "case.handle",
            "do_start_case",
            own_case=True,
            public=False,
            staff_choose=True,
        ),
        Transition(
            CaseAction.NOTE,
            tuple(CaseState.values),
            None,
            "case.handle",
            "do_add_note",
            form="record",
            own_case=True,
            public=False,
            staff_choose=True,
            api_path="notes",
            forward=False,
        ),
        Transition(
            CaseAction.INFO,
            (*OPEN_STATES, CaseState.RESOLVED),
            None,
            None,
            "do_add_info",
            reporter=True,
            forward=False,
        ),
        Transition(
            CaseAction.RESOLVE,
            _HANDLING,
            CaseState.RESOLVED,
            "case.handle",
            "do_resolve_case",
            form="evidence",
            own_case=True,
        ),
        Transition(
            CaseAction.CONFIRM,
            (CaseState.RESOLVED,),
            CaseState.CLOSED,
            "case.close",
            "do_confirm_case",
            reporter=True,
            staff_choose=True,
        ),
        Transition(
            CaseAction.CLOSE,
            (CaseState.RESOLVED,),
            CaseState.CLOSED,
            "case.close",
            "do_close_case",
            staff_choose=True,
        ),
        Transition(
            CaseAction.REOPEN,
            (CaseState.RESOLVED, CaseState.CLOSED),
            CaseState.DISPATCHED,
            "case.supervise",
            "do_reopen_case",
            form="reason",
            reporter=True,
            forward=False,
        ),
        Transition(
            CaseAction.RATE,
            (CaseState.RESOLVED, CaseState.CLOSED),
            None,
            None,
            "do_rate_case",
            reporter=True,
            forward=False,
        ),
        Transition(
            CaseAction.ESCALATE,
            OPEN_STATES,
            None,
            "case.supervise",
            "do_escalate_case",
            form="escalate",
            public=False,
            forward=False,
        ),
        # Set by the periodic task only (services.escalate_due_cases).
        Transition(CaseAction.OVERDUE, OPEN_STATES, None, None, public=False, forward=False),
    )
}
STAFF_TRANSITIONS = [t for t in TRANSITIONS.values() if t.is_staff_step]
REPORTER_TRANSITIONS = [t for t in TRANSITIONS.values() if t.reporter]


def default_step(steps):
    """The step a case page opens: the first that moves the case on, else the first offered."""
    return next((s for s in steps if s.forward), steps[0] if steps else None)


class DeadlineUnit(models.TextChoices):
    WORK_HOURS = "work_hours", "工作小时"
    CALENDAR_DAYS = "calendar_days", "自然日"


class Channel(models.TextChoices):
    WEB = "web", "群众网页"
    OPEN311 = "open311", "Open311接口"
    API = "api", "内部接口"
    STAFF = "staff", "工作人员登记"
    HOTLINE = "hotline", "热线"
    SYSTEM = "system", "系统生成"


class Priority(models.TextChoices):
    NORMAL = "normal", "一般"
    URGENT = "urgent", "紧急"
