"""Backup and restore (issue 23): one archive; the restore drill (demo → backup → restore into a fresh database →
the same rows and a ledger that verifies), and every refusal: a non-empty target, a damaged archive, a newer
schema, a different uploaded file in the way, a backup killed half-way."""

import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command

from shuxiang.core import backup

pytestmark = pytest.mark.django_db(transaction=True)

COUNT_SCRIPT = """
import json, django
django.setup()
from django.apps import apps
print(json.dumps({m._meta.label: m._base_manager.count() for m in apps.get_models() if m._meta.managed}))
"""


def _counts():
    return {m._meta.label: m._base_manager.count() for m in apps.get_models() if m._meta.managed}


def shuxiang(env, *args, check=True):
    return subprocess.run(
        [sys.executable, "-m", "shuxiang.cli", *args], env=env, capture_output=True, text=True, check=check
    )


PDF = "%PDF-1.4\n% 入户核实记录\n%%EOF\n".encode()


def _small_county_with_everything():
    """Places, a person with encrypted identifiers, an uploaded file, ledger entries and a checkpoint."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from shuxiang import testing
    from shuxiang.core.actors import OPERATOR, Actor
    from shuxiang.core.files import store_attachment
    from shuxiang.core.pii import id_check_char
    from shuxiang.core.services import do_create_person
    from shuxiang.ledger import services as ledger

    places = testing.build_places()
    testing.build_cast(places)
    person = do_create_person(
        actor=OPERATOR,
        name="张三",
        id_number="43090319900101123" + id_check_char("43090319900101123"),
        phone="13800000000",
        place=places.hamlet_a,
    )
    store_attachment(
        SimpleUploadedFile("note.pdf", PDF, content_type="application/pdf"),
        owner=person,
        place=places.hamlet_a,
        actor=OPERATOR,
        kind="document",
    )
    for n in range(5):
        ledger.append("drill", {"n": n, "what": "入库"}, actor=Actor.system("tasks"), key=f"k{n}")
    ledger.checkpoint(actor=Actor.system("tasks"))
    return places


def test_restore_drill_the_restored_database_has_the_same_rows_and_its_ledger_verifies(
    tmp_path, fresh_target
):
    _small_county_with_everything()
    before = _counts()
    summary = backup.create_backup(tmp_path / "backups")
    assert summary.path.name.endswith(".tar") and summary.files >= 1
    assert list((tmp_path / "backups").iterdir()) == [summary.path]  # one file, nothing partial beside it
    with tarfile.open(summary.path) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
    assert names[0] == "manifest.json" and any(n.startswith("media/") for n in names)
    assert manifest["schema"]["core"] == backup.applied_schema()["core"]
    assert not any("key" in n for n in names)  # never the keys

    restored = shuxiang(fresh_target, "restore", str(summary.path))
    assert "恢复完成" in restored.stdout
    # an archive of this version needs no migration (restore skips `migrate` then) and none is left unapplied
    plan = shuxiang(fresh_target, "showmigrations", "--plan").stdout
    assert "[X]" in plan and "[ ]" not in plan
    after = json.loads(shuxiang(fresh_target, "shell", "-c", COUNT_SCRIPT).stdout.strip().splitlines()[-1])
    after["core.AuditEntry"] -= 1  # the restore itself is audited in the restored database
    assert after == before
    verified = shuxiang(fresh_target, "ledger", "verify", check=False)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    media = Path(fresh_target["SHUXIANG_MEDIA_ROOT"])
    assert PDF in [p.read_bytes() for p in media.rglob("*.pdf")]

    again = shuxiang(fresh_target, "restore", str(summary.path), check=False)
    assert again.returncode != 0 and "目标数据库不是空的" in again.stderr


def _rewrite(archive: Path, out: Path, *, manifest_change=None, member_change=None):
    with tarfile.open(archive) as src, tarfile.open(out, "w") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name == "manifest.json" and manifest_change:
                body = json.loads(data)
                manifest_change(body)
                data = json.dumps(body).encode()
            elif member_change and member.name.startswith(member_change[0]):
                data = member_change[1](data)
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))


def test_a_damaged_or_newer_archive_is_refused_before_anything_is_written(tmp_path, fresh_target):
    _small_county_with_everything()
    archive = backup.create_backup(tmp_path / "b").path

    flipped = tmp_path / "flipped.tar"
    _rewrite(archive, flipped, member_change=("media/", lambda d: d[:-1] + b"!"))
    refused = shuxiang(fresh_target, "restore", str(flipped), check=False)
    assert (
        refused.returncode != 0
        and "校验和不符" in refused.stderr
        and "(checksum)" in refused.stderr.replace("（", "(").replace("）", ")")
    )

    newer = tmp_path / "newer.tar"
    _rewrite(archive, newer, manifest_change=lambda m: m["schema"].update(core="9999_from_the_future"))
    refused = shuxiang(fresh_target, "restore", str(newer), check=False)
    assert refused.returncode != 0 and "更新的版本" in refused.stderr

    garbage = tmp_path / "garbage.tar"
    garbage.write_bytes(b"not a tar file at all")
    refused = shuxiang(fresh_target, "restore", str(garbage), check=False)
    assert refused.returncode != 0 and "无法读取" in refused.stderr

    # nothing was written by any refusal: a real restore still finds an empty database
    assert "恢复完成" in shuxiang(fresh_target, "restore", str(archive)).stdout


def test_a_different_uploaded_file_in_the_way_stops_the_restore(tmp_path, fresh_target):
    _small_county_with_everything()
    archive = backup.create_backup(tmp_path / "b").path
    with tarfile.open(archive) as tar:
        name = next(n for n in tar.getnames() if n.startswith("media/"))
    clash = Path(fresh_target["SHUXIANG_MEDIA_ROOT"]) / name[len("media/") :]
    clash.parent.mkdir(parents=True)
    clash.write_text("另一个文件")
    refused = shuxiang(fresh_target, "restore", str(archive), check=False)
    assert refused.returncode != 0 and "已存在且内容不同" in refused.stderr
    clash.write_bytes(Path(settings.MEDIA_ROOT, name[len("media/") :]).read_bytes())  # the same file is fine
    assert "恢复完成" in shuxiang(fresh_target, "restore", str(archive)).stdout


def test_a_backup_killed_half_way_leaves_no_archive_named_as_complete(tmp_path, monkeypatch):
    _small_county_with_everything()

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # what a SIGINT/SIGTERM does to the command half-way through the archive

    monkeypatch.setattr(tarfile.TarFile, "add", killed)
    with pytest.raises(KeyboardInterrupt):
        backup.create_backup(tmp_path / "b")
    assert list((tmp_path / "b").iterdir()) == []


def test_rotation_keeps_the_newest_archives_and_drops_leftovers(tmp_path):
    for stamp in ("20261201-020000", "20261202-020000", "20261203-020000"):
        (tmp_path / f"shuxiang-{stamp}.tar").write_bytes(b"x")
    (tmp_path / "shuxiang-20261204-020000.tar.partial").write_bytes(b"x")
    backup.rotate(tmp_path, keep=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "shuxiang-20261202-020000.tar",
        "shuxiang-20261203-020000.tar",
    ]


def test_the_backup_command_writes_one_file_and_audits_it(tmp_path):
    from shuxiang.core.models import AuditEntry

    out = io.StringIO()
    call_command("backup", "--to", str(tmp_path), stdout=out)
    assert "备份完成" in out.getvalue() and len(list(tmp_path.glob("shuxiang-*.tar"))) == 1
    assert AuditEntry.objects.filter(action="backup", object_type="core.backup").count() == 1
