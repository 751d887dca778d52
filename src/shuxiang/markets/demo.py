"""Demo: Heshan's farm-product prices over four years, the warning levels they give, grain purchases
and stocks, the e-commerce network with its monthly online sales, and the directory's consents.

Everything here is synthetic (marked so in names where people could take it for real: the points
are "（演示）" markets of real township names); the shapes follow the county's year — vegetables
dear in winter and cheap in summer, grain flat, hogs in a down-cycle this autumn so the 猪粮比 falls
under 6:1 — and one township's chilli prices jumped in the last weeks, so ALPS shows a spike.
"""

import math
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from shuxiang.core.actors import OPERATOR
from shuxiang.core.choices import PlaceKind
from shuxiang.core.models import Person
from shuxiang.markets import commerce, directory, grain, insurance, monitor, services
from shuxiang.markets.choices import LookupOutcome, StationKind, StationStatus
from shuxiang.markets.models import DirectoryClient, DirectoryLookup, MinimumPrice, PriceObservation

WEEKS = 3 * 52 + 24  # ALPS needs three years of whole months
# code, name, category, unit, grade, typical price, seasonal amplitude (share), key product
PRODUCTS = [
    ("rice", "早籼稻", "grain", "元/公斤", "三等", 2.62, 0.02, True),
    ("maize", "玉米", "grain", "元/公斤", "二等（批发）", 2.45, 0.03, True),
    ("rice_polished", "大米", "grain", "元/公斤", "一级晚籼米", 5.6, 0.02, False),
    ("rapeseed_oil", "菜籽油", "grain", "元/升", "压榨一级", 16.5, 0.02, False),
    ("hog", "生猪", "livestock", "元/公斤", "外三元出栏", 15.8, 0.06, True),
    ("pork", "猪肉", "livestock", "元/公斤", "精瘦肉", 28.0, 0.05, True),
    ("egg", "鸡蛋", "livestock", "元/公斤", "散装", 9.6, 0.06, True),
    ("cabbage", "大白菜", "vegetable", "元/公斤", "", 2.2, 0.30, True),
    ("chilli", "辣椒", "vegetable", "元/公斤", "螺丝椒", 7.5, 0.25, True),
    ("lotus", "莲藕", "vegetable", "元/公斤", "", 6.0, 0.15, False),
    ("citrus", "柑橘", "fruit", "元/公斤", "", 5.2, 0.20, False),
    ("grass_carp", "草鱼", "aquatic", "元/公斤", "1–2公斤/尾", 16.0, 0.06, True),
    ("crayfish", "小龙虾", "aquatic", "元/公斤", "中虾", 38.0, 0.25, False),
    ("urea", "尿素", "input", "元/吨", "46%", 2350.0, 0.05, True),
    ("compound", "复合肥", "input", "元/吨", "45%（15-15-15）", 3100.0, 0.03, False),
]
POINT_KINDS = [("farmers", "农贸市场"), ("supermarket", "超市"), ("farm_gate", "田头收购点")]
MINIMUM_PRICES = [  # 元/公斤, grade 3 (the notices give 元/50公斤 or 元/斤)
    ("early_indica", 2024, "2.540"),
    ("late_indica", 2024, "2.580"),
    ("japonica", 2024, "2.620"),
    ("early_indica", 2025, "2.540"),
    ("late_indica", 2025, "2.580"),
    ("japonica", 2025, "2.620"),
    ("early_indica", 2026, "2.540"),
    ("late_indica", 2026, "2.580"),
    ("japonica", 2026, "2.620"),
]
PLATFORMS = ["pdd", "douyin", "taobao", "jd", "wechat", "xingsheng", "kuaishou", "meituan"]
SALES_PRODUCTS = [
    "赫山大米",
    "兰溪腊味",
    "泉交河小龙虾",
    "沧水铺茶油",
    "笔架山茶叶",
    "欧江岔莲藕",
    "新市渡柑橘",
    "鲜鸡蛋",
]


def _rural(ctx):
    return [t for t in ctx.townships if t.kind in (PlaceKind.TOWN, PlaceKind.TOWNSHIP)]


