"""Demo: a grid for every rural village (two in larger villages, split by hamlets), the demo grid
workers on their villages' grids, and a month of their patrols — checklist items, routes walked around
the village, photos, and the problems they reported opening cases. Synthetic, like the villages."""

import io
import math
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from shuxiang.core.actors import OPERATOR
from shuxiang.core.choices import PlaceKind
from shuxiang.core.errors import ServiceError
from shuxiang.governance import choices as c
from shuxiang.governance import services

SEEN = [
    "入户走访独居老人2户，身体状况良好",
    "检查沿线农户用电线路，未发现私拉乱接",
    "村道两侧卫生良好",
    "走访留守儿童家庭，监护人在家",
    "宣传反诈知识，发放资料30份",
    "巡查山塘水位正常，提醒群众汛期注意安全",
    "调解邻里排水纠纷1起，双方达成一致",
]
EVENTS = [
    ("村道旁垃圾堆积未及时清运", ("垃圾", "环境", "卫生")),
    ("一处路灯损坏，夜间通行不便", ("路灯", "设施", "道路")),
    ("沟渠堵塞，雨天有内涝风险", ("沟渠", "水利", "排水", "环境")),
    ("一户危旧房屋墙体开裂，建议鉴定", ("房屋", "住房", "安全")),
]


def _photo(rng):
    image = Image.new("RGB", (120, 90), (rng.randint(90, 160), rng.randint(120, 180), rng.randint(90, 140)))
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=70)
    return SimpleUploadedFile("patrol.jpg", buf.getvalue(), content_type="image/jpeg")


def _category_for(words, categories):
    for category in categories:
        if any(w in category.name or w in category.group for w in words):
            return category.code
    return categories[0].code if categories else None


def _route(rng, village, start):
    lat, lng = village.latitude or 28.5, village.longitude or 112.4
    points, angle = [], rng.uniform(0, 2 * math.pi)
    for i in range(rng.randint(8, 20)):
        angle += rng.uniform(-0.5, 0.5)
        lat += 0.0006 * math.sin(angle)
        lng += 0.0006 * math.cos(angle)
        points.append([round(lng, 6), round(lat, 6), int((start + timedelta(minutes=4 * i)).timestamp())])
    return points


