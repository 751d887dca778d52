"""Writes of the contract-rights register and of transfers (流转). Parcels: land.parcels; the exchange:
land.exchange; the cooperative and dividends: land.coop; village books: land.finance."""

from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from shuxiang.core import audit
from shuxiang.core.errors import ServiceError
from shuxiang.core.permissions import require
from shuxiang.land import codes
from shuxiang.land.choices import (
    MU_M2,
    ContractMethod,
    ContractStatus,
    RentKind,
    TransfereeKind,
    TransferMode,
    TransferStatus,
)
from shuxiang.land.models import Contract, Contractor, Parcel, Transfer


def _money(value, field: str, errors: dict, *, allow_zero=True) -> Decimal | None:
    if isinstance(value, float):
        raise TypeError("money is Decimal")  # never float near money
    try:
        d = Decimal(str(value))
    except Exception:
        errors[field] = ["应为金额（元，最多两位小数）"]
        return None
    if d != d.quantize(Decimal("0.01")) or d < 0 or (d == 0 and not allow_zero):
        errors[field] = ["应为不小于0、最多两位小数的金额" if allow_zero else "应为大于0、最多两位小数的金额"]
        return None
    return d.quantize(Decimal("0.01"))


@transaction.atomic
def do_register_contractor(*, actor, code, head, members=()) -> Contractor:
    """A contracting household: 18-digit code under its 发包方, head and members as core.Person."""
    code = (code or "").strip()
    problem = codes.contractor_code_problem(code)
    issuer = codes.find_issuer(code[:14]) if not problem else None
    if not problem and issuer is None:
        problem = f"未知的发包方 {code[:14]}"
    if problem:
        raise ServiceError("invalid_code", problem, {"code": [problem]})
    require(actor, "land.contractor.add", issuer)
    if Contractor.objects.filter(code=code).exists():
        raise ServiceError("duplicate_code", f"承包方编码 {code} 已登记", {"code": ["已登记"]})
    contractor = Contractor.objects.create(
        code=code, issuer=issuer, village=codes.village_of(issuer), head=head
    )
    contractor.members.set([head, *members])
    audit.record_create(actor, contractor)
    return contractor


@transaction.atomic
def do_register_household(
    *, actor, code, head_name, head_id_number="", head_phone="", members=()
) -> Contractor:
    """The form's way in: the household with its head and members as core.Person records (reused when
    the ID number is known, else registered in the 发包方's place). All or nothing."""
    from shuxiang.core import pii
    from shuxiang.core import services as core_services
    from shuxiang.core.models import Person

    code = (code or "").strip()
    problem = codes.contractor_code_problem(code)
    issuer = codes.find_issuer(code[:14]) if not problem else None
    if not problem and issuer is None:
        problem = f"未知的发包方 {code[:14]}"
    if problem:
        raise ServiceError("invalid_code", problem, {"code": [problem]})
    require(actor, "land.contractor.add", issuer)

    def person(name, id_number, phone="", field="members"):
        if id_number:
            try:
                digest = pii.digest(pii.normalize_id_number(id_number))
            except pii.PIIError as exc:
                raise ServiceError("invalid", f"{name}：{exc.message}", {field: [exc.message]}) from None
            known = Person.objects.filter(id_number_digest=digest).first()
            if known is not None:
                if known.name != name:
                    raise ServiceError(
                        "name_mismatch",
                        f"身份证号 {pii.mask_id_number(id_number)} 已登记为另一姓名",
                        {field: ["姓名不符"]},
                    )
                return known
        return core_services.do_create_person(
            actor=actor, name=name, place=issuer, id_number=id_number or "", phone=phone or ""
        )

    head = person(head_name, head_id_number, head_phone, field="head_id_number")
    others = [person(name, number) for name, number in members]
    return do_register_contractor(actor=actor, code=code, head=head, members=others)


@transaction.atomic
def do_create_contract(
    *, actor, contractor, parcels, start, end, method=ContractMethod.FAMILY, certificate_no=""
) -> Contract:
    """A land contract: code = 承包方 + J/Q; its parcels must be the same 发包方's contracted parcels."""
    require(actor, "land.contract.add", contractor)
    errors = {}
    if method not in ContractMethod.values:
        errors["method"] = ["承包方式应为 J（家庭承包）或 Q（其他方式）"]
    problems = _parcel_problems(contractor, list(parcels))
    if problems:
        errors["parcels"] = problems
    if not isinstance(start, date) or not isinstance(end, date) or end <= start:
        errors["end"] = ["终止日期应晚于起始日期"]
    if errors:
        raise ServiceError("invalid", "承包合同信息有误", errors)
    code = codes.contract_code(contractor.code, method)
    if Contract.objects.filter(code=code).exists():
        raise ServiceError("duplicate_code", f"合同编码 {code} 已存在", {"code": ["已存在"]})
    contract = Contract.objects.create(
        code=code, contractor=contractor, method=method, start=start, end=end, certificate_no=certificate_no
    )
    contract.parcels.set(parcels)
    audit.record_create(actor, contract)
    return contract