def _price(rng, base, amplitude, week_of_year, t, code, township_index, weeks):
    """A week's price: trend, season, a hog cycle, noise; the last weeks' hog slump and chilli spike."""
    season = amplitude * math.cos(2 * math.pi * (week_of_year - 3) / 52)  # dearest in January
    trend = 0.015 * t / 52
    price = base * (1 + season + trend)
    if code in ("hog", "pork"):
        price *= 1 + 0.18 * math.sin(2 * math.pi * t / 150)
        if t > weeks - 10:
            price *= 1 - 0.025 * (t - (weeks - 10))  # the autumn slump
    if code == "chilli" and township_index == 0 and t > weeks - 4:
        price *= 2.1
    return price * (1 + rng.gauss(0, 0.012))


def build_prices(ctx):
    rng = ctx.rng
    products = [
        services.do_create_product(
            actor=OPERATOR,
            code=c,
            name=n,
            category=cat,
            unit=u,
            grade=g,
            min_price=round(p * 0.4, 2),
            max_price=round(p * 2.5, 2),
            is_key=key,
        )
        for c, n, cat, u, g, p, _a, key in PRODUCTS
    ]
    grid = [u for u in ctx.users.values() if u.role == "grid"]
    points = [
        services.do_create_point(
            actor=OPERATOR,
            code="HS-PF-01",
            name="益阳市赫山区农产品批发市场（演示）",
            kind="wholesale",
            place=_rural(ctx)[0],
        )
    ]
    for i, township in enumerate(_rural(ctx)):
        villages = [v for v in ctx.villages if v.parent_id == township.pk and v.kind == PlaceKind.VILLAGE]
        kinds = [POINT_KINDS[0], POINT_KINDS[1 + i % 3]] if i % 3 < 2 else [POINT_KINDS[0]]
        for k, (kind, label) in enumerate(kinds):
            place = township if kind != "farm_gate" or not villages else villages[0]
            point = services.do_create_point(
                actor=OPERATOR,
                code=f"HS-{i + 1:02d}-{k + 1}",
                name=f"{township.name}{label}（演示）",
                kind=kind,
                place=place,
                collectors=[g for g in grid if g.place and g.place.path.startswith(township.path)][:2],
            )
            points.append(point)
    today = timezone.localdate()
    last_monday = monitor.week_start(today) - timedelta(days=7)
    first = last_monday - timedelta(weeks=WEEKS - 1)
    township_index = {t.pk: i for i, t in enumerate(_rural(ctx))}
    rows = []
    for point in points:
        factor = {"wholesale": 0.9, "farm_gate": 0.8, "supermarket": 1.1}.get(point.kind, 1.0)
        for product, (code, _n, cat, _u, _g, base, amplitude, _k) in zip(products, PRODUCTS, strict=True):
            if point.kind == "farm_gate" and cat not in ("grain", "livestock"):
                continue  # a farm gate buys grain and hogs
            if point.kind == "supermarket" and cat in ("input",):
                continue
            for t in range(WEEKS):
                if rng.random() < 0.04:  # a missed week
                    continue
                day = first + timedelta(weeks=t, days=rng.randint(0, 2))
                if day > today:
                    continue
                price = _price(
                    rng,
                    base * factor,
                    amplitude,
                    day.isocalendar()[1],
                    t,
                    code,
                    township_index.get(point.township_id, -1),
                    WEEKS,
                )
                rows.append(
                    PriceObservation(
                        point=point,
                        product=product,
                        observed_on=day,
                        price=Decimal(f"{price:.2f}"),
                        source="phone" if t % 5 else "import",
                        recorded_at=timezone.now(),
                    )
                )
    rows[-1].questioned = True
    PriceObservation.objects.bulk_create(rows, batch_size=5000)
    result = monitor.do_recompute_warnings(actor=OPERATOR, notify=False)
    return len(rows), result.levels


