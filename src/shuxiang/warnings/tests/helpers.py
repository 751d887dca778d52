from datetime import timedelta

from django.utils import timezone

from shuxiang.core.actors import OPERATOR
from shuxiang.warnings import services
from shuxiang.warnings.models import Endpoint


def later(hours=12):
    return timezone.now() + timedelta(hours=hours)


def endpoint(place, url, name=None):
    return services.do_create_endpoint(
        actor=OPERATOR, name=name or f"{place.name}大喇叭", place=place, adapter="http", url=url
    )


def draft(officers, areas, *, colour="red", signal="rainstorm", **extra):
    fields = {
        "signal_type": signal,
        "colour": colour,
        "headline": "赫山区气象台发布暴雨预警",
        "description": "预计未来3小时内泉交河镇等地降雨量将达100毫米以上。",
        "areas": areas,
        "expires": later(),
    }
    fields.update(extra)
    return services.do_create_warning(actor=officers.weather, **fields)


def issue(officers, areas, capture, **extra):
    """Author (weather) writes and submits, a second person (emergency) approves and issues."""
    warning = draft(officers, areas, **extra)
    if warning.needs_approval:
        services.do_submit_warning(warning, actor=officers.weather)
        services.do_approve_warning(warning, actor=officers.emergency)
    with capture(execute=True):
        services.do_issue_warning(warning, actor=officers.emergency)
    warning.refresh_from_db()
    return warning


def reached(warning):
    return set(
        warning.deliveries.filter(status__in=["delivered", "played"]).values_list("endpoint__name", flat=True)
    )


__all__ = ["Endpoint", "draft", "endpoint", "issue", "later", "reached"]
