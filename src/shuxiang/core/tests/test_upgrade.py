"""`shuxiang upgrade` from the last release (issue 23): a database made by v0.1.0's code (committed fixture,
made with the tag's own migrations and services) is backed up, migrated forward and keeps its data; a
database migrated by another branch is refused before anything changes."""

import gzip
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURE = Path(__file__).parent / "fixtures" / "v0.1.0.sqlite3.gz"
# The keys the fixture was made with (test values, never a real installation's).
KEYS = {"SHUXIANG_FIELD_KEY": "f" * 43, "SHUXIANG_SECRET_KEY": "s" * 50}

READ_BACK = """
import django
django.setup()
from shuxiang.core.models import Person
from shuxiang.cases.models import Case
p = Person.objects.get(name="升级前村民")
print(p.id_number, p.phone, Case.objects.get(title="升级前的事件").state)
"""


@pytest.fixture
def release_database(tmp_path):
    db = tmp_path / "shuxiang.sqlite3"
    with gzip.open(FIXTURE) as src, open(db, "wb") as dst:
        shutil.copyfileobj(src, dst)
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SHUXIANG_", "DATABASE_URL", "REDIS_URL"))
    }
    env.update(KEYS, SHUXIANG_VAR_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{db}", SHUXIANG_TESTING="true")
    return db, env


def _dump(db) -> list[str]:
    with sqlite3.connect(db) as conn:
        return list(conn.iterdump())


def run(env, *args, check=True):
    return subprocess.run(
        [sys.executable, "-m", "shuxiang.cli", *args], env=env, capture_output=True, text=True, check=check
    )


def test_upgrading_a_v0_1_0_database_backs_up_migrates_and_keeps_the_data(release_database, tmp_path):
    db, env = release_database
    out = run(env, "upgrade", "--backup-to", str(tmp_path / "backups")).stdout
    assert "已备份" in out and "core.0008_operations" in out and "升级完成" in out
    assert len(list((tmp_path / "backups").glob("shuxiang-*.tar"))) == 1
    code = f"{'43090319700101001'}"
    read = run(env, "shell", "-c", READ_BACK).stdout.strip().splitlines()[-1].split()
    assert read[0].startswith(code) and read[1] == "13900000001" and read[2] == "submitted"
    again = run(env, "upgrade").stdout
    assert "数据库已是最新" in again


def test_a_database_migrated_by_another_branch_is_refused_untouched(release_database):
    db, env = release_database
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO django_migrations (app, name, applied) VALUES ('core', '0099_from_a_branch', '2026-12-01')"
        )
    before = _dump(db)
    refused = run(env, "upgrade", check=False)
    assert refused.returncode != 0 and "core.0099_from_a_branch" in refused.stderr
    assert "未做任何改动" in refused.stderr
    assert _dump(db) == before
