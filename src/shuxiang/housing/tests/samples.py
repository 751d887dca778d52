from datetime import date

from shuxiang.core.actors import OPERATOR
from shuxiang.housing import services
from shuxiang.housing.models import Appraisal, BusinessInspection, House, Renovation
from shuxiang.housing.tests.helpers import DANGER_D, house, photo
from shuxiang.testing import sample


@sample(House)
def make_house(place, marker):
    return house(place, address=marker)


@sample(Appraisal)
def make_appraisal(place, marker):
    return services.do_record_appraisal(
        house(place),
        actor=OPERATOR,
        grade="B",
        appraised_on=date(2026, 3, 1),
        appraiser_name=marker[:50],
        findings=[{"part": "foundation", "level": "none"}, {"part": "load_bearing", "level": "point"}],
    )


@sample(Renovation)
def make_renovation(place, marker):
    h = house(place, key_group="dibao", address=marker)
    services.do_record_appraisal(
        h,
        actor=OPERATOR,
        grade="D",
        appraised_on=date(2026, 3, 1),
        appraiser_name="样本鉴定人",
        findings=DANGER_D,
        photos=[photo()],
    )
    renovation = h.renovations.get()
    return services.do_update_renovation(renovation, actor=OPERATOR, contractor=marker[:80])


@sample(BusinessInspection)
def make_inspection(place, marker):
    h = house(place, use="business", business_kind="shop", business_name=marker[:60])
    return services.do_record_inspection(
        h,
        actor=OPERATOR,
        inspected_on=date(2026, 3, 2),
        hazards=["business_fire"],
        note=marker,
        photos=[photo()],
    )
