from datetime import date

from shuxiang.core.actors import OPERATOR
from shuxiang.testing import sample
from shuxiang.water import services
from shuxiang.water.models import PumpStation, Reservoir

_n = [0]


def _next():
    _n[0] += 1
    return _n[0]


@sample(Reservoir)
def make_reservoir(place, marker):
    return services.do_create_reservoir(
        actor=OPERATOR,
        code=f"SAMPLE-SK{_next():04d}",
        place=place,
        name=marker,
        scale="small2",
        dam_type="earth",
        capacity=45.0,
        normal_level=62.0,
        flood_limit_level=61.5,
        crest_elevation=64.0,
    )


@sample(PumpStation)
def make_pump_station(place, marker):
    return services.do_create_pump_station(
        actor=OPERATOR,
        code=f"SAMPLE-BZ{_next():04d}",
        place=place,
        name=marker,
        pump_count=2,
        rated_power_kw=110,
        rated_current_a=200,
        installed_year=2008,
        last_maintenance_on=date(2026, 3, 1),
    )
