"""Public-health notices (vaccination days, prevention advice) through the warnings engine: a
non-emergency signal type, 公共卫生提示 (blue only, CAP category Health), registered here and issued by
the engine to the targeted villages' loudspeakers with speech like any warning. Epidemic reports are a
case category (疫情报告, sensitive) the case table routes to the health bureau."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from shuxiang.core.errors import ServiceError

SIGNAL_TYPE = {
    "code": "public_health",
    "name": "公共卫生提示",
    "category": "Health",
    "colours": ["blue"],
    "guides": {
        "blue": "请按通知时间到村卫生室或乡镇卫生院接种，带好身份证和接种本；勤洗手、常通风，"
        "出现发热、咳嗽等症状及时就医。",
    },
}
EPIDEMIC_CATEGORY = "epidemic-report"
CASE_CATEGORIES = {
    EPIDEMIC_CATEGORY: {
        "name": "疫情报告",
        "description": "发现发热聚集、传染病疑似病例或动物疫情：卫生健康部门核实处置",
        "group": "卫生健康",
        "case_type": "complaint",
        "is_public": True,
        "is_sensitive": True,
        "deadline_amount": 1,
        "deadline_unit": "calendar_days",
        "accept_hours": 2,
        "order": 123,
    },
}
TOPICS = {
    "vaccination": "疫苗接种通知",
    "prevention": "疾病预防提示",
}
MAX_DAYS = 30


@transaction.atomic
def do_issue_health_notice(*, actor, topic, headline, description, areas, days=7, instruction=None):
    """Write and issue a blue 公共卫生提示 to `areas` (division codes) through the warnings engine,
    as the actor (their warnings grants and region apply). Blue needs no second approver."""
    from shuxiang.warnings import services as warnings

    errors = {}
    if topic not in TOPICS:
        errors["topic"] = ["请选择：" + "、".join(TOPICS.values())]
    if not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        errors["days"] = [f"有效天数应为1到{MAX_DAYS}天"]
    if not str(headline or "").strip():
        errors["headline"] = ["标题必填"]
    if len(str(description or "").strip()) < 10:
        errors["description"] = ["内容至少10个字"]
    if not areas:
        errors["areas"] = ["请选择发布范围"]
    if errors:
        raise ServiceError("invalid", "卫生健康提示有误", errors)
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
        source="卫生健康提示",
    )
    return warnings.do_issue_warning(warning, actor=actor)