def build_commerce(ctx):
    rng = ctx.rng
    today = timezone.localdate()
    stations = [
        commerce.do_create_station(
            actor=OPERATOR,
            code="HS-DS-00",
            name="赫山区电子商务公共服务中心（演示）",
            kind=StationKind.CENTRE,
            place=ctx.district,
            opened_on=date(2021, 6, 1),
            operator="赫山区乡村振兴服务中心",
            carriers="邮政、中通、圆通、韵达、极兔",
        )
    ]
    for i, township in enumerate(_rural(ctx)):
        stations.append(
            commerce.do_create_station(
                actor=OPERATOR,
                code=f"HS-DS-{i + 1:02d}",
                name=f"{township.name}电商服务站",
                kind=StationKind.TOWNSHIP,
                place=township,
                opened_on=date(2022, 3, 1),
                carriers="邮政、中通、韵达",
            )
        )
        villages = [v for v in ctx.villages if v.parent_id == township.pk and v.kind == PlaceKind.VILLAGE]
        for k, village in enumerate(villages):
            missing = rng.random() < 0.06
            stations.append(
                commerce.do_create_station(
                    actor=OPERATOR,
                    code=f"HS-DS-{i + 1:02d}-{k + 1:02d}",
                    name=f"{village.name}电商服务站",
                    kind=StationKind.VILLAGE if k % 3 else StationKind.PICKUP,
                    place=village,
                    status=StationStatus.BUILDING if missing else StationStatus.OPEN,
                    opened_on=None if missing else date(2022, 1, 1) + timedelta(days=rng.randint(0, 1100)),
                    carriers=rng.choice(["邮政", "中通、韵达", "兔喜生活", "妈妈驿站"]),
                )
            )
    from shuxiang.trace.models import Producer

    sellers = []
    for producer in Producer.objects.all()[:12]:
        sellers.append(
            commerce.do_create_seller(
                actor=OPERATOR,
                name=producer.name,
                place=producer.place,
                producer=producer,
                shop=f"{producer.name}旗舰店",
                main_products=producer.main_products,
            )
        )
    for township in _rural(ctx)[:6]:
        sellers.append(
            commerce.do_create_seller(
                actor=OPERATOR,
                name=f"{township.name}“一镇一品”网店（演示）",
                place=township,
                shop="拼多多/抖音",
                main_products="一镇一品",
            )
        )
    reporters = [s for s in stations if s.kind in (StationKind.CENTRE, StationKind.TOWNSHIP)] + sellers
    months, m = [], date(today.year - 1, 1, 1)
    while m <= today.replace(day=1) - timedelta(days=1):
        months.append(m)
        m = (m + timedelta(days=32)).replace(day=1)
    rows = []
    for month in months:
        growth = 1 + 0.12 * (month.year - (today.year - 1)) + 0.01 * month.month
        festive = 1.35 if month.month in (1, 2, 11, 12) else 1.0
        for reporter in reporters:
            is_station = isinstance(reporter, type(stations[0]))
            scale = (
                9_500_000
                if is_station and reporter.kind == StationKind.CENTRE
                else 1_900_000
                if is_station
                else 650_000
            )
            for platform in rng.sample(PLATFORMS, 2):
                amount = scale * growth * festive * rng.uniform(0.6, 1.4) / 2
                rows.append(
                    {
                        "month": month.strftime("%Y-%m"),
                        "station": reporter.code if is_station else "",
                        "seller": "" if is_station else reporter.name,
                        "platform": platform,
                        "product": rng.choice(SALES_PRODUCTS),
                        "amount": f"{amount:.2f}",
                        "orders": int(amount / rng.uniform(45, 90)),
                    }
                )
    commerce.do_report_sales(actor=OPERATOR, rows=rows, source="import")
    for _ in range(30):
        seller = rng.choice(sellers)
        amount = Decimal(f"{rng.uniform(8_000, 260_000):.2f}")
        commerce.do_record_live_session(
            actor=OPERATOR,
            seller=seller,
            host=f"{rng.choice('李王张刘陈杨')}{rng.choice(['小妹', '大哥', '阿姨', '书记'])}",
            platform=rng.choice(["douyin", "kuaishou", "pdd"]),
            held_on=today - timedelta(days=rng.randint(1, 300)),
            viewers=rng.randint(800, 60_000),
            orders=int(amount / 60),
            amount=amount,
        )
    return len(stations), len(rows)


