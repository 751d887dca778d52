"""Culture and heritage: intangible-heritage items and relics, their media (served by us), relic
inspections — damage opens a case in the case engine's 文物损毁 category."""

import hashlib

from django.apps import apps
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from shuxiang.core import audit
from shuxiang.core.actors import as_actor
from shuxiang.core.errors import ServiceError
from shuxiang.core.files import clean_photo
from shuxiang.core.models import Attachment, Place
from shuxiang.core.permissions import require
from shuxiang.villager.choices import (
    RELIC_CATEGORIES,
    Condition,
    HeritageCategory,
    HeritageKind,
    HeritageLevel,
    MediaKind,
)
from shuxiang.villager.models import HeritageItem, Inspection

MAX_AUDIO_BYTES = 20 * 1024 * 1024
MAX_VIDEO_BYTES = 100 * 1024 * 1024
DAMAGE_CATEGORY = "heritage-damage"
CASE_CATEGORIES = {
    DAMAGE_CATEGORY: {
        "name": "文物损毁",
        "description": "文物巡查发现损毁或群众反映文物受损：到场核查、保护处置并反馈",
        "group": "文化",
        "case_type": "complaint",
        "is_public": True,
        "deadline_amount": 5,
        "deadline_unit": "calendar_days",
        "accept_hours": 24,
        "order": 120,
    },
}


def sniff_media(data: bytes) -> tuple[str, str, str] | None:
    """(media kind, extension, content type) judged by the bytes, or None. Only what phones and the
    county's archive hold: MP3, M4A, WAV, OGG audio; MP4, MOV, WebM video."""
    head = data[:16]
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return MediaKind.AUDIO, ".mp3", "audio/mpeg"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return MediaKind.AUDIO, ".wav", "audio/wav"
    if head.startswith(b"OggS"):
        return MediaKind.AUDIO, ".ogg", "audio/ogg"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"M4A ", b"M4B "):
            return MediaKind.AUDIO, ".m4a", "audio/mp4"
        if brand == b"qt  ":
            return MediaKind.VIDEO, ".mov", "video/quicktime"
        return MediaKind.VIDEO, ".mp4", "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return MediaKind.VIDEO, ".webm", "video/webm"
    return None


def clean_media(data: bytes, name: str) -> tuple[bytes, str, str, str]:
    """(bytes, extension, content type, media kind): a real image (re-encoded without EXIF), audio
    or video, within its size limit; anything else is refused in Chinese."""
    sniffed = sniff_media(data)
    if sniffed is None:
        try:
            data, extension, content_type = clean_photo(data, name)
        except ServiceError as exc:
            if exc.code != "not_an_image":
                raise
            raise ServiceError(
                "bad_file_type", f"“{name}”不是图片、音频或视频", {"files": ["只能上传图片、音频或视频"]}
            ) from None
        return data, extension, content_type, MediaKind.IMAGE
    kind, extension, content_type = sniffed
    limit = MAX_AUDIO_BYTES if kind == MediaKind.AUDIO else MAX_VIDEO_BYTES
    if len(data) > limit:
        raise ServiceError(
            "file_too_large",
            f"“{name}”超过{limit // 1024 // 1024}MB",
            {"files": [f"{MediaKind(kind).label}不能超过{limit // 1024 // 1024}MB"]},
        )
    if len(data) < 64:
        raise ServiceError("bad_file_type", f"“{name}”不是完整的音视频文件", {"files": ["文件内容不完整"]})
    return data, extension, content_type, kind


def _validate(values, errors):
    if values.get("kind") not in HeritageKind.values:
        errors["kind"] = ["类别应为非物质文化遗产或文物"]
    elif values.get("category") not in HeritageCategory.values or (
        (values["category"] in RELIC_CATEGORIES) != (values["kind"] == HeritageKind.RELIC)
    ):
        errors["category"] = ["门类与类别不符"]
    if values.get("level", "none") not in HeritageLevel.values:
        errors["level"] = ["级别无效"]
    if values.get("condition") and values["condition"] not in Condition.values:
        errors["condition"] = ["保存状况无效"]
    if not str(values.get("name") or "").strip():
        errors["name"] = ["名称必填"]
    if len(str(values.get("description") or "").strip()) < 10:
        errors["description"] = ["简介至少10个字"]