def _parcel_problems(contract_or_contractor, parcels, *, exclude=None) -> list[str]:
    contractor = getattr(contract_or_contractor, "contractor", contract_or_contractor)
    problems = []
    if not parcels:
        return ["至少一个地块"]
    foreign = [p.code for p in parcels if p.issuer_id != contractor.issuer_id]
    if foreign:
        problems.append(f"地块 {', '.join(foreign)} 不属于发包方 {codes.issuer_code(contractor.issuer)}")
    wanted = {p.code for p in parcels}
    taken = Contract.objects.filter(parcels__in=parcels, status=ContractStatus.ACTIVE)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    taken = sorted({c for c in taken.values_list("parcels__code", flat=True) if c in wanted})
    if taken:
        problems.append(f"地块 {', '.join(taken)} 已有有效承包合同")
    return problems


@transaction.atomic
def do_change_contract(contract: Contract, *, actor, end=None, certificate_no=None, parcels=None) -> Contract:
    """Correct an active contract: its term's end (延包), certificate number, parcels (调地). The code,
    contractor and method are the contract's identity and do not change (terminate and make a new one)."""
    require(actor, "land.contract.change", contract)
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if contract.status != ContractStatus.ACTIVE:
        raise ServiceError("not_active", "该承包合同已终止，不能修改", {"status": ["已终止"]})
    errors: dict[str, list[str]] = {}
    if end is not None and (not isinstance(end, date) or end <= contract.start):
        errors["end"] = [f"终止日期应晚于起始日期 {contract.start}"]
    if certificate_no is not None and len(certificate_no.strip()) > 30:
        errors["certificate_no"] = ["经营权证编码最多30位"]
    if parcels is not None:
        parcels = list(parcels)
        problems = _parcel_problems(contract, parcels, exclude=contract)
        if problems:
            errors["parcels"] = problems
    if errors:
        raise ServiceError("invalid", "承包合同信息有误", errors)
    before = audit.snapshot(contract)
    before_parcels = sorted(contract.parcels.values_list("code", flat=True))
    if end is not None:
        contract.end = end
    if certificate_no is not None:
        contract.certificate_no = certificate_no.strip()
    contract.save()
    changes = {}
    if parcels is not None:
        after = sorted(p.code for p in parcels)
        if after != before_parcels:
            contract.parcels.set(parcels)
            changes["parcels"] = [", ".join(before_parcels), ", ".join(after)]
    changes.update(audit.diff(before, audit.snapshot(contract)))
    if changes:
        audit.record(actor, "update", contract, changes=changes)
    return contract


@transaction.atomic
def do_terminate_contract(contract: Contract, *, actor, on, reason) -> Contract:
    """End a contract early (自愿交回、征收、户消亡…): its parcels are free for a new contract."""
    require(actor, "land.contract.change", contract)
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    errors: dict[str, list[str]] = {}
    if contract.status != ContractStatus.ACTIVE:
        raise ServiceError("not_active", "该承包合同已终止", {"status": ["已终止"]})
    if not isinstance(on, date) or on < contract.start or on > timezone.localdate():
        errors["ended_on"] = [f"终止日期应在 {contract.start} 至今天之间"]
    if not (reason or "").strip():
        errors["end_reason"] = ["终止原因必填"]
    active_transfers = Transfer.objects.filter(
        contractor=contract.contractor, parcels__in=contract.parcels.all(), status=TransferStatus.ACTIVE
    ).values_list("code", flat=True)
    if active_transfers:
        errors["status"] = [f"地块仍在流转中（{', '.join(sorted(set(active_transfers)))}），请先结束流转合同"]
    if errors:
        raise ServiceError("invalid", "不能终止该承包合同", errors)
    before = audit.snapshot(contract)
    contract.status, contract.ended_on, contract.end_reason = ContractStatus.ENDED, on, reason.strip()[:200]
    contract.save(update_fields=["status", "ended_on", "end_reason"])
    audit.record_update(actor, contract, before)
    return contract


def transfer_code(village) -> str:
    year = timezone.localdate().year
    n = Transfer.objects.filter(code__startswith=f"LZ{village.code}{year}").count() + 1
    return f"LZ{village.code}{year}{n:04d}"


def yearly_rent(rent_kind, *, area_m2: Decimal, annual_rent=None, grain_kg_per_mu=None, grain_price=None):
    """Yearly rent in yuan: given in cash, or grain per 亩 × area × price (to the fen)."""
    if rent_kind == RentKind.GRAIN:
        return (grain_kg_per_mu * grain_price * area_m2 / MU_M2).quantize(Decimal("0.01"))
    return annual_rent


