from decimal import Decimal

import pytest
from django.db import connection

from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import Forbidden, NotFound, ServiceError
from shuxiang.core.models import AuditEntry
from shuxiang.ledger import services as ledger
from shuxiang.ledger.models import LedgerEntry
from shuxiang.trace import codes, services
from shuxiang.trace.models import Certificate, Lot, Producer, Product, TraceEvent
from shuxiang.trace.tests.conftest import credit_code, days_ago

pytestmark = pytest.mark.django_db


def life(lot, actor):
    """Planting to shipping, as a cooperative records it over a season."""
    services.do_record_event(
        lot, actor=actor, biz_step="planting", event_time=days_ago(120), quantity=30, note="插秧"
    )
    services.do_record_event(
        lot,
        actor=actor,
        biz_step="input_use",
        event_time=days_ago(40),
        input_kind="pesticide",
        input_name="氯虫苯甲酰胺",
        input_dose="每亩 10 mL",
        interval_days=21,
    )
    services.do_record_event(lot, actor=actor, biz_step="harvesting", event_time=days_ago(10), quantity=5000)
    services.do_record_event(
        lot,
        actor=actor,
        biz_step="inspecting",
        event_time=days_ago(9),
        test_item="农药残留快速检测",
        test_agency="泉交河镇农技站",
        test_passed=True,
    )
    services.do_record_event(lot, actor=actor, biz_step="packing", event_time=days_ago(8), quantity=5000)
    return services.do_record_event(
        lot,
        actor=actor,
        biz_step="shipping",
        event_time=days_ago(7),
        quantity=2000,
        counterparty="益阳市农贸市场",
    )


# --- producers, products, lots --------------------------------------------------------------------


def test_a_credit_code_with_a_wrong_check_character_is_refused_naming_the_right_one(places, cast):
    good = credit_code()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(ServiceError) as err:
        services.do_create_producer(
            actor=cast.township_a,
            name="某合作社",
            kind="cooperative",
            place=places.village_a.code,
            credit_code=bad,
        )
    assert f"应为 {good[17]}" in err.value.fields["credit_code"][0]
    assert not Producer.objects.exists()


def test_a_company_without_a_credit_code_is_refused(places, cast):
    with pytest.raises(ServiceError) as err:
        services.do_create_producer(
            actor=cast.township_a, name="某公司", kind="company", place=places.village_a.code
        )
    assert "credit_code" in err.value.fields and not Producer.objects.exists()


def test_a_household_is_registered_by_the_heads_id_number_kept_encrypted(other_farm):
    producer = other_farm["producer"]
    assert producer.credit_code == ""
    assert producer.contact.id_number_masked.startswith("4309") and "*" in producer.contact.id_number_masked
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM core_person WHERE id = %s", [producer.contact_id])
        assert "430903198001011233" not in cursor.fetchone()[0]


def test_a_gtin_with_a_wrong_check_digit_is_refused_and_nothing_is_written(farm, cast):
    before = Product.objects.count()
    with pytest.raises(ServiceError) as err:
        services.do_create_product(
            farm["producer"], actor=cast.township_a, name="糙米", category="rice", gtin="6901234567891"
        )
    assert err.value.code == "invalid_gtin" and "应为 2" in err.value.message
    assert Product.objects.count() == before


def test_a_product_without_a_gtin_gets_an_internal_code_with_a_valid_check_digit(other_farm):
    gtin = other_farm["product"].gtin
    assert other_farm["product"].gtin_is_internal and gtin.startswith("002")
    assert codes.normalize_gtin(gtin) == gtin


def test_a_lot_with_no_origin_is_refused_and_nothing_is_written(farm, cast):
    with pytest.raises(ServiceError) as err:
        services.do_create_lot(
            farm["product"], actor=cast.township_a, lot_number="X1", origin=None, quantity=10
        )
    assert err.value.code == "lot_without_origin" and "origin" in err.value.fields
    assert not Lot.objects.exists()