def build_grain(ctx):
    rng = ctx.rng
    today = timezone.localdate()
    MinimumPrice.objects.bulk_create(
        [
            MinimumPrice(variety=v, year=y, price=Decimal(p), notice=f"{y}年稻谷最低收购价格（演示录入）")
            for v, y, p in MINIMUM_PRICES
        ]
    )
    rural = _rural(ctx)
    buyers = [
        grain.do_create_buyer(
            actor=OPERATOR,
            name="赫山区国家粮食储备库（演示）",
            kind="depot",
            place=rural[0],
            capacity_t=Decimal(60000),
            licence="湘益粮收001",
        ),
        grain.do_create_buyer(
            actor=OPERATOR,
            name=f"{rural[1].name}粮站（演示）",
            kind="depot",
            place=rural[1],
            capacity_t=Decimal(15000),
            licence="湘益粮收014",
        ),
        grain.do_create_buyer(
            actor=OPERATOR,
            name="益阳香米米业有限公司（演示）",
            kind="enterprise",
            place=rural[2],
            licence="湘益粮收037",
        ),
        grain.do_create_buyer(
            actor=OPERATOR,
            name=f"{rural[3].name}粮食经纪人周某（演示）",
            kind="broker",
            place=rural[3],
            licence="湘益粮收102",
        ),
    ]
    farmers = list(Person.objects.filter(place__path__startswith=rural[0].parent.path)[:400])
    season_start = date(today.year, 7, 15) if today >= date(today.year, 9, 1) else date(today.year - 1, 7, 15)
    for n in range(260):
        buyer = buyers[n % 4]
        day = min(season_start + timedelta(days=rng.randint(0, 100)), today - timedelta(days=1))
        variety = "early_indica" if day.month < 9 else "late_indica"
        grade = rng.choice([1, 2, 3, 3, 3])
        floor = grain.minimum_price(variety, grade, day) or Decimal("2.54")
        below = buyer.kind == "broker" and n % 19 == 3
        price = (floor - Decimal("0.12")) if below else floor + Decimal(rng.randint(0, 14)) / 100
        due = day + timedelta(days=5)
        late = rng.random() < 0.07
        paid = (
            None
            if (late and due >= today - timedelta(days=3))
            else min(
                due + timedelta(days=rng.randint(3, 20)) if late else day + timedelta(days=rng.randint(0, 5)),
                today,
            )
        )
        grain.do_record_purchase(
            actor=OPERATOR,
            buyer=buyer,
            farmer=rng.choice(farmers),
            variety=variety,
            grade=grade,
            weight_kg=Decimal(rng.randint(800, 24000)),
            price=price,
            purchased_on=day,
            due_on=due,
            paid_on=paid,
        )
    for depot in buyers[:2]:
        stock = Decimal(1800 if depot == buyers[0] else 400)
        month = season_start.replace(day=1)
        while month < today.replace(day=1):
            for variety in ("early_indica", "late_indica"):
                bought = grain.purchased_tonnes(depot, month, variety).quantize(Decimal("0.001"))
                sold = (stock * Decimal("0.05")).quantize(Decimal("0.001"))
                loss = Decimal("0.8")
                closing = stock + bought - sold - loss
                if depot == buyers[1] and variety == "late_indica" and month.month == 10:
                    closing -= Decimal(35)  # a depot whose books do not add up
                grain.do_report_stock(
                    actor=OPERATOR,
                    depot=depot,
                    month=month,
                    variety=variety,
                    opening_t=stock,
                    purchased_t=bought,
                    sold_t=sold,
                    loss_t=loss,
                    closing_t=closing,
                )
                stock = closing
            month = (month + timedelta(days=32)).replace(day=1)
    return len(buyers)


def build_directory(ctx):
    from shuxiang.trace.models import Producer

    rng = ctx.rng
    producers = list(Producer.objects.all())
    consenting = []
    for p in producers:
        if rng.random() < 0.85:
            directory.do_set_consent(p, actor=OPERATOR, given=True)
            consenting.append(p)
    bank = ctx.users.get("bank")
    if bank is not None:
        DirectoryClient.objects.create(
            user=bank,
            institution="湖南赫山农村商业银行（演示）",
            fields=[f for f in directory.ALL_FIELDS if f not in ("contact_phone",)],
            rate="120/m",
        )
        now = timezone.now()
        DirectoryLookup.objects.bulk_create(
            [
                DirectoryLookup(
                    client=bank,
                    institution="湖南赫山农村商业银行（演示）",
                    producer=p,
                    at=now - timedelta(days=rng.randint(1, 90)),
                    route="/api/v1/directory/entities/",
                    outcome=LookupOutcome.SERVED,
                    fields=["name", "credit_code", "area_mu"],
                )
                for p in rng.sample(consenting, min(8, len(consenting)))
            ]
        )
    return len(consenting), len(producers)


