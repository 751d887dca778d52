"""Who is acting: one value type for every caller of a service.

Every `do_*` service takes `actor=`, and the one gate (core.permissions.require)
decides from it. There are five kinds:

- `Actor.user(u)` — a signed-in person or API client, with their role's and personal grants and region;
- `Actor.on_behalf(u, via="monitoring")` — an app carrying a person's action into another app
  (monitoring opening a case for the reviewer): checked with the person's grants and region, and the
  audit names the person and the app;
- `Actor.system(label)` — the platform itself (periodic tasks, telemetry listeners, alarm rules, CLI
  commands). Labels are a closed vocabulary (SYSTEM_LABELS), each with its own narrow grants declared in
  code; only `operator` (the CLI and the demo, run by whoever runs the server) holds every grant;
- `Actor.device(code)` — a registered device reporting (HTTP token, MQTT, SL 651, …);
- `Actor.anonymous(channel)` — a resident or consumer without an account on a public page.

A bare string, or None, is never an actor: `as_actor` raises TypeError, so a service that forgets to
pass one fails in tests instead of running as root.
"""

from __future__ import annotations

from dataclasses import dataclass

# The platform's own actors and why each exists. Grants for them are declared in code
# (core.permissions.system_grant) and cannot be edited in the UI: they are part of the program.
SYSTEM_LABELS: dict[str, str] = {
    "operator": "运维命令（命令行、演示数据）",
    "tasks": "后台定时任务",
    "listener": "遥测接入服务",
    "rules": "告警规则",
    "escalation": "超时升级",
    "monitoring": "防返贫监测联动",
    "water": "水利告警联动",
    "farmland": "耕地保护监测",
    "warnings": "预警发布",
    "trace": "追溯联动",
    "plan": "规划督办联动",
    "open311": "Open311 接口",
    "cases": "事件联动",
    "iot": "物联网引擎",
    "ecology": "生态环境联动",
}

ANONYMOUS_CHANNELS: dict[str, str] = {
    "public": "群众（无账号）",
    "consumer": "消费者（扫码）",
    "reporter": "反映人",
}


@dataclass(frozen=True, slots=True)
class Actor:
    kind: str  # user / on_behalf / system / device / anonymous
    person: object = None  # the core.User, for user and on_behalf
    label: str = ""  # system label, device code or anonymous channel
    via: str = ""  # for on_behalf: the app or channel carrying the action

    # --- constructors -------------------------------------------------------------------------

    @classmethod
    def user(cls, user) -> Actor:
        if user is None or isinstance(user, str) or not getattr(user, "is_authenticated", False):
            raise TypeError("Actor.user needs a signed-in core.User")
        return cls("user", person=user)

    @classmethod
    def on_behalf(cls, user, *, via: str) -> Actor:
        actor = as_actor(user)
        if actor.kind not in ("user", "on_behalf"):
            raise TypeError("Actor.on_behalf needs a user")
        if via not in SYSTEM_LABELS:
            raise ValueError(f"unknown app for on_behalf: {via!r}")
        return cls("on_behalf", person=actor.person, via=via)

    @classmethod
    def system(cls, label: str) -> Actor:
        if label not in SYSTEM_LABELS:
            raise ValueError(f"unknown system actor {label!r}; known: {sorted(SYSTEM_LABELS)}")
        return cls("system", label=label)

    @classmethod
    def device(cls, code: str) -> Actor:
        if not code:
            raise ValueError("a device actor needs the device code")
        return cls("device", label=str(code))

    @classmethod
    def anonymous(cls, channel: str = "public") -> Actor:
        if channel not in ANONYMOUS_CHANNELS:
            raise ValueError(f"unknown anonymous channel {channel!r}")
        return cls("anonymous", label=channel)

    # --- what the gate and the audit need -----------------------------------------------------

    @property
    def human(self):
        """The person behind the action, if there is one (for audit and notifications)."""
        return self.person if self.kind in ("user", "on_behalf") else None

    @property
    def is_person(self) -> bool:
        return self.kind in ("user", "on_behalf")

    @property
    def is_system(self) -> bool:
        return self.kind == "system"

    @property
    def audit_label(self) -> str:
        if self.kind == "user":
            return self.person.get_username()
        if self.kind == "on_behalf":
            return f"{self.person.get_username()}（经{self.via}）"
        if self.kind == "system":
            return f"system:{self.label}"
        if self.kind == "device":
            return f"device:{self.label}"
        return self.label

    @property
    def display_name(self) -> str:
        """How people see this actor on a timeline."""
        if self.is_person:
            return str(self.person)
        if self.kind == "system":
            return "系统"
        if self.kind == "device":
            return f"设备 {self.label}"
        return ANONYMOUS_CHANNELS.get(self.label, "群众")

    def __str__(self):
        return self.audit_label


def as_actor(value) -> Actor:
    """The actor for `value`: an Actor as it is, a signed-in User as Actor.user(User).

    Views pass `request.user`; everything else must build an Actor. Strings and None are refused.
    """
    if isinstance(value, Actor):
        return value
    if value is None or isinstance(value, str):
        raise TypeError(
            f"a service needs a core.actors.Actor (or a User), not {value!r}: "
            "use Actor.system(label), Actor.device(code) or Actor.anonymous(channel)"
        )
    if getattr(value, "is_authenticated", False) and hasattr(value, "role"):
        return Actor("user", person=value)
    raise TypeError(f"not an actor: {value!r}")


# The CLI and the demo run as the operator: whoever runs the server's commands holds every grant.
OPERATOR = Actor.system("operator")
