from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from shuxiang.core.actors import OPERATOR
from shuxiang.core.models import AuditEntry
from shuxiang.monitoring import services
from shuxiang.monitoring.models import Clue
from shuxiang.monitoring.tests.helpers import household


def test_monitoring_run_flags_households_and_prints_counts_per_rule(places):
    services.do_set_threshold(actor=OPERATOR, province="43", province_name="湖南省", year=2024, amount="7000")
    household(places.hamlet_a, incomes={2024: {"wage": "1000"}})
    out = StringIO()
    call_command("monitoring", "run", "--year", "2024", stdout=out)
    assert "income-below-threshold" in out.getvalue() and "新增预警 1 户" in out.getvalue()
    assert Clue.objects.count() == 1
    entry = AuditEntry.objects.filter(object_type="monitoring.clue").latest("at")
    assert entry.source == "cli" and entry.actor_label == "system:operator" and entry.actor is None


def test_monitoring_run_refuses_an_impossible_year(db):
    with pytest.raises(CommandError):
        call_command("monitoring", "run", "--year", "99")


def test_the_periodic_task_runs_the_rules(places):
    from django.utils import timezone

    from shuxiang.monitoring.tasks import run_monitoring_rules

    year = timezone.localdate().year - 1
    services.do_set_threshold(actor=OPERATOR, province="43", province_name="湖南省", year=year, amount="7000")
    household(places.hamlet_a, incomes={year: {"wage": "1000"}})
    run_monitoring_rules.call_local()
    assert Clue.objects.filter(channel="platform_rule").count() == 1