def test_a_lot_on_another_producers_plot_is_refused(farm, other_farm, cast):
    with pytest.raises(ServiceError) as err:
        services.do_create_lot(
            farm["product"], actor=cast.admin, lot_number="X1", origin=other_farm["plot"], quantity=10
        )
    assert err.value.code == "origin_of_other_producer"


# --- trace events -----------------------------------------------------------------------------


def test_a_lots_life_from_planting_to_shipping_is_chained_in_the_ledger(lot, farm):
    shipped = life(lot, farm["account"])
    lot.refresh_from_db()
    assert lot.stage == "shipped"
    events = list(lot.events.all())
    assert [e.biz_step for e in events] == [
        "planting",
        "input_use",
        "harvesting",
        "inspecting",
        "packing",
        "shipping",
    ]
    assert all(len(e.ledger_hash) == 64 for e in events)
    assert shipped.disposition == "in_transit" and shipped.recorded_by == "t_coop"
    result = ledger.verify("trace")
    # producer, its soil test, product and lot came first: every fact of the public page is chained
    assert result.ok and result.entries == 4 + 6 and result.head == shipped.ledger_hash
    keys = list(LedgerEntry.objects.order_by("seq").values_list("key", flat=True))
    assert [k.split(":")[0] for k in keys[:4]] == [
        "trace.producer",
        "trace.envtest",
        "trace.product",
        "trace.lot",
    ]


def test_harvest_inside_the_pre_harvest_interval_is_refused_naming_product_and_allowed_date(lot, cast):
    services.do_record_event(
        lot,
        actor=cast.grid_a,
        biz_step="input_use",
        event_time=days_ago(3),
        input_kind="pesticide",
        input_name="吡虫啉",
        input_dose="每亩 20 g",
        interval_days=14,
    )
    allowed = days_ago(3).date() + __import__("datetime").timedelta(days=14)
    entries = LedgerEntry.objects.count()
    with pytest.raises(ServiceError) as err:
        services.do_record_event(
            lot, actor=cast.grid_a, biz_step="harvesting", event_time=days_ago(0, hour=8)
        )
    assert err.value.code == "pre_harvest_interval"
    assert "清水贡米" in err.value.message and "吡虫啉" in err.value.message
    assert f"{allowed:%Y-%m-%d}起方可采收" in err.value.message
    assert err.value.fields["event_time"] == [f"{allowed:%Y-%m-%d}起方可采收"]
    assert not lot.events.filter(biz_step="harvesting").exists()
    assert LedgerEntry.objects.count() == entries


def test_a_correction_is_a_new_event_and_the_corrected_one_stays_as_recorded(lot, cast):
    wrong = services.do_record_event(
        lot,
        actor=cast.grid_a,
        biz_step="input_use",
        event_time=days_ago(2),
        input_kind="pesticide",
        input_name="吡虫啉",
        input_dose="每亩 20 g",
        interval_days=14,
    )
    fix = services.do_record_event(
        lot,
        actor=cast.grid_a,
        biz_step="input_use",
        event_time=days_ago(30),
        input_kind="pesticide",
        input_name="吡虫啉",
        input_dose="每亩 20 g",
        interval_days=14,
        corrects=wrong,
        note="日期录错，实际为30天前",
    )
    harvest = services.do_record_event(
        lot, actor=cast.grid_a, biz_step="harvesting", event_time=days_ago(0, hour=8)
    )
    wrong.refresh_from_db()
    assert wrong.event_time == days_ago(2) and fix.corrects == wrong and harvest.pk
    assert list(services.effective_events(lot)) == [fix, harvest]
    with pytest.raises(ServiceError) as err:
        services.do_record_event(
            lot,
            actor=cast.grid_a,
            biz_step="input_use",
            input_kind="fertilizer",
            input_name="尿素",
            input_dose="10kg",
            corrects=wrong,
        )
    assert "已被更正" in err.value.fields["corrects"][0]
    assert ledger.verify("trace").ok


