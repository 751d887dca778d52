"""Personal identifiers: validation, encryption at rest, keyed lookup digests and masking.

ID and phone numbers are stored only as Fernet ciphertext plus an HMAC digest.
The digest lets us find "the person with this ID number" without decrypting
every row; the key lives outside the database (SHUXIANG_FIELD_KEY), so a
database dump alone reveals nothing.
"""

import base64
import hashlib
import hmac
import re
from datetime import date
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
MASK_CHAR = "*"


class PIIError(ValueError):
    """A personal identifier that cannot be accepted; `code` is the machine-readable reason."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def id_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def normalize_id_number(raw: str) -> str:
    """Return the canonical 18-character GB 11643 number, upgrading legacy 15-digit ones.

    Raises PIIError with a Chinese message for anything that is not a valid number,
    including a masked value pasted back from a screen.
    """
    value = (raw or "").strip().upper().replace(" ", "")
    if MASK_CHAR in value:
        raise PIIError("masked_value", "不能提交脱敏后的身份证号，请输入完整号码")
    if re.fullmatch(r"\d{15}", value):
        value = value[:6] + "19" + value[6:]
        value = value + id_check_char(value)
    if not re.fullmatch(r"\d{17}[\dX]", value):
        raise PIIError("id_number_format", "身份证号应为18位（最后一位可为X）或15位数字")
    try:
        birth = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError as exc:
        raise PIIError("id_number_birth_date", "身份证号中的出生日期无效") from exc
    if birth.year < 1850 or birth > date.today():
        raise PIIError("id_number_birth_date", "身份证号中的出生日期无效")
    if id_check_char(value[:17]) != value[17]:
        raise PIIError("id_number_check_digit", "身份证号校验位错误，请核对后重新输入")
    return value


def normalize_phone(raw: str) -> str:
    value = re.sub(r"[\s-]", "", raw or "")
    if MASK_CHAR in value:
        raise PIIError("masked_value", "不能提交脱敏后的电话号码，请输入完整号码")
    if value.startswith("+86"):
        value = value[3:]
    if re.fullmatch(r"1[3-9]\d{9}", value) or re.fullmatch(r"0\d{2,3}\d{7,8}", value):
        return value
    raise PIIError("phone_format", "电话号码格式不正确（11位手机号或带区号的固定电话）")


def mask_id_number(value: str) -> str:
    if not value:
        return ""
    return value[:6] + MASK_CHAR * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    if not value:
        return ""
    if len(value) == 11 and value.startswith("1"):
        return value[:3] + MASK_CHAR * 4 + value[-4:]
    return value[:3] + MASK_CHAR * (len(value) - 7) + value[-4:]


def mask_name(value: str) -> str:
    if not value or len(value) == 1:
        return value
    if len(value) == 2:
        return value[0] + MASK_CHAR
    return value[0] + MASK_CHAR * (len(value) - 2) + value[-1]


def gender_from_id(id_number: str) -> str:
    return "male" if int(id_number[16]) % 2 else "female"


def birth_date_from_id(id_number: str) -> date:
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


@lru_cache(maxsize=8)
def _fernet(key: str) -> Fernet:
    derived = hashlib.sha256(b"shuxiang-field-encryption:" + key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(derived))


@lru_cache(maxsize=4)
def _multi(keys: str) -> MultiFernet:
    """SHUXIANG_FIELD_KEY may list several keys (comma-separated): the first encrypts, every one decrypts,
    so a new key can go first while `shuxiang keys rotate` re-encrypts what the old ones wrote."""
    return MultiFernet([_fernet(k) for k in field_keys(keys)])


def field_keys(keys: str | None = None) -> list[str]:
    return [k.strip() for k in (settings.FIELD_KEY if keys is None else keys).split(",") if k.strip()]


@lru_cache(maxsize=4)
def _digest_key(key: str) -> bytes:
    return hashlib.sha256(b"shuxiang-field-digest:" + key.encode()).digest()


MISMATCH = "加密字段无法解密：SHUXIANG_FIELD_KEY 中没有写入时所用的密钥"


def encrypt(plaintext: str) -> str:
    return _multi(settings.FIELD_KEY).encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _multi(settings.FIELD_KEY).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise PIIError("field_key_mismatch", MISMATCH) from exc


def is_current(token: str) -> bool:
    """Was `token` written with the first (current) field key? (`shuxiang keys rotate` skips those.)"""
    try:
        _fernet(field_keys()[0]).decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def seal(data: bytes) -> bytes:
    """Encrypt bytes kept only to be given back (a replayed answer that carried credentials)."""
    return _multi(settings.FIELD_KEY).encrypt(data)


def unseal(token: bytes) -> bytes:
    try:
        return _multi(settings.FIELD_KEY).decrypt(token)
    except InvalidToken as exc:
        raise PIIError("field_key_mismatch", MISMATCH) from exc


def digest(value: str) -> str:
    """Keyed digest for exact lookup; equal inputs give equal digests, nothing else leaks. Its key
    (SHUXIANG_DIGEST_KEY, by default the oldest field key) does not change when the field key rotates:
    device tokens and Open311 keys are kept only as digests and could not be rebuilt."""
    return hmac.new(_digest_key(settings.DIGEST_KEY), value.encode(), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """Stores Fernet ciphertext, hands Python code the plaintext.

    Never used alone: the owning model keeps a `<name>_digest` column beside it
    so lookups don't need decryption, and serializers mask on output.
    """

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        if value is None or value == "":
            return value
        return encrypt(str(value))
