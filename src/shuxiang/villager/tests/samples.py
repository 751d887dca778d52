from datetime import date

from shuxiang.core.actors import OPERATOR
from shuxiang.testing import sample
from shuxiang.villager import culture, employment, market, tourism
from shuxiang.villager.models import (
    EmploymentRecord,
    HeritageItem,
    Posting,
    TouristSite,
    TrainingCourse,
    VisitCount,
)

_n = [0]


@sample(Posting)
def make_posting(place, marker):
    _n[0] += 1
    village = place if place.level <= 3 else place.parent
    return market.do_create_posting(
        actor=OPERATOR,
        kind="job",
        category="farm_work",
        title=f"{marker}招工"[:40],
        body="茶园采茶，包午餐，按斤计酬，欢迎附近村民。",
        price="150元/天",
        place=village,
        contact_name="李师傅",
        phone=f"1390737{_n[0]:04d}",
    )


def _person(place, marker):
    from shuxiang.core import services as core_services

    return core_services.do_create_person(actor=OPERATOR, name=marker[:10], place=place)


@sample(EmploymentRecord)
def make_employment_record(place, marker):
    return employment.do_record_employment(
        actor=OPERATOR,
        person=_person(place, marker),
        group="poverty_exited",
        year=2026,
        quarter=4,
        status="not_working",
        wanted_sector="agriculture",
    )


@sample(TrainingCourse)
def make_course(place, marker):
    township = place
    while township.level > 2:
        township = township.parent
    return employment.do_create_course(
        actor=OPERATOR,
        name=marker[:60],
        place=township,
        sector="agriculture",
        organiser="区人力资源和社会保障局",
        starts_on=date(2026, 12, 20),
        ends_on=date(2026, 12, 25),
        capacity=30,
    )


@sample(HeritageItem)
def make_heritage_item(place, marker):
    village = place if place.level <= 3 else place.parent
    return culture.do_save_heritage_item(
        actor=OPERATOR,
        place=village,
        kind="relic",
        category="building",
        name=marker[:60],
        level="county",
        description="清代砖木结构祠堂，三进两天井。",
        condition="good",
    )


@sample(TouristSite)
def make_site(place, marker):
    village = place if place.level <= 3 else place.parent
    return tourism.do_save_site(
        actor=OPERATOR, place=village, kind="scenic", name=marker[:60], grade="3A", capacity=800
    )


@sample(VisitCount)
def make_visits(place, marker):
    from django.utils import timezone

    return tourism.do_record_visits(
        make_site(place, marker), actor=OPERATOR, day=timezone.localdate(), count=120
    )