def test_an_input_use_without_an_interval_for_a_pesticide_is_refused(lot, cast):
    with pytest.raises(ServiceError) as err:
        services.do_record_event(
            lot,
            actor=cast.grid_a,
            biz_step="input_use",
            input_kind="pesticide",
            input_name="吡虫啉",
            input_dose="20g",
        )
    assert "interval_days" in err.value.fields and not TraceEvent.objects.exists()


def test_a_producer_account_cannot_record_for_a_lot_of_another_producer(farm, other_farm):
    with pytest.raises(Forbidden) as err:
        services.do_record_event(other_farm["lot"], actor=farm["account"], biz_step="harvesting")
    # It is told the rule, and learns nothing about the other producer.
    assert "本经营主体" in err.value.message and "荷花村" not in err.value.message
    with pytest.raises(Forbidden):
        services.do_issue_certificate(other_farm["lot"], actor=farm["account"])
    with pytest.raises(Forbidden):
        services.do_create_lot(
            other_farm["product"],
            actor=farm["account"],
            lot_number="X9",
            origin=other_farm["plot"],
            quantity=1,
        )
    assert (
        not TraceEvent.objects.exists() and not LedgerEntry.objects.filter(key__contains=".event:").exists()
    )
    assert not LedgerEntry.objects.filter(key__startswith="trace.certificate:").exists()
    assert not Certificate.objects.exists() and Lot.objects.count() == 1


def test_a_producer_account_may_not_register_producers_or_their_land(farm, places):
    with pytest.raises(Forbidden):
        services.do_create_producer(
            actor=farm["account"], name="新合作社", kind="cooperative", place=places.village_a.code
        )
    with pytest.raises(Forbidden):
        services.do_create_plot(farm["base"], actor=farm["account"], name="2号田")
    with pytest.raises(Forbidden):
        services.do_link_device(farm["plot"], actor=farm["account"], device_code="")
    assert Producer.objects.count() == 1 and farm["base"].plots.count() == 1


def test_a_township_officer_cannot_record_for_a_lot_in_another_township(other_farm, cast):
    with pytest.raises(NotFound):
        services.do_record_event(other_farm["lot"], actor=cast.township_a, biz_step="harvesting")
    assert not TraceEvent.objects.exists()


def test_a_grid_worker_records_events_but_may_not_clear_a_counterfeit_warning(lot, cast):
    services.do_record_event(lot, actor=cast.grid_a, biz_step="planting", event_time=days_ago(5))
    with pytest.raises(Forbidden):
        services.do_clear_warning(lot, actor=cast.grid_a)


def test_services_refuse_a_bare_string_as_actor_and_write_nothing(farm, lot, places):
    with pytest.raises(TypeError):
        services.do_record_event(lot, actor="cli", biz_step="planting")
    with pytest.raises(TypeError):
        services.do_create_producer(actor="cli", name="某合作社", kind="cooperative", place=places.village_a)
    with pytest.raises(TypeError):
        services.do_record_scan(lot, actor="public", ip="10.0.0.1")
    with pytest.raises(TypeError):
        services.do_clear_warning(lot, actor=None)
    with pytest.raises(TypeError):
        services.do_file_complaint(lot, actor="trace:12315", description="买回的大米有霉味")
    assert not TraceEvent.objects.exists() and Producer.objects.count() == 1
    lot.refresh_from_db()
    assert lot.scan_count == 0


def test_a_water_bureau_officer_may_not_record_trace_events(lot, cast, places):
    from shuxiang.core import services as core_services

    water = core_services.do_create_unit(
        actor=OPERATOR, name="区水利局", kind="bureau", place=places.district, domains=["water"]
    )
    officer = core_services.do_create_user(
        actor=OPERATOR,
        username="t_water",
        role="department",
        place=places.district,
        unit=water,
        password="Test-pass-2025",
    )
    with pytest.raises(Forbidden):
        services.do_record_event(lot, actor=officer, biz_step="harvesting")


