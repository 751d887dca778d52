"""Test support shared by every app: the fixed cast of places and users, and the
registry of sample objects the scope walk (core/tests/test_scope_walk.py) uses.

Every app whose models are reachable by URL registers, in its
`tests/samples.py`, a factory per model:

    @sample(Case)
    def make_case(place, marker):
        return Case.objects.create(..., place=place, title=marker)

`place` is a hamlet of the township the object must belong to; `marker` is a
unique string the object must show on its list and detail pages (its name or
title), so the walk can prove it appears only to users in scope.
"""

from dataclasses import dataclass

from django.db import models

from shuxiang.core.actors import OPERATOR

samples: dict[type[models.Model], callable] = {}


def sample(model):
    def wrap(factory):
        samples[model] = factory
        return factory

    return wrap


@dataclass
class Places:
    district: object
    township_a: object  # 泉交河镇
    township_b: object  # 兰溪镇
    village_a: object
    village_b: object
    hamlet_a: object
    hamlet_b: object


@dataclass
class Cast:
    admin: object
    district: object
    department: object
    township_a: object
    township_b: object
    village_a: object
    grid_a: object
    grid_b: object
    # Outside clients: a bank reading the directory, a cooperative's recorder (linked to a producer by
    # the trace tests that need it), a loudspeaker gateway and a bureau's data feed.
    bank: object = None
    producer: object = None
    gateway: object = None
    feed: object = None

    def staff(self) -> dict:
        names = ("admin", "district", "department", "township_a", "village_a", "grid_a")
        return {n: getattr(self, n) for n in names}

    def clients(self) -> dict:
        return {n: getattr(self, n) for n in ("bank", "producer", "gateway", "feed")}


PASSWORD = "Test-pass-2025"


# code, name, level, kind, parent code, latitude, longitude — two townships, one village and hamlet in each.
FIXTURE_PLACES = [
    ("430903000000", "赫山区", 1, "district", None, 28.55, 112.37),
    ("430903103000", "泉交河镇", 2, "town", "430903000000", 28.47, 112.60),
    ("430903111000", "兰溪镇", 2, "town", "430903000000", 28.69, 112.52),
    ("430903103201", "清水村", 3, "village", "430903103000", 28.47, 112.60),
    ("430903111201", "荷花村", 3, "village", "430903111000", 28.69, 112.52),
    ("43090310320101", "清水村第1村民小组", 4, "hamlet", "430903103201", 28.471, 112.601),
    ("43090311120101", "荷花村第1村民小组", 4, "hamlet", "430903111201", 28.691, 112.521),
]


def build_places():
    from shuxiang.core import services

    built = {}
    for code, name, level, kind, parent, lat, lng in FIXTURE_PLACES:
        built[code] = services.do_create_place(
            actor=OPERATOR,
            code=code,
            name=name,
            level=level,
            kind=kind,
            parent=built.get(parent),
            latitude=lat,
            longitude=lng,
            synthetic=level >= 3,
        )
    return Places(*built.values())


def build_cast(places: Places):
    from shuxiang.core import services
    from shuxiang.core.choices import Role, UnitKind

    bureau = services.do_create_unit(
        actor=OPERATOR,
        name="区农业农村局",
        kind=UnitKind.BUREAU,
        place=places.district,
        domains=["cases", "trace"],
    )
    office = services.do_create_unit(
        actor=OPERATOR, name="区网信办", kind=UnitKind.BUREAU, place=places.district
    )
    gov_a = services.do_create_unit(
        actor=OPERATOR, name="泉交河镇人民政府", kind=UnitKind.TOWNSHIP_GOV, place=places.township_a
    )
    gov_b = services.do_create_unit(
        actor=OPERATOR, name="兰溪镇人民政府", kind=UnitKind.TOWNSHIP_GOV, place=places.township_b
    )

    def user(username, role, place, unit=None, reveal=False):
        return services.do_create_user(
            actor=OPERATOR,
            username=username,
            role=role,
            place=place,
            unit=unit,
            password=PASSWORD,
            display_name=username,
            can_reveal_pii=reveal,
        )

    admin = user("t_admin", Role.ADMIN, places.district, office, reveal=True)
    return Cast(
        admin=admin,
        district=user("t_district", Role.DISTRICT, places.district, office, reveal=True),
        department=user("t_agri", Role.DEPARTMENT, places.district, bureau),
        township_a=user("t_quanjiaohe", Role.TOWNSHIP, places.township_a, gov_a),
        township_b=user("t_lanxi", Role.TOWNSHIP, places.township_b, gov_b),
        village_a=user("t_cadre", Role.VILLAGE, places.village_a),
        grid_a=user("t_grid", Role.GRID, places.village_a),
        grid_b=user("t_grid_b", Role.GRID, places.village_b),
        bank=user("t_bank", Role.BANK, places.district),
        producer=user("t_coop", Role.PRODUCER, places.village_a),
        gateway=user("t_gateway", Role.GATEWAY, places.district),
        feed=user("t_feed", Role.FEED, places.district),
    )
