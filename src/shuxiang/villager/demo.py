"""Demo: the needs market, employment monitoring, culture and heritage, tourism and a health notice
for Heshan. Everything here is synthetic (names, postings, counts): marked 演示 where a person could
take it for a real record. Postings and records are spread over the last quarters so every list, chart
and computed indicator has something to show."""

import io
from datetime import date, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from shuxiang.core.actors import OPERATOR
from shuxiang.core.choices import PlaceKind
from shuxiang.core.models import Person
from shuxiang.villager import culture, employment, health, land_link, market, tourism
from shuxiang.villager.choices import EmploymentStatus, Group, RecordSource, Sector
from shuxiang.villager.models import EmploymentRecord, Enrollment, Inquiry, Posting, VisitCount

POSTINGS = [
    # kind, category, title, body, price
    (
        "job",
        "farm_work",
        "招采茶工{n}名",
        "茶园春茶采摘，按斤计酬，包午餐，熟手优先，年龄不限。",
        "120–180元/天",
    ),
    (
        "job",
        "farm_work",
        "招水稻机插秧帮工",
        "合作社机插秧季节用工，负责运秧、补苗，工期约20天。",
        "150元/天",
    ),
    (
        "job",
        "factory",
        "食品厂招包装工{n}名",
        "兰溪米粉厂包装车间，两班倒，缴纳社保，提供宿舍。",
        "3800元/月起",
    ),
    ("job", "construction", "招泥瓦工、小工", "农村自建房施工，就近上班，日结工资。", "小工200元/天"),
    ("job", "public_post", "村保洁公益性岗位", "优先安排脱贫人口和监测对象，负责村道保洁。", "1200元/月"),
    ("job", "shop", "农家乐招厨师帮工", "周末及节假日忙时，会做本地菜优先。", "面议"),
    ("job_wanted", "farm_work", "找农场或茶园的活", "50岁，种过水稻和蔬菜，能吃苦，希望在本镇附近。", ""),
    ("job_wanted", "factory", "求厂里长期工作", "高中毕业，会开叉车，希望离家近一点。", "4000元/月左右"),
    ("rental", "machine", "出租{n}马力拖拉机带旋耕机", "可上门耕田，按亩收费，周边村优先安排。", "80元/亩"),
    ("rental", "machine", "出租收割机（久保田）", "秋收季节可预约，机手随机，按亩计费。", "100元/亩"),
    (
        "rental",
        "land",
        "流转水田{n}亩",
        "连片水田，灌溉方便，可种双季稻或稻虾共作，年租金面议。",
        "500元/亩·年",
    ),
    ("rental", "cold_storage", "冷库出租{n}立方", "镇上冷库有空余库位，适合果蔬、鲜肉短期存放。", "按月计费"),
    ("rental", "housing", "出租临街门面一间", "村部旁临街门面，约40平方米，适合开超市或快递点。", "800元/月"),
    ("service", "ploughing", "代耕代种、统防统治", "合作社提供机耕、机插、飞防植保一条龙服务。", "面议"),
    ("service", "transport", "小货车拉货", "4.2米厢式货车，镇内及益阳市区运输，农产品优先。", "按趟计费"),
    ("service", "repair", "农机维修上门", "拖拉机、插秧机、水泵维修保养，配件齐全。", "上门费30元"),
    ("supply", "produce", "自产土鸡蛋、腊肉", "散养土鸡蛋、柴火熏腊肉，量多可送货。", "1.5元/个"),
    ("supply", "produce", "新米上市，优质稻{n}吨", "今年新收优质晚稻，可代加工成大米。", "1.6元/斤"),
    ("supply", "inputs", "有机肥供应", "合作社堆沤有机肥，可送货到田。", "600元/吨"),
    ("purchase", "produce", "收购红薯、莲藕", "长期收购，量大上门，现金结算。", "随行就市"),
    ("purchase", "inputs", "求购二手插秧机", "六行手扶插秧机，能正常作业即可。", "面议"),
]
CONTACTS = [
    "李师傅",
    "王女士",
    "张老板",
    "刘师傅",
    "陈大姐",
    "周经理",
    "赵师傅",
    "曾女士",
    "彭师傅",
    "龚老板",
]