# --- certificates -----------------------------------------------------------------------------


def test_a_failed_test_blocks_the_certificate_and_shipping_of_that_lot(lot, cast):
    services.do_record_event(lot, actor=cast.grid_a, biz_step="harvesting", event_time=days_ago(2))
    services.do_record_event(
        lot,
        actor=cast.grid_a,
        biz_step="inspecting",
        event_time=days_ago(1),
        test_item="农药残留快速检测",
        test_passed=False,
    )
    with pytest.raises(ServiceError) as err:
        services.do_issue_certificate(lot, actor=cast.grid_a)
    assert err.value.code == "failed_test" and "不合格" in err.value.message
    with pytest.raises(ServiceError) as err:
        services.do_record_event(lot, actor=cast.grid_a, biz_step="shipping", counterparty="某超市")
    assert err.value.code == "failed_test"
    assert not Certificate.objects.exists()


def test_a_certificate_carries_product_quantity_origin_and_producer_and_cannot_exceed_the_lot(lot, farm):
    life(lot, farm["account"])
    certificate = services.do_issue_certificate(lot, actor=farm["account"], quantity=Decimal("3000"))
    assert certificate.number.startswith("HG" + lot.short_code) and certificate.quantity == Decimal("3000.00")
    assert "不使用禁用农药兽药" in certificate.statement
    with pytest.raises(ServiceError) as err:
        services.do_issue_certificate(lot, actor=farm["account"], quantity=Decimal("2500"))
    assert err.value.code == "quantity_exceeds" and "2000" in err.value.message
    assert AuditEntry.objects.filter(object_type="trace.certificate").count() == 1


def test_a_lot_not_yet_harvested_gets_no_certificate(lot, cast):
    with pytest.raises(ServiceError) as err:
        services.do_issue_certificate(lot, actor=cast.township_a)
    assert err.value.code == "not_harvested"


# --- the ledger after direct edits of the database -------------------------------------------------


def _sql(statement, params):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_ledger_verification_names_the_event_after_a_direct_sql_edit_of_it(lot, farm):
    life(lot, farm["account"])
    harvest = lot.events.get(biz_step="harvesting")
    _sql("UPDATE trace_traceevent SET quantity = %s WHERE id = %s", ["9999", harvest.pk])
    result = ledger.verify("trace")
    assert not result.ok
    assert (result.first_bad.seq, result.first_bad.reason) == (harvest.ledger_seq, "source_changed")
    assert f"trace.event:{harvest.pk}" in result.first_bad.message


def test_ledger_verification_names_the_entry_after_a_direct_sql_edit_of_its_hash(lot, farm):
    life(lot, farm["account"])
    test = lot.events.get(biz_step="inspecting")
    _sql(
        "UPDATE ledger_ledgerentry SET hash = %s WHERE stream = 'trace' AND seq = %s",
        ["a" * 64, test.ledger_seq],
    )
    result = ledger.verify("trace")
    assert (result.first_bad.seq, result.first_bad.reason) == (test.ledger_seq, "hash_mismatch")


def test_ledger_verification_names_the_first_gap_after_a_deleted_row(lot, farm):
    life(lot, farm["account"])
    packing = lot.events.get(biz_step="packing")
    _sql("DELETE FROM ledger_ledgerentry WHERE stream = 'trace' AND seq = %s", [packing.ledger_seq])
    result = ledger.verify("trace")
    assert (result.first_bad.seq, result.first_bad.reason) == (packing.ledger_seq, "missing")


def test_ledger_verification_names_the_entry_whose_event_row_was_deleted(lot, farm):
    life(lot, farm["account"])
    planting = lot.events.get(biz_step="planting")
    _sql("DELETE FROM trace_traceevent WHERE id = %s", [planting.pk])
    result = ledger.verify("trace")
    assert (result.first_bad.seq, result.first_bad.reason) == (planting.ledger_seq, "source_missing")


