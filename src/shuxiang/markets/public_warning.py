"""A price level made public through the warnings engine: a non-emergency signal type,
农产品价格预警 (blue for 警戒, yellow for 危机; CAP category Other), registered here as villager's
公共卫生提示 is, and issued from the price-warning page by the district or a bureau holding the
warnings duty. The engine does the rest (identifier, the targeted villages' loudspeakers, speech,
notifications); the link between the level and the public warning is kept here (`PublicPriceWarning`)
because the levels themselves are recomputed every night."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from shuxiang.core import audit
from shuxiang.core.errors import ServiceError
from shuxiang.core.permissions import require
from shuxiang.markets.choices import Level
from shuxiang.markets.models import PriceObservation, PublicPriceWarning, WarningLevel

SIGNAL_TYPE = {
    "code": "farm_price",
    "name": "农产品价格预警",
    "category": "Other",
    "colours": ["blue", "yellow"],
    "guides": {
        "blue": "农产品价格明显波动，请理性购买，不囤积、不抢购；经营者请明码标价，不哄抬价格。"
        "价格异常请拨打12315反映。",
        "yellow": "农产品价格异常上涨，政府正在组织货源、投放储备；请理性消费，不囤积、不抢购；"
        "经营者不得哄抬价格、囤积居奇，违者依法查处。价格违法行为请拨打12315举报。",
    },
}
COLOUR_OF = {Level.ALERT: "blue", Level.CRISIS: "yellow"}
MAX_DAYS = 30


def default_text(level: WarningLevel) -> tuple[str, str]:
    """The headline and broadcast text a level suggests: product, place, method, value, last price."""
    product, place = level.product, level.place
    last = (
        PriceObservation.objects.filter(product=product, point__township__path__startswith=place.path)
        .order_by("-observed_on")
        .values_list("price", flat=True)
        .first()
    )
    headline = f"{place.name}{product.name}价格{level.get_level_display()}"
    text = (
        f"据{level.method.name}监测，{place.name}{product.name}价格自{level.period_start:%Y年%m月%d日}"
        f"起处于{level.get_level_display()}级别（指标值 {level.value:g}）"
        + (f"，最近采价 {last} {product.unit}" if last is not None else "")
        + "。"
    )
    return headline, text


def current_public(level: WarningLevel):
    """The public warning already issued for this product, place and period, if any."""
    return (
        PublicPriceWarning.objects.filter(
            product=level.product_id, place=level.place_id, period_start=level.period_start
        )
        .select_related("warning")
        .first()
    )


@transaction.atomic
def do_issue_price_warning(
    level: WarningLevel, *, actor, headline=None, description=None, days=7
) -> PublicPriceWarning:
    """Issue a current alert or crisis level as a public 农产品价格预警 to the level's place, as the
    actor (their warnings grant, duty and region apply: the engine checks them). Blue and yellow need
    no second approver. One public warning per product, place and period: a second is refused."""
    from shuxiang.warnings import services as warnings

    require(actor, "markets.publicpricewarning.add", level.place)
    errors = {}
    if not level.is_current:
        errors["level"] = ["该级别已不是当前级别，请按最新预警发布"]
    elif level.level not in COLOUR_OF:
        errors["level"] = [f"只有警戒、危机级别可发布为公众预警（当前：{level.get_level_display()}）"]
    if not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        errors["days"] = [f"有效天数应为1到{MAX_DAYS}天"]
    suggested_headline, suggested_text = default_text(level)
    headline = str(headline or "").strip() or suggested_headline
    description = str(description or "").strip() or suggested_text
    if len(description) < 10:
        errors["description"] = ["内容至少10个字"]
    if errors:
        raise ServiceError("invalid", "不能发布价格预警", errors)
    existing = current_public(level)
    if existing is not None:
        raise ServiceError(
            "duplicate",
            f"{level.place.name}{level.product.name}本期价格预警已发布（{existing.warning.headline}）",
            {"level": ["本期已发布"]},
        )
    warning = warnings.do_create_warning(
        actor=actor,
        signal_type=SIGNAL_TYPE["code"],
        colour=COLOUR_OF[level.level],
        headline=f"农产品价格预警：{headline}"[:100],
        description=description,
        areas=[level.place.code],
        expires=timezone.now() + timedelta(days=days),
        urgency="Expected",
        certainty="Likely",
        source="农产品市场监测预警",
    )
    warning = warnings.do_issue_warning(warning, actor=actor)
    link = PublicPriceWarning.objects.create(
        product=level.product,
        place=level.place,
        method=level.method,
        period_start=level.period_start,
        level=level.level,
        value=level.value,
        warning=warning,
    )
    audit.record_create(actor, link)
    return link