HERITAGE = [
    (
        "intangible",
        "opera",
        "益阳花鼓戏（赫山）",
        "provincial",
        "以益阳方言演唱的地方小戏，曲调活泼，流行于赫山乡间。",
    ),
    ("intangible", "craft", "竹编技艺", "county", "以本地楠竹编制箩筐、簸箕、凉席，工序三十余道。"),
    (
        "intangible",
        "craft",
        "手工米粉制作技艺",
        "municipal",
        "浸米、磨浆、蒸皮、切丝、晾晒，手工米粉爽滑有劲。",
    ),
    ("intangible", "craft", "擂茶制作技艺", "county", "以茶叶、芝麻、花生、生姜擂制，待客必备。"),
    ("intangible", "custom", "元宵舞龙灯", "county", "正月十五各村舞龙闹春，龙灯由村民自扎。"),
    ("intangible", "music", "山歌（渔鼓）", "county", "田间劳作时对唱的山歌，以渔鼓伴奏。"),
    ("intangible", "medicine", "草药接骨疗法", "none", "民间草药外敷接骨方法，由家族传承。"),
    ("intangible", "art", "剪纸", "none", "窗花、喜字剪纸，多用于婚嫁和节庆。"),
    ("relic", "building", "刘氏宗祠", "county", "清代中期砖木结构祠堂，三进两天井。"),
    ("relic", "building", "古石拱桥", "county", "清代单孔石拱桥，麻石砌筑，仍可通行。"),
    ("relic", "site", "古窑址", "municipal", "宋元时期青瓷窑址，地表可见窑具残片。"),
    ("relic", "modern", "革命烈士纪念亭", "county", "纪念本地革命烈士的纪念亭，1950年代修建。"),
    ("relic", "carving", "摩崖石刻", "none", "山崖上的清代题刻，字迹部分风化。"),
]
INHERITORS = ["刘德福", "曹桂兰", "夏建国", "罗秋菊", "龚长林", "符志强", "熊美华", ""]

SITES = [
    ("scenic", "碧云峰景区", "4A", 6000, 4.6),
    ("scenic", "会龙山景区", "3A", 4000, 4.4),
    ("scenic", "花乡湿地公园", "3A", 3000, 4.3),
    ("key_village", "{v}（乡村旅游重点村）", "省级", 1500, 4.5),
    ("key_village", "{v}（乡村旅游重点村）", "市级", 1000, 4.2),
    ("homestay", "竹林人家民宿", "三星级", 60, 4.8),
    ("homestay", "荷塘月色民宿", "二星级", 40, 4.5),
    ("homestay", "稻香小院", "", 30, 4.1),
    ("farm_stay", "{v}农家乐", "", 200, 4.0),
    ("farm_stay", "茶园人家农家乐", "", 150, 4.3),
]
COURSES = [
    ("电商直播带货培训", Sector.TRADE),
    ("茶叶加工技能培训", Sector.AGRICULTURE),
    ("农机操作与维修培训", Sector.AGRICULTURE),
    ("家政服务员培训", Sector.SERVICES),
    ("电工（初级）培训", Sector.CONSTRUCTION),
    ("中式烹调师培训", Sector.TRADE),
]


def _rural_villages(ctx):
    rural = {t.pk for t in ctx.townships if t.kind in (PlaceKind.TOWN, PlaceKind.TOWNSHIP)}
    return [v for v in ctx.villages if v.parent_id in rural and v.kind == PlaceKind.VILLAGE] or ctx.villages


def _township(place, by_pk):
    return by_pk[place.parent_id] if place.level == 3 else place


def _picture(rng, label):
    out = io.BytesIO()
    colour = (rng.randint(80, 220), rng.randint(80, 200), rng.randint(40, 160))
    Image.new("RGB", (320, 200), colour).save(out, format="PNG")
    return SimpleUploadedFile(f"{label}.png", out.getvalue())


