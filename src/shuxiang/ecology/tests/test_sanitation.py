"""Garbage collection: records, overdue points → one case each, per-village coverage, the indicator."""

from datetime import timedelta

import pytest
from django.utils import timezone

from shuxiang.cases.models import Case
from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError
from shuxiang.ecology import services
from shuxiang.ecology.models import CollectionRecord


@pytest.fixture
def bins(places):
    return services.do_create_collection_point(
        actor=OPERATOR,
        code="LJ-T01",
        name="清水村村部收集点",
        place=places.village_a,
        bins=4,
        interval_days=2,
    )


def test_an_overdue_collection_point_opens_one_case_and_a_collection_is_noted_on_it(bins):
    assert services.do_check_overdue_collections(actor=services.ECOLOGY) == 1
    assert services.do_check_overdue_collections(actor=services.ECOLOGY) == 0  # still open: no second case
    case = Case.objects.get()
    assert case.case_type == "ecology.collection" and "清水村村部收集点" in case.title
    services.do_record_collection(
        bins,
        actor=OPERATOR,
        collected_at=timezone.now() - timedelta(hours=1),
        weight_kg=320,
        transfer_station="泉交河镇转运站",
    )
    assert any("已清运" in (e.note or "") for e in case.events.all())
    bins.refresh_from_db()
    assert bins.last_collected_at is not None
    assert services.overdue_points() == []


def test_a_collection_with_a_bad_weight_or_no_station_writes_nothing(bins):
    with pytest.raises(ServiceError) as caught:
        services.do_record_collection(
            bins, actor=OPERATOR, collected_at=timezone.now(), weight_kg=-5, transfer_station=""
        )
    assert {"weight_kg", "transfer_station"} <= set(caught.value.fields)
    assert not CollectionRecord.objects.exists()


def test_a_grid_worker_records_collections_in_their_area_only(bins, places, cast):
    services.do_record_collection(
        bins, actor=cast.grid_a, collected_at=timezone.now(), weight_kg=100, transfer_station="转运站"
    )
    other = services.do_create_collection_point(
        actor=OPERATOR, code="LJ-T02", name="荷花村收集点", place=places.village_b
    )
    with pytest.raises(Exception):  # noqa: B017 — outside the region: refused, whichever way the gate says it
        services.do_record_collection(
            other, actor=cast.grid_a, collected_at=timezone.now(), weight_kg=100, transfer_station="转运站"
        )
    assert CollectionRecord.objects.count() == 1


def test_collection_on_schedule_is_counted_per_village(bins, places):
    from shuxiang.ecology import indicators
    from shuxiang.indicators.periods import quarter_of

    period = quarter_of(timezone.localdate())
    assert indicators.collection_on_schedule(period) == [(places.village_a.pk, 0, 1)]
    services.do_record_collection(
        bins, actor=OPERATOR, collected_at=timezone.now(), weight_kg=80, transfer_station="转运站"
    )
    assert indicators.collection_on_schedule(period) == [(places.village_a.pk, 1, 1)]


def test_a_village_is_scored_for_the_quarter_and_the_indicator_counts_it(client_for, cast, places):
    from shuxiang.ecology import indicators
    from shuxiang.ecology.models import BeautyAssessment, BeautyItem
    from shuxiang.indicators.periods import quarter_of

    period = quarter_of(timezone.localdate())
    items = list(BeautyItem.objects.filter(is_active=True))
    assert len(items) == 6  # "六个一", as data
    form = {
        "place": places.village_a.code,
        "period": period.code,
        **{f"s_{i.code}": i.max_score - 2 for i in items},
    }
    c = client_for(cast.township_a)
    assert c.post("/sanitation/beauty/add/", {**form, f"s_{items[0].code}": 999}).status_code == 400
    assert not BeautyAssessment.objects.exists()
    assert c.post("/sanitation/beauty/add/", form).status_code == 302
    assessment = BeautyAssessment.objects.get()
    assert assessment.total == sum(i.max_score for i in items) - 12 and assessment.max_total == 100
    assert indicators.beautiful_village_score(period) == [(places.village_a.pk, 88.0, 100.0)]
    assert "88 / 100" in c.get("/sanitation/beauty/").content.decode()
    # another township's village is outside the officer's region: refused, nothing written
    c.post("/sanitation/beauty/add/", {**form, "place": places.village_b.code})
    assert BeautyAssessment.objects.count() == 1
    assert client_for(cast.grid_a).get("/sanitation/beauty/add/").status_code == 403
