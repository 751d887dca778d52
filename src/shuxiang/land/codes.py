"""The codes of the contract-rights register (GB/T 35958): 发包方 14, 承包方 18, 地块 19, 合同 19.

发包方 (contract issuer) = the administrative village's 12-digit code + a 2-digit group number, `00` when the
village itself issues; 承包方 = 发包方 + a 4-digit sequence; 地块 = 发包方 + a 5-digit sequence;
承包合同 = 承包方 + `J` (family contracting) or `Q` (other means). A village's hamlets (村民小组) carry
exactly that 14-digit code in core.Place, so a 发包方 is a village or one of its hamlets.
"""

import re

from shuxiang.core.choices import PlaceLevel

PARCEL = re.compile(r"\d{19}")
CONTRACTOR = re.compile(r"\d{18}")
CONTRACT = re.compile(r"\d{18}[JQ]")


def issuer_code(place) -> str:
    """The 14-digit 发包方 code of a village (its code + 00) or hamlet (its own code)."""
    return place.code if place.level == PlaceLevel.HAMLET else f"{place.code}00"


def village_of(place):
    """The administrative village a 发包方 belongs to."""
    return place.parent if place.level == PlaceLevel.HAMLET else place


def find_issuer(code14: str):
    """The core.Place that is the 发包方 with this 14-digit code, or None."""
    from shuxiang.core.models import Place

    if code14.endswith("00"):
        found = Place.objects.filter(code=code14[:12], level=PlaceLevel.VILLAGE).first()
        if found is not None:
            return found
    return Place.objects.filter(code=code14, level=PlaceLevel.HAMLET).select_related("parent").first()


def parcel_code_problem(code: str, issuer=None) -> str | None:
    """Why `code` cannot be a parcel code (of `issuer`, when given), in Chinese; None when it can."""
    code = code or ""
    if not PARCEL.fullmatch(code):
        return (
            f"地块编码应为19位数字（发包方编码14位 + 地块顺序号5位），实际为「{code[:30]}」（{len(code)}位）"
        )
    if code[14:] == "00000":
        return "地块顺序号不能为 00000"
    if issuer is not None and code[:14] != issuer_code(issuer):
        return f"地块编码前14位 {code[:14]} 与发包方编码 {issuer_code(issuer)}（{issuer.name}）不一致"
    return None


def contractor_code_problem(code: str, issuer=None) -> str | None:
    code = code or ""
    if not CONTRACTOR.fullmatch(code):
        return f"承包方编码应为18位数字（发包方编码14位 + 顺序号4位），实际为「{code[:30]}」（{len(code)}位）"
    if issuer is not None and code[:14] != issuer_code(issuer):
        return f"承包方编码前14位 {code[:14]} 与发包方编码 {issuer_code(issuer)} 不一致"
    return None


def contract_code(contractor_code: str, method: str) -> str:
    return f"{contractor_code}{method}"