def build(ctx):
    from shuxiang.cases.models import CaseCategory

    rng = ctx.rng
    rural = {t.pk for t in ctx.townships if t.kind in (PlaceKind.TOWN, PlaceKind.TOWNSHIP)}
    hamlets_of = {}
    for h in ctx.hamlets:
        hamlets_of.setdefault(h.parent_id, []).append(h)
    workers = {u.place_id: u for u in ctx.users.values() if u.role == "grid"}
    grids = []
    for village in ctx.villages:
        if village.parent_id not in rural or village.kind != PlaceKind.VILLAGE:
            continue
        hamlets = sorted(hamlets_of.get(village.pk, []), key=lambda h: h.code)
        if not hamlets:
            continue
        parts = (
            [hamlets] if len(hamlets) < 6 else [hamlets[: len(hamlets) // 2], hamlets[len(hamlets) // 2 :]]
        )
        for n, part in enumerate(parts, start=1):
            worker = workers.get(village.pk)
            grids.append(
                services.do_create_grid(
                    actor=OPERATOR,
                    village=village,
                    name=f"{village.name}第{'一二'[n - 1]}网格",
                    hamlets=part,
                    workers=[worker] if worker is not None and n == 1 else [],
                )
            )
    categories = list(CaseCategory.objects.filter(is_active=True, case_type="complaint").order_by("order"))
    now = timezone.now()
    for grid in grids:
        worker = grid.workers.first()
        if worker is None:
            continue
        for day in range(30, 0, -1):
            if rng.random() < 0.35:
                continue
            start = (now - timedelta(days=day)).replace(
                hour=rng.randint(8, 15), minute=rng.choice((0, 15, 30))
            )
            events = []
            if rng.random() < 0.15 and categories:
                text, words = rng.choice(EVENTS)
                events.append({"category": _category_for(words, categories), "description": text})
            services.do_record_patrol(
                grid,
                actor=worker,
                started_at=start,
                ended_at=start + timedelta(minutes=rng.randint(40, 150)),
                seen=rng.choice(SEEN),
                checked=rng.sample(c.CHECKLIST_CODES, rng.randint(2, 4)),
                route=_route(rng, grid.village, start),
                photos=[_photo(rng)] if rng.random() < 0.3 else [],
                events=events,
                submission_key=f"demo-patrol-{grid.code}-{day}",
            )
    build_mediation(ctx, rng)
    # party and village affairs: the villages of the two demo townships (泉交河镇, 兰溪镇) and a few more
    shown = [g.village for g in grids if g.workers.exists()]
    extra = [g.village for g in grids[::15]]
    build_affairs(ctx, rng, list(dict.fromkeys(shown + extra)))
    build_legal(ctx, rng, list(dict.fromkeys(g.village for g in grids)), set(shown))
    from django.apps import apps

    if apps.is_installed("shuxiang.warnings"):
        build_awareness(ctx, rng)


NOTICES = [
    (
        "anti_fraud",
        "警惕冒充客服退款诈骗（演示）",
        "近期我区发生多起冒充电商客服以退款、理赔为名的诈骗案件。凡是要求您下载陌生软件、开启屏幕共享、"
        "转账到“安全账户”的，都是诈骗！请不听、不信、不转账，有疑问拨打96110。",
        14,
    ),
    (
        "anti_fraud",
        "养老金“保健品”骗局提醒（演示）",
        "有人以免费体检、领鸡蛋为名开讲座，推销高价保健品、收取“养老投资”款项。请老人们不要参加来路不明的讲座，"
        "子女多提醒家中老人。",
        7,
    ),
    (
        "legal",
        "《民法典》宣传：土地承包与流转（演示）",
        "土地经营权流转应当签订书面合同，写明期限、用途和价款；承包期内发包方不得随意收回承包地。"
        "有疑问请找村法律顾问或拨打12348公共法律服务热线。",
        10,
    ),
]


def build_awareness(ctx, rng):
    """Three safety-awareness notices by the district to the two demo townships, and the loudspeaker
    gateway's receipts for about four in five of their deliveries (the rest still unanswered)."""
    from shuxiang.governance import awareness
    from shuxiang.warnings import services as warnings
    from shuxiang.warnings.apps import ensure_signal_types

    ensure_signal_types()
    district = ctx.users.get("district")
    gateway = ctx.users.get("gateway")
    towns = [t for t in ctx.townships if t.name in ("泉交河镇", "兰溪镇")] or ctx.townships[:2]
    if district is None or not towns:
        return
    for n, (topic, headline, text, days) in enumerate(NOTICES):
        notice = awareness.do_issue_awareness_notice(
            actor=district,
            topic=topic,
            headline=headline,
            description=text,
            areas=[t.code for t in (towns if n != 1 else towns[:1])],
            days=days,
        )
        if gateway is None:
            continue
        for delivery in notice.deliveries.order_by("pk"):
            if rng.random() < 0.8:
                warnings.do_record_receipt(actor=gateway, token=delivery.token, status="played")


DISPUTES = [
    ("neighbour", "两户因宅前排水沟走向发生争执，雨天积水流入对方院内"),
    ("land", "两组之间因山林界址不清发生争议，涉及杉木林约3亩"),
    ("family", "兄弟三人因赡养父母费用分担发生矛盾"),
    ("labour", "务工人员与本村养殖场因工资结算发生争议"),
    ("contract", "土地流转租金延期支付引发纠纷"),
    ("damage", "耕牛进入邻户稻田造成损失，双方就赔偿金额有分歧"),
]
AGREEMENTS = [
    "双方同意共同出资改道排水沟，费用各半，于本月底前完工。",
    "双方同意以林权证附图为准重新确界，争议林木收益按六四分配。",
    "兄弟三人按月各承担赡养费600元，轮流照料父母起居。",
    "养殖场于十日内一次性结清拖欠工资8600元。",
]


def build_mediation(ctx, rng):
    from shuxiang.core.models import Person
    from shuxiang.governance import mediation

    today = timezone.localdate()
    people = list(Person.objects.exclude(id_number_digest="").select_related("place").order_by("pk")[:400])
    rng.shuffle(people)
    pairs = [(people[i], people[i + 1]) for i in range(0, min(len(people) - 1, 120), 2)]
    for n, (a, b) in enumerate(pairs[:40]):
        kind, text = DISPUTES[n % len(DISPUTES)]
        dispute = mediation.do_register_dispute(
            actor=OPERATOR,
            place=a.place,
            kind=kind,
            description=text,
            parties=[
                {"name": a.name, "id_number": a.id_number, "side": "applicant"},
                {"name": b.name, "id_number": b.id_number, "side": "respondent"},
            ],
        )
        if rng.random() < 0.2:
            continue  # just registered
        held = today - timedelta(days=rng.randint(3, 60))
        mediation.do_record_session(
            dispute,
            actor=OPERATOR,
            held_on=held,
            location="村委会调解室",
            note="组织双方当面协商，听取各自意见",
        )
        if rng.random() < 0.25:
            continue  # still being mediated
        outcome = rng.choices(["agreed", "failed", "withdrawn"], weights=[75, 18, 7])[0]
        mediation.do_conclude_dispute(
            dispute,
            actor=OPERATOR,
            outcome=outcome,
            concluded_on=min(today, held + timedelta(days=rng.randint(0, 10))),
            agreement_text=rng.choice(AGREEMENTS) if outcome == "agreed" else "",
        )


DECISIONS = [
    ("村道硬化工程", "使用村集体经济收入和上级奖补资金硬化通组道路1.5公里，预算42万元。"),
    ("村集体鱼塘发包", "村集体鱼塘3口（共28亩）公开竞价发包，期限5年，底价每亩每年600元。"),
    (
        "光伏电站收益分配",
        "村级光伏电站年收益12.6万元，其中60%用于公益岗位和困难群众救助，40%用于村级公益事业。",
    ),
    ("农村人居环境整治", "购置垃圾分类收集箱40个，聘请保洁员3名，费用由村集体承担。"),
    ("高标准农田建设用工", "高标准农田项目区用工优先聘用本村脱贫户和监测户，日工资150元。"),
]
TOPICS = [
    "学习党的二十大精神",
    "学习《中国共产党农村基层组织工作条例》",
    "研究乡村振兴产业项目",
    "党员冬训",
    "防汛救灾专题学习",
    "远程教育：农业实用技术",
]


SURNAMES = "刘李王张陈周曹罗彭谢胡邓"
GIVEN = ["建国", "志强", "桂英", "红梅", "国平", "小军", "德胜", "秀兰", "春华", "卫东", "海燕", "立新"]


def _synthetic_id(rng, n):
    from shuxiang.core import pii

    first17 = f"430903{rng.randint(1950, 1995)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{n % 1000:03d}"
    return first17 + pii.id_check_char(first17)


def build_branches(rng, villages):
    """A party branch per village with its roll: residents of the registry where there are some, else
    synthetic members (marked synthetic in docs/governance.md); a few probationary members."""
    from django.db.models import Q

    from shuxiang.core.models import Person
    from shuxiang.governance import affairs
    from shuxiang.governance.models import PartyMember

    today = timezone.localdate()
    taken = set(PartyMember.objects.values_list("person_id", flat=True))
    seq = 0
    for village in villages:
        branch = affairs.do_create_branch(
            actor=OPERATOR,
            village=village,
            name=f"中共{village.name}支部委员会",
            kind="general" if rng.random() < 0.15 else "branch",
            founded_on=today.replace(year=rng.randint(1950, 1990), month=rng.randint(1, 12), day=1),
        )
        size = rng.randint(12, 30)
        people = list(
            Person.objects.filter(Q(place=village) | Q(place__parent=village))
            .exclude(id_number_digest="")
            .exclude(pk__in=taken)
            .order_by("pk")[: size // 2]
        )
        rows = [(p.name, p.id_number) for p in people]
        while len(rows) < size:
            seq += 1
            rows.append((rng.choice(SURNAMES) + rng.choice(GIVEN), _synthetic_id(rng, seq)))
        for name, number in rows:
            probationary = rng.random() < 0.08
            joined = today - timedelta(
                days=rng.randint(100, 300) if probationary else rng.randint(800, 18000)
            )
            try:
                member = affairs.do_add_member(
                    actor=OPERATOR,
                    branch=branch,
                    name=name,
                    id_number=number,
                    joined_on=joined,
                    status="probationary" if probationary else "full",
                )
            except ServiceError:
                continue  # a synthetic number that happens to be a member already
            taken.add(member.person_id)


def build_affairs(ctx, rng, villages):
    from shuxiang.governance import affairs

    build_branches(rng, villages)
    today = timezone.localdate()
    for village in villages:
        for month in range(1, today.month + 1):
            for kind in (
                ("committee", "group")
                + (("assembly", "lecture") if month % 3 == 0 else ())
                + (("remote",) if month % 2 else ())
            ):
                held = today.replace(month=month, day=rng.randint(3, 25))
                if held > today:
                    continue
                expected = rng.randint(7, 9) if kind == "committee" else rng.randint(18, 45)
                affairs.do_record_meeting(
                    actor=OPERATOR,
                    village=village,
                    kind=kind,
                    held_on=held,
                    topic=rng.choice(TOPICS),
                    expected=expected,
                    attended=max(1, expected - rng.randint(0, 4)),
                    minutes="会议记录（演示）",
                )
        for title, content in rng.sample(DECISIONS, 3):
            start = today - timedelta(days=rng.randint(20, 300))
            decision = affairs.do_propose_decision(
                actor=OPERATOR, village=village, title=title, content=content, proposed_on=start
            )
            day = start
            for stage in affairs.STAGE_ORDER[1:]:
                day += timedelta(days=rng.randint(2, 12) if stage == "disclosure" else rng.randint(1, 6))
                if stage == "result":
                    day += timedelta(days=rng.randint(20, 80))
                if day > today or rng.random() < 0.1:
                    break
                votes = (
                    (rng.randint(25, 40), rng.randint(0, 3), rng.randint(0, 2))
                    if stage == "resolution"
                    else None
                )
                affairs.do_advance_decision(
                    decision,
                    actor=OPERATOR,
                    on=day,
                    votes=votes,
                    result="已按决议实施完成，群众满意" if stage == "result" else "",
                )


FIRMS = [
    "湖南赫山律师事务所",
    "益阳市某律师事务所",
    "泉交河镇法律服务所",
    "兰溪镇法律服务所",
    "湖南某某律师事务所益阳分所",
]
QUESTIONS = [
    ("土地流转", "土地流转合同到期后，承租方不退还土地应如何处理？"),
    ("宅基地", "父母去世后宅基地上的房屋能否由子女继承？"),
    ("劳务报酬", "在外务工被拖欠工资，可以通过哪些途径维权？"),
    ("婚姻家庭", "离婚时承包地和宅基地上的房屋如何分割？"),
    ("交通事故", "农用车与电动车相撞，赔偿责任如何划分？"),
]


def build_legal(ctx, rng, villages, demo_villages):
    from shuxiang.core.models import Person
    from shuxiang.governance import legal

    today = timezone.localdate()
    people = list(Person.objects.exclude(id_number_digest="").order_by("-pk")[:200])
    lawyers = people[:60]
    for i, village in enumerate(villages):
        if rng.random() < 0.25 and village not in demo_villages:
            continue  # not yet served: the coverage figure shows it
        lawyer = lawyers[i % len(lawyers)]
        legal.do_appoint_adviser(
            actor=OPERATOR,
            village=village,
            name=lawyer.name,
            id_number=lawyer.id_number,
            firm=rng.choice(FIRMS),
            since=today - timedelta(days=rng.randint(60, 700)),
        )
    askers = people[60:]
    for village in demo_villages:
        for _ in range(rng.randint(3, 6)):
            asker = rng.choice(askers)
            topic, question = rng.choice(QUESTIONS)
            mode = rng.choice(["written", "written", "appointment"])
            c = legal.do_book_consultation(
                actor=OPERATOR,
                village=village,
                name=asker.name,
                id_number=asker.id_number,
                topic=topic,
                question=question,
                mode=mode,
                appointment_at=timezone.now() + timedelta(days=rng.randint(1, 10))
                if mode == "appointment"
                else None,
            )
            if mode == "written" and rng.random() < 0.7:
                legal.do_answer_consultation(
                    c,
                    actor=OPERATOR,
                    answer="经法律顾问研究，建议先行协商；协商不成可申请调解、仲裁或依法提起诉讼，并注意保存相关证据。",
                )
