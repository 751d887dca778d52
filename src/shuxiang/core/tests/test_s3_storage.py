"""Uploaded files in an S3-compatible bucket (issue 23): configured by SHUXIANG_S3_* alone, a file uploaded is
an object in the bucket (nothing under MEDIA_ROOT), it reads back through the permission-checked download, and
backup → restore carries it into another installation's empty bucket — or refuses when a different object
sits at its name. The server is moto's standalone S3 server, spoken to over HTTP."""

import json
import tarfile
from pathlib import Path

import pytest
from django.conf import settings

from shuxiang.conf import media_storage
from shuxiang.core import backup
from shuxiang.core.tests import s3
from shuxiang.core.tests.test_backup import (
    COUNT_SCRIPT,
    PDF,
    _counts,
    _small_county_with_everything,
    shuxiang,
)

pytestmark = pytest.mark.django_db(transaction=True)

# Where uploads live does not depend on the database: the PostgreSQL pass keeps one bucket restore drill
# (a new PostgreSQL database migrated from nothing costs minutes), the SQLite pass runs them all.
sqlite_only = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="the same restore path is drilled once on PostgreSQL (bucket to bucket)",
)


@pytest.fixture(scope="module")
def s3_endpoint():
    with s3.s3_server() as endpoint:
        yield endpoint


@pytest.fixture
def bucket(s3_endpoint, settings, monkeypatch, tmp_path):
    """This installation keeps its uploads in a new bucket, set through the environment as in production."""
    name = s3.new_bucket(s3_endpoint)
    for key, value in s3.env(s3_endpoint, name).items():
        monkeypatch.setenv(key, value)
    settings.MEDIA_ROOT = tmp_path / "media-unused"
    settings.STORAGES = {**settings.STORAGES, "default": media_storage()}
    return name


def test_an_upload_is_an_object_in_the_bucket_and_reads_back_through_the_download(
    s3_endpoint, bucket, places, cast, client_for
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from shuxiang.core.actors import OPERATOR
    from shuxiang.core.files import attachments_of, store_attachment
    from shuxiang.core.services import do_create_person

    person = do_create_person(actor=OPERATOR, name="李四", place=places.hamlet_a)
    item = store_attachment(
        SimpleUploadedFile("核实.pdf", PDF, content_type="application/pdf"),
        owner=person,
        place=places.hamlet_a,
        actor=OPERATOR,
        kind="document",
    )
    stored = s3.objects(s3_endpoint, bucket)
    assert stored == {f"media/{item.file.name}": PDF}
    assert not Path(settings.MEDIA_ROOT).exists()  # nothing written to the local disk

    answer = client_for(cast.admin).get(f"/attachments/{item.pk}")
    assert answer.status_code == 200 and b"".join(answer.streaming_content) == PDF
    assert attachments_of(person).get().file.read() == PDF


def test_backup_takes_the_bucket_and_restore_fills_another_installations_empty_bucket(
    tmp_path, s3_endpoint, bucket, fresh_target
):
    _small_county_with_everything()
    uploaded = s3.objects(s3_endpoint, bucket)
    assert list(uploaded.values()) == [PDF]
    before = _counts()
    summary = backup.create_backup(tmp_path / "backups")
    with tarfile.open(summary.path) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        media = [m for m in manifest["members"] if m["name"].startswith("media/")]
        assert [tar.extractfile(m["name"]).read() for m in media] == [PDF]
    assert manifest["media_storage"] == "S3Storage" and summary.files == 1

    other = s3.new_bucket(s3_endpoint)
    target = {**fresh_target, **s3.env(s3_endpoint, other)}
    restored = shuxiang(target, "restore", str(summary.path))
    assert "恢复完成" in restored.stdout
    assert s3.objects(s3_endpoint, other) == uploaded  # the same object under the same name
    assert not Path(target["SHUXIANG_MEDIA_ROOT"]).exists()
    after = json.loads(shuxiang(target, "shell", "-c", COUNT_SCRIPT).stdout.strip().splitlines()[-1])
    after["core.AuditEntry"] -= 1  # the restore itself is audited
    assert after == before


@sqlite_only
def test_a_different_object_in_the_way_stops_the_restore_before_anything_is_written(
    tmp_path, s3_endpoint, bucket, fresh_target
):
    _small_county_with_everything()
    archive = backup.create_backup(tmp_path / "b").path
    key = next(iter(s3.objects(s3_endpoint, bucket)))
    other = s3.new_bucket(s3_endpoint)
    s3.client(s3_endpoint).put_object(Bucket=other, Key=key, Body="另一个文件".encode())
    target = {**fresh_target, **s3.env(s3_endpoint, other)}
    refused = shuxiang(target, "restore", str(archive), check=False)
    assert refused.returncode != 0 and "已存在且内容不同" in refused.stderr
    assert s3.objects(s3_endpoint, other) == {key: "另一个文件".encode()}
    tables = shuxiang(target, "shell", "-c", COUNT_SCRIPT, check=False)
    assert tables.returncode != 0 or not any(json.loads(tables.stdout.strip().splitlines()[-1]).values())


@sqlite_only
def test_an_archive_of_a_shared_folder_restores_into_a_bucket(tmp_path, s3_endpoint, fresh_target, settings):
    """Moving an installation from a shared upload folder to object storage is a backup and a restore."""
    settings.MEDIA_ROOT = tmp_path / "media"  # this installation's own folder (not other tests' uploads)
    _small_county_with_everything()  # uploads in MEDIA_ROOT, as before this change
    archive = backup.create_backup(tmp_path / "b").path
    other = s3.new_bucket(s3_endpoint)
    target = {**fresh_target, **s3.env(s3_endpoint, other)}
    assert "恢复完成" in shuxiang(target, "restore", str(archive)).stdout
    assert list(s3.objects(s3_endpoint, other).values()) == [PDF]
