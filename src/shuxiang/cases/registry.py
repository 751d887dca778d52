"""Case types: apps register theirs here, each with the states it uses and its own fields.

All types share one lifecycle (cases.choices.TRANSITIONS) and one write path
(cases.services); a type narrows it. Example, from an app's AppConfig.ready():

    from shuxiang.cases.registry import CaseField, CaseType, register_type

    register_type(CaseType(
        code="plan.assignment",
        label="交办事项",
        actions={"accept", "dispatch", "return", "start", "note", "resolve", "close", "escalate"},
        fields=[CaseField("task_code", "任务编号", required=True)],
        on_change=my_callback,          # called on commit after every change of a case of this type
        guard=my_guard,                 # guard(case, action) -> message refusing a step now, or None
        links=my_links,                 # links(case) -> [CaseLink("关联告警", "…", "/iot/alarms/7/")]
    ))
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from shuxiang.cases.choices import TRANSITIONS, CaseAction
from shuxiang.core.errors import ServiceError

FIELD_KINDS = ("text", "int", "decimal", "date", "bool", "choice")


@dataclass(frozen=True)
class CaseField:
    """One extra field a case type stores in `Case.extra`, validated on open."""

    name: str
    label: str
    kind: str = "text"
    required: bool = False
    choices: tuple = ()  # ((value, label), …) for kind="choice"
    max_length: int = 500

    def display(self, value) -> str:
        """The stored value as a page shows it (a choice by its label, a yes/no in words)."""
        if self.kind == "choice":
            return str({str(k): v for k, v in self.choices}.get(str(value), value))
        if self.kind == "bool":
            return "是" if value else "否"
        return str(value)

    def clean(self, value):
        """The stored value, or a Chinese message (ValueError) saying what is wrong."""
        if value in (None, ""):
            if self.required:
                raise ValueError(f"{self.label}必填")
            return None
        if self.kind == "text":
            value = str(value).strip()
            if len(value) > self.max_length:
                raise ValueError(f"{self.label}不能超过{self.max_length}个字")
            return value
        if self.kind == "int":
            try:
                return int(value)
            except (TypeError, ValueError):
                raise ValueError(f"{self.label}应为整数") from None
        if self.kind == "decimal":
            try:
                return str(Decimal(str(value)))
            except InvalidOperation:
                raise ValueError(f"{self.label}应为数字") from None
        if self.kind == "date":
            try:
                return (value if isinstance(value, date) else date.fromisoformat(str(value))).isoformat()
            except ValueError:
                raise ValueError(f"{self.label}应为日期（YYYY-MM-DD）") from None
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            if str(value).lower() in ("true", "1", "是"):
                return True
            if str(value).lower() in ("false", "0", "否"):
                return False
            raise ValueError(f"{self.label}应为是或否")
        if self.kind == "choice":
            allowed = [str(c[0]) for c in self.choices]
            if str(value) not in allowed:
                raise ValueError(f"{self.label}只能是：" + "、".join(str(c[1]) for c in self.choices))
            return str(value)
        raise ValueError(f"{self.label}类型未知")


@dataclass(frozen=True)
class CaseLink:
    """One line of what a case is about, as its page shows it: "关联告警 · 清水冲水库 超汛限水位" → url.

    The app that owns the type knows its objects; the engine only shows what it is given."""

    label: str
    text: str
    url: str = ""


ALL_ACTIONS = frozenset(CaseAction.values)


@dataclass
class CaseType:
    """A kind of case an app owns: which lifecycle actions it uses, its extra fields, who follows it.

    `actions` is a subset of cases.choices.CaseAction ("open" is always
    allowed); the states a type can reach follow from it. `reporter_actions`
    says whether the public reporter may confirm/reopen/rate/add information
    (complaints: yes; plan assignments: no). `public` lets cases of the type
    appear on the public map when their category is not sensitive.
    """

    code: str
    label: str
    actions: frozenset | set = ALL_ACTIONS
    fields: list[CaseField] = field(default_factory=list)
    public: bool = False
    reporter_actions: bool = False
    on_change: Callable | None = None
    validate: Callable | None = None  # validate(extra: dict) -> {field: [messages]}
    links: Callable | None = None  # links(case) -> [CaseLink]: what the case is about, shown on its page
    # guard(case, action) -> a Chinese message when the owning app refuses this step now (e.g. a
    # renovation is resolved only by its acceptance in the housing module), else None
    guard: Callable | None = None

    def __post_init__(self):
        unknown = set(self.actions) - ALL_ACTIONS
        if unknown:
            raise ValueError(f"unknown case actions for {self.code}: {sorted(unknown)}")
        self.actions = frozenset(self.actions) | {CaseAction.OPEN}

    @property
    def states(self) -> set[str]:
        """The states a case of this type can be in."""
        reached = {"submitted"}
        for action in self.actions:
            step = TRANSITIONS.get(action)
            if step is not None and step.target:
                reached.add(step.target)
        return reached

    @property
    def domain(self) -> str:
        """The module whose bureaus are responsible for cases of this type ("water.alarm" → "water").

        The engine's own complaints belong to "cases". A district bureau is a dispatch target for a
        case when its Unit.domains names "cases" or this domain.
        """
        return self.code.split(".", 1)[0] if "." in self.code else "cases"

    def allows(self, action: str) -> bool:
        return action in self.actions

    def refusal(self, case, action: str) -> str | None:
        """Why the owning app refuses `action` on `case` now (its guard), or None."""
        return self.guard(case, str(action)) if self.guard is not None else None

    def facts(self, case) -> list[CaseLink]:
        """What the case page lists beside the engine's own fields: the links the owning app gives
        (its objects by name, linked), or else the type's extra fields by their Chinese labels —
        never the raw keys."""
        if self.links is not None:
            return list(self.links(case))
        return [
            CaseLink(f.label, f.display(case.extra[f.name]))
            for f in self.fields
            if case.extra.get(f.name) not in (None, "")
        ]

    def clean_extra(self, extra: dict | None) -> dict:
        extra = dict(extra or {})
        known = {f.name for f in self.fields}
        errors: dict[str, list[str]] = {}
        unknown = set(extra) - known
        for name in unknown:
            errors[name] = [f"“{self.label}”没有字段 {name}"]
        clean = {}
        for f in self.fields:
            try:
                value = f.clean(extra.get(f.name))
            except ValueError as exc:
                errors[f.name] = [str(exc)]
                continue
            if value is not None:
                clean[f.name] = value
        if not errors and self.validate:
            errors.update(self.validate(clean) or {})
        if errors:
            raise ServiceError("invalid_extra", f"{self.label}的附加信息有误", errors)
        return clean


_types: dict[str, CaseType] = {}
_followers: list[tuple[str | None, Callable]] = []
_missing = object()


def register_type(case_type: CaseType) -> CaseType:
    """Register (or re-register, e.g. on autoreload) a case type under its code."""
    _types[case_type.code] = case_type
    return case_type


def get_type(code: str, default=_missing) -> CaseType:
    try:
        return _types[code]
    except KeyError:
        if default is not _missing:
            return default
        raise ServiceError(
            "unknown_case_type", f"未知的事件类型：{code}", {"case_type": ["事件类型未注册"]}
        ) from None


def all_types() -> list[CaseType]:
    return list(_types.values())


def follow(callback: Callable, case_type: str | None = None) -> Callable:
    """Call `callback(case, event)` on commit after every change of a case (of `case_type`, or any)."""
    _followers.append((case_type, callback))
    return callback


def followers_of(case_type: str) -> list[Callable]:
    found = [cb for code, cb in _followers if code in (None, case_type)]
    registered = _types.get(case_type)
    if registered and registered.on_change:
        found.append(registered.on_change)
    return found


# The engine's own type: residents' complaints and reports (人居环境, 道路, 12315 by the public channel…).
COMPLAINT = register_type(
    CaseType(
        code="complaint",
        label="群众诉求",
        public=True,
        reporter_actions=True,
        fields=[],
    )
)
