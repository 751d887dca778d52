"""Demo: land data for one village of 泉交河镇 and one of 兰溪镇 — surveyed parcels (synthetic polygons
laid out as field grids around the village centre), contracting households and contracts, transfers to
cooperatives and companies, an exchange listing of each village's 机动地 open for bids, an approved
cooperative with members, three share kinds and a 集体股, the 2025 income and a dividend run (approved and
announced in 泉交河镇's village, awaiting the village's approval in 兰溪镇's), and monthly finance
disclosures. Everything is synthetic and marked so."""

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import shapely
from django.utils import timezone
from pyproj import Transformer

from shuxiang.core import services as core_services
from shuxiang.core.actors import OPERATOR, Actor
from shuxiang.core.choices import PlaceLevel
from shuxiang.core.geometry import gauss_kruger_crs
from shuxiang.land import coop, exchange, finance, services
from shuxiang.land.models import Contract, Member, Parcel

SURNAMES = "李王张刘陈杨黄赵周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段漕钱汤尹黎易常武乔贺赖龚文"
GIVEN = "建国德顺秀英桂兰志强明华春生海波玉梅国平永红立新金凤长青世云文杰红霞家齐水清运来"
TOWNSHIPS = ("泉交河镇", "兰溪镇")
PARCELS_PER_VILLAGE = 96
HOUSEHOLDS = 18


def demo_id_number(vi: int, h: int) -> str:
    """A well-formed synthetic 身份证号 (valid check digit) for the demo's first household head of each
    village, so the member page /land/my/ can be tried: 4309031968051201X-style."""
    body = f"430903{1968 + vi}0512{h + 1:02d}{1 + 2 * vi}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def _name(rng):
    return rng.choice(SURNAMES) + rng.choice(GIVEN[::2]) + rng.choice(GIVEN[1::2])


def _villages(ctx):
    names = {t.pk: t.name for t in ctx.townships if t.name in TOWNSHIPS}
    chosen = []
    for tid in names:
        chosen += [v for v in ctx.villages if v.parent_id == tid and v.kind == "village"][:1]
    return chosen


def _grid(village, rng, n):
    lng, lat = village.longitude or 112.6, village.latitude or 28.47
    crs = gauss_kruger_crs(lng)
    to_gk = Transformer.from_crs(4490, crs, always_xy=True)
    back = Transformer.from_crs(crs, 4490, always_xy=True)
    x0, y0 = to_gk.transform(lng, lat)
    shapes, cols = [], 12
    for i in range(n):
        r, c = divmod(i, cols)
        w, h = rng.uniform(35, 60), rng.uniform(25, 40)
        x, y = x0 + c * 64 - 380, y0 + r * 44 - 220
        box = shapely.box(x, y, x + w, y + h)
        shapes.append(shapely.transform(box, lambda xy: np.column_stack(back.transform(xy[:, 0], xy[:, 1]))))
    return shapes


