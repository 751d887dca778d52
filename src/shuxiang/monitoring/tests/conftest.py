import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shuxiang.core import services as core_services
from shuxiang.core.actors import OPERATOR
from shuxiang.core.choices import Role, UnitKind
from shuxiang.monitoring import services
from shuxiang.testing import PASSWORD


def png(name="photo.png"):
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


@pytest.fixture
def bureau(places):
    """区乡村振兴局: the district unit responsible for monitoring (Unit.domains)."""
    return core_services.do_create_unit(
        actor=OPERATOR,
        name="区乡村振兴局",
        kind=UnitKind.BUREAU,
        place=places.district,
        domains=["monitoring"],
    )


@pytest.fixture
def rural(places, bureau):
    """A department user whose unit is responsible for monitoring."""
    return core_services.do_create_user(
        actor=OPERATOR,
        username="t_rural",
        role=Role.DEPARTMENT,
        place=places.district,
        unit=bureau,
        password=PASSWORD,
        display_name="乡村振兴局",
    )


@pytest.fixture
def threshold(db):
    from django.utils import timezone

    year = timezone.localdate().year
    for y in (year - 2, year - 1, year):
        services.do_set_threshold(
            actor=OPERATOR, province="43", province_name="湖南省", year=y, amount="7000"
        )
