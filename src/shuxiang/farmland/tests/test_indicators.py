"""The plan's farmland figures come from the data: layer areas, grain plantings, findings rectified on
time, machine-transplanted rice — nobody types them."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from shuxiang.core.actors import OPERATOR, Actor
from shuxiang.farmland import services
from shuxiang.farmland.choices import M2_PER_MU
from shuxiang.farmland.models import Finding

pytestmark = pytest.mark.django_db


def _indicator(code, computed_by, kind="number"):
    from shuxiang.indicators import services as indicators

    extra = {"numerator_label": "按期", "denominator_label": "到期", "factor": 100} if kind == "ratio" else {}
    return indicators.do_save_indicator(
        actor=OPERATOR, code=code, name=code, kind=kind, unit="亩", source="computed",
        computed_by=computed_by, decimals=1, **extra,
    )  # fmt: skip


def _value(indicator, place, period):
    from shuxiang.indicators import services as indicators
    from shuxiang.indicators.rollup import value_at

    indicators.do_refresh_computed(indicator, period, actor=Actor.system("tasks"))
    return value_at(indicator, place, period).value


def test_permanent_farmland_area_is_the_layers_area_summed_up_the_place_tree(fields_a, field_b, places):
    indicator = _indicator("permanent_farmland_area", "farmland.permanent_area")
    total = (sum(p.area_m2 for p in fields_a) + field_b.area_m2) / M2_PER_MU
    assert float(_value(indicator, places.district, "2026Q2")) == pytest.approx(total, abs=0.1)
    own = sum(p.area_m2 for p in fields_a) / M2_PER_MU
    assert float(_value(indicator, places.township_a, "2026Q2")) == pytest.approx(own, abs=0.1)


def test_grain_sown_area_counts_the_seasons_sown_by_the_quarters_end(fields_a, places):
    for season in ("2026-early", "2026-late"):
        services.do_record_planting(
            actor=OPERATOR, parcel=fields_a[0], season=season, crop="rice", area_mu=10
        )
    services.do_record_planting(
        actor=OPERATOR, parcel=fields_a[1], season="2026-early", crop="vegetables", area_mu=5
    )
    indicator = _indicator("grain_sown_area", "farmland.grain_area")
    assert _value(indicator, places.district, "2026Q1") == Decimal("10.0")
    assert _value(indicator, places.district, "2026Q3") == Decimal("20.0")


def test_findings_on_time_is_the_share_of_due_findings_rectified_by_their_deadline(fields_a, places):
    for parcel in fields_a[:2]:
        services.do_record_planting(
            actor=OPERATOR, parcel=parcel, season="2026-early", crop="citrus", area_mu=1
        )
    first, second = Finding.objects.order_by("pk")
    Finding.objects.filter(pk=first.pk).update(
        deadline=date(2026, 5, 1),
        status="rectified",
        rectified_at=timezone.now().replace(year=2026, month=4, day=20),
    )
    Finding.objects.filter(pk=second.pk).update(deadline=date(2026, 5, 1))
    indicator = _indicator("farmland_findings_on_time", "farmland.findings_on_time", kind="ratio")
    assert _value(indicator, places.district, "2026Q2") == Decimal("50.0")


def test_the_plan_file_names_the_farmland_sources_for_tasks_2_and_8():
    import yaml

    from shuxiang.indicators.registry import sources
    from shuxiang.plan.loader import DEFAULT_FILE

    data = yaml.safe_load(Path(DEFAULT_FILE).read_text(encoding="utf-8"))
    ours = {i["code"]: i for i in data["indicators"] if str(i.get("computed_by", "")).startswith("farmland.")}
    assert set(ours) == {
        "permanent_farmland_area",
        "grain_sown_area",
        "farmland_findings_on_time",
        "rice_machine_transplant_area",
        "seedling_trays_delivered",
    }
    assert all(i["computed_by"] in sources and i["source"] == "computed" for i in ours.values())
    tasks = {t["number"]: t for t in data["tasks"]}
    assert "permanent_farmland_area" in tasks[2]["indicators"]
    assert "seedling_trays_delivered" in tasks[8]["indicators"]
