"""What an alarm rule can make other modules do, without this engine importing them.

A domain app registers an action in its AppConfig.ready():

    register_alarm_action("open_case", "立案派单", open_case_for_alarm)

and an alarm rule lists the codes in `actions`. When the rule raises an alarm,
each action runs after the alarm's transaction commits, as
`func(alarm, config)` where `config` is the rule's `action_config` (one dict
shared by its actions). A failing action is logged and does not undo the alarm.
An action may also follow the alarm to its end: `on_clear(alarm, config)` runs
after the alarm is cleared (by a person, or by the rule when values are normal
again), so what the action started in another module is told, not left open.

The alarm page shows what other modules made of an alarm (the case it opened,
the reservoir it belongs to) from `register_alarm_links(provider)`:
`provider(alarm, user)` returns `AlarmLink`s, only what that user may see.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AlarmAction:
    code: str
    label: str
    func: Callable
    on_clear: Callable | None = None


@dataclass(frozen=True)
class AlarmLink:
    """One line on the alarm page pointing at another module's object: "处置事件 · 20261207…"."""

    label: str
    text: str
    url: str = ""


_registry: dict[str, AlarmAction] = {}
_link_providers: list[Callable] = []


def register_alarm_action(code: str, label: str, func: Callable, *, on_clear=None) -> AlarmAction:
    action = AlarmAction(code, label, func, on_clear)
    _registry[code] = action
    return action


def register_alarm_links(provider: Callable) -> Callable:
    """`provider(alarm, user) -> [AlarmLink]`; it scopes its own lookups to the user."""
    if provider not in _link_providers:
        _link_providers.append(provider)
    return provider


def alarm_links(alarm, user) -> list[AlarmLink]:
    links = []
    for provider in _link_providers:
        try:
            links.extend(provider(alarm, user))
        except Exception:  # another module's page helper must not take the alarm page down
            log.exception("alarm %s: link provider %r failed", alarm.pk, provider)
    return links


def unregister_alarm_action(code: str) -> None:
    _registry.pop(code, None)


def get_action(code: str) -> AlarmAction | None:
    return _registry.get(code)


def available_actions() -> list[AlarmAction]:
    return sorted(_registry.values(), key=lambda a: a.code)


def run_actions(alarm, codes, config) -> list[str]:
    """Run the rule's actions for a newly raised alarm; returns the codes that ran without error."""
    done = []
    for code in codes:
        action = _registry.get(code)
        if action is None:
            log.warning("alarm %s: action %s is not registered", alarm.pk, code)
            continue
        try:
            action.func(alarm, dict(config or {}))
        except Exception:  # an action belongs to another module; its failure must not lose the alarm
            log.exception("alarm %s: action %s failed", alarm.pk, code)
        else:
            done.append(code)
    return done


def run_clear_actions(alarm, codes, config) -> list[str]:
    """Tell the rule's actions that follow alarms to their end that this one is cleared."""
    done = []
    for code in codes:
        action = _registry.get(code)
        if action is None or action.on_clear is None:
            continue
        try:
            action.on_clear(alarm, dict(config or {}))
        except Exception:  # as for raising: the clearing stands whatever another module does with it
            log.exception("alarm %s: clear action %s failed", alarm.pk, code)
        else:
            done.append(code)
    return done
