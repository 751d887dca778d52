"""Dividend arithmetic, exact to the fen: the largest-remainder rule over integer units.

No published rule says how to round a dividend, so the platform uses the one that keeps the books
exact: every shareholder gets the floor of their exact share in fen, and the fen left over go one each
to the largest remainders (ties: the earlier line, i.e. the lower member code). The payouts then sum
exactly to the amount, and the same register and amount always give the same lines.

Shares are Decimals with at most four places and money Decimals with two; both are turned into
integers (1/10000 share, fen) so the arithmetic is integer division — no float ever touches it.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

SHARE_UNIT = 10_000  # shares carry four decimal places
FEN_PER_YUAN = 100


class AllocationError(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Line:
    key: object
    shares: Decimal
    amount: Decimal


def to_fen(amount: Decimal) -> int:
    if not isinstance(amount, Decimal):
        raise TypeError("amounts are Decimal")  # a float or int near money is a programming error
    fen = amount * FEN_PER_YUAN
    if fen != fen.to_integral_value():
        raise AllocationError("amount_precision", "金额最多两位小数（精确到分）")
    return int(fen)


def to_units(shares: Decimal) -> int:
    if not isinstance(shares, Decimal):
        raise TypeError("shares are Decimal")
    units = shares * SHARE_UNIT
    if units != units.to_integral_value():
        raise AllocationError("share_precision", "股数最多四位小数")
    return int(units)


def per_share(amount: Decimal, total_shares: Decimal) -> Fraction:
    """The exact value of one share (yuan), as a fraction."""
    return Fraction(amount) / Fraction(total_shares)


def allocate_units(total_fen: int, units: Sequence[int]) -> list[int]:
    """Fen per holder for `total_fen` over integer share units: floors, then the leftover fen to the
    largest remainders (ties: the earlier holder). Sums exactly to `total_fen`."""
    total_units = sum(units)
    if total_units == 0:
        raise AllocationError("no_shares", "没有任何股份，无法分配")
    exact = [total_fen * u for u in units]
    floors = [e // total_units for e in exact]
    left = total_fen - sum(floors)  # 0 <= left < number of holders
    if left:
        remainders = [e % total_units for e in exact]
        # a reverse sort is stable: equal remainders keep their (member code) order
        for i in sorted(range(len(units)), key=remainders.__getitem__, reverse=True)[:left]:
            floors[i] += 1
    return floors


def allocate(amount: Decimal, holdings: Sequence[tuple[object, Decimal]]) -> list[Line]:
    """Each holder's payout of `amount` in proportion to their shares; the lines sum exactly to `amount`."""
    total_fen = to_fen(amount)
    if total_fen < 0:
        raise AllocationError("amount_negative", "分红总额不能为负")
    units = [to_units(s) for _, s in holdings]
    if any(u < 0 for u in units):
        raise AllocationError("shares_negative", "股数不能为负")
    fens = allocate_units(total_fen, units)
    return [
        Line(key, shares, Decimal(fen).scaleb(-2)) for (key, shares), fen in zip(holdings, fens, strict=True)
    ]
