"""Every write of e-commerce and logistics: stations of the three-level network, registered sellers,
monthly online-sales reports (form, API, XLSX) and live-streaming sessions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from shuxiang.core import audit
from shuxiang.core.errors import ServiceError
from shuxiang.core.permissions import require
from shuxiang.markets.choices import Platform, Source, StationKind, StationStatus
from shuxiang.markets.models import CommerceStation, LiveSession, SalesReport, Seller

# A single month's report above this is a typo, not a sale (yuan).
MAX_MONTHLY_AMOUNT = Decimal("500000000")


@transaction.atomic
def do_create_station(
    *, actor, code, name, kind, place, status=StationStatus.OPEN, opened_on=None, operator="", carriers=""
) -> CommerceStation:
    require(actor, "markets.commercestation.add", place)
    errors = {}
    if not (code or "").strip():
        errors["code"] = ["编码必填"]
    elif CommerceStation.objects.filter(code=code).exists():
        errors["code"] = [f"站点编码 {code} 已存在"]
    if not (name or "").strip():
        errors["name"] = ["名称必填"]
    if kind not in StationKind.values:
        errors["kind"] = ["类型无效"]
    if status not in StationStatus.values:
        errors["status"] = ["状态无效"]
    if kind == StationKind.VILLAGE and place is not None and place.level != 3:
        errors["place"] = ["村级电商服务站应登记在行政村"]
    if errors:
        raise ServiceError("invalid", "站点信息有误", errors)
    station = CommerceStation.objects.create(
        code=code.strip(),
        name=name.strip(),
        kind=kind,
        place=place,
        status=status,
        opened_on=opened_on,
        operator=operator,
        carriers=carriers,
    )
    audit.record_create(actor, station)
    return station


@transaction.atomic
def do_set_station_status(station: CommerceStation, *, actor, status) -> CommerceStation:
    require(actor, "markets.commercestation.change", station)
    if status not in StationStatus.values:
        raise ServiceError("invalid", "状态无效", {"status": ["状态无效"]})
    before = audit.snapshot(station)
    station.status = status
    if status == StationStatus.OPEN and station.opened_on is None:
        station.opened_on = timezone.localdate()
    station.save(update_fields=["status", "opened_on"])
    audit.record_update(actor, station, before)
    return station


@transaction.atomic
def do_create_seller(*, actor, name, place, producer=None, shop="", main_products="") -> Seller:
    require(actor, "markets.seller.add", place)
    if not (name or "").strip():
        raise ServiceError("invalid", "网销主体信息有误", {"name": ["名称必填"]})
    if Seller.objects.filter(place=place, name=name.strip()).exists():
        raise ServiceError("invalid", "网销主体信息有误", {"name": ["该区划已登记同名网销主体"]})
    seller = Seller.objects.create(
        name=name.strip(), place=place, producer=producer, shop=shop, main_products=main_products
    )
    audit.record_create(actor, seller)
    return seller


def _month(value, errors):
    if isinstance(value, str):
        text = value.strip()
        try:
            value = date.fromisoformat(text + "-01" if len(text) == 7 else text)
        except ValueError:
            errors["month"] = ["月份格式应为“年-月”，如 2026-11"]
            return None
    if not isinstance(value, date):
        errors["month"] = ["月份必填"]
        return None
    value = value.replace(day=1)
    if value > timezone.localdate().replace(day=1):
        errors["month"] = ["不能填报未来月份"]
    return value


def _check_sales(f: dict, stations: dict, sellers: dict) -> tuple[dict, dict]:
    errors: dict[str, list[str]] = {}
    month = _month(f.get("month"), errors)
    station = seller = None
    if f.get("station"):
        station = stations.get(f["station"])
        if station is None:
            errors["station"] = [f"站点 {f['station']} 不存在或不在您的管辖范围内"]
    if f.get("seller"):
        seller = sellers.get(f["seller"])
        if seller is None:
            errors["seller"] = [f"网销主体 {f['seller']} 不存在或不在您的管辖范围内"]
    if not f.get("station") and not f.get("seller"):
        errors["station"] = ["请填写站点编码或网销主体"]
    elif f.get("station") and f.get("seller"):
        errors["seller"] = ["站点与网销主体只能填一个"]
    if f.get("platform") not in Platform.values:
        errors["platform"] = [f"平台应为 {'/'.join(Platform.values)} 之一"]
    if not str(f.get("product") or "").strip():
        errors["product"] = ["产品必填"]
    try:
        amount = Decimal(str(f.get("amount")).strip()).quantize(Decimal("0.01"))
        if not amount.is_finite() or amount < 0 or amount > MAX_MONTHLY_AMOUNT:
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["amount"] = ["销售额应为0–5亿元之间的数字（单位：元）"]
        amount = None
    try:
        orders = int(str(f.get("orders")).strip())
        if orders < 0:
            raise ValueError
    except (TypeError, ValueError):
        errors["orders"] = ["订单数应为不小于0的整数"]
        orders = None
    if errors:
        return {}, errors
    return {
        "month": month,
        "station": station,
        "seller": seller,
        "place": (station or seller).place,
        "platform": f["platform"],
        "product": str(f["product"]).strip()[:60],
        "amount": amount,
        "orders": orders,
    }, {}


def _reporters(actor, rows):
    stations = {
        s.code: s
        for s in CommerceStation.objects.restrict(actor).filter(
            code__in={r.get("station") for r in rows if r.get("station")}
        )
    }
    names = {r.get("seller") for r in rows if r.get("seller")}
    sellers = {}
    for s in Seller.objects.restrict(actor).filter(name__in=names):
        sellers.setdefault(s.name, s)
    return stations, sellers


@transaction.atomic
def do_report_sales(*, actor, rows: list[dict], source=Source.API) -> list[SalesReport]:
    """Monthly sales rows (each: month, station code or seller name, platform, product, amount in
    yuan, orders). All or nothing: an unknown station, a future month, a duplicate refuses all."""
    require(actor, "markets.salesreport.add")
    if not rows:
        raise ServiceError("invalid", "没有月报数据", {"rows": ["至少一行"]})
    if len(rows) > 5000:
        raise ServiceError("too_many_rows", "一次最多报送 5,000 行")
    stations, sellers = _reporters(actor, rows)
    problems, clean_rows, seen = {}, [], set()
    for i, row in enumerate(rows, start=1):
        clean, errors = _check_sales(row if isinstance(row, dict) else {}, stations, sellers)
        if not errors:
            key = (
                clean["month"],
                clean["station"] and clean["station"].pk,
                clean["seller"] and clean["seller"].pk,
                clean["platform"],
                clean["product"],
            )
            if (
                key in seen
                or SalesReport.objects.filter(
                    month=key[0],
                    station=clean["station"],
                    seller=clean["seller"],
                    platform=key[3],
                    product=key[4],
                ).exists()
            ):
                errors = {"month": ["该月此平台此产品已报（重复）"]}
            seen.add(key)
        if errors:
            problems.update({f"{i}.{k}": v for k, v in errors.items()} if len(rows) > 1 else errors)
        else:
            clean_rows.append(clean)
    if problems:
        raise ServiceError("invalid", f"月报有误，未写入任何数据（{len(problems)} 处）", problems)
    reports = []
    for clean in clean_rows:
        require(actor, "markets.salesreport.add", clean["place"])
        reports.append(SalesReport(**clean, source=source))
    SalesReport.objects.bulk_create(reports)
    audit.record(
        actor,
        "import" if len(reports) > 1 else "create",
        object_type="markets.salesreport",
        object_id=reports[0].pk if len(reports) == 1 else None,
        object_repr=f"网络销售月报 {len(reports)} 条，合计 {sum(r.amount for r in reports):,.2f} 元",
        changes={"rows": len(reports), "source": source},
    )
    return reports


SALES_COLUMNS = {
    "月份": "month",
    "站点编码": "station",
    "网销主体": "seller",
    "平台": "platform",
    "产品": "product",
    "销售额": "amount",
    "销售额（元）": "amount",
    "订单数": "orders",
}
PLATFORM_BY_LABEL = {p.label: p.value for p in Platform}


def sales_rows_from_file(rows) -> list[dict]:
    out = []
    for _number, raw in rows:
        row = {SALES_COLUMNS.get(k, k): v for k, v in raw.items()}
        row["platform"] = PLATFORM_BY_LABEL.get(row.get("platform"), row.get("platform"))
        out.append(row)
    return out


@transaction.atomic
def do_record_live_session(*, actor, seller, host, platform, held_on, viewers, orders, amount) -> LiveSession:
    require(actor, "markets.livesession.add", seller)
    errors = {}
    if not (host or "").strip():
        errors["host"] = ["主播必填"]
    if platform not in Platform.values:
        errors["platform"] = ["平台无效"]
    if held_on is None or held_on > timezone.localdate():
        errors["held_on"] = ["日期不能晚于今天"]
    if amount is None or amount < 0:
        errors["amount"] = ["销售额应不小于0"]
    if errors:
        raise ServiceError("invalid", "直播场次信息有误", errors)
    session = LiveSession.objects.create(
        seller=seller,
        host=host.strip(),
        platform=platform,
        held_on=held_on,
        viewers=viewers,
        orders=orders,
        amount=amount,
    )
    audit.record_create(actor, session)
    return session
