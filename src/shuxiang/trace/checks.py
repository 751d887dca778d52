"""System checks of the traceability settings (stable ids)."""

from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from shuxiang.trace import counterfeit


@register("shuxiang")
def counterfeit_rule(app_configs=None, **kwargs):
    try:
        counterfeit.rule()
    except ImproperlyConfigured as exc:
        return [
            Error(
                str(exc), hint="例如 min_clients=3,min_places=2,far_km=300,window_hours=24", id="trace.E001"
            )
        ]
    return []
