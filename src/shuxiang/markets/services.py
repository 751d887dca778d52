"""Every write of price monitoring: catalogue, collection points, price observations (phone, API,
XLSX) and the recomputation of warning levels. Commerce, grain and the directory have their own
modules (commerce.py, grain.py, directory.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml
from django.db import IntegrityError, transaction
from django.utils import timezone

from shuxiang.core import audit
from shuxiang.core.actors import as_actor
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import Place
from shuxiang.core.permissions import require
from shuxiang.markets.choices import ProductCategory, Source
from shuxiang.markets.early_warning import validate_bands
from shuxiang.markets.models import CollectionPoint, Method, PriceObservation, Product

METHODS_FILE = Path(__file__).parent / "data" / "methods.yaml"
# A price this many times the point's last one (or that fraction of it) is questioned on entry.
OUTLIER_FACTOR = Decimal(3)
# How far back "the point's last price" is looked for.
OUTLIER_LOOKBACK_DAYS = 120


def ensure_methods(sender=None, using="default", **kwargs):
    """Every method of data/methods.yaml exists after migrate (an existing row, as edited, stays)."""
    for row in yaml.safe_load(METHODS_FILE.read_text(encoding="utf-8")):
        code = row.pop("code")
        Method.objects.using(using).get_or_create(code=code, defaults=row)


def township_of(place: Place) -> Place:
    """The township (level 2) a place lies in, or the place itself when it is one."""
    codes = [c for c in place.path.split("/") if c]
    if place.level <= 2:
        return place
    return Place.objects.get(code=codes[1])


def _decimal(value, name, errors, *, places=2):
    if value is None or value == "":
        errors[name] = ["必填"]
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors[name] = ["应为数字"]
        return None
    if not number.is_finite():
        errors[name] = ["应为数字"]
        return None
    return number.quantize(Decimal(1).scaleb(-places))


# --- catalogue and points -----------------------------------------------------------------------


@transaction.atomic
def do_create_product(
    *, actor, code, name, category, unit, min_price, max_price, grade="", is_key=False
) -> Product:
    require(actor, "markets.product.add")
    errors = {}
    if not (code or "").strip():
        errors["code"] = ["代码必填"]
    elif Product.objects.filter(code=code).exists():
        errors["code"] = [f"品种代码 {code} 已存在"]
    if not (name or "").strip():
        errors["name"] = ["品名必填"]
    if category not in ProductCategory.values:
        errors["category"] = ["类别无效"]
    if not (unit or "").strip():
        errors["unit"] = ["计价单位必填"]
    low = _decimal(min_price, "min_price", errors)
    high = _decimal(max_price, "max_price", errors)
    if low is not None and high is not None and not (0 < low < high):
        errors["max_price"] = ["合理价格区间应满足 0 < 下限 < 上限"]
    if errors:
        raise ServiceError("invalid", "品种信息有误", errors)
    product = Product.objects.create(
        code=code.strip(),
        name=name.strip(),
        category=category,
        unit=unit.strip(),
        grade=grade,
        min_price=low,
        max_price=high,
        is_key=is_key,
    )
    audit.record_create(actor, product)
    return product


@transaction.atomic
def do_create_point(*, actor, code, name, kind, place, collectors=()) -> CollectionPoint:
    require(actor, "markets.collectionpoint.add", place)
    errors = {}
    if not (code or "").strip():
        errors["code"] = ["编码必填"]
    elif CollectionPoint.objects.filter(code=code).exists():
        errors["code"] = [f"采集点编码 {code} 已存在"]
    if not (name or "").strip():
        errors["name"] = ["名称必填"]
    if place is None or place.level < 2:
        errors["place"] = ["请选择乡镇或村"]
    if errors:
        raise ServiceError("invalid", "采集点信息有误", errors)
    point = CollectionPoint.objects.create(
        code=code.strip(), name=name.strip(), kind=kind, place=place, township=township_of(place)
    )
    if collectors:
        point.collectors.set(collectors)
    audit.record_create(actor, point)
    return point


@transaction.atomic
def do_change_method(method: Method, *, actor, bands, params=None, is_active=None) -> Method:
    """New bands (and constants) for a method; the levels are recomputed by the next run."""
    require(actor, "markets.method.change")
    problems = validate_bands(bands)
    if params is not None and not isinstance(params, dict):
        problems.append("参数应为对象")
    if problems:
        raise ServiceError("invalid", "分级设置有误", {"bands": problems})
    before = audit.snapshot(method)
    method.bands = bands
    fields = ["bands"]
    if params is not None:
        method.params, fields = params, [*fields, "params"]
    if is_active is not None:
        method.is_active, fields = bool(is_active), [*fields, "is_active"]
    method.save(update_fields=fields)
    audit.record_update(actor, method, before)
    return method


# --- prices -------------------------------------------------------------------------------------


@dataclass
class PriceInput:
    """One price as it arrives (form, API or a row of a file): references by code."""

    point: str
    product: str
    observed_on: object
    price: object
    unit: str = ""
    confirm: bool = False
    note: str = ""


def _check_price(item: PriceInput, *, actor, points, products, today) -> tuple[dict, dict, str | None]:
    """(clean fields, errors, question): the question is asked when the price is far from the last one."""
    errors: dict[str, list[str]] = {}
    point = points.get(item.point) if isinstance(item.point, str) else item.point
    product = products.get(item.product) if isinstance(item.product, str) else item.product
    if point is None:
        errors["point"] = [f"采集点 {item.point} 不存在或不在您的管辖范围内"]
    if product is None:
        errors["product"] = [f"品种 {item.product} 不在监测目录中"]
    day = item.observed_on
    if isinstance(day, str):
        try:
            day = date.fromisoformat(day.strip()[:10])
        except ValueError:
            errors["observed_on"] = ["日期格式应为 YYYY-MM-DD"]
            day = None
    if isinstance(day, date):
        if day > today:
            errors["observed_on"] = ["采价日期不能晚于今天"]
        elif day < date(2000, 1, 1):
            errors["observed_on"] = ["采价日期过早"]
    elif "observed_on" not in errors:
        errors["observed_on"] = ["采价日期必填"]
    price = _decimal(item.price, "price", errors)
    if price is not None and price <= 0:
        errors["price"] = ["价格应大于0"]
    if product is not None and item.unit and item.unit.strip() != product.unit:
        errors["unit"] = [f"{product.name}的计价单位是 {product.unit}，不是 {item.unit}"]
    if errors:
        return {}, errors, None
    if not (product.min_price / 10 <= price <= product.max_price * 10):
        errors["price"] = [
            f"{price} {product.unit} 明显不合理（{product.name}合理区间 {product.min_price}–{product.max_price}）"
        ]
        return {}, errors, None
    question = None
    last = (
        PriceObservation.objects.filter(
            point=point,
            product=product,
            observed_on__lt=day,
            observed_on__gte=day - timedelta(days=OUTLIER_LOOKBACK_DAYS),
        )
        .order_by("-observed_on")
        .values_list("price", flat=True)
        .first()
    )
    if last and (price >= last * OUTLIER_FACTOR or price * OUTLIER_FACTOR <= last):
        question = f"{price} 与该点上次价格 {last} 相差3倍以上，请核实后确认"
    elif not (product.min_price <= price <= product.max_price):
        question = (
            f"{price} 超出{product.name}的合理区间 {product.min_price}–{product.max_price}，请核实后确认"
        )
    return {"point": point, "product": product, "observed_on": day, "price": price}, errors, question


def _points_for(actor, codes) -> dict:
    """The points an actor may report for: those in its region, and those it is a collector of (a grid
    worker collects at the township's market, outside the village it is attached to)."""
    codes = {c for c in codes if isinstance(c, str)}
    found = {p.code: p for p in CollectionPoint.objects.restrict(actor).filter(code__in=codes)}
    person = as_actor(actor).human
    if person is not None:
        found.update({p.code: p for p in CollectionPoint.objects.filter(code__in=codes, collectors=person)})
    return found


@transaction.atomic
def do_record_price(*, actor, item: PriceInput, source=Source.PHONE) -> PriceObservation:
    """One price from a collector's phone or the API. Refused with `questioned` when it is 3× off the
    point's last price (or outside the product's plausible range) unless the collector confirms."""
    points = _points_for(actor, [item.point]) if isinstance(item.point, str) else {}
    products = (
        {p.code: p for p in Product.objects.filter(code=item.product)}
        if isinstance(item.product, str)
        else {}
    )
    clean, errors, question = _check_price(
        item, actor=actor, points=points, products=products, today=timezone.localdate()
    )
    if errors:
        raise ServiceError("invalid", "价格有误，未保存", errors)
    person = as_actor(actor).human
    collects = person is not None and clean["point"].collectors.filter(pk=person.pk).exists()
    require(actor, "markets.priceobservation.add", None if collects else clean["point"])
    if question and not item.confirm:
        raise ServiceError(
            "questioned",
            f"价格待核实，未保存：{question}",
            {"price": [question], "confirm": ["核实无误请勾选确认后再提交"]},
        )
    if PriceObservation.objects.filter(
        point=clean["point"], product=clean["product"], observed_on=clean["observed_on"]
    ).exists():
        raise ServiceError(
            "duplicate", "该采集点当天已报过此品种价格", {"observed_on": ["当天已报"]}, status=409
        )
    typed = as_actor(actor)
    obs = PriceObservation.objects.create(
        **clean,
        source=source,
        questioned=bool(question),
        note=(item.note or "")[:200],
        recorded_by=typed.human,
    )
    audit.record_create(actor, obs)
    return obs


# Column headers of the price import file (Chinese as people write them, or the API names).
IMPORT_COLUMNS = {
    "采集点编码": "point",
    "采集点": "point",
    "point": "point",
    "品种代码": "product",
    "品种": "product",
    "product": "product",
    "日期": "observed_on",
    "采价日期": "observed_on",
    "observed_on": "observed_on",
    "价格": "price",
    "price": "price",
    "单位": "unit",
    "计价单位": "unit",
    "unit": "unit",
    "已核实": "confirm",
    "confirm": "confirm",
}
COLUMN_NAMES = {
    "point": "采集点编码",
    "product": "品种代码",
    "observed_on": "日期",
    "price": "价格",
    "unit": "单位",
}


@dataclass
class ImportOutcome:
    created: int = 0
    questioned: int = 0
    problems: list[str] = field(default_factory=list)


def parse_price_rows(rows) -> list[tuple[int, PriceInput]]:
    """(row number, PriceInput) from core.importers.read_rows output, columns by IMPORT_COLUMNS."""
    out = []
    for number, raw in rows:
        values = {IMPORT_COLUMNS[k]: v for k, v in raw.items() if k in IMPORT_COLUMNS}
        out.append(
            (
                number,
                PriceInput(
                    point=values.get("point", ""),
                    product=values.get("product", ""),
                    observed_on=values.get("observed_on", ""),
                    price=values.get("price", ""),
                    unit=values.get("unit", ""),
                    confirm=str(values.get("confirm", "")).strip()
                    in ("是", "1", "true", "TRUE", "True", "y", "Y"),
                ),
            )
        )
    return out


@transaction.atomic
def do_import_prices(*, actor, items: list[tuple[int, PriceInput]], source=Source.IMPORT) -> ImportOutcome:
    """All rows or none: any wrong row (unit, value, date, duplicate, an unconfirmed 3× jump) refuses
    the whole file with every problem by row."""
    require(actor, "markets.priceobservation.add")
    if not items:
        raise ServiceError("empty_file", "文件中没有价格行")
    if len(items) > 20_000:
        raise ServiceError("too_many_rows", "一次最多导入 20,000 行，请分批导入")
    points = _points_for(actor, [i.point for _, i in items])
    products = {p.code: p for p in Product.objects.filter(code__in={i.product for _, i in items})}
    today = timezone.localdate()
    outcome, rows, seen = ImportOutcome(), [], set()
    typed = as_actor(actor)
    for number, item in items:
        clean, errors, question = _check_price(
            item, actor=actor, points=points, products=products, today=today
        )
        if not errors:
            key = (clean["point"].pk, clean["product"].pk, clean["observed_on"])
            if key in seen:
                errors = {"observed_on": ["文件中重复（同一采集点、品种、日期）"]}
            seen.add(key)
        if not errors and question and not item.confirm:
            errors = {"price": [f"{question}（核实无误请在「已核实」列填“是”）"]}
        for name, messages in errors.items():
            outcome.problems.extend(f"第{number}行「{COLUMN_NAMES.get(name, name)}」：{m}" for m in messages)
        if not errors:
            rows.append(
                PriceObservation(**clean, source=source, questioned=bool(question), recorded_by=typed.human)
            )
            outcome.questioned += bool(question)
    if not outcome.problems:
        existing = PriceObservation.objects.filter(
            point__in={r.point_id for r in rows}, observed_on__in={r.observed_on for r in rows}
        ).values_list("point_id", "product_id", "observed_on")
        clash = set(existing) & {(r.point_id, r.product_id, r.observed_on) for r in rows}
        for point_id, product_id, day in sorted(clash)[:50]:
            outcome.problems.append(f"{day} 采集点#{point_id} 品种#{product_id} 已有价格（重复上报）")
    if outcome.problems:
        raise ServiceError(
            "import_rejected",
            f"导入未执行：共有 {len(outcome.problems)} 处错误，请修改后重新导入（未写入任何数据）",
            {"rows": outcome.problems[:200]},
        )
    try:
        PriceObservation.objects.bulk_create(rows, batch_size=2000)
    except IntegrityError as exc:  # a concurrent import of the same prices
        raise ServiceError("duplicate", "部分价格已被其他人同时导入，请重新导入", status=409) from exc
    outcome.created = len(rows)
    audit.record(
        actor,
        "import",
        object_type="markets.priceobservation",
        object_repr=f"导入价格 {len(rows)} 条",
        changes={"rows": len(rows), "questioned": outcome.questioned},
    )
    return outcome
