"""The rules page names rules, not their engine codes (issue 14 §5: "guarantee-failing…" on the page)."""

import pytest
from django.utils import timezone

from shuxiang.core.actors import OPERATOR
from shuxiang.core.tests.pagetext import visible_text
from shuxiang.monitoring import services
from shuxiang.monitoring.models import Rule
from shuxiang.monitoring.tests.helpers import household

pytestmark = pytest.mark.django_db


def test_the_config_page_and_its_run_log_name_the_rules(places, cast, client_for):
    year = timezone.localdate().year - 1
    services.do_set_threshold(actor=OPERATOR, province="43", province_name="湖南省", year=year, amount="7000")
    household(places.hamlet_a, incomes={year: {"wage": "3000"}})
    web = client_for(cast.admin)
    answer = web.post("/monitoring/config/", {"action": "run", "year": str(year)}, follow=True)
    text = visible_text(answer.content.decode())
    assert Rule.objects.exists()
    for rule in Rule.objects.all():
        assert rule.code not in text
        assert rule.name in text


def test_a_clue_shows_its_rule_and_figures_in_words(places, cast, client_for):
    from shuxiang.monitoring.models import Clue
    from shuxiang.monitoring.rules import run_rules

    year = timezone.localdate().year - 1
    services.do_set_threshold(actor=OPERATOR, province="43", province_name="湖南省", year=year, amount="7000")
    household(places.hamlet_a, incomes={year: {"wage": "3000"}})
    run_rules(year=year, actor=OPERATOR)
    clue = Clue.objects.get(rule__code="income-below-threshold")
    text = visible_text(client_for(cast.admin).get(f"/monitoring/clues/{clue.pk}/").content.decode())
    assert "人均纯收入（元）" in text and "监测收入标准（元）" in text
    for raw in ("per_capita_net", "threshold", "income-below-threshold", "document"):
        assert raw not in text
