"""Test helpers: valid ID numbers, small photos, houses and appraisals in one line."""

import io
import itertools
import os

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from shuxiang.core import pii
from shuxiang.core.actors import OPERATOR
from shuxiang.housing import services

_seq = itertools.count(1)


def id_number(n: int | None = None) -> str:
    """A valid 18-digit ID number of Heshan (430903), unique per call unless `n` is given."""
    n = next(_seq) + (os.getpid() % 500) if n is None else n
    first17 = f"43090319{70 + n % 30:02d}0101{n % 1000:03d}"
    return first17 + pii.id_check_char(first17)


def photo(name="photo.jpg", colour=(180, 90, 40)) -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(buf, format="JPEG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


SAFE = [{"part": "foundation", "level": "none"}, {"part": "load_bearing", "level": "none"}]
DANGER_D = [
    {"part": "foundation", "level": "local", "note": "不均匀沉降"},
    {"part": "load_bearing", "level": "whole", "note": "承重墙贯通裂缝"},
]
DANGER_C = [
    {"part": "foundation", "level": "none"},
    {"part": "load_bearing", "level": "local", "note": "西山墙开裂"},
]


def house(place, *, actor=OPERATOR, **fields):
    defaults = {"structure": "brick_wood", "floors": 2, "year_built": 1992, "address": "样本门牌"}
    defaults.update(fields)
    return services.do_register_house(actor=actor, place=place, **defaults)


def appraise(house, grade, *, actor=OPERATOR, findings=None, photos=None, on=None, **extra):
    findings = (
        findings
        if findings is not None
        else (SAFE if grade in "AB" else (DANGER_D if grade == "D" else DANGER_C))
    )
    photos = photos if photos is not None else ([photo()] if grade in "CD" else [])
    return services.do_record_appraisal(
        house,
        actor=actor,
        grade=grade,
        appraised_on=on or timezone.localdate(),
        appraiser_name=extra.pop("appraiser_name", "王工"),
        findings=findings,
        photos=photos,
        **extra,
    )
