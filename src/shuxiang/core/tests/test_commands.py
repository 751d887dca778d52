import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from shuxiang.core.models import AuditEntry, User


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_user_add_creates_a_scoped_user_and_audits_it(cast):
    out = run(
        "user",
        "add",
        "wangwu",
        "--role",
        "township",
        "--place",
        "430903111000",
        "--password",
        "Good-pass-123",
    )
    assert "已创建用户 wangwu" in out
    user = User.objects.get(username="wangwu")
    assert user.place.code == "430903111000" and user.role == "township"
    assert AuditEntry.objects.filter(object_type="core.user", object_id=str(user.pk), source="cli").exists()


def test_user_add_refuses_a_role_at_the_wrong_level(cast):
    with pytest.raises(CommandError) as exc:
        run(
            "user",
            "add",
            "bad",
            "--role",
            "village",
            "--place",
            "430903111000",
            "--password",
            "Good-pass-123",
        )
    assert "村" in str(exc.value)
    assert not User.objects.filter(username="bad").exists()


def test_token_prints_the_same_token_every_time(cast):
    first = run("token", "t_grid").strip()
    assert len(first) == 40
    assert run("token", "t_grid").strip() == first


def test_check_reports_a_too_short_audit_retention(settings, db):
    settings.AUDIT_RETENTION_DAYS = 30
    with pytest.raises(Exception) as exc:
        call_command("check", fail_level="ERROR")
    assert "shuxiang.E001" in str(exc.value)


def registry_fingerprint():
    from shuxiang.core.models import Person, Place, Unit, User

    return (
        list(Place.objects.order_by("code").values_list("code", "name", "latitude")),
        list(Unit.objects.order_by("place__code", "name").values_list("name", "place__code")),
        list(User.objects.order_by("username").values_list("username", "role", "place__code")),
        list(
            Person.objects.order_by("id_number_digest").values_list("name", "id_number_digest", "place__code")
        ),
    )


def test_demo_registry_is_the_same_on_every_machine(db):
    from django.db import transaction

    from shuxiang.demo import builder

    with transaction.atomic():
        builder.build(log=lambda *a: None, with_apps=False)
        first = registry_fingerprint()
        transaction.set_rollback(True)
    builder.build(log=lambda *a: None, with_apps=False)
    assert registry_fingerprint() == first


def test_demo_refuses_to_overwrite_data_without_reset(cast):
    with pytest.raises(CommandError):
        call_command("demo", stdout=io.StringIO())
