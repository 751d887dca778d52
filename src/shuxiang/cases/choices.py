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


# action -> (states it may start from, state it leads to or None for "stays")
TRANSITIONS: dict[str, tuple[tuple[str, ...], str | None]] = {
    CaseAction.ACCEPT: ((CaseState.SUBMITTED,), CaseState.ACCEPTED),
    CaseAction.DISPATCH: (
        (
            CaseState.SUBMITTED,
            CaseState.ACCEPTED,
            CaseState.RETURNED,
            CaseState.DISPATCHED,
            CaseState.IN_PROGRESS,
        ),
        CaseState.DISPATCHED,
    ),
    CaseAction.RETURN: (
        (CaseState.ACCEPTED, CaseState.DISPATCHED, CaseState.IN_PROGRESS),
        CaseState.RETURNED,
    ),
    CaseAction.START: ((CaseState.ACCEPTED, CaseState.DISPATCHED), CaseState.IN_PROGRESS),
    CaseAction.NOTE: (tuple(CaseState.values), None),
    CaseAction.INFO: (OPEN_STATES + (CaseState.RESOLVED,), None),
    CaseAction.RESOLVE: (
        (CaseState.ACCEPTED, CaseState.DISPATCHED, CaseState.IN_PROGRESS),
        CaseState.RESOLVED,
    ),
    CaseAction.CONFIRM: ((CaseState.RESOLVED,), CaseState.CLOSED),
    CaseAction.CLOSE: ((CaseState.RESOLVED,), CaseState.CLOSED),
    CaseAction.REOPEN: ((CaseState.RESOLVED, CaseState.CLOSED), CaseState.DISPATCHED),
    CaseAction.RATE: ((CaseState.RESOLVED, CaseState.CLOSED), None),
    CaseAction.ESCALATE: (OPEN_STATES, None),
    CaseAction.OVERDUE: (OPEN_STATES, None),
}


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