def _posting_values(rng, i, village):
    kind, category, title, body, price = POSTINGS[i % len(POSTINGS)]
    return {
        "kind": kind,
        "category": category,
        "title": title.format(n=rng.choice([5, 8, 10, 20, 30, 50, 200]))[:40],
        "body": body,
        "price": price,
        "place": village,
        "contact_name": rng.choice(CONTACTS),
        "phone": f"139{rng.randint(0, 99999999):08d}",
    }


def build_market(ctx, villages):
    """The last 100 days of the market: older postings stored in one batch (published, expired, a few
    turned down), the last 40 through the services — 20 approved by the township (matched with job
    seekers, cadres told), 20 still waiting in the queue."""
    from shuxiang.core import pii

    rng = ctx.rng
    today = timezone.localdate()
    now = timezone.now()
    by_pk = {t.pk: t for t in ctx.townships}
    qjh = next((t for t in ctx.townships if t.name == "泉交河镇"), ctx.townships[0])
    focus = [v for v in villages if v.parent_id == qjh.pk] or villages
    moderators = {ctx.users[k].place_id: ctx.users[k] for k in ("quanjiaohe", "lanxi") if k in ctx.users}
    history = []
    for i in range(200 * ctx.scale):
        values = _posting_values(rng, i, rng.choice(focus) if i % 3 == 0 else rng.choice(villages))
        age = rng.randint(8, 100) if i % 2 else rng.randint(8, (today - date(2025, 1, 1)).days)
        created = now - timedelta(days=age, hours=rng.randint(0, 12))
        rejected = i % 17 == 5
        verified = rng.random() < 0.6
        expires = today + timedelta(days=rng.choice([30, 60, 90, 120]) - age)
        history.append(
            Posting(
                **values,
                phone_digest=pii.digest(values["phone"]),
                poster_kind=("villager" if rng.random() < 0.7 else "business") if verified else "resident",
                verified_note=f"{values['place'].name}村委核实（演示）" if verified else "",
                status="rejected" if rejected else "published",
                moderation_note="内容不完整，请补充工作地点和报酬后重新发布" if rejected else "",
                moderated_at=created + timedelta(hours=6),
                created_at=created,
                published_at=None if rejected else created + timedelta(hours=rng.randint(2, 30)),
                expires_on=expires,
            )
        )
    Posting.objects.bulk_create(history, batch_size=500)
    made = [
        market.do_create_posting(
            actor=OPERATOR,
            **_posting_values(rng, i, rng.choice(focus) if i % 2 == 0 else rng.choice(villages)),
            days=rng.choice([15, 30, 60, 90]),
        )
        for i in range(40)
    ]
    for posting in made[:20]:
        moderator = moderators.get(_township(posting.place, by_pk).pk, OPERATOR)
        verified = rng.random() < 0.6
        market.do_moderate_posting(
            posting,
            actor=moderator,
            approve=True,
            poster_kind="villager" if verified else "resident",
            verified_note=f"{posting.place.name}村委核实（演示）" if verified else "",
        )
    market.do_expire_postings(actor=market.TASKS)
    live = list(market.live_postings().order_by("pk")[:60])
    Inquiry.objects.bulk_create(
        [
            Inquiry(
                posting=p,
                name=rng.choice(["张", "王", "李", "赵", "刘"]) + rng.choice(["先生", "女士", "师傅"]),
                phone=f"137{rng.randint(0, 99999999):08d}",
                phone_digest="",
                message=rng.choice(
                    ["请问还招人吗？", "我想租两天，怎么联系？", "能送货到镇上吗？", "价格还能商量吗？"]
                ),
                created_at=now - timedelta(days=rng.randint(0, 10)),
            )
            for p in live[:40]
        ]
    )
    for p in live[40:43]:
        market.do_report_posting(p, actor=market.PUBLIC, reason="fraud", note="要求先交押金（演示举报）")
    return made


