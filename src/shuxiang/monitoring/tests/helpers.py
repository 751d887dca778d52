"""Hand-built households for the tests: valid ID numbers, one call per household."""

from datetime import date
from itertools import count

from shuxiang.core import pii
from shuxiang.core.actors import OPERATOR
from shuxiang.monitoring import services

_seq = count(1)


def id_number(birth=date(1985, 3, 9), region="430903") -> str:
    first17 = f"{region}{birth:%Y%m%d}{next(_seq) % 1000:03d}"
    return first17 + pii.id_check_char(first17)


def member(name="张三", relation="head", **extra):
    return {
        "name": name,
        "id_number": extra.pop("id_number", None) or id_number(),
        "relation": relation,
        **extra,
    }


def household(place, *, actor=OPERATOR, category="ordinary", members=None, incomes=None, **fields):
    if category == "lifted":
        fields.setdefault("lifted_year", 2019)
    hh = services.do_create_household(
        actor=actor,
        place=place.code,
        category=category,
        members=members or [member("王大山"), member("李秀英", "spouse")],
        **fields,
    )
    for year, amounts in (incomes or {}).items():
        services.do_record_income(hh, actor=actor, year=year, **amounts)
    return hh
