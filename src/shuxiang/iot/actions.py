"""What an alarm rule can make other modules do, without this engine importing them.

A domain app registers an action in its AppConfig.ready():

    register_alarm_action("open_case", "立案派单", open_case_for_alarm)

and an alarm rule lists the codes in `actions`. When the rule raises an alarm,
each action runs after the alarm's transaction commits, as
`func(alarm, config)` where `config` is the rule's `action_config` (one dict
shared by its actions). A failing action is logged and does not undo the alarm.
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


_registry: dict[str, AlarmAction] = {}


def register_alarm_action(code: str, label: str, func: Callable) -> AlarmAction:
    action = AlarmAction(code, label, func)
    _registry[code] = action
    return action


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