def build_exchange_links(ctx):
    """Land-rental needs of the villages whose land is registered, taken (with the household's consent)
    to the property-rights exchange: one published there and open for bids, one waiting for the desk."""
    from django.db.models import Q

    from shuxiang.land import exchange
    from shuxiang.land.models import Parcel

    free = (
        Parcel.objects.filter(kind="10")
        .exclude(Q(transfers__status="active") | Q(listings__isnull=False))
        .order_by("village_id", "code")
    )
    villages = list(dict.fromkeys(p.village for p in free.select_related("village", "village__parent")))
    by_pk = {t.pk: t for t in ctx.townships}
    keys = {ctx.users[k].place_id: ctx.users[k] for k in ("quanjiaohe", "lanxi") if k in ctx.users}
    for n, village in enumerate(villages[:2]):
        codes = list(free.filter(village=village).values_list("code", flat=True)[:3])
        moderator = keys.get(_township(village, by_pk).pk, OPERATOR)
        posting = market.do_create_posting(
            actor=moderator,
            kind="rental",
            category="land",
            title=f"{village.name}水田{len(codes) * 2 + 3}亩对外流转",
            body="承包户外出务工，连片水田对外出租，灌溉方便，适合双季稻或稻虾共作（演示）。",
            price="450元/亩·年",
            place=village,
            contact_name=ctx.rng.choice(CONTACTS),
            phone=f"139{ctx.rng.randint(0, 99999999):08d}",
            days=60,
            poster_kind="villager",
            verified_note=f"{village.name}村委核实（演示）",
        )
        land_link.do_list_on_exchange(
            posting,
            actor=OPERATOR,
            consent="承包户签字同意书已存村委（演示）",
            parcels=codes,
            reserve_price="3600.00",
            term_years=5,
            conditions="不得改变土地农业用途；租金每年12月底前付清。",
        )
        if n == 0:
            posting.refresh_from_db(fields=["exchange_code"])  # the service wrote it on its own copy
            listing = exchange.Listing.objects.get(code=posting.exchange_code)
            exchange.do_publish_listing(
                listing, actor=OPERATOR, days=20, start=timezone.now() - timedelta(days=1)
            )


