"""Members, shares and dividend runs: identification, one cooperative per person, household transfers,
inheritance fractions, runs that sum to the fen, approvals, payout file, the ledger."""

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError
from shuxiang.land import coop as services
from shuxiang.land import finance
from shuxiang.land.models import Distribution, Holding, Payout
from shuxiang.land.tests.conftest import confirmed_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def household(places, person_factory):
    from shuxiang.land.services import do_register_contractor

    return do_register_contractor(actor=OPERATOR, code="430903103201000001", head=person_factory("李德顺"))


def _income(places, amount="120000.00", year=2025):
    from datetime import date

    return finance.do_book_entry(
        actor=OPERATOR,
        village=places.village_a,
        kind="income",
        category="land_rent",
        amount=amount,
        occurred_on=date(year, 6, 30),
        voucher_no=f"PZ{year}-001",
        summary="机动地流转租金",
    )


def test_a_member_is_confirmed_by_village_then_township_and_a_person_cannot_join_two_cooperatives(
    places, coop, person_factory
):
    from datetime import date

    person = person_factory()
    member = services.do_propose_member(coop, actor=OPERATOR, person=person, basis="hukou")
    assert member.status == "proposed"
    services.do_approve_member(member, actor=OPERATOR)
    services.do_approve_member(member, actor=OPERATOR)
    assert member.status == "confirmed"
    other = services.do_create_cooperative(
        actor=OPERATOR, village=places.village_b, name="荷花村股份经济合作社", cutoff_date=date(2020, 12, 31)
    )
    with pytest.raises(ServiceError) as exc:
        services.do_propose_member(other, actor=OPERATOR, person=person, basis="hukou")
    assert exc.value.code == "member_elsewhere" and "一人只能是一个集体经济组织的成员" in exc.value.message
    assert other.members.count() == 0


def test_static_management_gives_no_new_shares_to_a_member_confirmed_after_the_cutoff(coop, person_factory):
    from shuxiang.land.models import Cooperative

    Cooperative.objects.filter(pk=coop.pk).update(management="static")
    coop.refresh_from_db()
    late = services.do_propose_member(coop, actor=OPERATOR, person=person_factory(), basis="birth")
    services.do_approve_member(late, actor=OPERATOR)
    services.do_approve_member(late, actor=OPERATOR)
    with pytest.raises(ServiceError) as exc:
        services.do_set_holding(late, actor=OPERATOR, kind="population", shares=Decimal("1"))
    assert exc.value.code == "static_shares" and "增人不增股" in exc.value.message


def test_inheritance_fractions_must_sum_to_one_and_split_exactly(coop, person_factory, household):
    from shuxiang.land.models import Cooperative

    Cooperative.objects.filter(pk=coop.pk).update(management="periodic")
    coop.refresh_from_db()
    father = confirmed_member(
        coop, person_factory(), household=household, shares={"population": "1", "labour": "3.5"}
    )
    a = confirmed_member(coop, person_factory(), household=household)
    b = confirmed_member(coop, person_factory(), household=household)
    c = confirmed_member(coop, person_factory(), household=household)
    with pytest.raises(ServiceError) as exc:
        services.do_inherit_shares(father, actor=OPERATOR, heirs={a: "1/2", b: "1/3"})
    assert exc.value.code == "shares_do_not_sum" and "应正好为 1" in exc.value.message
    assert Holding.objects.get(member=father, kind="labour").shares == Decimal("3.5")
    services.do_inherit_shares(father, actor=OPERATOR, heirs={a: "1/3", b: "1/3", c: "1/3"})
    labour = [Holding.objects.get(member=m, kind="labour").shares for m in (a, b, c)]
    assert sum(labour) == Decimal("3.5") and labour == [
        Decimal("1.1667"),
        Decimal("1.1667"),
        Decimal("1.1666"),
    ]


def test_shares_move_only_within_the_household(coop, person_factory, household):
    from shuxiang.land.models import Cooperative

    Cooperative.objects.filter(pk=coop.pk).update(management="periodic")
    coop.refresh_from_db()
    giver = confirmed_member(coop, person_factory(), household=household, shares={"population": "2"})
    stranger = confirmed_member(coop, person_factory())
    with pytest.raises(ServiceError) as exc:
        services.do_transfer_shares(giver, stranger, actor=OPERATOR, kind="population", shares=Decimal("1"))
    assert exc.value.code == "other_household"


