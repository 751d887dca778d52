import shutil

import pytest

from shuxiang.warnings.speech import speech_of
from shuxiang.warnings.tests.helpers import issue

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed"),
]


def test_issued_warning_is_read_out_as_audio_listed_in_its_cap_and_page(
    officers, places, settings, api_for, client_for, anon_api, django_capture_on_commit_callbacks
):
    settings.WARNINGS_SPEECH = True
    warning = issue(officers, [places.village_a.code], django_capture_on_commit_callbacks, colour="yellow")
    audio = speech_of(warning)
    assert audio is not None and audio.content_type == "audio/wav" and audio.is_public
    assert audio.file.open("rb").read(4) == b"RIFF"
    assert audio.size > 10_000  # seconds of speech, not an empty file
    cap = anon_api.get(f"/api/v1/warnings/{warning.pk}.cap").content.decode()
    assert f"/attachments/{audio.pk}</uri>" in cap and "<mimeType>audio/wav</mimeType>" in cap
    page = client_for(officers.weather).get(f"/warnings/{warning.pk}/").content.decode()
    assert f'src="/attachments/{audio.pk}"' in page
    assert anon_api.get(f"/attachments/{audio.pk}")["Content-Type"] == "audio/wav"
