"""The deterministic Heshan demo: real township list and codes, synthetic villages
and hamlets (marked synthetic), the plan's bureaus, users of every role and
people, all from one fixed seed so every machine builds the same data.

Apps add their own demo data with a `demo.py` module exposing
`build(ctx)`; it runs after the registry here, in INSTALLED_APPS order.
"""

import importlib
import random
from dataclasses import dataclass, field
from datetime import date

from django.apps import apps
from django.db import transaction

from shuxiang.core import pii, services
from shuxiang.core.actors import OPERATOR
from shuxiang.core.choices import PlaceKind, Role, UnitKind
from shuxiang.core.context import origin
from shuxiang.core.models import Person, Place, Unit, User
from shuxiang.demo.boundaries import build_boundaries

SEED = 20221101
DEMO_PASSWORD = "Shuxiang@2025"
DISTRICT = ("430903000000", "赫山区")

# 统计用区划代码 2023 (NBS), see docs/references.md. 谢林港镇 is coded under 430972
# (益阳高新区) statistically but administered by 赫山区: parent is the district, the code stays as issued.
TOWNSHIPS = [
    ("430903001000", "赫山街道", PlaceKind.SUBDISTRICT),
    ("430903002000", "桃花仑街道", PlaceKind.SUBDISTRICT),
    ("430903003000", "金银山街道", PlaceKind.SUBDISTRICT),
    ("430903006000", "会龙山街道", PlaceKind.SUBDISTRICT),
    ("430903007000", "鱼形山街道", PlaceKind.SUBDISTRICT),
    ("430903008000", "龙光桥街道", PlaceKind.SUBDISTRICT),
    ("430903101000", "八字哨镇", PlaceKind.TOWN),
    ("430903103000", "泉交河镇", PlaceKind.TOWN),
    ("430903104000", "欧江岔镇", PlaceKind.TOWN),
    ("430903105000", "沧水铺镇", PlaceKind.TOWN),
    ("430903107000", "岳家桥镇", PlaceKind.TOWN),
    ("430903110000", "新市渡镇", PlaceKind.TOWN),
    ("430903111000", "兰溪镇", PlaceKind.TOWN),
    ("430903113000", "衡龙桥镇", PlaceKind.TOWN),
    ("430903114000", "泥江口镇", PlaceKind.TOWN),
    ("430903209000", "笔架山乡", PlaceKind.TOWNSHIP),
    ("430903402000", "龙岭产业开发区", PlaceKind.PARK),
    ("430972109000", "谢林港镇", PlaceKind.TOWN),
]

BUREAUS = [
    ("区委网络安全和信息化委员会办公室", "区网信办", ["plan", "indicators"]),
    ("区发展和改革局", "区发改局", ["plan"]),
    ("区农业农村局", "区农业农村局", ["trace", "machinery", "land", "cases"]),
    ("区乡村振兴局", "区乡村振兴局", ["monitoring"]),
    ("区工业和信息化局", "区工信局", ["indicators"]),
    ("区水利局", "区水利局", ["water", "iot"]),
    ("区气象局", "区气象局", ["warnings"]),
    ("区应急管理局", "区应急局", ["warnings", "cases"]),
    ("区市场监督管理局", "区市监局", ["trace", "cases"]),
    ("区民政局", "区民政局", ["monitoring"]),
    ("区医疗保障局", "区医保局", ["monitoring"]),
    ("区住房和城乡建设局", "区住建局", ["cases"]),
    ("区城市管理和综合执法局", "区城管局", ["cases"]),
    ("区商务局", "区商务局", ["markets"]),
    ("区文旅广体局", "区文旅广体局", ["indicators"]),
    ("区卫生健康局", "区卫健局", ["indicators"]),
    ("区教育局", "区教育局", ["monitoring"]),
    ("区人力资源和社会保障局", "区人社局", ["monitoring"]),
    ("区畜牧水产事务中心", "区畜牧水产事务中心", ["iot", "trace"]),
    ("区委政法委员会", "区委政法委", ["cases"]),
]
COMPANIES = [
    "中国移动赫山分公司",
    "中国电信赫山分公司",
    "中国联通赫山分公司",
    "中国铁塔赫山分公司",
    "赫山区自来水公司",
]