@pytest.fixture
def register(coop, person_factory):
    """37 confirmed members with population, labour and land shares, and a 集体股."""
    from shuxiang.land.models import Cooperative

    Cooperative.objects.filter(pk=coop.pk).update(management="periodic")
    coop.refresh_from_db()
    members = [
        confirmed_member(
            coop,
            person_factory(),
            shares={
                "population": "1",
                "labour": str(Decimal(i % 9) / 2),
                "land": str(Decimal(i % 5) * Decimal("0.37")),
            },
        )
        for i in range(37)
    ]
    services.do_set_holding(None, coop=coop, actor=OPERATOR, kind="collective", shares=Decimal("20"))
    return members


def test_a_run_sums_exactly_and_is_the_same_when_recomputed(places, coop, register):
    _income(places)
    dist = services.do_compute_distribution(coop, actor=OPERATOR, period="2025", amount=Decimal("84000.00"))
    lines = list(Payout.objects.filter(distribution=dist).order_by("pk").values_list("member_id", "amount"))
    assert sum(a for _, a in lines) == Decimal("84000.00")
    assert dist.reserves == Decimal("36000.00") and len(lines) == 38
    again = services.do_compute_distribution(coop, actor=OPERATOR, period="2025", amount=Decimal("84000.00"))
    assert sorted(
        Payout.objects.filter(distribution=again).values_list("member_id", "amount"), key=str
    ) == sorted(lines, key=str)
    assert again.inputs_digest == dist.inputs_digest


def test_without_an_income_record_only_a_dry_run_is_possible(coop, register):
    with pytest.raises(ServiceError) as exc:
        services.do_compute_distribution(coop, actor=OPERATOR, period="2025", amount=Decimal("1000.00"))
    assert exc.value.code == "no_income" and Distribution.objects.count() == 0
    out = StringIO()
    call_command(
        "land",
        "distribute",
        coop.village.code,
        "--period",
        "2025",
        "--amount",
        "100000.00",
        "--dry-run",
        "--json",
        stdout=out,
    )
    doc = json.loads(out.getvalue())
    assert set(doc) == {"amount", "payouts"} and doc["amount"] == "100000.00"
    assert sum(Decimal(p["amount"]) for p in doc["payouts"]) == Decimal("100000.00")
    assert doc["payouts"][-1]["member"] == "collective" and all(
        isinstance(p["amount"], str) for p in doc["payouts"]
    )
    assert Distribution.objects.count() == 0


def test_approval_goes_village_then_township_then_the_ledger_and_payout_file_only_after(
    places, coop, register, cast, client_for
):
    _income(places)
    dist = services.do_compute_distribution(coop, actor=OPERATOR, period="2025", amount=Decimal("50000.00"))
    with pytest.raises(ServiceError) as early:
        services.require_payable(dist, OPERATOR)
    assert early.value.code == "not_approved"
    # the township cannot do the village's step
    with pytest.raises(ServiceError):
        services.do_approve_distribution(dist, actor=cast.township_a)
    services.do_approve_distribution(dist, actor=cast.village_a)
    dist = services.do_approve_distribution(dist, actor=cast.township_a)
    assert dist.status == "township" and len(dist.ledger_hash) == 64
    from shuxiang.ledger.models import LedgerEntry

    entry = LedgerEntry.objects.get(stream="land", key=f"land.distribution:{dist.pk}")
    body = json.loads(entry.body)["payload"]
    assert sum(Decimal(line[2]) for line in body["lines"]) == Decimal("50000.00")
    response = client_for(cast.township_a).get(f"/land/distributions/{dist.pk}/?file=csv")
    text = response.content.decode("utf-8-sig")
    assert response.status_code == 200 and "6217001234567890123" in text and "集体" not in text


def test_money_never_meets_a_float(coop, register):
    with pytest.raises(TypeError):
        services.compute(coop, period="2025", amount=100000.0)


def test_share_certificates_are_a_pdf_with_a_page_per_household(
    coop, person_factory, household, cast, client_for
):
    confirmed_member(coop, person_factory(), household=household, shares={"population": "1", "labour": "2.5"})
    confirmed_member(coop, person_factory(), household=household)
    confirmed_member(coop, person_factory())
    response = client_for(cast.township_a).get(f"/land/coop/{coop.village.code}/certificates.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert response.content.count(b"/Type /Page\n") + response.content.count(b"/Type /Page ") >= 1