@transaction.atomic
def do_record_transfer(
    *,
    actor,
    parcels,
    transferee,
    transferee_kind,
    start,
    end,
    contractor=None,
    mode=TransferMode.LEASE,
    rent_kind=RentKind.CASH,
    annual_rent=None,
    grain_kg_per_mu=None,
    grain_price=None,
    signed_on=None,
    contract_file=None,
) -> Transfer:
    """A contractor (or the village, for its own land) transfers management rights of parcels for a term."""
    parcels = list(parcels)
    if not parcels:
        raise ServiceError("invalid", "至少选择一个地块", {"parcels": ["至少一个地块"]})
    village = parcels[0].village
    require(actor, "land.transfer.add", village)
    errors: dict[str, list[str]] = {}
    if any(p.village_id != village.pk for p in parcels):
        errors["parcels"] = ["一份流转合同的地块应在同一个村"]
    if contractor is not None:
        covered = set(
            Parcel.objects.filter(contracts__contractor=contractor, contracts__status="active").values_list(
                "pk", flat=True
            )
        )
        outside = [p.code for p in parcels if p.pk not in covered]
        if outside:
            errors["parcels"] = [f"地块 {', '.join(outside)} 不在该承包方的有效承包合同内"]
    if not (transferee or "").strip():
        errors["transferee"] = ["流入方必填"]
    if transferee_kind not in TransfereeKind.values:
        errors["transferee_kind"] = ["流入方类型无效"]
    if mode not in TransferMode.values:
        errors["mode"] = ["流转方式无效"]
    if not isinstance(start, date) or not isinstance(end, date) or end <= start:
        errors["end"] = ["终止日期应晚于起始日期"]
    area = sum((p.area_m2 or Decimal(0) for p in parcels), Decimal(0))
    if area <= 0:
        errors["parcels"] = ["地块没有面积"]
    if rent_kind == RentKind.GRAIN:
        kg = _money(grain_kg_per_mu, "grain_kg_per_mu", errors, allow_zero=False)
        price = _money(grain_price, "grain_price", errors, allow_zero=False)
        rent = None
    elif rent_kind == RentKind.CASH:
        kg = price = None
        rent = _money(annual_rent, "annual_rent", errors)
    else:
        errors["rent_kind"] = ["租金形式应为 cash 或 grain"]
    if not errors and isinstance(start, date):
        overlapping = Transfer.objects.filter(
            parcels__in=parcels, status=TransferStatus.ACTIVE, start__lt=end, end__gt=start
        ).values_list("code", flat=True)
        if overlapping:
            errors["parcels"] = [f"地块在该期间已流转（{', '.join(sorted(set(overlapping)))}）"]
    if errors:
        raise ServiceError("invalid", "流转信息有误", errors)
    if rent_kind == RentKind.GRAIN:
        rent = yearly_rent(rent_kind, area_m2=area, grain_kg_per_mu=kg, grain_price=price)
    transfer = Transfer.objects.create(
        code=transfer_code(village),
        village=village,
        contractor=contractor,
        transferee=transferee.strip(),
        transferee_kind=transferee_kind,
        mode=mode,
        start=start,
        end=end,
        area_m2=area,
        rent_kind=rent_kind,
        annual_rent=rent,
        grain_kg_per_mu=kg,
        grain_price=price,
        signed_on=signed_on or timezone.localdate(),
    )
    transfer.parcels.set(parcels)
    if contract_file is not None:
        from shuxiang.core.files import store_attachment

        transfer.attachment = store_attachment(
            contract_file, owner=transfer, place=village, actor=actor, kind="document"
        )
        transfer.save(update_fields=["attachment"])
    audit.record_create(actor, transfer)
    return transfer


@transaction.atomic
def do_end_transfer(transfer: Transfer, *, actor, terminated=False) -> Transfer:
    require(actor, "land.transfer.change", transfer)
    if transfer.status != TransferStatus.ACTIVE:
        raise ServiceError("not_active", "该流转合同已结束", {"status": ["已结束"]})
    before = audit.snapshot(transfer)
    transfer.status = TransferStatus.TERMINATED if terminated else TransferStatus.ENDED
    transfer.save(update_fields=["status"])
    audit.record_update(actor, transfer, before)
    return transfer


def expiring(qs, *, days=90, today=None):
    """Active transfers ending within `days` (the expiry reminders on the list and the pending panel)."""
    today = today or timezone.localdate()
    return qs.filter(status=TransferStatus.ACTIVE, end__gte=today, end__lte=today + timedelta(days=days))


def transfer_totals(parcels, transfers, *, today=None):
    """(contracted area m², transferred area m², share) for the parcels and transfers given (in scope)."""
    today = today or timezone.localdate()
    contracted = parcels.filter(kind="10").aggregate(a=Sum("registered_area_m2"))["a"] or Decimal(0)
    transferred = transfers.filter(status=TransferStatus.ACTIVE, start__lte=today, end__gt=today).aggregate(
        a=Sum("area_m2")
    )["a"] or Decimal(0)
    share = (transferred / contracted) if contracted else Decimal(0)
    return contracted, transferred, share
