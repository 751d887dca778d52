import io

import pytest
from PIL import Image

from shuxiang.cases import reference, services
from shuxiang.cases.choices import DeadlineUnit
from shuxiang.core.actors import OPERATOR


@pytest.fixture(autouse=True)
def fresh_cache():
    """The public map keeps answers for a minute per process; each test starts without them."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def categories(db):
    """The resident categories the tests use: rubbish (3 calendar days), roads (16 working hours), food (sensitive)."""
    return {
        "rubbish": reference.do_save_category(
            actor=OPERATOR,
            code="rubbish",
            name="垃圾堆放",
            deadline_amount=3,
            accept_hours=4,
            group="人居环境",
        ),
        "road": reference.do_save_category(
            actor=OPERATOR,
            code="road",
            name="道路破损",
            deadline_amount=16,
            deadline_unit=DeadlineUnit.WORK_HOURS,
            accept_hours=8,
        ),
        "food": reference.do_save_category(
            actor=OPERATOR, code="food", name="食品安全（12315）", is_sensitive=True, deadline_amount=7
        ),
    }


def jpeg_bytes(size=(64, 48), color=(200, 30, 30), exif_gps=False) -> bytes:
    image = Image.new("RGB", size, color)
    out = io.BytesIO()
    if exif_gps:
        exif = Image.Exif()
        exif[0x8825] = {1: "N", 2: (28.0, 28.0, 0.0), 3: "E", 4: (112.0, 36.0, 0.0)}
        exif[0x010F] = "TestCam"
        image.save(out, format="JPEG", exif=exif)
    else:
        image.save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def photo():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("现场.jpg", jpeg_bytes(exif_gps=True), content_type="image/jpeg")


@pytest.fixture
def open_case(places, cast, categories):
    """A rubbish complaint from a resident in 泉交河镇's hamlet, routed to the township government."""

    def make(**kwargs):
        values = {
            "actor": services.PUBLIC_ACTOR,
            "category": "rubbish",
            "place": places.hamlet_a.code,
            "description": "村口垃圾堆放三天无人清理",
            "reporter_name": "李女士",
            "phone": "13800138000",
        }
        values.update(kwargs)
        return services.do_open_case(**values)

    return make
