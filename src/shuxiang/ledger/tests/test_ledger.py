import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from shuxiang.core.actors import OPERATOR, Actor
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import Unit
from shuxiang.ledger import services
from shuxiang.ledger.models import LedgerEntry, LedgerHead

pytestmark = pytest.mark.django_db


def _sql(statement, params):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.fixture
def chain():
    """Five entries on a stream, as an app would append them."""
    return [services.append("demo", {"n": i, "what": f"事件{i}"}, actor=OPERATOR) for i in range(1, 6)]


@pytest.fixture
def unit_source(places):
    """A stream whose entries record units, with the unit table registered as its source."""

    def fetch(keys):
        ids = [int(k.split(":")[1]) for k in keys]
        return {f"unit:{u.pk}": {"name": u.name} for u in Unit.objects.filter(pk__in=ids)}

    services.register_source("units", fetch)
    units = [Unit.objects.create(name=f"单位{i}", kind="other", place=places.district) for i in range(3)]
    for u in units:
        services.append("units", {"name": u.name}, key=f"unit:{u.pk}", actor=OPERATOR)
    yield units
    services.sources.pop("units")


def test_an_untouched_chain_verifies_with_its_entry_count_and_head(chain):
    result = services.verify("demo")
    assert result.ok and result.entries == 5 and result.first_bad is None
    assert result.head == chain[-1].hash == LedgerHead.objects.get(stream="demo").hash


def test_each_entry_hashes_the_previous_hash_and_its_canonical_body(chain):
    assert chain[0].prev_hash == "0" * 64
    for before, after in zip(chain, chain[1:], strict=False):
        assert after.prev_hash == before.hash
        assert after.hash == services.chain_hash(before.hash, after.body)


def test_the_canonical_form_is_the_same_whatever_the_key_order_or_number_type():
    from decimal import Decimal

    assert services.canonical({"b": 1, "a": Decimal("2.50")}) == services.canonical({"a": 2.5, "b": 1})
    assert services.canonical({"名称": "稻谷"}) == '{"名称":"稻谷"}'


def test_a_direct_sql_edit_of_an_entry_body_is_named_as_the_first_broken_entry(chain):
    body = json.loads(chain[2].body)
    body["payload"]["what"] = "被篡改"
    _sql("UPDATE ledger_ledgerentry SET body = %s WHERE id = %s", [json.dumps(body), chain[2].pk])
    result = services.verify("demo")
    assert not result.ok
    assert (result.first_bad.seq, result.first_bad.reason) == (3, "hash_mismatch")
    assert "第3条" in result.first_bad.message


def test_a_direct_sql_edit_of_an_entry_hash_is_named_as_the_first_broken_entry(chain):
    _sql("UPDATE ledger_ledgerentry SET hash = %s WHERE id = %s", ["f" * 64, chain[1].pk])
    result = services.verify("demo")
    assert (result.ok, result.first_bad.seq, result.first_bad.reason) == (False, 2, "hash_mismatch")


def test_recomputing_one_hash_after_an_edit_still_breaks_the_link_to_the_next_entry(chain):
    body = chain[1].body.replace("事件2", "事件X")
    _sql(
        "UPDATE ledger_ledgerentry SET body = %s, hash = %s WHERE id = %s",
        [body, services.chain_hash(chain[1].prev_hash, body), chain[1].pk],
    )
    result = services.verify("demo")
    assert (result.first_bad.seq, result.first_bad.reason) == (3, "chain_broken")


def test_a_deleted_entry_row_is_named_by_its_missing_sequence_number(chain):
    _sql("DELETE FROM ledger_ledgerentry WHERE id = %s", [chain[3].pk])
    result = services.verify("demo")
    assert (result.ok, result.first_bad.seq, result.first_bad.reason) == (False, 4, "missing")
    assert "已被删除" in result.first_bad.message


def test_deleting_the_newest_entry_disagrees_with_the_stream_head(chain):
    _sql("DELETE FROM ledger_ledgerentry WHERE id = %s", [chain[4].pk])
    result = services.verify("demo")
    assert (result.first_bad.seq, result.first_bad.reason) == (5, "head_mismatch")


def test_a_checkpoint_catches_a_chain_rewritten_from_the_start(chain):
    services.checkpoint("demo", actor=OPERATOR)
    # Rewrite every entry consistently, as someone with database access could, and fix the head too.
    prev = "0" * 64
    for entry in LedgerEntry.objects.filter(stream="demo").order_by("seq"):
        body = entry.body.replace("事件", "伪造")
        digest = services.chain_hash(prev, body)
        _sql(
            "UPDATE ledger_ledgerentry SET body = %s, prev_hash = %s, hash = %s WHERE id = %s",
            [body, prev, digest, entry.pk],
        )
        prev = digest
    _sql("UPDATE ledger_ledgerhead SET hash = %s WHERE stream = %s", [prev, "demo"])
    result = services.verify("demo")
    assert (result.first_bad.seq, result.first_bad.reason) == (5, "checkpoint_mismatch")