VILLAGE_FIRST = "桃花金龙凤凰石马青竹白沙黄泥新田长塘大湾清水高桥马鞍荷花杨柳枫树茶园松林梅溪"
VILLAGE_SECOND = "山冲湾坪桥塘岭溪港洲坡湖垸铺坝"
SURNAMES = "王李张刘陈杨黄赵周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段漕钱汤尹黎易常武乔贺赖龚文"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国红梅志强春花国庆海燕德胜玉兰建华"

TOWNSHIP_CENTRES = {  # rough positions around 益阳 city, for maps; synthetic villages scatter around them
    "430903001000": (28.560, 112.370),
    "430903002000": (28.580, 112.350),
    "430903003000": (28.555, 112.390),
    "430903006000": (28.545, 112.330),
    "430903007000": (28.600, 112.400),
    "430903008000": (28.520, 112.420),
    "430903101000": (28.450, 112.520),
    "430903103000": (28.470, 112.600),
    "430903104000": (28.640, 112.480),
    "430903105000": (28.380, 112.450),
    "430903107000": (28.330, 112.380),
    "430903110000": (28.680, 112.420),
    "430903111000": (28.690, 112.520),
    "430903113000": (28.260, 112.470),
    "430903114000": (28.300, 112.300),
    "430903209000": (28.430, 112.320),
    "430903402000": (28.500, 112.360),
    "430972109000": (28.520, 112.280),
}


@dataclass
class DemoContext:
    """What app demo builders receive: the random source and the registry just built."""

    rng: random.Random
    scale: int
    district: Place
    townships: list[Place]
    villages: list[Place]
    hamlets: list[Place]
    units: dict[str, Unit]
    users: dict[str, User]
    credentials: list[tuple[str, str, str]] = field(default_factory=list)


def id_number(rng: random.Random, birth: date, region="430903") -> str:
    first17 = f"{region}{birth:%Y%m%d}{rng.randint(0, 999):03d}"
    return first17 + pii.id_check_char(first17)


def _village_names(rng, count):
    names, attempts = [], 0
    while len(names) < count and attempts < count * 50:
        attempts += 1
        a = rng.randrange(0, len(VILLAGE_FIRST) - 1, 2)
        name = VILLAGE_FIRST[a : a + 2] + rng.choice(VILLAGE_SECOND)
        if name not in names:
            names.append(name)
    return names


