"""What the built demo must look like to pass for a working county (issue 14 §5). Called by the test
that builds the demo (core/tests/test_commands.py), so the demo is built once for all of it."""

from django.utils import timezone


def assert_demo_is_realistic():
    """Case numbers dated by the day each case was opened, lots of different sizes, residents'
    ratings on some cases, no ledgers after the plan's last year, and without an MQTT broker (as under
    `make run`) no loudspeaker delivery that fails for want of one."""
    from shuxiang.cases.models import Case
    from shuxiang.plan.models import LedgerRound, Plan
    from shuxiang.trace.models import Lot
    from shuxiang.warnings.models import Delivery, Endpoint

    cases = list(Case.objects.values_list("tracking_number", "created_at"))
    misdated = [n for n, at in cases if n[:8] != timezone.localtime(at).strftime("%Y%m%d")]
    assert cases and misdated == []
    assert len({n[:8] for n, _ in cases}) > 20  # spread over the weeks the demo covers

    rated = Case.objects.filter(rating__isnull=False)
    assert 0 < rated.count() < Case.objects.count()
    assert len(set(rated.values_list("rating", flat=True))) >= 3

    for product_id in Lot.objects.values_list("product_id", flat=True).distinct():
        sizes = list(Lot.objects.filter(product_id=product_id).values_list("quantity", flat=True))
        assert len(set(sizes)) == len(sizes), f"product {product_id}: lots all of one size {sizes}"

    plan = Plan.objects.get()
    assert not LedgerRound.objects.filter(year__gt=plan.end_year).exists()

    assert not Endpoint.objects.filter(adapter="mqtt").exists()
    failed = Delivery.objects.filter(status="failed") | Delivery.objects.exclude(last_error="")
    assert list(failed.values_list("endpoint__name", "last_error")) == []
