"""Tamper drill (issue 13): someone with write access to the database changes what a consumer is shown
— the producer, the product, a certificate, an event inserted into the event table alone, or the chain
rewritten behind a signed checkpoint. Each is caught by `shuxiang ledger verify` (a failing command),
by the public verification API, and by the lot's public page as soon as it is loaded."""

import json

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError
from shuxiang.ledger import services as ledger
from shuxiang.ledger.models import LedgerCheckpoint, LedgerEntry
from shuxiang.trace import services
from shuxiang.trace.models import TraceEvent
from shuxiang.trace.tests.test_services import life

pytestmark = pytest.mark.django_db


def _sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.fixture
def sealed(lot, farm):
    """A shipped lot with its certificate, and the checkpoint its last write batch ends with."""
    life(lot, farm["account"])
    services.do_issue_certificate(lot, actor=farm["account"], quantity=2000)
    ledger.checkpoint("trace", actor=OPERATOR)
    lot.refresh_from_db()
    cache.clear()
    return lot


def _edit_producer(lot):
    _sql("UPDATE trace_producer SET name = %s WHERE id = %s", ["山寨合作社", lot.product.producer_id])
    return "source_changed", "生产者与账本记录不符"


def _edit_product(lot):
    _sql("UPDATE trace_product SET name = %s WHERE id = %s", ["有机富硒贡米", lot.product_id])
    return "source_changed", "产品与账本记录不符"


def _edit_certificate(lot):
    _sql("UPDATE trace_certificate SET quantity = %s WHERE lot_id = %s", ["5000", lot.pk])
    return "source_changed", "承诺达标合格证"


def _insert_event(lot):
    """A green test result added to the event table alone, wearing a real event's proof."""
    real = lot.events.get(biz_step="inspecting")
    TraceEvent.objects.create(
        lot=lot,
        biz_step="inspecting",
        disposition="conformant",
        event_time=real.event_time,
        place=real.place,
        test_item="重金属全项检测",
        test_agency="国家级检测中心",
        test_passed=True,
        recorded_by=real.recorded_by,
        ledger_seq=real.ledger_seq,
        ledger_hash=real.ledger_hash,
    )
    return "unrecorded", "在可信账本中没有记录"


def _delete_event(lot):
    """A failed step quietly removed: its entry stays, its row is gone."""
    _sql("DELETE FROM trace_traceevent WHERE id = %s", [lot.events.get(biz_step="packing").pk])
    return "source_missing", "已从数据中删除"


def _rewrite_after_checkpoint(lot):
    """The harvest quantity changed in the row and in its entry, every later hash and the head
    recomputed: a consistent chain, but not the one the signed checkpoint recorded."""
    harvest = lot.events.get(biz_step="harvesting")
    _sql("UPDATE trace_traceevent SET quantity = %s WHERE id = %s", ["9000", harvest.pk])
    prev = None
    for entry in LedgerEntry.objects.filter(stream="trace", seq__gte=harvest.ledger_seq).order_by("seq"):
        body = entry.body
        if entry.seq == harvest.ledger_seq:
            envelope = json.loads(body)
            envelope["payload"]["quantity"] = "9000"
            body = ledger.canonical(envelope)
        prev_hash = prev or entry.prev_hash
        digest = ledger.chain_hash(prev_hash, body)
        _sql(
            "UPDATE ledger_ledgerentry SET body = %s, prev_hash = %s, hash = %s WHERE id = %s",
            [body, prev_hash, digest, entry.pk],
        )
        prev = digest
    _sql("UPDATE ledger_ledgerhead SET hash = %s WHERE stream = 'trace'", [prev])
    return "checkpoint_mismatch", "与已签名检查点不符"


DRILLS = {
    "producer name": _edit_producer,
    "product": _edit_product,
    "certificate": _edit_certificate,
    "forged inserted event": _insert_event,
    "deleted event": _delete_event,
    "rewrite after a checkpoint": _rewrite_after_checkpoint,
}


def test_an_untouched_lot_verifies_everywhere(sealed, capsys):
    call_command("ledger", "verify")
    assert "核验通过" in capsys.readouterr().out
    assert Client().get("/api/v1/ledger/verify/").json()["ok"] is True
    page = Client().get(sealed.public_path).content.decode()
    assert 'id="ledger-warning"' not in page and "均与可信账本一致" in page and "检查点 #" in page


