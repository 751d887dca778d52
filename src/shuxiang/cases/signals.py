"""How other apps follow cases without the engine importing them.

`case_changed` is sent after the transaction that changed a case commits,
once per change, with `case` (fresh from the database), `event` (the
CaseEvent just written) and `action` (a cases.choices.CaseAction value).
A receiver that fails is logged and does not affect the others.

    from django.dispatch import receiver
    from shuxiang.cases.signals import case_changed

    @receiver(case_changed)
    def on_case(sender, case, event, action, **kwargs):
        if case.case_type == "trace.complaint" and action == "resolve":
            ...

Or, for one type, `cases.registry.follow(callback, case_type="trace.complaint")`.
"""

import logging

from django.dispatch import Signal

logger = logging.getLogger(__name__)

case_changed = Signal()


def fire(case_id: int, event_id: int, action: str):
    """Runs on commit: reload and tell everyone who follows the case."""
    from shuxiang.cases.models import Case, CaseEvent
    from shuxiang.cases.registry import followers_of

    case = Case.objects.select_related("category", "place", "unit").get(pk=case_id)
    event = CaseEvent.objects.get(pk=event_id)
    for _receiver, result in case_changed.send_robust(sender=Case, case=case, event=event, action=action):
        if isinstance(result, Exception):
            logger.error("case_changed receiver failed for %s: %r", case.tracking_number, result)
    for callback in followers_of(case.case_type):
        try:
            callback(case, event)
        except Exception:
            logger.exception("case follower %r failed for %s", callback, case.tracking_number)