def build(ctx):
    from shuxiang.core.geometry import gauss_kruger_areas, label_point, to_geojson

    rng = ctx.rng
    today = timezone.localdate()
    bidders = [
        exchange.do_register_bidder(actor=OPERATOR, name=n, kind=k, place=ctx.district)
        for n, k in (
            ("益阳稻香农业有限公司", "company"),
            # also a registered producer (trace): the land it takes in shows in the bank directory
            ("泉交河稻米专业合作社", "cooperative"),
            ("泉交河镇周氏家庭农场", "family_farm"),
        )
    ]
    for vi, village in enumerate(_villages(ctx)):
        hamlets = [h for h in ctx.hamlets if h.parent_id == village.pk] or [village]
        issuer = hamlets[0] if hamlets[0].level == PlaceLevel.HAMLET else village
        issuer14 = issuer.code if issuer.level == PlaceLevel.HAMLET else f"{village.code}00"
        shapes = _grid(village, rng, PARCELS_PER_VILLAGE)
        areas, _ = gauss_kruger_areas(shapes)
        rows = []
        for i, (code, shape, area) in enumerate(
            zip([f"{issuer14}{i:05d}" for i in range(1, len(shapes) + 1)], shapes, areas, strict=True)
        ):
            registered = Decimal(str(round(area * (rng.uniform(0.97, 1.03) if i % 17 else 1.09), 2)))
            measured = Decimal(str(round(area, 2)))
            lng_, lat_ = label_point(shape)
            kind = "10" if i % 10 else rng.choice(["21", "22", "23"])
            rows.append(
                Parcel(
                    code=code,
                    name=f"{rng.choice('大小长圆')}丘{i + 1}",
                    issuer=issuer,
                    village=village,
                    kind=kind,
                    land_use=rng.choice(["0101"] * 6 + ["0103", "0201", "1104"]),
                    registered_area_m2=registered,
                    measured_area_m2=measured,
                    area_flagged=abs(measured - registered) / registered > Decimal("0.05"),
                    east="水渠",
                    south="机耕道",
                    west="田埂",
                    north=rng.choice(["山脚", "村道", "塘基"]),
                    geometry=to_geojson(shape),
                    longitude=lng_,
                    latitude=lat_,
                    synthetic=True,
                    minx=shape.bounds[0],
                    miny=shape.bounds[1],
                    maxx=shape.bounds[2],
                    maxy=shape.bounds[3],
                )
            )
        Parcel.objects.bulk_create(rows)
        parcels = list(Parcel.objects.filter(village=village).order_by("code"))
        contracted = [p for p in parcels if p.kind == "10"]
        households = []
        for h in range(HOUSEHOLDS):
            head = core_services.do_create_person(
                actor=OPERATOR,
                name=_name(rng),
                place=issuer if issuer.level == 4 else village,
                phone=f"1397371{vi:02d}{h:02d}",  # synthetic: receives the member's 查询码 text
                id_number=demo_id_number(vi, h) if h == 0 else "",
            )
            household = services.do_register_contractor(
                actor=OPERATOR, code=f"{issuer14}{h + 1:04d}", head=head
            )
            mine = contracted[h * 4 : h * 4 + 4]
            if mine:
                services.do_create_contract(
                    actor=OPERATOR,
                    contractor=household,
                    parcels=mine,
                    start=date(2023, 1, 1),
                    end=date(2052, 12, 31),
                    certificate_no=f"{issuer14[:6]}{2023}{h + 1 + vi * 100:06d}J",
                )
            households.append(household)
        for h, household in enumerate(households[:10]):
            mine = list(Parcel.objects.filter(contracts__contractor=household))
            if not mine:
                continue
            services.do_record_transfer(
                actor=OPERATOR,
                parcels=mine,
                contractor=household,
                transferee=bidders[h % 2].name,
                transferee_kind=bidders[h % 2].kind,
                start=date(2024, 3, 1),
                end=date(2029 + h % 4, 2, 28) if h != 3 else today + timedelta(days=40),
                rent_kind="grain" if h % 3 == 0 else "cash",
                annual_rent=Decimal(str(rng.randint(380, 520) * 4)),
                grain_kg_per_mu=Decimal("200"),
                grain_price=Decimal("2.76"),
                signed_on=date(2024, 2, 20),
            )
        # one contract ended early: its parcels were taken for a road (shows 终止 on the register)
        ended = Contract.objects.filter(contractor=households[12]).first() if len(households) > 12 else None
        if ended is not None:
            services.do_terminate_contract(
                ended, actor=OPERATOR, on=date(2025, 8, 15), reason="承包地被依法征收：益南高速连接线"
            )
        reserve = [p for p in parcels if p.kind == "22"]
        if reserve:
            listing = exchange.do_create_listing(
                actor=OPERATOR,
                village=village,
                title=f"{village.name}机动地经营权公开出租",
                reserve_price=Decimal("4800.00"),
                term_years=5,
                parcels=reserve[:3],
                conditions="须具备水稻规模种植经验；不得改变土地农业用途。",
                min_increment=Decimal("200.00"),
            )
            exchange.do_publish_listing(
                listing, actor=OPERATOR, days=15, start=timezone.now() - timedelta(days=3)
            )
            exchange.do_place_bid(listing, actor=OPERATOR, bidder=bidders[0], amount=Decimal("4800.00"))
            exchange.do_place_bid(listing, actor=OPERATOR, bidder=bidders[1], amount=Decimal("5200.00"))
        _cooperative(ctx, village, households, rng, vi)
        _books(village, rng, today)
    _indicators()


INDICATORS = [
    ("land_parcels_registered", "地块数字化登记数", "number", "块", "land.parcels_registered", {}),
    (
        "land_transfer_rate",
        "承包地流转率（规模化经营）",
        "ratio",
        "%",
        "land.transferred_share",
        {"factor": 100, "numerator_label": "流转面积（m²）", "denominator_label": "承包地面积（m²）"},
    ),
    ("land_transferred_area", "土地流转面积", "number", "亩", "land.transferred_area_mu", {"decimals": 2}),
    ("land_members_with_shares", "持股集体经济组织成员", "number", "人", "land.members_with_shares", {}),
    (
        "land_dividends_paid",
        "集体经济组织成员分红",
        "number",
        "元",
        "land.dividends_paid",
        {"decimals": 2, "period_aggregation": "sum"},
    ),
    ("land_disclosures_on_time", "按时财务公开的村", "number", "个", "land.disclosures_on_time", {}),
]


