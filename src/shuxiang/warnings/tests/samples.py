"""Sample objects for core's scope walk: one per URL-reachable warnings model."""

from datetime import timedelta

from django.utils import timezone

from shuxiang.testing import sample
from shuxiang.warnings.models import Endpoint, SignalType, Warning, WarningArea


@sample(Endpoint)
def make_endpoint(place, marker):
    return Endpoint.objects.create(
        name=marker, place=place, adapter="http", url="http://127.0.0.1:9/loudspeaker"
    )


@sample(Warning)
def make_warning(place, marker):
    """An issued warning targeting the hamlet's village (a published warning is seen where it applies)."""
    stype, _ = SignalType.objects.get_or_create(
        code="rainstorm", defaults={"name": "暴雨", "colours": ["blue", "yellow", "orange", "red"]}
    )
    village = place.parent if place.level == 4 else place
    now = timezone.now()
    warning = Warning.objects.create(
        identifier=f"430903000000{abs(hash(marker)) % 10**8:08d}",
        signal_type=stype,
        colour="yellow",
        status="issued",
        headline=marker,
        description=marker,
        effective=now,
        expires=now + timedelta(days=1),
        issued_at=now,
        place=village,
    )
    WarningArea.objects.create(warning=warning, place=village)
    return warning
