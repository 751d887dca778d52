"""Accepting uploaded files: size and content checks, EXIF stripping, storage as Attachment.

A photo is judged by its bytes, not its name or declared type, and is
re-encoded before storage so no EXIF block (GPS position, camera serial)
survives into anything we publish.
"""

import hashlib
import io
import warnings

from django.core.files.base import ContentFile
from PIL import Image

from shuxiang.core.actors import as_actor
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import Attachment

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
PHOTO_FORMATS = {
    "JPEG": (".jpg", "image/jpeg"),
    "PNG": (".png", "image/png"),
    "WEBP": (".webp", "image/webp"),
}
DOCUMENT_SIGNATURES = {b"%PDF-": (".pdf", "application/pdf")}
# A phone photo is 12–50 MP at most; a small file that decodes to more is a decompression bomb
# (a 48 KB PNG of 20000×20000 pixels would need over a gigabyte). Pillow refuses past twice its
# limit and warns past it; we refuse past it, before decoding.
MAX_PHOTO_PIXELS = 40_000_000
Image.MAX_IMAGE_PIXELS = MAX_PHOTO_PIXELS
# What survives re-encoding from the original's metadata: only what draws the picture. Comments
# (JPEG COM), EXIF, XMP, ICC profiles and PNG text chunks are dropped; Pillow would otherwise
# copy a JPEG comment and a PNG's ICC profile from the original into the new file.
KEEP_INFO = ("transparency",)


def _read(upload) -> bytes:
    if hasattr(upload, "read"):
        if hasattr(upload, "seek"):
            upload.seek(0)
        return upload.read()
    return bytes(upload)


def clean_photo(data: bytes, name: str = "photo") -> tuple[bytes, str, str]:
    """(re-encoded bytes without metadata, extension, content type) or a ServiceError in Chinese.

    The pixel count is read from the header and refused before anything is decoded; the picture
    is then re-encoded from its pixels alone, so no metadata segment of the upload survives.
    """
    from PIL import UnidentifiedImageError

    if len(data) > MAX_PHOTO_BYTES:
        raise ServiceError(
            "file_too_large", f"照片“{name}”超过10MB，请压缩后再上传", {"photos": ["单张照片不能超过10MB"]}
        )
    megapixels = f"{MAX_PHOTO_PIXELS // 10_000}万像素"
    too_large = ServiceError(
        "image_too_large",
        f"图片“{name}”尺寸过大（最多{megapixels}），请缩小后再上传",
        {"photos": [f"图片不能超过{megapixels}"]},
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:  # reads the header only
                width, height = probe.size
                if width * height > MAX_PHOTO_PIXELS:
                    raise too_large
                probe.verify()
            image = Image.open(io.BytesIO(data))
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise too_large from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ServiceError(
            "not_an_image", f"“{name}”不是有效的图片文件", {"photos": ["只能上传 JPEG、PNG 或 WebP 图片"]}
        ) from exc
    if image.format not in PHOTO_FORMATS:
        raise ServiceError(
            "not_an_image", f"“{name}”的格式不受支持", {"photos": ["只能上传 JPEG、PNG 或 WebP 图片"]}
        )
    extension, content_type = PHOTO_FORMATS[image.format]
    from PIL import ImageOps

    image = ImageOps.exif_transpose(image)  # keep the orientation the phone meant, then drop EXIF
    image.info = {k: v for k, v in image.info.items() if k in KEEP_INFO}
    out = io.BytesIO()
    if image.format == "JPEG" or extension == ".jpg":
        image.convert("RGB").save(out, format="JPEG", quality=85, optimize=True)
    elif extension == ".png":
        image.save(out, format="PNG", optimize=True)
    else:
        image.save(out, format="WEBP", quality=85)
    return out.getvalue(), extension, content_type


def clean_document(data: bytes, name: str = "file") -> tuple[bytes, str, str]:
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ServiceError("file_too_large", f"文件“{name}”超过20MB", {"files": ["单个文件不能超过20MB"]})
    for signature, (extension, content_type) in DOCUMENT_SIGNATURES.items():
        if data.startswith(signature):
            return data, extension, content_type
    try:
        return clean_photo(data, name)
    except ServiceError:
        raise ServiceError(
            "bad_file_type", f"“{name}”不是 PDF 或图片", {"files": ["只能上传 PDF 或图片"]}
        ) from None


def store_attachment(upload, *, owner, place, actor, kind="photo", is_public=False, name=None) -> Attachment:
    """Validate and store one file for `owner` (any model instance). Call inside the owner's service."""
    data = _read(upload)
    name = name or getattr(upload, "name", "upload")
    data, extension, content_type = clean_photo(data, name) if kind == "photo" else clean_document(data, name)
    sha = hashlib.sha256(data).hexdigest()
    attachment = Attachment(
        owner_type=owner._meta.label_lower,
        owner_id=str(owner.pk),
        place=place,
        original_name=str(name)[:200],
        content_type=content_type,
        size=len(data),
        sha256=sha,
        extension=extension,
        is_public=is_public,
        uploaded_by=as_actor(actor).human,  # the person behind it, if any (machines upload as no one)
    )
    attachment.file.save(f"{sha}{extension}", ContentFile(data), save=False)
    attachment.save()
    return attachment


def attachments_of(owner):
    return Attachment.objects.filter(owner_type=owner._meta.label_lower, owner_id=str(owner.pk))
