"""The ledger's signing key: checkpoints are signed with Ed25519 so that a copy of them kept elsewhere
(a mirror of the public feed, a consumer's download) proves what the chain said at that moment.

The key comes from the setting LEDGER_SIGNING_KEY (environment SHUXIANG_LEDGER_SIGNING_KEY or
SHUXIANG_LEDGER_SIGNING_KEY_FILE, else a secret generated once under ./var like the other keys):
either a PEM-encoded Ed25519 private key, or any secret text, whose SHA-256 is then the key's seed.
"""

import hashlib
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

ALGORITHM = "Ed25519"


@lru_cache(maxsize=4)
def _private(secret: str) -> Ed25519PrivateKey:
    if secret.lstrip().startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(secret.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("SHUXIANG_LEDGER_SIGNING_KEY 须为 Ed25519 私钥")
        return key
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(secret.encode()).digest())


def private_key() -> Ed25519PrivateKey:
    return _private(settings.LEDGER_SIGNING_KEY)


def public_raw() -> bytes:
    return (
        private_key()
        .public_key()
        .public_bytes(encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw)
    )


def public_pem() -> str:
    return (
        private_key()
        .public_key()
        .public_bytes(
            encoding=serialization.Encoding.PEM, format=serialization.PublicFormat.SubjectPublicKeyInfo
        )
        .decode()
    )


def key_id(raw: bytes | None = None) -> str:
    """A short name for a public key: the first 16 hex digits of the SHA-256 of its 32 raw bytes."""
    return hashlib.sha256(raw if raw is not None else public_raw()).hexdigest()[:16]


def describe() -> dict:
    """The public key as the site publishes it (feed, proof downloads, /ledger/public-key.json)."""
    raw = public_raw()
    return {"algorithm": ALGORITHM, "id": key_id(raw), "raw": raw.hex(), "pem": public_pem()}


def sign(text: str) -> str:
    return private_key().sign(text.encode("utf-8")).hex()


def valid(signature: str, text: str, raw: bytes | None = None) -> bool:
    """Whether `signature` (hex) is this key's (or the given raw public key's) signature of `text`."""
    try:
        key = Ed25519PublicKey.from_public_bytes(raw if raw is not None else public_raw())
        key.verify(bytes.fromhex(signature), text.encode("utf-8"))
    except (InvalidSignature, ValueError):
        return False
    return True