@transaction.atomic
def do_save_heritage_item(*, actor, place: Place, item=None, **values) -> HeritageItem:
    """Register an item (or change `item`)."""
    if item is None:
        require(actor, "villager.heritageitem.add", place)
    else:
        require(actor, "villager.heritageitem.change", item)
        require(actor, "villager.heritageitem.change", place)
    errors: dict[str, list[str]] = {}
    _validate(values, errors)
    if place is None or place.level < 2:
        errors["place"] = ["请选择乡镇或村"]
    name = str(values.get("name") or "").strip()
    duplicate = HeritageItem.objects.filter(place=place, name=name)
    if item is not None:
        duplicate = duplicate.exclude(pk=item.pk)
    if name and place is not None and duplicate.exists():
        errors["name"] = ["该地已登记同名项目"]
    if errors:
        raise ServiceError("invalid", "非遗与文物信息有误", errors)
    values["name"] = name
    if item is None:
        item = HeritageItem.objects.create(place=place, created_at=timezone.now(), **values)
        audit.record_create(actor, item)
        return item
    before = audit.snapshot(item)
    for key, value in values.items():
        setattr(item, key, value)
    item.place = place
    item.save()
    Attachment.objects.filter(owner_type="villager.heritageitem", owner_id=str(item.pk)).update(
        is_public=item.is_published
    )
    audit.record_update(actor, item, before)
    return item


@transaction.atomic
def do_add_media(item: HeritageItem, *, actor, upload, name=None) -> Attachment:
    """Attach an image, audio or video to an item (public with the item): content-checked, size-limited."""
    require(actor, "villager.heritageitem.change", item)
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read() if hasattr(upload, "read") else bytes(upload)
    name = str(name or getattr(upload, "name", "media"))[:200]
    data, extension, content_type, _kind = clean_media(data, name)
    sha = hashlib.sha256(data).hexdigest()
    attachment = Attachment(
        owner_type="villager.heritageitem",
        owner_id=str(item.pk),
        place=item.place,
        original_name=name,
        content_type=content_type,
        size=len(data),
        sha256=sha,
        extension=extension,
        is_public=item.is_published,
        uploaded_by=as_actor(actor).human,
    )
    attachment.file.save(f"{sha}{extension}", ContentFile(data), save=False)
    attachment.save()
    audit.record(actor, "update", item, changes={"media": [None, f"{content_type} {len(data)}B"]})
    return attachment


def media_of(item):
    return Attachment.objects.filter(owner_type="villager.heritageitem", owner_id=str(item.pk)).order_by("pk")


def media_kind(attachment) -> str:
    return attachment.content_type.split("/")[0]


def is_digitised(item_id_qs):
    """Items with at least one media file (the plan's 数字化 count)."""
    ids = Attachment.objects.filter(owner_type="villager.heritageitem").values_list("owner_id", flat=True)
    return item_id_qs.filter(pk__in=[int(i) for i in set(ids)])


@transaction.atomic
def do_record_inspection(
    item: HeritageItem, *, actor, inspected_on, condition, note="", photos=()
) -> Inspection:
    """A relic's inspection. Poor or damaged condition opens a 文物损毁 case at the relic's place
    (routed by the case engine's table, e.g. to the culture bureau) with the photos."""
    require(actor, "villager.inspection.add", item)
    errors = {}
    if item.kind != HeritageKind.RELIC:
        errors["item"] = ["只有文物需要巡查"]
    if condition not in Condition.values:
        errors["condition"] = ["请选择保存状况"]
    if inspected_on is None or inspected_on > timezone.localdate():
        errors["inspected_on"] = ["巡查日期不能晚于今天"]
    if condition in (Condition.POOR, Condition.DAMAGED) and len(str(note or "").strip()) < 4:
        errors["note"] = ["请说明损坏情况"]
    if errors:
        raise ServiceError("invalid", "巡查信息有误", errors)
    inspection = Inspection.objects.create(
        item=item,
        inspected_on=inspected_on,
        condition=condition,
        note=str(note or "").strip()[:500],
        inspector=as_actor(actor).human,
    )
    audit.record_create(actor, inspection)
    before = audit.snapshot(item)
    item.condition, item.inspected_on = condition, inspected_on
    item.save(update_fields=["condition", "inspected_on"])
    audit.record_update(actor, item, before)
    if condition in (Condition.POOR, Condition.DAMAGED) and apps.is_installed("shuxiang.cases"):
        from shuxiang.cases.services import do_open_case

        case = do_open_case(
            actor=actor,
            category=DAMAGE_CATEGORY,
            title=f"{item.name}{Condition(condition).label}",
            description=f"文物巡查（{inspected_on:%Y-%m-%d}）：{item.name}保存状况{Condition(condition).label}。{inspection.note}",
            place=item.place,
            latitude=item.latitude,
            longitude=item.longitude,
            photos=photos,
            source_ref=f"heritage:{item.pk}",
            is_public=False,
        )
        inspection.case_number = case.tracking_number
        inspection.save(update_fields=["case_number"])
    return inspection


def ensure_case_categories(sender=None, using="default", **kwargs):
    """The case categories this app opens cases in exist after every migrate; admins' edits stay."""
    if not apps.is_installed("shuxiang.cases"):
        return
    from shuxiang.cases.models import CaseCategory
    from shuxiang.villager import health, tourism

    for code, defaults in {**CASE_CATEGORIES, **tourism.CASE_CATEGORIES, **health.CASE_CATEGORIES}.items():
        CaseCategory.objects.using(using).get_or_create(code=code, defaults=defaults)