def test_a_direct_edit_of_the_source_record_is_caught_through_its_registered_source(unit_source):
    _sql("UPDATE core_unit SET name = %s WHERE id = %s", ["改过的名字", unit_source[1].pk])
    result = services.verify("units")
    assert (result.first_bad.seq, result.first_bad.reason) == (2, "source_changed")
    assert f"unit:{unit_source[1].pk}" in result.first_bad.message


def test_a_deleted_source_record_is_caught_through_its_registered_source(unit_source):
    _sql("DELETE FROM core_unit WHERE id = %s", [unit_source[0].pk])
    result = services.verify("units")
    assert (result.first_bad.seq, result.first_bad.reason) == (1, "source_missing")


def test_an_append_rolled_back_with_its_callers_write_leaves_no_entry():
    with pytest.raises(RuntimeError), transaction.atomic():
        services.append("demo", {"n": 1}, actor=OPERATOR)
        raise RuntimeError("the caller's write failed")
    assert not LedgerEntry.objects.exists()
    services.append("demo", {"n": 1}, actor=OPERATOR)
    assert services.verify("demo").ok


def test_the_same_key_is_recorded_only_once(chain):
    services.append("demo", {"n": 9}, key="x:1", actor=OPERATOR)
    with pytest.raises(ServiceError) as err:
        services.append("demo", {"n": 9}, key="x:1", actor=OPERATOR)
    assert err.value.code == "already_recorded"
    assert LedgerEntry.objects.filter(key="x:1").count() == 1


def test_the_cli_exits_non_zero_naming_the_broken_entry(chain, capsys):
    call_command("ledger", "verify")
    assert "核验通过" in capsys.readouterr().out
    _sql("UPDATE ledger_ledgerentry SET hash = %s WHERE id = %s", ["0" * 64, chain[0].pk])
    with pytest.raises(CommandError, match="第1条"):
        call_command("ledger", "verify", "--stream", "demo")


def test_the_public_verify_endpoint_answers_anyone_with_ok_entries_head_and_first_bad(chain, anon_api):
    body = anon_api.get("/api/v1/ledger/verify/").json()
    assert (
        body["ok"] is True and body["entries"] == 5 and len(body["head"]) == 64 and body["first_bad"] is None
    )
    _sql("DELETE FROM ledger_ledgerentry WHERE id = %s", [chain[1].pk])
    body = anon_api.get("/api/v1/ledger/verify/?stream=demo").json()
    assert body["ok"] is False and body["first_bad"]["seq"] == 2 and body["first_bad"]["reason"] == "missing"


def test_verifying_an_unknown_stream_is_a_clear_404(anon_api):
    response = anon_api.get("/api/v1/ledger/verify/?stream=nope")
    assert response.status_code == 404 and response.json()["code"] == "unknown_stream"


def test_the_periodic_task_checkpoints_each_moved_head_once(chain):
    from shuxiang.ledger import tasks
    from shuxiang.ledger.models import LedgerCheckpoint

    tasks.checkpoint_moved_heads()
    tasks.checkpoint_moved_heads()
    checkpoint = LedgerCheckpoint.objects.get(stream="demo")
    assert (checkpoint.seq, checkpoint.hash) == (5, chain[-1].hash)


def test_the_cli_prints_the_verify_answer_as_json(chain, capsys):
    call_command("ledger", "verify", "--json")
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is True and data["entries"] == 5 and data["first_bad"] is None


def test_an_entry_names_the_actor_who_recorded_it():
    entry = services.append("demo", {"n": 1}, actor=Actor.system("trace"))
    assert json.loads(entry.body)["actor"] == "system:trace"


def test_a_bare_string_is_not_an_actor_for_appends_or_checkpoints(chain):
    with pytest.raises(TypeError):
        services.append("demo", {"n": 6}, actor="cli")
    with pytest.raises(TypeError):
        services.checkpoint("demo", actor="cli")
    with pytest.raises(TypeError):
        services.checkpoint("demo", actor=None)
    assert LedgerEntry.objects.filter(stream="demo").count() == 5


def test_the_verify_endpoint_is_declared_public(chain, cast, api_for):
    from shuxiang.core.access import PUBLIC, viewset_declaration
    from shuxiang.ledger.api import VerifyView

    assert viewset_declaration(VerifyView, None, "GET") == PUBLIC
    # Public means everyone: a bank's token, too, gets the same answer as an anonymous caller.
    assert api_for(cast.bank).get("/api/v1/ledger/verify/?stream=demo").json()["entries"] == 5
