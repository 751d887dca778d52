"""Demo traceability data for Heshan: the plan's products (task 8: rice, vegetables, medicinal
herbs, pork, and the fish 黄颡鱼, 鲈鱼, 鳜鱼) with lots at every stage, a failed test, a
counterfeit warning confirmed by the township and a clue still to check, every fact on the ledger
with a signed checkpoint after each lot, a producer's recorder account (`coop`, role producer: its own producer's
records, web and API) and a bank's directory account (`bank`, role bank: the directory API only)."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from shuxiang.core import services as core_services
from shuxiang.core.actors import OPERATOR, Actor
from shuxiang.core.choices import Role
from shuxiang.demo.builder import DEMO_PASSWORD, id_number
from shuxiang.ledger import services as ledger
from shuxiang.trace import codes, services

ORG_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"

# (township, producer, kind, base kind, product, category, unit, with GTIN, inputs)
PRODUCERS = [
    (
        "泉交河镇",
        "泉交河稻米专业合作社",
        "cooperative",
        "planting",
        "赫山优质大米",
        "rice",
        "kg",
        True,
        [("pesticide", "氯虫苯甲酰胺", "每亩 10 mL", 21), ("fertilizer", "有机肥", "每亩 200 kg", None)],
    ),
    (
        "兰溪镇",
        "兰溪绿源蔬菜家庭农场",
        "family_farm",
        "planting",
        "兰溪辣椒",
        "vegetable",
        "kg",
        False,
        [("pesticide", "吡虫啉", "每亩 20 g", 7)],
    ),
    (
        "泥江口镇",
        "泥江口中药材种植有限公司",
        "company",
        "planting",
        "赫山玉竹",
        "herb",
        "kg",
        True,
        [("fertilizer", "复合肥", "每亩 50 kg", None)],
    ),
    (
        "衡龙桥镇",
        "衡龙桥生猪养殖有限公司",
        "company",
        "livestock",
        "赫山土猪肉",
        "livestock",
        "头",
        True,
        [
            ("vet_drug", "阿莫西林可溶性粉", "每吨水 200 g", 14),
            ("feed", "玉米豆粕配合饲料", "每头每日 2.5 kg", None),
        ],
    ),
    (
        "新市渡镇",
        "新市渡特种水产养殖合作社",
        "cooperative",
        "aquaculture",
        "赫山黄颡鱼",
        "aquatic",
        "kg",
        False,
        [("vet_drug", "聚维酮碘溶液", "每亩水面 300 mL", 5)],
    ),
    (
        "欧江岔镇",
        "欧江岔鲈鱼养殖家庭农场",
        "family_farm",
        "aquaculture",
        "赫山加州鲈鱼",
        "aquatic",
        "kg",
        False,
        [("feed", "膨化饲料", "每日投喂 3%", None)],
    ),
    (
        "沧水铺镇",
        "沧水铺鳜鱼养殖专业合作社",
        "cooperative",
        "aquaculture",
        "赫山鳜鱼",
        "aquatic",
        "kg",
        False,
        [],
    ),
]
STEPS = ["planting", "input_use", "harvesting", "inspecting", "packing", "shipping"]
BUYERS = ["益阳市农贸市场", "长沙马王堆农产品批发市场", "赫山区学校食堂配送中心", "步步高超市益阳店"]


def _credit_code(rng, kind):
    prefix = {"company": "91", "cooperative": "93", "individual_business": "92"}.get(kind, "92")
    first17 = prefix + "430903" + "MA4" + "".join(rng.choice(ORG_CHARS) for _ in range(6))
    return first17 + codes.credit_check_char(first17)


def _gtin(rng):
    """A GTIN-13 with a Chinese 690 prefix, left-padded to 14 digits as GS1 Digital Link writes it."""
    first13 = "0690" + "".join(str(rng.randint(0, 9)) for _ in range(9))
    return first13 + codes.gtin_check_digit(first13)


def _day(days_ago, hour=9):
    return (timezone.localtime() - timedelta(days=days_ago)).replace(
        hour=hour, minute=0, second=0, microsecond=0
    )


ONE = Decimal("1")


def _lot_size(typical: int, unit: str, rng) -> Decimal:
    """One lot's size around the producer's typical lot: head counted singly, weights to 10 kg."""
    size = typical * rng.uniform(0.55, 1.45)
    return Decimal(max(1, round(size))) if unit == "头" else Decimal(max(10, round(size, -1)))


def _life(lot, inputs, stop_after, rng, quantity, failed=False):
    """Record a lot's events up to `stop_after` (one of STEPS), spaced like a real season."""
    first = "stocking" if lot.product.category in ("aquatic", "livestock") else "planting"
    services.do_record_event(
        lot,
        actor=OPERATOR,
        biz_step=first,
        event_time=_day(150),
        note="批次开始",
        quantity=quantity if first == "stocking" else None,
    )
    if stop_after == "planting":
        return
    for i, (kind, name, dose, interval) in enumerate(inputs):
        services.do_record_event(
            lot,
            actor=OPERATOR,
            biz_step="input_use",
            event_time=_day(80 - 20 * i),
            input_kind=kind,
            input_name=name,
            input_dose=dose,
            interval_days=interval,
        )
    if stop_after == "input_use":
        return
    services.do_record_event(
        lot, actor=OPERATOR, biz_step="harvesting", event_time=_day(12), quantity=quantity
    )
    services.do_record_event(
        lot,
        actor=OPERATOR,
        biz_step="inspecting",
        event_time=_day(11),
        test_item="农药兽药残留快速检测",
        test_agency="赫山区农产品质量安全检测站",
        test_passed=not failed,
    )
    if failed or stop_after == "inspecting":
        return
    packed = (quantity * Decimal(rng.uniform(0.94, 0.99))).quantize(ONE)  # culls, trimming
    shipped = packed if rng.random() < 0.6 else (packed * Decimal(rng.uniform(0.4, 0.9))).quantize(ONE)
    services.do_record_event(lot, actor=OPERATOR, biz_step="packing", event_time=_day(10), quantity=packed)
    services.do_issue_certificate(lot, actor=OPERATOR)
    services.do_record_event(
        lot,
        actor=OPERATOR,
        biz_step="shipping",
        event_time=_day(9),
        quantity=shipped,
        counterparty=rng.choice(BUYERS),
    )


