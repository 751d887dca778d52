"""Identifier rules: GB 32100 unified social credit codes, GS1 GTIN check digits and lot numbers,
GS1 Digital Link URIs. Pure functions, so forms, services, API and the demo share one truth."""

import re

CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100-2015: no I, O, S, V, Z
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
CREDIT_AUTHORITIES = "123456789ANY"
# GS1 AI (10) batch/lot: up to 20 characters; we keep to the URI-safe part of GS1 CSET 82.
LOT_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,20}$")


class CodeError(ValueError):
    """`message` is the Chinese explanation shown to the person who typed the code."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def credit_check_char(first17: str) -> str:
    total = sum(CREDIT_CHARSET.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS, strict=True))
    return CREDIT_CHARSET[(31 - total % 31) % 31]


def normalize_credit_code(raw: str) -> str:
    """An 18-character unified social credit code with a correct GB 32100 check character, upper-cased."""
    code = (raw or "").strip().upper().replace(" ", "")
    if len(code) != 18:
        raise CodeError(f"统一社会信用代码应为18位，当前为{len(code)}位")
    bad = [c for c in code if c not in CREDIT_CHARSET]
    if bad:
        raise CodeError(
            f"统一社会信用代码含有不允许的字符：{''.join(sorted(set(bad)))}（不使用 I、O、S、V、Z）"
        )
    if code[0] not in CREDIT_AUTHORITIES:
        raise CodeError("统一社会信用代码第1位（登记管理部门代码）无效")
    if not code[2:8].isdigit():
        raise CodeError("统一社会信用代码第3–8位应为登记管理机关行政区划码")
    expected = credit_check_char(code[:17])
    if code[17] != expected:
        raise CodeError(f"统一社会信用代码校验位错误：第18位应为 {expected}，请核对")
    return code


def gtin_check_digit(first13: str) -> str:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(first13)))
    return str((10 - total % 10) % 10)


def normalize_gtin(raw: str) -> str:
    """GTIN-8/12/13/14 with a correct check digit, left-padded to 14 digits as GS1 Digital Link wants."""
    digits = (raw or "").strip().replace(" ", "")
    if not digits.isdigit() or len(digits) not in (8, 12, 13, 14):
        raise CodeError("商品条码（GTIN）应为8、12、13或14位数字")
    digits = digits.zfill(14)
    expected = gtin_check_digit(digits[:13])
    if digits[13] != expected:
        raise CodeError(f"商品条码校验位错误：最后一位应为 {expected}，请核对")
    return digits


def internal_gtin(number: int) -> str:
    """A GTIN-14 for a product that has no GS1 number: the 02 restricted-circulation range
    (GS1 GenSpecs §2.1.11), so it can never collide with a real trade item, plus the serial."""
    first13 = f"002{number:010d}"
    return first13 + gtin_check_digit(first13)


def normalize_lot_number(raw: str) -> str:
    value = (raw or "").strip()
    if not LOT_PATTERN.match(value):
        raise CodeError("批次号应为1–20位字母、数字或 . _ -")
    return value


def digital_link(base: str, gtin: str, lot_number: str) -> str:
    """The GS1 Digital Link URI of a lot on the county's own domain (primary key 01, qualifier 10)."""
    return f"{base.rstrip('/')}/01/{gtin}/10/{lot_number}"
