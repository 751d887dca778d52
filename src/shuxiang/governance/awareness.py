"""Safety awareness (反诈、普法提示) through the warnings engine: a non-emergency signal type,
安全宣传提示 (blue only, CAP category Safety), registered here after every migrate and issued by the
engine to the targeted villages' loudspeakers with speech like any warning — the same way the villager
app issues 公共卫生提示. Read receipts are the loudspeakers' receipts on the engine's deliveries,
counted per notice on the issuing page."""

from datetime import timedelta

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from shuxiang.core.errors import ServiceError

SIGNAL_TYPE = {
    "code": "safety_awareness",
    "name": "安全宣传提示",
    "category": "Safety",
    "colours": ["blue"],
    "guides": {
        "blue": "不听、不信、不转账；陌生来电涉及转账汇款一律挂断，拨打96110咨询；"
        "遇到矛盾纠纷找村法律顾问或拨打12348公共法律服务热线。",
    },
}
TOPICS = {
    "anti_fraud": "反诈提示",
    "legal": "普法宣传",
}
SOURCE = "反诈普法提示"
MAX_DAYS = 30


@transaction.atomic
def do_issue_awareness_notice(*, actor, topic, headline, description, areas, days=7, instruction=None):
    """Write and issue a blue 安全宣传提示 (反诈 or 普法) to `areas` (division codes) through the
    warnings engine, as the actor (their warnings grants and region apply; the engine audits both
    steps). Blue needs no second approver. Bad input: ServiceError, nothing written."""
    from shuxiang.warnings import services as warnings

    errors = {}
    if topic not in TOPICS:
        errors["topic"] = ["请选择：" + "、".join(TOPICS.values())]
    if not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        errors["days"] = [f"有效天数应为1到{MAX_DAYS}天"]
    if not str(headline or "").strip():
        errors["headline"] = ["标题必填"]
    if len(str(description or "").strip()) < 10:
        errors["description"] = ["广播内容至少10个字"]
    if not areas:
        errors["areas"] = ["请选择发布范围"]
    if errors:
        raise ServiceError("invalid", "宣传提示有误：" + next(iter(errors.values()))[0], errors)
    warning = warnings.do_create_warning(
        actor=actor,
        signal_type=SIGNAL_TYPE["code"],
        colour="blue",
        headline=f"{TOPICS[topic]}：{str(headline).strip()}"[:100],
        description=str(description).strip(),
        instruction=instruction,
        areas=areas,
        expires=timezone.now() + timedelta(days=days),
        urgency="Expected",
        certainty="Likely",
        source=SOURCE,
    )
    return warnings.do_issue_warning(warning, actor=actor)


def recent_notices(user, limit=20):
    """The notices of this kind the user may see, newest first, each with its deliveries counted:
    loudspeakers targeted, delivered, and receipts (played/read) reported back."""
    from shuxiang.warnings.models import Warning

    return list(
        Warning.objects.restrict(user)
        .filter(signal_type__code=SIGNAL_TYPE["code"])
        .exclude(issued_at=None)
        .select_related("place")
        .annotate(
            targeted=Count("deliveries", distinct=True),
            delivered=Count("deliveries", filter=Q(deliveries__delivered_at__isnull=False), distinct=True),
            receipts=Count("deliveries", filter=Q(deliveries__receipt_at__isnull=False), distinct=True),
        )
        .order_by("-issued_at", "-pk")[:limit]
    )