def _pond_monitor(plot, rng):
    """The 黄颡鱼 pond's water-quality buoy (an iot device): its latest readings show on the lot pages."""
    from shuxiang.iot import services as iot

    device, _ = iot.do_register_device(
        actor=OPERATOR,
        code="TRACE-POND-01",
        protocol="http",
        place=plot.place,
        name="黄颡鱼1号塘水质浮标",
        kind="water_quality",
        sensors=[
            {"key": "water_temp", "name": "水温", "unit": "℃", "min_value": -5, "max_value": 45},
            {"key": "dissolved_o2", "name": "溶解氧", "unit": "mg/L", "min_value": 0, "max_value": 30},
            {"key": "ph", "name": "pH", "unit": "", "min_value": 0, "max_value": 14},
        ],
    )
    now = timezone.now().replace(microsecond=0)
    values = [
        ("water_temp", now, round(rng.uniform(18, 26), 1)),
        ("dissolved_o2", now, round(rng.uniform(5, 8), 1)),
        ("ph", now, round(rng.uniform(7.0, 8.2), 1)),
    ]
    iot.do_ingest_one(device.code, values, actor=Actor.device(device.code))
    services.do_link_device(plot, actor=OPERATOR, device_code=device.code)


AGENTS = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.49",
    "Mozilla/5.0 (Linux; Android 14; V2304A) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; HarmonyOS; ALN-AL00) AppleWebKit/537.36 HuaweiBrowser/14.0 Mobile",
]


def _scans(lot, spots):
    """Scans of one lot's code by different phones (networks and browsers) at these spots."""
    for i, (lat, lng, _name) in enumerate(spots):
        services.do_record_scan(
            lot,
            actor=services.CONSUMER,
            ip=f"{113 + i * 7}.{100 + i}.{20 + i}.{8 + i}",
            user_agent=AGENTS[i % len(AGENTS)],
            latitude=lat,
            longitude=lng,
        )


