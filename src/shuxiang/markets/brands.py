"""一镇一品 and regional brands: the registry, their products, the business entities (trace's
producers) authorised to use them, and what the public page shows (the producers' lots that a
consumer may look up, by their one-code pages)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from shuxiang.core import audit
from shuxiang.core.errors import ServiceError
from shuxiang.core.permissions import require
from shuxiang.markets.choices import BrandKind
from shuxiang.markets.models import Brand, BrandProducer

LOTS_PER_PRODUCER = 5


@transaction.atomic
def do_create_brand(
    *, actor, name, kind, place, products, description="", certification="", is_public=True
) -> Brand:
    """一镇一品 belongs to a township; a regional public brand to the district."""
    require(actor, "markets.brand.add", place)
    errors = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = ["品牌名称必填"]
    elif Brand.objects.filter(name=name).exists():
        errors["name"] = [f"品牌“{name}”已登记"]
    if kind not in BrandKind.values:
        errors["kind"] = ["类型无效"]
    elif place is not None and kind == BrandKind.TOWNSHIP and place.level != 2:
        errors["place"] = ["一镇一品应登记在乡镇（街道）"]
    elif place is not None and kind == BrandKind.REGIONAL and place.level != 1:
        errors["place"] = ["区域公用品牌应登记在区（县）"]
    if place is None:
        errors["place"] = ["请选择所属区划"]
    if not (products or "").strip():
        errors["products"] = ["请填写品牌产品"]
    if errors:
        raise ServiceError("invalid", "品牌信息有误", errors)
    brand = Brand.objects.create(
        name=name,
        kind=kind,
        place=place,
        products=products.strip(),
        description=(description or "").strip(),
        certification=(certification or "").strip(),
        is_public=is_public,
    )
    audit.record_create(actor, brand)
    return brand


@transaction.atomic
def do_authorise_producer(brand: Brand, *, actor, producer, authorised_on=None, note="") -> BrandProducer:
    """A registered business entity of the brand's area may use the brand (授权使用)."""
    require(actor, "markets.brandproducer.add", brand.place)
    errors = {}
    authorised_on = authorised_on or timezone.localdate()
    if producer is None:
        errors["producer"] = ["请选择经营主体"]
    elif not (producer.place.path or "").startswith(brand.place.path):
        errors["producer"] = [f"{producer.name}不在{brand.place.name}，不能使用该品牌"]
    elif BrandProducer.objects.filter(brand=brand, producer=producer).exists():
        errors["producer"] = [f"{producer.name}已获本品牌授权"]
    if authorised_on > timezone.localdate():
        errors["authorised_on"] = ["授权日期不能晚于今天"]
    if errors:
        raise ServiceError("invalid", "授权有误", errors)
    member = BrandProducer.objects.create(
        brand=brand, producer=producer, authorised_on=authorised_on, note=(note or "").strip()
    )
    audit.record_create(actor, member)
    return member


def public_members(brand: Brand) -> list[dict]:
    """The brand's producers as the public sees them: name, kind, place, and their lots a consumer
    may look up (the newest few, with their one-code pages). No contact, no credit code."""
    from shuxiang.trace.public import consumer_lots

    members = list(brand.members.select_related("producer__place").order_by("authorised_on", "pk"))
    lots = {}
    for lot in (
        consumer_lots()
        .filter(product__producer__in=[m.producer_id for m in members])
        .select_related("product")
        .order_by("-created_at")
    ):
        group = lots.setdefault(lot.product.producer_id, [])
        if len(group) < LOTS_PER_PRODUCER:
            group.append(lot)
    return [
        {
            "name": m.producer.name,
            "kind": m.producer.get_kind_display(),
            "place": m.producer.place.name,
            "since": m.authorised_on,
            "lots": lots.get(m.producer_id, []),
        }
        for m in members
    ]
