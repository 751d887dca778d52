"""No ledgers after the plan's last year (issue 14 §5: the demo opened 2026 forms for a 2022–2025 plan)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from shuxiang.core.errors import ServiceError
from shuxiang.plan import services
from shuxiang.plan.models import LedgerEntry, LedgerRound

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("year", "quarter"), [(2026, 1), (2021, 4)])
def test_a_quarter_outside_the_plan_s_years_is_refused_and_nothing_is_sent(plan, cast, year, quarter):
    with pytest.raises(ServiceError) as refused:
        services.do_open_round(
            plan, year=year, quarter=quarter, deadline=timezone.now() + timedelta(days=7), actor=cast.district
        )
    assert refused.value.code == "outside_plan" and "2022–2025" in refused.value.message
    assert not LedgerRound.objects.exists() and not LedgerEntry.objects.exists()


def test_the_last_quarter_of_the_plan_can_still_be_sent(plan, cast):
    round_ = services.do_open_round(
        plan, year=2025, quarter=4, deadline=timezone.now() + timedelta(days=7), actor=cast.district
    )
    assert round_.entries.exists()
