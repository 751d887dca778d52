"""Signed checkpoints (issue 13): one numbered log, each checkpoint naming the one before and signed with
Ed25519; made after every write batch; published as a feed with the public key; checked by `verify`, and
against a third party's mirror of the feed."""

import json
import xml.etree.ElementTree as ET

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import Client

from shuxiang.core.actors import OPERATOR
from shuxiang.ledger import proofs, services, signing
from shuxiang.ledger.chain import sha256
from shuxiang.ledger.models import LedgerCheckpoint, LedgerEntry

pytestmark = pytest.mark.django_db


def _sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _write(n=3, stream="demo"):
    return [services.append(stream, {"n": i}, key=f"{stream}:{i}", actor=OPERATOR) for i in range(n)]


def test_each_write_batch_ends_with_a_signed_checkpoint_of_the_new_head(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        entries = _write(3)
    checkpoint = LedgerCheckpoint.objects.get()
    assert (checkpoint.number, checkpoint.seq, checkpoint.hash) == (1, 3, entries[-1].hash)
    body = json.loads(checkpoint.body)
    assert body == {
        "type": "shuxiang.ledger.checkpoint",
        "n": 1,
        "stream": "demo",
        "seq": 3,
        "head": entries[-1].hash,
        "at": body["at"],
        "prev": "0" * 64,
        "key": signing.key_id(),
    }
    assert checkpoint.digest == sha256(checkpoint.body)
    key = Ed25519PublicKey.from_public_bytes(signing.public_raw())
    key.verify(bytes.fromhex(checkpoint.signature), checkpoint.body.encode())  # raises if not signed


def test_a_rolled_back_write_gets_no_checkpoint(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _write(2)
        raise RuntimeError("the service refused")
    assert not LedgerCheckpoint.objects.exists() and not LedgerEntry.objects.exists()


def test_the_checkpoint_log_is_a_chain_of_its_own():
    _write(2, "a")
    first = services.checkpoint(actor=OPERATOR)
    _write(2, "b")
    second = services.checkpoint(actor=OPERATOR)
    assert [c.number for c in first + second] == [1, 2]
    assert json.loads(second[0].body)["prev"] == first[0].digest
    assert services.checkpoint(actor=OPERATOR) == []  # nothing moved, nothing signed


def test_a_deleted_checkpoint_breaks_the_log():
    for stream in ("a", "b", "c"):
        _write(1, stream)
        services.checkpoint(stream, actor=OPERATOR)
    _sql("DELETE FROM ledger_ledgercheckpoint WHERE number = 2")
    result = services.verify()
    assert (result.ok, result.first_bad.reason, result.first_bad.key) == (
        False,
        "checkpoint_log_broken",
        "#3",
    )


def test_a_checkpoint_signed_with_another_key_is_forged(settings):
    _write(2)
    settings.LEDGER_SIGNING_KEY = "not the installation's key"
    services.checkpoint(actor=OPERATOR)
    settings.LEDGER_SIGNING_KEY = "the installation's key"
    result = services.verify("demo")
    assert result.first_bad.reason == "checkpoint_forged" and "检查点 #1" in result.first_bad.message


def test_the_key_may_be_a_pem_ed25519_private_key(settings):
    private = Ed25519PrivateKey.generate()
    settings.LEDGER_SIGNING_KEY = private.private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
    ).decode()
    assert signing.public_raw() == private.public_key().public_bytes(
        Encoding.Raw, signing.serialization.PublicFormat.Raw
    )
    assert signing.valid(signing.sign("x"), "x") and not signing.valid(signing.sign("x"), "y")


def test_a_row_inserted_behind_a_registered_source_is_reported_unrecorded():
    rows = {"demo:0": {"n": 0}, "demo:1": {"n": 1}, "demo:2": {"n": 2}}
    _write(3)
    services.register_source("demo", lambda keys: {k: rows[k] for k in keys if k in rows}, lambda: list(rows))
    try:
        assert services.verify("demo").ok
        rows["demo:9"] = {"n": 9}  # a row no service chained
        result = services.verify("demo")
        assert (result.first_bad.reason, result.first_bad.key) == ("unrecorded", "demo:9")
        assert "没有记录" in result.first_bad.message
    finally:
        services.sources.pop("demo")


def test_the_public_key_and_the_feed_are_public_and_cacheable(anon_api):
    _write(2)
    services.checkpoint(actor=OPERATOR)
    client = Client()
    pem = client.get("/ledger/public-key")
    assert pem.status_code == 200 and pem.content.decode().startswith("-----BEGIN PUBLIC KEY-----")
    assert not pem.cookies and "public" in pem["Cache-Control"]
    described = client.get("/ledger/public-key.json").json()
    assert described["algorithm"] == "Ed25519" and bytes.fromhex(described["raw"]) == signing.public_raw()
    feed = client.get("/ledger/checkpoints.json").json()
    assert feed["publicKey"]["id"] == signing.key_id() and feed["latest"] == 1 and feed["next"] is None
    item = feed["checkpoints"][0]
    assert {"n", "stream", "seq", "head", "prev", "digest", "signature", "body"} <= set(item)
    atom = ET.fromstring(client.get("/ledger/checkpoints.atom").content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert atom.find("a:entry/a:id", ns).text == f"urn:shuxiang:ledger:checkpoint:1:{item['digest']}"


def test_a_mirror_pages_through_the_feed_with_after(anon_api):
    for stream in ("a", "b", "c"):
        _write(1, stream)
        services.checkpoint(stream, actor=OPERATOR)
    first = Client().get("/ledger/checkpoints.json?limit=2").json()
    assert [c["n"] for c in first["checkpoints"]] == [1, 2] and first["next"].endswith("after=2")
    rest = Client().get("/ledger/checkpoints.json?after=2&limit=nonsense").json()
    assert [c["n"] for c in rest["checkpoints"]] == [3] and rest["next"] is None


def test_verify_compares_with_a_mirror_and_names_a_withdrawn_checkpoint(tmp_path):
    for stream in ("a", "b"):
        _write(1, stream)
        services.checkpoint(stream, actor=OPERATOR)
    mirror = tmp_path / "mirror.json"
    mirror.write_text(json.dumps(proofs.feed()), encoding="utf-8")
    call_command("ledger", "verify", "--mirror", str(mirror))
    _sql("DELETE FROM ledger_ledgercheckpoint WHERE number = 2")
    with pytest.raises(CommandError, match="#2"):
        call_command("ledger", "verify", "--mirror", str(mirror))


def test_a_proof_bundle_links_each_entry_to_its_checkpoint_and_shows_what_breaks():
    entries = _write(4)
    services.checkpoint(actor=OPERATOR)
    later = _write(1, "demo2")  # another stream, no checkpoint yet
    bundle = proofs.bundle("demo", [entries[1]])
    assert [e["seq"] for e in bundle["chain"]] == [2, 3, 4] and bundle["checkpoints"][0]["seq"] == 4
    assert proofs.check(bundle["chain"], bundle["checkpoints"]) == {2: "", 3: "", 4: ""}
    bundle["chain"][1]["body"] = bundle["chain"][1]["body"].replace('"n":2', '"n":7')
    assert proofs.check(bundle["chain"], bundle["checkpoints"])[2] == "hash_mismatch"
    pending = proofs.bundle("demo2", later)
    assert proofs.check(pending["chain"], pending["checkpoints"]) == {1: "uncovered"}