def build_employment(ctx):
    rng = ctx.rng
    today = timezone.localdate()
    quarter_now = (today.year, (today.month - 1) // 3 + 1)
    # The plan's last year, quarter by quarter, and the quarter we are in.
    quarters = sorted({(2025, 1), (2025, 2), (2025, 3), (2025, 4), quarter_now}, reverse=True)
    adults = list(
        Person.objects.filter(birth_date__year__range=(today.year - 60, today.year - 18))
        .select_related("place")
        .order_by("pk")[: 500 * ctx.scale]
    )
    groups = [Group.POVERTY_EXITED] * 5 + [Group.MIGRANT] * 3 + [Group.YOUTH] * 2 + [Group.MONITORED]
    sectors = [s for s in Sector.values if s != Sector.PUBLIC]
    rows = []
    now = timezone.now()
    recorder = ctx.users.get("rural")
    for person in adults:
        group = rng.choice(groups)
        working = rng.random() < (0.9 if group != Group.MONITORED else 0.75)
        for year, quarter in reversed(quarters):
            if rng.random() < 0.12:
                working = not working
            if working:
                status = rng.choices(
                    [
                        EmploymentStatus.LOCAL,
                        EmploymentStatus.OUT_OF_COUNTY,
                        EmploymentStatus.PUBLIC_POST,
                        EmploymentStatus.SELF_EMPLOYED,
                    ],
                    [40, 45, 8, 7],
                )[0]
                sector = Sector.PUBLIC if status == EmploymentStatus.PUBLIC_POST else rng.choice(sectors)
                employer = {
                    EmploymentStatus.OUT_OF_COUNTY: rng.choice(
                        ["广东东莞", "浙江宁波", "长沙市", "广东深圳", "江苏苏州"]
                    ),
                    EmploymentStatus.LOCAL: rng.choice(["本镇茶厂", "区工业园", "本村合作社", "兰溪米粉厂"]),
                    EmploymentStatus.PUBLIC_POST: "村级公益性岗位",
                    EmploymentStatus.SELF_EMPLOYED: rng.choice(["养殖", "开小店", "跑运输"]),
                }[status]
                wanted = ""
            else:
                status, sector, employer = EmploymentStatus.NOT_WORKING, "", ""
                wanted = rng.choice(["", Sector.AGRICULTURE, Sector.MANUFACTURING, Sector.TRADE])
            rows.append(
                EmploymentRecord(
                    person=person,
                    place=person.place,
                    group=group,
                    year=year,
                    quarter=quarter,
                    status=status,
                    sector=sector,
                    employer=employer,
                    wanted_sector=wanted,
                    source=RecordSource.IMPORT if rng.random() < 0.7 else RecordSource.CADRE,
                    recorded_by=recorder,
                    recorded_at=now,
                )
            )
    EmploymentRecord.objects.bulk_create(rows, batch_size=2000)
    courses = []
    for i, (name, sector) in enumerate(COURSES * ctx.scale):
        township = ctx.townships[i % len(ctx.townships)]
        start = today + timedelta(days=rng.randint(-60, 40))
        courses.append(
            employment.do_create_course(
                actor=OPERATOR,
                name=f"{township.name}{name}",
                place=township,
                sector=sector,
                organiser="区人力资源和社会保障局",
                starts_on=start,
                ends_on=start + timedelta(days=rng.randint(5, 20)),
                capacity=rng.choice([30, 40, 50]),
            )
        )
    trainees = adults[:300]
    enrolments = []
    for course in courses:
        for person in rng.sample(trainees, min(len(trainees), rng.randint(10, course.capacity))):
            enrolments.append(
                Enrollment(
                    course=course,
                    person=person,
                    enrolled_at=now,
                    completed=course.ends_on < today and rng.random() < 0.85,
                )
            )
    Enrollment.objects.bulk_create(enrolments, ignore_conflicts=True)


def build_culture(ctx, villages):
    rng = ctx.rng
    items = []
    for i, (kind, category, name, level, description) in enumerate(HERITAGE):
        village = villages[(i * 7) % len(villages)]
        item = culture.do_save_heritage_item(
            actor=OPERATOR,
            place=village,
            kind=kind,
            category=category,
            name=name if i < 4 else f"{village.name}{name}",
            level=level,
            inheritors=INHERITORS[i % len(INHERITORS)] if kind == "intangible" else "",
            description=description + "（演示数据）",
            condition="good" if kind == "relic" else "",
            latitude=village.latitude,
            longitude=village.longitude,
        )
        items.append(item)
        if i % 3 != 2:
            culture.do_add_media(item, actor=OPERATOR, upload=_picture(rng, f"heritage-{i}"))
    today = timezone.localdate()
    for item in [it for it in items if it.kind == "relic"]:
        culture.do_record_inspection(
            item,
            actor=OPERATOR,
            inspected_on=today - timedelta(days=rng.randint(5, 80)),
            condition="fair" if item.name.endswith("石刻") else "good",
            note="例行巡查（演示）",
        )


def build_tourism(ctx, villages):
    rng = ctx.rng
    today = timezone.localdate()
    now = timezone.now()
    sites = []
    for i, (kind, name, grade, capacity, rating) in enumerate(SITES):
        village = villages[(i * 11 + 3) % len(villages)]
        sites.append(
            tourism.do_save_site(
                actor=OPERATOR,
                place=village,
                kind=kind,
                name=name.format(v=village.name),
                grade=grade,
                capacity=capacity,
                rating=rating,
                licence_no=f"湘益民宿（演示）{2023000 + i}" if kind == "homestay" else "",
                licence_valid_until=today + timedelta(days=365 + 30 * i) if kind == "homestay" else None,
                description="演示数据：景点简介、开放时间和交通以实际公告为准。",
                latitude=(village.latitude or 28.5) + rng.uniform(-0.01, 0.01),
                longitude=(village.longitude or 112.4) + rng.uniform(-0.01, 0.01),
            )
        )
    rows = []
    for site in sites:
        for back in range(1, (today - date(2025, 1, 1)).days + 1):
            day = today - timedelta(days=back)
            weekend = day.weekday() >= 5
            share = rng.uniform(0.35, 0.95) if weekend else rng.uniform(0.05, 0.45)
            rows.append(
                VisitCount(
                    site=site, day=day, count=int(site.capacity * share), source="manual", recorded_at=now
                )
            )
    VisitCount.objects.bulk_create(rows, batch_size=2000)
    for site in sites[:4]:
        tourism.do_record_visits(
            site, actor=OPERATOR, day=today, count=int(site.capacity * rng.uniform(0.5, 0.95))
        )
    tourism.do_complain(sites[0], actor=market.PUBLIC, description="节假日停车场收费与公示不一致（演示投诉）")


def build_routes(ctx):
    """The case table sends this app's categories to the bureaus that handle them."""
    from shuxiang.cases import reference

    for code, unit_key in (
        (health.EPIDEMIC_CATEGORY, "区卫健局"),
        (tourism.RESCUE_CATEGORY, "区应急局"),
        (tourism.COMPLAINT_CATEGORY, "区文旅广体局"),
        (culture.DAMAGE_CATEGORY, "区文旅广体局"),
    ):
        if unit_key in ctx.units:
            reference.do_save_routing_rule(
                actor=OPERATOR,
                place=ctx.district,
                unit=ctx.units[unit_key],
                category=code,
                note="演示分派规则",
            )


def build_service_points(ctx, villages):
    """The plan's service-point registry gains the village points of education, medical insurance and
    social security (issue 22 extends its kinds); their coverage is computed by plan's sources."""
    from django.apps import apps

    ServicePoint = apps.get_model("plan", "ServicePoint")
    rng = ctx.rng
    shares = {
        "school_network": (0.85, "{v}小学（教学点）宽带"),
        "remote_classroom": (0.45, "{v}小学远程同步课堂"),
        "insurance_settlement": (0.9, "{v}卫生室医保结算点"),
        "social_security": (0.7, "{v}便民服务站社保服务点"),
    }
    ServicePoint.objects.bulk_create(
        [
            ServicePoint(
                place=v, kind=kind, name=name.format(v=v.name), opened_on=date(2025, rng.randint(1, 12), 1)
            )
            for kind, (share, name) in shares.items()
            for v in villages
            if rng.random() < share
        ],
        ignore_conflicts=True,
    )


def refresh_indicators():
    """Count this app's plan figures (and the new service-point coverage) for 2025 and this quarter."""
    from django.db.models import Q

    from shuxiang.indicators.models import Indicator
    from shuxiang.indicators.periods import Period, quarter_of
    from shuxiang.indicators.services import do_refresh_computed

    mine = Indicator.objects.filter(source="computed").filter(
        Q(computed_by__startswith="villager.")
        | Q(
            computed_by__in=[
                f"service_points.{k}_villages"
                for k in ("school_network", "remote_classroom", "insurance_settlement", "social_security")
            ]
        )
    )
    periods = [Period(2025, q).code for q in (1, 2, 3, 4)] + [quarter_of(timezone.localdate()).code]
    for indicator in mine:
        for period in periods:
            do_refresh_computed(indicator, period, actor=OPERATOR)


def build_health(ctx):
    district = ctx.users.get("district")
    qjh = next((t for t in ctx.townships if t.name == "泉交河镇"), ctx.townships[0])
    if district is None:
        return
    health.do_issue_health_notice(
        actor=district,
        topic="vaccination",
        headline="本周六流感疫苗接种日（演示）",
        description="本周六上午8点至12点，各村卫生室为60岁以上老人免费接种流感疫苗，请带好身份证和医保卡。",
        areas=[qjh.code],
        days=7,
    )


def build(ctx):
    from django.apps import apps

    villages = _rural_villages(ctx)
    if apps.is_installed("shuxiang.cases"):
        culture.ensure_case_categories()
        build_routes(ctx)
    build_employment(ctx)
    build_market(ctx, villages)
    if land_link.exchange_installed():
        build_exchange_links(ctx)
    build_culture(ctx, villages)
    build_tourism(ctx, villages)
    if apps.is_installed("shuxiang.warnings"):
        from shuxiang.warnings.apps import ensure_signal_types

        ensure_signal_types()
        build_health(ctx)
    if apps.is_installed("shuxiang.plan"):
        build_service_points(ctx, villages)
    if apps.is_installed("shuxiang.indicators"):
        refresh_indicators()