# --- scans and counterfeit clues -------------------------------------------------------------------

IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) MicroMessenger/8.0.49"
ANDROID = "Mozilla/5.0 (Linux; Android 14; V2304A) Chrome/120.0 Mobile Safari/537.36"
HUAWEI = "Mozilla/5.0 (Linux; Android 13; HarmonyOS) HuaweiBrowser/14.0 Mobile"
YIYANG, YIYANG_2, GUANGZHOU, HARBIN = (28.47, 112.60), (28.55, 112.36), (23.13, 113.26), (45.75, 126.63)


def scan(lot, ip, agent, where=None):
    lat, lng = where if where else (None, None)
    return services.do_record_scan(
        lot, actor=services.CONSUMER, ip=ip, user_agent=agent, latitude=lat, longitude=lng
    )


def test_two_beacons_thousands_of_km_apart_are_not_evidence_of_a_copied_label(lot):
    scan(lot, "223.146.10.8", IPHONE, YIYANG)
    scan(lot, "113.108.20.4", ANDROID, HARBIN)  # about 2,300 km away, minutes later
    lot.refresh_from_db()
    assert lot.scan_count == 2 and not lot.suspicious and lot.clue_reason == ""
    assert not AuditEntry.objects.filter(action="transition", object_type="trace.lot").exists()


def test_three_clients_in_two_far_apart_places_give_the_township_a_clue_not_a_public_warning(
    lot, cast, django_capture_on_commit_callbacks
):
    from shuxiang.core.models import Notification

    version = Lot.objects.get(pk=lot.pk).version
    scan(lot, "223.146.10.8", IPHONE, YIYANG)
    scan(lot, "117.136.5.20", ANDROID, YIYANG_2)
    with django_capture_on_commit_callbacks(execute=True):
        scan(lot, "113.108.20.4", HUAWEI, GUANGZHOU)
    lot.refresh_from_db()
    assert "3个不同客户端" in lot.clue_reason and "2个" in lot.clue_reason and not lot.suspicious
    assert lot.version == version  # the public page is unchanged
    entry = AuditEntry.objects.get(action="transition", object_type="trace.lot")
    assert entry.actor is None and entry.actor_label == "consumer"
    note = Notification.objects.get(recipient=cast.township_a)
    assert "待核查" in note.title and not Notification.objects.filter(recipient=cast.township_b).exists()


def test_one_client_cannot_make_a_clue_by_changing_its_browser_or_its_network(lot):
    # one network, three browsers, three places: one client
    scan(lot, "223.146.10.8", IPHONE, YIYANG)
    scan(lot, "223.146.10.9", ANDROID, GUANGZHOU)
    scan(lot, "223.146.10.10", HUAWEI, HARBIN)
    # three networks, one browser: still one more client at most
    scan(lot, "10.1.0.1", IPHONE, GUANGZHOU)
    scan(lot, "10.2.0.1", IPHONE, HARBIN)
    lot.refresh_from_db()
    assert lot.scan_count == 5 and lot.clue_reason == "" and not lot.suspicious


def test_the_thresholds_come_from_the_setting(lot, settings):
    settings.TRACE_COUNTERFEIT = "min_clients=2,far_km=1000"
    scan(lot, "223.146.10.8", IPHONE, YIYANG)
    scan(lot, "113.108.20.4", ANDROID, GUANGZHOU)  # about 560 km: not far enough now
    lot.refresh_from_db()
    assert lot.clue_reason == ""
    scan(lot, "1.180.2.9", HUAWEI, HARBIN)
    lot.refresh_from_db()
    assert "1000公里" in lot.clue_reason


