import pytest

from shuxiang.core import services as core_services
from shuxiang.core.actors import OPERATOR
from shuxiang.core.choices import Role, UnitKind
from shuxiang.testing import PASSWORD
from shuxiang.warnings.tests.receivers import Gateways


@pytest.fixture(autouse=True)
def fast_retries(settings, tmp_path):
    """Retries within milliseconds and no speech rendering unless a test asks for it."""
    settings.WARNINGS_RETRY_DELAYS = [0.01, 0.02]
    settings.WARNINGS_HTTP_TIMEOUT = 2
    settings.WARNINGS_SPEECH = False
    settings.WARNINGS_DROP_ROOT = str(tmp_path / "drop")
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return settings


@pytest.fixture
def gateways():
    with Gateways() as g:
        yield g


@pytest.fixture
def officers(cast, places):
    """The weather forecaster and the emergency duty officer: department users whose units
    are responsible for warnings (domains include "warnings")."""
    weather_unit = core_services.do_create_unit(
        actor=OPERATOR,
        name="区气象局",
        short_name="区气象局",
        kind=UnitKind.BUREAU,
        place=places.district,
        domains=["warnings"],
    )
    emergency_unit = core_services.do_create_unit(
        actor=OPERATOR,
        name="区应急管理局",
        short_name="区应急局",
        kind=UnitKind.BUREAU,
        place=places.district,
        domains=["warnings"],
    )

    def user(name, unit):
        return core_services.do_create_user(
            actor=OPERATOR,
            username=name,
            role=Role.DEPARTMENT,
            place=places.district,
            unit=unit,
            password=PASSWORD,
        )

    class Officers:
        weather = user("t_weather", weather_unit)
        emergency = user("t_emergency", emergency_unit)

    return Officers