def _indicators():
    """The module's plan figures, computed from the registers for the quarters of 2025 and this quarter."""
    from django.apps import apps

    if not apps.is_installed("shuxiang.indicators"):
        return
    from shuxiang.indicators import services as indicator_services
    from shuxiang.indicators.periods import Period

    today = timezone.localdate()
    periods = [Period(2025, q) for q in range(1, 5)] + [Period(today.year, (today.month - 1) // 3 + 1)]
    for code, name, kind, unit, source, extra in INDICATORS:
        indicator = indicator_services.do_save_indicator(
            actor=OPERATOR,
            code=code,
            name=name,
            kind=kind,
            unit=unit,
            source="computed",
            computed_by=source,
            **extra,
        )
        for period in dict.fromkeys(p.code for p in periods):
            indicator_services.do_refresh_computed(indicator, period, actor=OPERATOR)


def _cooperative(ctx, village, households, rng, vi):
    from shuxiang.land.models import Cooperative

    c = coop.do_create_cooperative(
        actor=OPERATOR, village=village, name=f"{village.name}股份经济合作社", cutoff_date=date(2020, 12, 31)
    )
    Cooperative.objects.filter(pk=c.pk).update(management="periodic")  # first register built in periodic mode
    c.refresh_from_db()
    n = 0
    for household in households:
        people = [household.head] + [
            core_services.do_create_person(
                actor=OPERATOR, name=household.head.name[0] + _name(rng)[1:], place=household.head.place
            )
            for _ in range(rng.randint(1, 2))
        ]
        for person in people:
            n += 1
            m = coop.do_propose_member(
                c,
                actor=OPERATOR,
                person=person,
                basis="hukou" if person == household.head else rng.choice(["hukou", "birth", "marriage"]),
                household=household,
                bank_account=f"62170{rng.randint(10**13, 10**14 - 1)}",
                bank_name="湖南益阳农村商业银行",
            )
            coop.do_approve_member(m, actor=OPERATOR)
            coop.do_approve_member(m, actor=OPERATOR)
            coop.do_set_holding(m, actor=OPERATOR, kind="population", shares=Decimal("1"), basis="成员")
            coop.do_set_holding(
                m,
                actor=OPERATOR,
                kind="labour",
                shares=Decimal(rng.randint(0, 40)) / 10,
                basis="农龄每年0.1股",
            )
            if person == household.head:
                coop.do_set_holding(
                    m, actor=OPERATOR, kind="land", shares=Decimal(rng.randint(10, 60)) / 10, basis="土地入股"
                )
    coop.do_set_holding(
        None, coop=c, actor=OPERATOR, kind="collective", shares=Decimal("30"), basis="成员大会决议保留集体股"
    )
    Cooperative.objects.filter(pk=c.pk).update(management="static")
    # a newcomer by marriage, proposed and awaiting the village's approval (审核通过 on the register)
    coop.do_propose_member(
        c,
        actor=OPERATOR,
        person=core_services.do_create_person(
            actor=OPERATOR, name=_name(rng), place=households[1].head.place, phone=f"1397372{vi:02d}01"
        ),
        basis="marriage",
        basis_note="2026年婚入，户口已迁入本村",
        household=households[1],
    )
    # the first household head asked for a code on /land/my/: it waits in the outbox (no SMS gateway)
    head = households[0].head
    if head.id_number:
        finance.do_send_member_code(head.id_number, actor=Actor.anonymous("public"))
    finance.do_book_entry(
        actor=OPERATOR,
        village=village,
        kind="income",
        category="land_rent",
        amount=f"{86000 + vi * 7313}.50",
        occurred_on=date(2025, 12, 20),
        voucher_no="2025-12-031",
        summary="2025年机动地及集体土地流转租金",
    )
    finance.do_book_entry(
        actor=OPERATOR,
        village=village,
        kind="income",
        category="asset",
        amount="23640.00",
        occurred_on=date(2025, 11, 15),
        voucher_no="2025-11-018",
        summary="集体厂房出租收入",
    )
    dist = coop.do_compute_distribution(c, actor=OPERATOR, period="2025")
    if vi % 2 == 0:
        coop.do_approve_distribution(dist, actor=OPERATOR)
        coop.do_approve_distribution(dist, actor=OPERATOR)
    member = Member.objects.filter(cooperative=c).order_by("code").first()
    return member


def _books(village, rng, today):
    start = date(today.year, today.month, 1)
    for _back in range(6):
        start = (start - timedelta(days=1)).replace(day=1)
        for k in range(rng.randint(3, 6)):
            category = rng.choice(["admin", "public_works", "operating", "other_income", "subsidy"])
            kind = "income" if category in ("other_income", "subsidy") else "expense"
            finance.do_book_entry(
                actor=OPERATOR,
                village=village,
                kind=kind,
                category=category,
                amount=f"{rng.randint(300, 9000)}.{rng.randint(0, 99):02d}",
                occurred_on=start + timedelta(days=rng.randint(0, 26)),
                voucher_no=f"{start:%Y-%m}-{k + 1:03d}",
                summary={
                    "admin": "村务办公用品",
                    "public_works": "村道维修",
                    "operating": "集体果园管护",
                    "other_income": "集体资产处置收入",
                    "subsidy": "村级组织运转经费",
                }[category],
            )
        published = timezone.make_aware(
            timezone.datetime.combine(
                finance.due_on(coop.period_range(f"{start:%Y-%m}")[1])
                - timedelta(days=rng.choice([1, 3, 5, -4])),
                timezone.datetime.min.time(),
            )
        ) + timedelta(hours=10)
        if published.date() > today:
            continue
        finance.do_publish_disclosure(actor=OPERATOR, village=village, period=f"{start:%Y-%m}", at=published)