@pytest.mark.parametrize("drill", DRILLS)
def test_the_tamper_drill_is_caught_by_the_command_the_api_and_the_page_on_load(sealed, drill):
    reason, page_says = DRILLS[drill](sealed)

    with pytest.raises(CommandError, match="账本核验失败"):  # `shuxiang ledger verify` exits with status 1
        call_command("ledger", "verify")

    body = Client().get("/api/v1/ledger/verify/?stream=trace").json()
    assert body["ok"] is False and body["first_bad"]["reason"] == reason

    page = Client().get(sealed.public_path).content.decode()
    warning = page[page.index('id="ledger-warning"') :]
    assert page_says in warning[: warning.index("</div>")]
    data = Client().get(sealed.public_path, HTTP_ACCEPT="application/json").json()
    assert data["verification"]["ok"] is False and data["verification"]["problems"]


def test_a_forged_event_is_never_a_green_badge_and_carries_no_borrowed_proof(sealed):
    _insert_event(sealed)
    page = Client().get(sealed.public_path).content.decode()
    assert 'pub-badge ok">重金属全项检测' not in page and "重金属全项检测：合格" not in page
    assert "重金属全项检测：结论未经核验" in page
    assert "账本中无此记录" in page
    forged = TraceEvent.objects.get(test_item="重金属全项检测")
    data = Client().get(sealed.public_path, HTTP_ACCEPT="application/json").json()
    event = next(e for e in data["events"] if e["id"] == forged.pk)
    assert event["ledger"]["status"] == "unrecorded" and event["ledger"]["hash"] == ""


def test_a_checkpoint_row_edited_in_the_database_fails_its_signature(sealed):
    _sql("UPDATE ledger_ledgercheckpoint SET body = replace(body, '\"seq\":', '\"seq\": ')")
    result = ledger.verify()
    assert result.first_bad.reason == "checkpoint_forged"


def test_a_chain_rewritten_and_re_signed_with_the_key_is_caught_by_a_mirror_of_the_feed(sealed, tmp_path):
    """Even the operator, who holds the key, cannot rewrite silently once someone mirrored the feed."""
    mirror = tmp_path / "checkpoints.json"
    mirror.write_text(Client().get("/ledger/checkpoints.json").content.decode(), encoding="utf-8")
    _rewrite_after_checkpoint(sealed)
    _sql("DELETE FROM ledger_ledgercheckpoint")
    ledger.checkpoint("trace", actor=OPERATOR)  # a fresh, validly signed log for the rewritten chain
    assert ledger.verify("trace").ok
    with pytest.raises(CommandError, match="公开发布的副本不符"):
        call_command("ledger", "verify", "--mirror", str(mirror))


def test_a_checkpoint_is_refused_for_a_chain_rewritten_behind_the_last_one(sealed, farm):
    services.do_record_event(sealed, actor=farm["account"], biz_step="receiving", counterparty="学校食堂")
    _rewrite_after_checkpoint(sealed)
    signed = LedgerCheckpoint.objects.count()
    with pytest.raises(ServiceError) as err:  # the next checkpoint would have vouched for the rewrite
        ledger.checkpoint("trace", actor=OPERATOR)
    assert err.value.code == "chain_broken" and LedgerCheckpoint.objects.count() == signed


def test_the_proof_download_holds_each_entry_its_previous_hash_and_the_checkpoint(sealed):
    proof = Client().get(f"/t/{sealed.short_code}/proof.json").json()
    assert proof["ok"] is True and proof["publicKey"]["algorithm"] == "Ed25519"
    keys = {f["key"] for f in proof["facts"]}
    assert f"trace.producer:{sealed.product.producer_id}" in keys and f"trace.lot:{sealed.pk}" in keys
    chain = {e["seq"]: e for e in proof["chain"]}
    for fact in proof["facts"]:
        entry = chain[fact["seq"]]
        assert {"body", "prev_hash", "hash"} <= set(entry) and entry["key"] == fact["key"]
    checkpoint = proof["checkpoints"][-1]
    assert checkpoint["head"] == chain[checkpoint["seq"]]["hash"] and len(checkpoint["signature"]) == 128
