"""Goal G4: a consumer verifies a product's history without trusting the server — with exactly the
script docs/ledger.md prints (hashlib only, then the optional signature check), run on a demo lot's
downloaded proof."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from shuxiang.trace.models import Lot

pytestmark = pytest.mark.django_db

DOCS = Path(__file__).resolve().parents[4] / "docs" / "ledger.md"


def script(name):
    """The fenced Python block that follows `<!-- name -->` in docs/ledger.md."""
    text = DOCS.read_text(encoding="utf-8")
    return re.search(rf"<!-- {re.escape(name)} -->\n```python\n(.*?)```", text, re.S).group(1)


def run(tmp_path, proof, *blocks):
    path = tmp_path / "proof.json"
    path.write_text(json.dumps(proof, ensure_ascii=False), encoding="utf-8")
    code = tmp_path / "verify.py"
    code.write_text("".join(script(b) for b in blocks), encoding="utf-8")
    return subprocess.run([sys.executable, str(code), str(path)], capture_output=True, text=True, timeout=60)


@pytest.fixture
def demo_proof(demo):
    lot = Lot.objects.filter(stage="shipped", suspicious=False).order_by("pk").first()
    response = Client().get(f"/t/{lot.short_code}/proof.json")
    assert response.status_code == 200
    return lot, response.json()


def test_the_ten_line_script_in_the_docs_verifies_a_demo_lots_proof(demo_proof, tmp_path):
    lot, proof = demo_proof
    assert len(script("verify-proof.py").strip().splitlines()) <= 14
    result = run(tmp_path, proof, "verify-proof.py")
    assert result.returncode == 0, result.stderr
    assert "证明成立" in result.stdout and lot.product.producer.name in result.stdout
    assert "import" in script("verify-proof.py") and "cryptography" not in script("verify-proof.py")


def test_the_optional_signature_check_in_the_docs_accepts_the_demo_checkpoint(demo_proof, tmp_path):
    _lot, proof = demo_proof
    result = run(tmp_path, proof, "verify-proof.py", "verify-signature.py")
    assert result.returncode == 0, result.stderr
    assert "签名有效" in result.stdout


def test_the_script_refuses_a_proof_whose_entry_was_changed(demo_proof, tmp_path):
    _lot, proof = demo_proof
    entry = next(e for e in proof["chain"] if e["key"].startswith("trace.producer:"))
    entry["body"] = entry["body"].replace('"name":"', '"name":"假', 1)
    result = run(tmp_path, proof, "verify-proof.py")
    assert result.returncode != 0 and f"第{entry['seq']}条记录被改动" in result.stderr


def test_the_script_refuses_a_checkpoint_that_does_not_match_its_signed_body(demo_proof, tmp_path):
    _lot, proof = demo_proof
    proof["checkpoints"][-1]["head"] = "f" * 64
    result = run(tmp_path, proof, "verify-proof.py")
    assert result.returncode != 0 and "没有连到检查点" in result.stderr


def test_the_signature_check_refuses_a_re_signed_checkpoint_under_another_key(demo_proof, tmp_path):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    _lot, proof = demo_proof
    forger = Ed25519PrivateKey.generate()
    proof["checkpoints"][-1]["signature"] = forger.sign(proof["checkpoints"][-1]["body"].encode()).hex()
    result = run(tmp_path, proof, "verify-proof.py", "verify-signature.py")
    assert result.returncode != 0 and "InvalidSignature" in result.stderr
