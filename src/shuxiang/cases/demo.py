"""Demo cases for Heshan: the resident categories with their deadlines, a routing table that sends
sewage to the water company and road damage to the housing bureau, and a few hundred cases over the
last two months in every state — created through the services, then moved back in time so deadlines,
overdue flags, escalations and statistics look like a working county.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from shuxiang.cases import reference, services
from shuxiang.cases.choices import DeadlineUnit
from shuxiang.cases.models import Case, CaseEvent
from shuxiang.core.actors import OPERATOR

CATEGORIES = [
    # code, name, group, deadline, unit, accept hours, public, sensitive
    ("rubbish", "垃圾堆放", "人居环境", 3, DeadlineUnit.CALENDAR_DAYS, 8, True, False),
    ("sewage", "生活污水", "人居环境", 5, DeadlineUnit.CALENDAR_DAYS, 24, True, False),
    ("black-water", "黑臭水体", "人居环境", 15, DeadlineUnit.CALENDAR_DAYS, 24, True, False),
    ("road", "道路破损", "基础设施", 40, DeadlineUnit.WORK_HOURS, 24, True, False),
    ("parking", "车辆违章停放", "交通秩序", 8, DeadlineUnit.WORK_HOURS, 4, True, False),
    ("house-safety", "房屋安全隐患", "安全隐患", 3, DeadlineUnit.CALENDAR_DAYS, 4, True, True),
    ("food-safety", "食品安全（12315）", "市场监管", 7, DeadlineUnit.CALENDAR_DAYS, 24, True, True),
    ("other", "其他", "其他", 10, DeadlineUnit.CALENDAR_DAYS, 24, True, False),
]
ROUTES = [  # category → unit key in ctx.units, district-wide
    ("sewage", "赫山区自来水公司"),
    ("black-water", "区住建局"),
    ("road", "区住建局"),
    ("parking", "区城管局"),
    ("food-safety", "区市监局"),
]
DESCRIPTIONS = {
    "rubbish": ["村口垃圾堆放多日无人清运", "河边有人倾倒建筑垃圾", "垃圾桶满溢，气味很大"],
    "sewage": ["生活污水直排进水塘", "下水道堵塞，污水漫到路面"],
    "black-water": ["村前水塘发黑发臭", "沟渠水体变黑，有死鱼"],
    "road": ["村道路面塌陷一个大坑", "桥头路面开裂，电动车容易摔倒"],
    "parking": ["货车长期停在村小门口，影响接送学生", "车辆占用消防通道"],
    "house-safety": ["老屋墙体开裂倾斜，旁边有人居住", "危房屋顶瓦片脱落"],
    "food-safety": ["小卖部出售过期食品", "集市上的熟食没有防蝇措施"],
    "other": ["路灯坏了一个月没人修", "村广场健身器材损坏"],
}
CASES_PER_SCALE = 240


def build(ctx):
    rng = ctx.rng
    categories = {}
    for code, name, group, amount, unit, accept, public, sensitive in CATEGORIES:
        categories[code] = reference.do_save_category(
            actor=OPERATOR,
            code=code,
            name=name,
            group=group,
            deadline_amount=amount,
            deadline_unit=unit,
            accept_hours=accept,
            is_public=public,
            is_sensitive=sensitive,
            order=len(categories) + 1,
        )
    for code, unit_key in ROUTES:
        if unit_key in ctx.units:
            reference.do_save_routing_rule(
                actor=OPERATOR,
                place=ctx.district,
                unit=ctx.units[unit_key],
                category=code,
                note="演示分派规则",
            )

    users = ctx.users
    qjh = next(t for t in ctx.townships if t.name == "泉交河镇")
    focus = [v for v in ctx.villages if v.parent_id == qjh.pk]
    codes = list(categories)
    for i in range(CASES_PER_SCALE * ctx.scale):
        # Half the cases in 泉交河镇 so the township and grid accounts have a full queue.
        village = rng.choice(focus) if i % 2 == 0 else rng.choice(ctx.villages)
        hamlets = [h for h in ctx.hamlets if h.parent_id == village.pk]
        place = rng.choice(hamlets) if hamlets else village
        code = rng.choice(codes)
        age = timedelta(hours=rng.randint(1, 24 * 60))
        with transaction.atomic():
            case = services.do_open_case(
                actor=services.PUBLIC_ACTOR,
                category=code,
                place=place,
                latitude=round(place.latitude + rng.uniform(-0.002, 0.002), 6) if place.latitude else None,
                longitude=round(place.longitude + rng.uniform(-0.002, 0.002), 6) if place.longitude else None,
                description=rng.choice(DESCRIPTIONS[code]),
                reporter_name=rng.choice("王李张刘陈杨黄赵周吴") + rng.choice(["先生", "女士"]),
                phone=f"1{rng.choice('3578')}{rng.randint(0, 999999999):09d}",
            )
            _advance(case, rng, users, age, reporter_key=case.reporter_key)
            _shift(case, age, rng)
    services.escalate_due_cases()


# How residents rate a resolved case (1–5) and what some of them say.
RATINGS = [5] * 10 + [4] * 6 + [3] * 2 + [2, 1]
COMMENTS = {
    5: ["处理很及时，谢谢！", "工作人员态度很好", ""],
    4: ["处理了，速度还可以再快些", ""],
    3: ["问题解决了，但等了好几天"],
    2: ["只处理了一部分"],
    1: ["没有真正解决，过几天又出现了"],
}


def _advance(case, rng, users, age, reporter_key=None):
    """Walk the case some way along its lifecycle, as the people it was routed to would; about two in
    three residents rate a resolved case."""
    stage = rng.random()
    unit_users = [u for u in case.unit.users.all() if u.is_active] if case.unit else []
    handler = case.grid_worker or (unit_users[0] if unit_users else None)
    actor = handler or OPERATOR
    if stage < 0.15 or age < timedelta(hours=2):
        return
    case = services.do_accept_case(case, actor=actor)
    if stage < 0.3:
        return
    if case.grid_worker and rng.random() < 0.5:
        case = services.do_dispatch_case(
            case, actor=OPERATOR, assignee=case.grid_worker, note="请网格员现场核实处置"
        )
    case = services.do_start_case(case, actor=actor)
    if stage < 0.45:
        return
    case = services.do_resolve_case(case, actor=actor, note="已现场处置完毕，附处置后照片存档")
    if reporter_key and rng.random() < 0.65:
        rating = rng.choice(RATINGS)
        case = services.do_rate_case(
            case,
            actor=services.REPORTER,
            reporter_key=reporter_key,
            rating=rating,
            comment=rng.choice(COMMENTS[rating]),
        )
    if stage < 0.6:
        return
    case = services.do_close_case(case, actor=OPERATOR, note="电话回访，反映人表示满意")
    if rng.random() < 0.1:
        services.do_reopen_case(case, actor=users["district"], reason="回访时反映人表示问题反复")


STAMP_OF_ACTION = {
    "accept": "accepted_at",
    "dispatch": "dispatched_at",
    "resolve": "resolved_at",
    "close": "closed_at",
}


def _shift(case, age, rng):
    """Move a demo case back by `age`, its steps spread over hours (demo seeding only, not a service path).

    The tracking number is dated by the day the case was opened, as a real one would be."""
    case = Case.objects.get(pk=case.pk)
    start = case.created_at - age
    day = timezone.localtime(start).strftime("%Y%m%d")
    number = day + case.tracking_number[8:]
    while Case.objects.filter(tracking_number=number).exclude(pk=case.pk).exists():
        number = f"{day}{rng.randrange(10**6):06d}"
    events = list(CaseEvent.objects.filter(case_id=case.pk).order_by("at", "id"))
    step = min(timedelta(hours=rng.uniform(0.5, 30)), age / (len(events) + 1))
    changes = {"created_at": start, "tracking_number": number}
    for field in ("accept_deadline", "deadline"):
        if getattr(case, field) is not None:
            changes[field] = getattr(case, field) - age
    for index, event in enumerate(events):
        at = start + step * index
        CaseEvent.objects.filter(pk=event.pk).update(at=at)
        stamp = STAMP_OF_ACTION.get(event.action)
        if stamp and getattr(case, stamp) is not None:
            changes[stamp] = at
    if case.reopen_count:
        changes["resolved_at"] = changes["closed_at"] = None
    Case.objects.filter(pk=case.pk).update(**changes)