def build_places(rng, scale):
    district = services.do_create_place(
        actor=OPERATOR,
        code=DISTRICT[0],
        name=DISTRICT[1],
        level=1,
        kind=PlaceKind.DISTRICT,
        latitude=28.55,
        longitude=112.37,
    )
    townships, villages, hamlets = [], [], []
    for code, name, kind in TOWNSHIPS:
        lat, lng = TOWNSHIP_CENTRES[code]
        township = services.do_create_place(
            actor=OPERATOR,
            code=code,
            name=name,
            level=2,
            kind=kind,
            parent=district,
            latitude=lat,
            longitude=lng,
        )
        townships.append(township)
        urban = kind in (PlaceKind.SUBDISTRICT, PlaceKind.PARK)
        count = (5 if urban else 12) * scale
        for i, vname in enumerate(_village_names(rng, count), start=1):
            # 0xx/1xx are residents' committees (社区), 2xx village committees (村), as NBS codes them.
            community = urban and i <= max(1, count // 2)
            segment = f"{i:03d}" if community else f"{200 + i:03d}"
            vlat, vlng = lat + rng.uniform(-0.05, 0.05), lng + rng.uniform(-0.05, 0.05)
            village = Place(
                code=code[:9] + segment,
                name=vname + ("社区" if community else "村"),
                level=3,
                kind=PlaceKind.COMMUNITY if community else PlaceKind.VILLAGE,
                parent=township,
                latitude=round(vlat, 5),
                longitude=round(vlng, 5),
                synthetic=True,
                valid_from=date(2019, 1, 1),
            )
            village.path = village.compute_path()
            villages.append(village)
    Place.objects.bulk_create(villages)
    for village in villages:
        for g in range(1, rng.randint(4, 8) + 1):
            hamlet = Place(
                code=f"{village.code}{g:02d}",
                name=f"{village.name}第{g}村民小组",
                level=4,
                kind=PlaceKind.HAMLET,
                parent=village,
                synthetic=True,
                latitude=round(village.latitude + rng.uniform(-0.008, 0.008), 5),
                longitude=round(village.longitude + rng.uniform(-0.008, 0.008), 5),
            )
            hamlet.path = hamlet.compute_path()
            hamlets.append(hamlet)
    Place.objects.bulk_create(hamlets, batch_size=2000)
    return district, townships, villages, hamlets


def build_units(district, townships, villages):
    units = {}
    for name, short, domains in BUREAUS:
        units[short] = services.do_create_unit(
            actor=OPERATOR, name=name, short_name=short, kind=UnitKind.BUREAU, place=district, domains=domains
        )
    for name in COMPANIES:
        units[name] = services.do_create_unit(
            actor=OPERATOR, name=name, kind=UnitKind.COMPANY, place=district
        )
    for township in townships:
        suffix = (
            "办事处"
            if township.kind == PlaceKind.SUBDISTRICT
            else ("管委会" if township.kind == PlaceKind.PARK else "人民政府")
        )
        units[township.name] = services.do_create_unit(
            actor=OPERATOR,
            name=f"{township.name}{suffix}",
            short_name=township.name,
            kind=UnitKind.TOWNSHIP_GOV,
            place=township,
        )
    Unit.objects.bulk_create(
        [
            Unit(
                name=f"{v.name}{'居民委员会' if v.kind == PlaceKind.COMMUNITY else '村民委员会'}",
                short_name=v.name,
                kind=UnitKind.VILLAGE_COMMITTEE,
                place=v,
            )
            for v in villages
        ]
    )
    return units


DEMO_USERNAMES = [
    "admin",
    "district",
    "agri",
    "water",
    "weather",
    "emergency",
    "rural",
    "quanjiaohe",
    "lanxi",
    "cadre",
    "grid",
    "lanxi_grid",
]


def build_users(ctx: DemoContext):
    """One account per role, plus the two-township cast the tests and the tour use."""
    by_name = {t.name: t for t in ctx.townships}
    quanjiaohe, lanxi = by_name["泉交河镇"], by_name["兰溪镇"]
    qjh_village = next(v for v in ctx.villages if v.parent_id == quanjiaohe.pk)
    lx_village = next(v for v in ctx.villages if v.parent_id == lanxi.pk)
    cast = [
        ("admin", Role.ADMIN, ctx.district, "区网信办", "系统管理员", True),
        ("district", Role.DISTRICT, ctx.district, "区网信办", "区网信办 李主任", True),
        ("agri", Role.DEPARTMENT, ctx.district, "区农业农村局", "区农业农村局 王科长", False),
        ("water", Role.DEPARTMENT, ctx.district, "区水利局", "区水利局 周工", False),
        ("weather", Role.DEPARTMENT, ctx.district, "区气象局", "区气象局 陈预报员", False),
        ("emergency", Role.DEPARTMENT, ctx.district, "区应急局", "区应急局 刘值班长", False),
        ("rural", Role.DEPARTMENT, ctx.district, "区乡村振兴局", "区乡村振兴局 赵股长", False),
        ("quanjiaohe", Role.TOWNSHIP, quanjiaohe, "泉交河镇", "泉交河镇 张干事", False),
        ("lanxi", Role.TOWNSHIP, lanxi, "兰溪镇", "兰溪镇 黄干事", False),
        ("cadre", Role.VILLAGE, qjh_village, None, f"{qjh_village.name} 村支书", False),
        ("grid", Role.GRID, qjh_village, None, f"{qjh_village.name} 网格员", False),
        ("lanxi_grid", Role.GRID, lx_village, None, f"{lx_village.name} 网格员", False),
    ]
    for username, role, place, unit_key, display, reveal in cast:
        unit = ctx.units.get(unit_key) if unit_key else Unit.objects.filter(place=place).first()
        user = services.do_create_user(
            actor=OPERATOR,
            username=username,
            role=role,
            place=place,
            unit=unit,
            password=DEMO_PASSWORD,
            display_name=display,
            can_reveal_pii=reveal,
        )
        ctx.users[username] = user
        ctx.credentials.append((username, DEMO_PASSWORD, f"{user.get_role_display()} · {place.name}"))
    ctx.users["admin"].is_superuser = True
    ctx.users["admin"].save(update_fields=["is_superuser"])


def build_people(ctx: DemoContext, count: int):
    rng = ctx.rng
    people, seen = [], set()
    for _ in range(count):
        hamlet = rng.choice(ctx.hamlets)
        birth = date(rng.randint(1940, 2015), rng.randint(1, 12), rng.randint(1, 28))
        number = id_number(rng, birth)
        if number in seen:
            continue
        seen.add(number)
        phone = f"1{rng.choice('3578')}{rng.randint(0, 999999999):09d}"
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
        people.append(
            Person(
                name=name,
                id_number=number,
                id_number_digest=pii.digest(number),
                phone=phone,
                phone_digest=pii.digest(phone),
                gender=pii.gender_from_id(number),
                birth_date=birth,
                place=hamlet,
            )
        )
    Person.objects.bulk_create(people, batch_size=2000)


def existing_credentials():
    """The demo accounts present in this database, for printing at start-up."""
    users = User.objects.filter(username__in=DEMO_USERNAMES).select_related("place").order_by("id")
    return [
        (u.username, DEMO_PASSWORD, f"{u.get_role_display()} · {u.place.name if u.place else ''}")
        for u in users
    ]


def app_builders():
    """`build(ctx)` of every installed app that ships a demo module."""
    builders = []
    for config in apps.get_app_configs():
        if not config.name.startswith("shuxiang.") or config.label in ("core", "demo"):
            continue
        try:
            module = importlib.import_module(f"{config.name}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.demo":
                raise
            continue
        builders.append((config.label, module.build))
    return builders


def is_empty() -> bool:
    return not Place.objects.exists()


def build(scale: int = 1, log=print, with_apps: bool = True) -> DemoContext:
    import time

    rng = random.Random(SEED)
    with origin("cli"), transaction.atomic():
        district, townships, villages, hamlets = build_places(rng, scale)
        build_boundaries(district, townships, villages, hamlets)
        log(
            f"区划：{len(townships)} 个乡镇，{len(villages)} 个村/社区，{len(hamlets)} 个村民小组（村组为合成数据）"
        )
        units = build_units(district, townships, villages)
        ctx = DemoContext(
            rng=rng,
            scale=scale,
            district=district,
            townships=townships,
            villages=villages,
            hamlets=hamlets,
            units=units,
            users={},
        )
        build_users(ctx)
        build_people(ctx, 2000 * scale)
        log(
            f"单位：{Unit.objects.count()} 个；用户：{User.objects.count()} 个；人员：{Person.objects.count()} 人"
        )
        for label, builder in app_builders() if with_apps else []:
            started = time.monotonic()
            builder(ctx)
            log(f"已生成 {label} 演示数据（{time.monotonic() - started:.1f} 秒）")
    return ctx
