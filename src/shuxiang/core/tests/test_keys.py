"""Rotating the field-encryption key (issue 23): new key first, `shuxiang keys rotate` re-encrypts in batches,
a run killed in the middle of a batch is resumed by running it again, lookups by ID number keep working, and
at the end the old key can go."""

import io

import pytest
from django.core.management import call_command
from django.test import override_settings

from shuxiang import testing
from shuxiang.core import keys, pii
from shuxiang.core.actors import OPERATOR
from shuxiang.core.models import AuditEntry, Person
from shuxiang.core.services import do_create_person

pytestmark = pytest.mark.django_db

OLD, NEW = "o" * 43, "n" * 43


def _id(n: int) -> str:
    base = f"43090319800101{n:03d}"
    return base + pii.id_check_char(base)


@pytest.fixture(autouse=True)
def own_var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path  # the progress file of an interrupted rotation lives there


@pytest.fixture
def people_under_the_old_key():
    with override_settings(FIELD_KEY=OLD, DIGEST_KEY=OLD):
        places = testing.build_places()
        for n in range(120):
            do_create_person(
                actor=OPERATOR,
                name=f"村民{n}",
                id_number=_id(n),
                phone=f"1380000{n:04d}",
                place=places.hamlet_a,
            )
    return 120


def test_rotation_resumes_after_a_kill_and_the_old_key_can_go(people_under_the_old_key, monkeypatch):
    with override_settings(FIELD_KEY=f"{NEW},{OLD}", DIGEST_KEY=OLD):
        assert keys.pending()["core.Person"] == 120
        # killed in the middle of a batch: its transaction is rolled back, nothing half-written
        real = keys._rewrite
        calls = {"n": 0}

        def dies_on_the_third_batch(column, rows):
            calls["n"] += 1
            if calls["n"] == 3:
                real(column, rows[:5])
                raise KeyboardInterrupt
            return real(column, rows)

        monkeypatch.setattr(keys, "_rewrite", dies_on_the_third_batch)
        with pytest.raises(KeyboardInterrupt):
            keys.rotate(batch=25, report=lambda _: None)
        assert keys.pending()["core.Person"] == 120 - 50  # two whole batches, nothing of the third
        monkeypatch.setattr(keys, "_rewrite", real)
        out = io.StringIO()
        call_command("keys", "rotate", "--batch", "25", stdout=out)
        assert "轮换完成" in out.getvalue()
        assert "先设置 SHUXIANG_DIGEST_KEY=<旧密钥>" in out.getvalue()  # digests keep the old key
        assert keys.pending() == {}
    with override_settings(FIELD_KEY=NEW, DIGEST_KEY=OLD):  # the old key is gone
        person = Person.objects.get(id_number_digest=pii.digest(_id(7)))
        assert person.id_number == _id(7) and person.phone == "13800000007"
        assert Person.objects.filter(name="村民119").get().id_number == _id(119)
    assert AuditEntry.objects.filter(action="rotate_key", object_type="core.person").count() == 1


def test_rotation_refuses_a_single_key(people_under_the_old_key):
    from django.core.management.base import CommandError

    with override_settings(FIELD_KEY=OLD, DIGEST_KEY=OLD), pytest.raises(CommandError, match="只有一个密钥"):
        call_command("keys", "rotate", stdout=io.StringIO())


def test_status_counts_what_is_left(people_under_the_old_key):
    with override_settings(FIELD_KEY=f"{NEW},{OLD}", DIGEST_KEY=OLD):
        out = io.StringIO()
        call_command("keys", "status", stdout=out)
        assert "core.Person：120 行仍由旧密钥加密" in out.getvalue()
        call_command("keys", "rotate", "--batch", "40", "--max-batches", "1", stdout=io.StringIO())
        assert keys.pending()["core.Person"] == 80