def build(ctx):
    rng = ctx.rng
    towns = {t.name: t for t in ctx.townships}
    first_lot = clue_lot = None
    for n, (town, name, kind, base_kind, product_name, category, unit, has_gtin, inputs) in enumerate(
        PRODUCERS
    ):
        township = towns[town]
        villages = [v for v in ctx.villages if v.parent_id == township.pk]
        village = villages[0] if town == "泉交河镇" else rng.choice(villages)
        hamlets = [h for h in ctx.hamlets if h.parent_id == village.pk]
        contact_name = (
            f"{rng.choice('李王张刘陈杨黄赵周吴')}{rng.choice(['建国', '秀英', '志强', '桂兰', '德胜'])}"
        )
        registered = kind in ("company", "cooperative")
        producer = services.do_create_producer(
            actor=OPERATOR,
            name=name,
            kind=kind,
            place=village,
            credit_code=_credit_code(rng, kind) if registered else "",
            contact_name=contact_name,
            contact_id_number=""
            if registered
            else id_number(rng, timezone.localdate().replace(year=1975, month=5, day=1 + n)),
            contact_phone=f"139{rng.randint(0, 99999999):08d}",
            address=f"{township.name}{village.name}",
            registered_on=timezone.localdate() - timedelta(days=rng.randint(400, 3000)),
            main_products=product_name,
        )
        lat, lng = hamlets[0].latitude, hamlets[0].longitude
        base = services.do_create_base(
            producer,
            actor=OPERATOR,
            name=f"{village.name}{'养殖场' if base_kind == 'livestock' else '基地'}",
            kind=base_kind,
            place=hamlets[0],
            area_mu=Decimal(rng.randint(30, 600)),
            latitude=lat,
            longitude=lng,
        )
        plots = [
            services.do_create_plot(
                base,
                actor=OPERATOR,
                name=f"{i}号{'圈舍' if base_kind == 'livestock' else '塘' if base_kind == 'aquaculture' else '田'}",
                area_mu=Decimal(rng.randint(5, 60)),
            )
            for i in (1, 2)
        ]
        services.do_record_environment_test(
            plots[0],
            actor=OPERATOR,
            kind="water" if base_kind == "aquaculture" else "soil",
            tested_on=timezone.localdate() - timedelta(days=rng.randint(60, 300)),
            agency="赫山区农产品质量安全检测站",
            passed=True,
            summary="铅、镉、汞、砷均未超出 GB 15618 筛选值"
            if base_kind != "aquaculture"
            else "符合 GB 11607 渔业水质标准",
        )
        if product_name == "赫山黄颡鱼":
            _pond_monitor(plots[0], rng)
        product = services.do_create_product(
            producer,
            actor=OPERATOR,
            name=product_name,
            category=category,
            gtin=_gtin(rng) if has_gtin else "",
            unit=unit,
        )
        typical = rng.randint(50, 300) if unit == "头" else rng.randint(500, 8000)
        year = timezone.localdate().year
        for i, stop in enumerate(["shipping", "inspecting", "input_use"]):
            quantity = _lot_size(typical, unit, rng)
            lot = services.do_create_lot(
                product,
                actor=OPERATOR,
                lot_number=f"{year}{chr(65 + n)}{i + 1:02d}",
                origin=plots[i % 2],
                quantity=quantity,
            )
            _life(lot, inputs, stop, rng, quantity, failed=(n == 1 and i == 1))
            # As after each write batch in production: the head is signed, so each lot's proof is short.
            ledger.checkpoint(services.STREAM, actor=OPERATOR)
            first_lot = first_lot or lot
            if n == 1 and i == 0:
                clue_lot = lot
        if town == "泉交河镇":
            account = core_services.do_create_user(
                actor=OPERATOR,
                username="coop",
                role=Role.PRODUCER,
                place=village,
                password=DEMO_PASSWORD,
                display_name=f"{name} 填报员",
            )
            services.do_add_operator(producer, account, actor=OPERATOR)
            ctx.users["coop"] = account
            ctx.credentials.append(("coop", DEMO_PASSWORD, f"经营主体填报 · {name}"))
    # A copied label: the first lot's code scanned by three different phones in 益阳 and, the same day,
    # in 广州 — a clue the township checked on the market and confirmed; the public page now warns.
    _scans(first_lot, [(28.55, 112.36, "益阳"), (28.57, 112.35, "益阳"), (23.13, 113.26, "广州")])
    services.do_confirm_counterfeit(
        first_lot, actor=ctx.users["quanjiaohe"], note="广州江南果菜批发市场发现使用该追溯码的仿冒包装"
    )
    # Another lot's code seen in 兰溪 and 长沙 and 深圳 by different phones: a clue still to check (not public).
    _scans(clue_lot, [(28.45, 112.48, "兰溪"), (28.20, 112.97, "长沙"), (22.54, 114.06, "深圳")])
    bank = core_services.do_create_user(
        actor=OPERATOR,
        username="bank",
        role=Role.BANK,
        place=ctx.district,
        password=DEMO_PASSWORD,
        display_name="农商银行 经营主体名录接口",
    )
    ctx.users["bank"] = bank
    ctx.credentials.append(
        ("bank", DEMO_PASSWORD, "银行只读接口 · 经营主体名录（只用接口令牌，不能登录网页）")
    )
    ledger.checkpoint(services.STREAM, actor=OPERATOR)