def test_a_wrong_threshold_setting_is_a_system_check_error(settings):
    from shuxiang.trace.checks import counterfeit_rule

    settings.TRACE_COUNTERFEIT = "min_clients=many"
    assert [e.id for e in counterfeit_rule()] == ["trace.E001"]
    settings.TRACE_COUNTERFEIT = "min_clients=3,far_km=250"
    assert counterfeit_rule() == []


def test_many_different_clients_in_a_day_give_a_clue(lot, settings):
    settings.TRACE_COUNTERFEIT = "many_clients=5"
    for i in range(6):
        scan(lot, f"10.{i}.0.1", f"phone-{i}")
    lot.refresh_from_db()
    assert "6个不同网络和浏览器" in lot.clue_reason and not lot.suspicious


def _clue(lot):
    scan(lot, "223.146.10.8", IPHONE, YIYANG)
    scan(lot, "117.136.5.20", ANDROID, YIYANG_2)
    scan(lot, "113.108.20.4", HUAWEI, GUANGZHOU)
    lot.refresh_from_db()
    assert lot.clue_reason
    return lot


def test_an_official_confirms_a_clue_and_then_clears_the_warning(lot, cast):
    _clue(lot)
    services.do_confirm_counterfeit(lot, actor=cast.township_a, note="广州某批发市场发现仿冒包装")
    lot.refresh_from_db()
    assert lot.suspicious and lot.suspicious_reason == "广州某批发市场发现仿冒包装" and lot.clue_reason == ""
    services.do_clear_warning(lot, actor=cast.township_a)
    lot.refresh_from_db()
    assert not lot.suspicious and lot.suspicious_reason == ""


def test_a_dismissed_clue_is_not_raised_again_by_the_same_scans(lot, cast):
    _clue(lot)
    services.do_dismiss_clue(lot, actor=cast.township_a)
    scan(lot, "36.4.1.1", "another phone", GUANGZHOU)
    lot.refresh_from_db()
    assert lot.clue_reason == "" and not lot.suspicious


def test_a_grid_worker_may_not_confirm_or_dismiss_a_clue(lot, cast):
    _clue(lot)
    with pytest.raises(Forbidden):
        services.do_confirm_counterfeit(lot, actor=cast.grid_a, note="看到了")
    with pytest.raises(Forbidden):
        services.do_dismiss_clue(lot, actor=cast.grid_a)
    lot.refresh_from_db()
    assert lot.clue_reason and not lot.suspicious


# --- 12315 -------------------------------------------------------------------------------------------


def test_a_12315_complaint_opens_a_food_safety_case_for_the_market_regulator(lot, places):
    from shuxiang.cases.models import Case
    from shuxiang.core import services as core_services

    regulator = core_services.do_create_unit(
        actor=OPERATOR,
        name="区市场监督管理局",
        short_name="区市监局",
        kind="bureau",
        place=places.district,
        domains=["trace", "cases"],
    )
    case = services.do_file_complaint(
        lot,
        actor=services.CONSUMER,
        description="买回的大米有霉味，怀疑变质",
        phone="13800138000",
        purchase_place="兰溪镇某超市",
    )
    case = Case.objects.get(pk=case.pk)
    assert case.case_type == "trace.complaint" and case.unit == regulator
    assert case.extra["lot_number"] == "2025A01" and case.extra["gtin"] == "06901234567892"
    assert case.source_ref == f"trace.lot:{lot.pk}" and case.place == places.hamlet_a
    assert case.phone_masked.endswith("8000") and "*" in case.phone_masked
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM cases_case WHERE id = %s", [case.pk])
        assert "13800138000" not in cursor.fetchone()[0]


def test_a_12315_complaint_too_short_is_refused_and_no_case_is_opened(lot):
    from shuxiang.cases.models import Case

    with pytest.raises(ServiceError) as err:
        services.do_file_complaint(lot, actor=services.CONSUMER, description="差")
    assert "description" in err.value.fields and not Case.objects.exists()
