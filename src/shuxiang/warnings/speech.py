"""Loudspeaker text to speech with the local espeak-ng (Mandarin voice), when installed.
Nothing is sent anywhere: the audio is made on this machine and kept as an attachment."""

import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import transaction

from shuxiang.core import audit
from shuxiang.core.files import attachments_of
from shuxiang.core.models import Attachment
from shuxiang.core.permissions import require
from shuxiang.warnings import conf


def engine() -> str | None:
    if not conf.speech_enabled():
        return None
    return shutil.which("espeak-ng")


def synthesize(text: str) -> bytes | None:
    exe = engine()
    if exe is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "speech.wav"
        subprocess.run(
            [exe, "-v", "cmn", "-s", "150", "-w", str(out), "--stdin"],
            input=text.encode("utf-8"),
            check=True,
            capture_output=True,
            timeout=120,
        )
        return out.read_bytes()


def speech_of(warning) -> Attachment | None:
    return attachments_of(warning).filter(content_type="audio/wav").first()


@transaction.atomic
def do_attach_speech(warning, *, actor) -> Attachment | None:
    """Render the loudspeaker text once per warning; public, like the warning it reads out.

    The dispatch task does it as `Actor.system("warnings")`. core.files.store_attachment accepts
    photos and documents only, so the audio is stored here with the same fields (content hash
    name, owner, place)."""
    require(actor, "warnings.warning.change", warning)
    existing = speech_of(warning)
    if existing is not None:
        return existing
    data = synthesize(warning.loudspeaker_text)
    if not data:
        return None
    sha = hashlib.sha256(data).hexdigest()
    attachment = Attachment(
        owner_type=warning._meta.label_lower,
        owner_id=str(warning.pk),
        place=warning.place,
        original_name=f"{warning.identifier or warning.pk}.wav",
        content_type="audio/wav",
        size=len(data),
        sha256=sha,
        extension=".wav",
        is_public=True,
    )
    attachment.file.save(f"{sha}.wav", ContentFile(data), save=False)
    attachment.save()
    audit.record(actor, "create", attachment, changes={"speech": [None, attachment.original_name]})
    return attachment