# The insurers of the demo (real companies' names, marked 演示: the policies are invented).
PICC = "中国人民财产保险股份有限公司益阳市分公司（演示）"
INSURERS = [
    PICC,
    "中华联合财产保险股份有限公司益阳中心支公司（演示）",
    "中国人寿财产保险股份有限公司益阳市中心支公司（演示）",
]
# main-product keyword → kind, subject, unit, quantity range, sum insured per unit (元), premium rate.
# Roughly Hunan's policy-based schedule: rice 1,000 元/亩 at 6 % (60 元/亩), rapeseed 500 元/亩,
# fattening pigs 1,200 元/头, sows 1,500 元/头, aquaculture and vegetables by 亩; about 75 % of the
# premium subsidised by the central, provincial, city and district budgets.
INSURANCE_BY_PRODUCT = [
    (("母猪",), "sow", "能繁母猪", "head", (30, 400), 1500, Decimal("0.06")),
    (("猪", "生猪"), "hog", "育肥猪", "head", (200, 3000), 1200, Decimal("0.05")),
    (("稻", "米"), "rice", "中稻", "mu", (50, 900), 1000, Decimal("0.06")),
    (("油菜", "菜籽"), "rapeseed", "油菜", "mu", (30, 600), 500, Decimal("0.06")),
    (("虾", "鱼", "蟹", "水产"), "aquaculture", "淡水养殖", "mu", (20, 400), 3000, Decimal("0.05")),
    (("菜", "椒", "藕", "瓜"), "vegetable", "露地蔬菜", "mu", (10, 300), 2000, Decimal("0.06")),
]


def build_insurance(ctx):
    """Policies for most directory entities: this season's in force, last season's expired (some with
    claims paid), a machinery policy for some companies; an insurer client that reports its own."""
    from shuxiang.core import services as core_services
    from shuxiang.core.choices import Role
    from shuxiang.demo.builder import DEMO_PASSWORD
    from shuxiang.trace.models import Producer

    rng = ctx.rng
    account = core_services.do_create_user(
        actor=OPERATOR,
        username="insurer",
        role=Role.BANK,
        place=ctx.district,
        password=DEMO_PASSWORD,
        display_name="人保财险 农险保单接口",
    )
    ctx.users["insurer"] = account
    ctx.credentials.append(
        ("insurer", DEMO_PASSWORD, "保险机构接口 · 报送本机构保单、查询名录（只用接口令牌）")
    )
    directory.do_configure_client(
        actor=OPERATOR,
        user=account,
        institution=PICC,
        kind="insurer",
        fields=["name", "kind_display", "credit_code", "place_name", "main_products", "area_mu", "insurance"],
        rate="60/m",
    )
    today = timezone.localdate()
    count = 0
    for n, producer in enumerate(Producer.objects.order_by("pk")):
        if rng.random() > 0.8:
            continue
        text = producer.main_products or producer.name
        row = next((r for r in INSURANCE_BY_PRODUCT if any(k in text for k in r[0])), None)
        if row is None:
            continue
        _, kind, subject, unit, (low, high), per_unit, rate = row
        insurer = INSURERS[0] if rng.random() < 0.6 else rng.choice(INSURERS[1:])
        quantity = rng.randint(low, high)
        insured = Decimal(quantity * per_unit)
        premium = (insured * rate).quantize(Decimal("0.01"))
        start = today - timedelta(days=rng.randint(20, 250))
        for shift in (0, 365):  # this season (in force), last season (expired)
            begins = start - timedelta(days=shift)
            ends = begins + timedelta(days=364)
            claims = Decimal(0)
            if rng.random() < (0.3 if shift else 0.1):  # a flood, a drought, an outbreak
                claims = (insured * Decimal(rng.randint(5, 40)) / 100).quantize(Decimal("0.01"))
            insurance.do_record_policy(
                actor=OPERATOR,
                producer=producer,
                insurer=insurer,
                number=f"DEMO{begins:%Y}4309{n:04d}{'1' if shift else '2'}",
                kind=kind,
                subject=subject,
                quantity=quantity,
                unit=unit,
                sum_insured=insured,
                premium=premium,
                premium_subsidy=(premium * Decimal("0.75")).quantize(Decimal("0.01")),
                starts_on=begins,
                ends_on=ends,
                claims_paid=claims,
            )
            count += 1
        if producer.kind == "company" and rng.random() < 0.5:
            insurance.do_record_policy(
                actor=OPERATOR,
                producer=producer,
                insurer=INSURERS[0],
                number=f"DEMOJJ{today:%Y}4309{n:04d}",
                kind="machinery",
                subject="联合收割机",
                quantity=rng.randint(1, 4),
                unit="set",
                sum_insured=Decimal(200000),
                premium=Decimal("3000.00"),
                premium_subsidy=Decimal("900.00"),
                starts_on=today - timedelta(days=rng.randint(1, 300)),
                ends_on=today + timedelta(days=rng.randint(60, 700)),
            )
            count += 1
    return count


