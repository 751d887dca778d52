"""Cold stores and ponds feeding traceability: an excursion becomes a compliance record on each lot in
the store (and its trace pages); a lot harvested from a pond has the pond as its origin."""

from datetime import timedelta

import pytest
from django.utils import timezone

from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError
from shuxiang.iot import services as iot
from shuxiang.iot.models import AlarmRule
from shuxiang.livestock import coldchain, ponds
from shuxiang.livestock.models import ColdExcursion
from shuxiang.trace import services as trace


@pytest.fixture
def lot(pond, producer):
    product = trace.do_create_product(producer, actor=OPERATOR, name="赫山黄颡鱼", category="aquatic")
    return trace.do_create_lot(
        product, actor=OPERATOR, lot_number="HS-HSY-0801", origin=pond.plot, quantity=800
    )


def temperatures(store, start, values, django_capture_on_commit_callbacks):
    for i, value in enumerate(values):
        ts = start + timedelta(minutes=5 * i)
        with django_capture_on_commit_callbacks(execute=True):
            iot.do_ingest_one(store.device.code, [("T", ts, value)], actor=OPERATOR, now=ts)


def test_a_cold_store_gets_its_classes_limit_as_a_rule(store):
    rule = AlarmRule.objects.get(device=store.device, key="T")
    assert (rule.threshold, rule.duration_minutes) == (-15, 30)
    assert "livestock.cold_excursion" in rule.actions


def test_a_pond_is_the_origin_of_its_harvested_lots_and_their_page_shows_its_water(
    lot, pond, cast, client_for
):
    assert lot.origin == pond.plot and pond.plot.device == pond.device
    iot.do_ingest_one(pond.device.code, [("DO", timezone.now(), 6.4)], actor=OPERATOR)
    page = client_for(cast.district).get(f"/trace/lots/{lot.pk}/").content.decode()
    assert "溶解氧" in page and "6.4" in page


def test_a_short_excursion_is_not_a_breach(store, lot, django_capture_on_commit_callbacks):
    coldchain.do_store_lot(store, actor=OPERATOR, lot=lot, quantity_t=0.8)
    start = timezone.now() - timedelta(hours=2)
    temperatures(
        store, start, [-18, -12, -13, -18, -18], django_capture_on_commit_callbacks
    )  # 10 minutes warm
    assert not ColdExcursion.objects.exists()


def test_an_excursion_above_the_limit_for_30_minutes_is_a_compliance_record_on_each_lot(
    store, lot, cast, client_for, django_capture_on_commit_callbacks
):
    start = timezone.now() - timedelta(hours=2)
    coldchain.do_store_lot(
        store, actor=OPERATOR, lot=lot, quantity_t=0.8, stored_at=start - timedelta(days=1)
    )
    warm = [-18, -13, -12, -11, -11.5, -12, -13, -13.5, -14]  # 35 minutes above −15 ℃
    temperatures(store, start, warm + [-18, -19], django_capture_on_commit_callbacks)
    excursion = ColdExcursion.objects.get()
    assert list(excursion.lots.all()) == [lot] and excursion.limit == -15
    assert excursion.ended_at is not None and excursion.peak == -11
    event = lot.events.get(biz_step="inspecting")
    assert event.test_passed is False and "超过冷冻" in event.note
    # traceability shows it, and the lot is not shipped before someone has looked at it
    page = client_for(cast.district).get(f"/trace/lots/{lot.pk}/").content.decode()
    assert "冷链温度合规" in page
    with pytest.raises(ServiceError) as exc:
        trace.do_record_event(
            lot, actor=OPERATOR, biz_step="shipping", counterparty="益阳市生鲜配送中心", quantity=800
        )
    assert exc.value.code == "failed_test"
    store_page = client_for(cast.district).get(f"/coldchain/stores/{store.pk}/").content.decode()
    assert "温度超标合规记录" in store_page and "HS-HSY-0801" in store_page


def test_a_store_cannot_take_more_than_its_capacity(store, lot):
    with pytest.raises(ServiceError) as exc:
        coldchain.do_store_lot(store, actor=OPERATOR, lot=lot, quantity_t=600)
    assert exc.value.code == "over_capacity"
    store.refresh_from_db()
    assert store.occupied_t == 0


def test_harvesting_more_fish_than_the_pond_holds_is_refused(pond, cast):
    with pytest.raises(ServiceError) as exc:
        ponds.do_record_pond(pond, actor=cast.grid_a, kind="harvest", on=timezone.localdate(), count=25000)
    assert "count" in exc.value.fields
    ponds.do_record_pond(
        pond, actor=cast.grid_a, kind="harvest", on=timezone.localdate(), count=5000, weight_kg=900
    )
    pond.refresh_from_db()
    assert pond.stocked == 15000