# township name fragment → its specialty (一镇一品); the others take one from the fallback list in turn
SPECIALTIES = {
    "兰溪": ("兰溪腊味", "腊肉、腊鱼、腊肠", "兰溪古镇传统烟熏腊味，冬至前后熏制。"),
    "泉交河": ("泉交河小龙虾", "小龙虾、虾稻米", "稻虾共作，一水两用。"),
    "沧水铺": ("沧水铺茶油", "山茶油、油茶籽", "丘陵油茶林压榨山茶油。"),
    "笔架山": ("笔架山云雾茶", "绿茶、黑茶", "笔架山高山云雾茶园。"),
    "八字哨": ("八字哨辣椒", "辣椒、剁辣椒", "湖区沙壤土种植螺丝椒。"),
}
FALLBACK = [
    ("莲藕", "鲜藕、藕粉", "湖塘种植莲藕。"),
    ("柑橘", "椪柑、冰糖橙", "丘陵岗地柑橘园。"),
    ("鲜鱼", "草鱼、鳙鱼", "生态养殖鲜鱼。"),
    ("菜籽油", "压榨菜籽油", "冬油菜压榨菜籽油。"),
]


def build_brands(ctx):
    """One 一镇一品 brand per township and the regional 赫山大米, with the registered producers of
    each township authorised (their lots' one-code pages then show on the brand's public page)."""
    from shuxiang.markets import brands
    from shuxiang.trace.models import Producer

    rng = ctx.rng
    producers = list(Producer.objects.select_related("place"))
    today = timezone.localdate()
    made = 0
    for i, township in enumerate(_rural(ctx)):
        spec = next((v for k, v in SPECIALTIES.items() if k in township.name), None)
        if spec is None:
            name, products, text = FALLBACK[i % len(FALLBACK)]
            spec = (f"{township.name[:-1]}{name}", products, text)
        brand = brands.do_create_brand(
            actor=OPERATOR,
            name=spec[0],
            kind="township",
            place=township,
            products=spec[1],
            description=spec[2] + "（演示数据）",
            certification=rng.choice(["", "", "绿色食品", "农产品地理标志（申报中）"]),
        )
        made += 1
        local = [p for p in producers if p.place.path.startswith(township.path)]
        for p in rng.sample(local, min(len(local), rng.randint(1, 4))):
            brands.do_authorise_producer(
                brand, actor=OPERATOR, producer=p, authorised_on=today - timedelta(days=rng.randint(30, 900))
            )
    regional = brands.do_create_brand(
        actor=OPERATOR,
        name="赫山大米",
        kind="regional",
        place=ctx.district,
        products="早籼米、晚籼米、优质稻",
        description="赫山区区域公用品牌，统一标准、统一标识（演示数据）。",
        certification="绿色食品",
    )
    for p in rng.sample(producers, min(len(producers), 6)):
        brands.do_authorise_producer(
            regional, actor=OPERATOR, producer=p, authorised_on=today - timedelta(days=rng.randint(30, 700))
        )
    return made + 1


def build_public_warning(ctx):
    """The district office issues the worst current township level (the chilli spike) as a public
    农产品价格预警, as villager's demo issues its health notice."""
    from shuxiang.markets import public_warning
    from shuxiang.markets.models import WarningLevel

    district = ctx.users.get("district")
    if district is None:
        return None
    level = (
        WarningLevel.objects.filter(is_current=True, level="crisis", place__level=2)
        .select_related("product", "place", "method")
        .order_by("-value")
        .first()
    )
    if level is None:
        return None
    return public_warning.do_issue_price_warning(level, actor=district, days=7)


def build(ctx):
    from django.apps import apps

    build_prices(ctx)
    build_commerce(ctx)
    build_grain(ctx)
    build_directory(ctx)
    build_insurance(ctx)
    build_brands(ctx)
    if apps.is_installed("shuxiang.warnings"):
        build_public_warning(ctx)
