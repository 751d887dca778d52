import pytest
import time_machine
from django.utils import timezone

from shuxiang.core import services
from shuxiang.core.actors import OPERATOR
from shuxiang.core.models import AuditEntry
from shuxiang.core.models.audit import AuditImmutable


def test_update_records_before_and_after_without_plaintext_identifiers(cast, places):
    person = services.do_create_person(
        actor=cast.township_a, name="张三", place=places.hamlet_a, phone="13812341234"
    )
    services.do_update_person(person, actor=cast.township_a, name="张叁", phone="13900002222")
    entry = AuditEntry.objects.filter(action="update", object_type="core.person").get()
    assert entry.actor == cast.township_a
    assert entry.changes["name"] == ["张三", "张叁"]
    assert "13812341234" not in str(entry.changes) and "13900002222" not in str(entry.changes)
    assert "phone" in entry.changes  # the change is visible, the value is not
    assert entry.place == places.hamlet_a


def test_delete_is_audited_with_the_last_state(cast, places):
    person = services.do_create_person(actor=OPERATOR, name="张三", place=places.hamlet_a)
    services.do_delete_person(person, actor=cast.township_a)
    entry = AuditEntry.objects.get(action="delete")
    assert entry.changes["name"] == ["张三", None]
    assert entry.actor_label == "t_quanjiaohe"


def test_audit_entries_cannot_be_changed_or_deleted(cast):
    entry = AuditEntry.objects.first()
    entry.object_repr = "篡改"
    with pytest.raises(AuditImmutable):
        entry.save()
    with pytest.raises(AuditImmutable):
        entry.delete()


def test_sign_in_failed_sign_in_and_sign_out_are_audited(cast, client):
    client.post("/login/", {"username": "t_quanjiaohe", "password": "wrong-Pass-1"})
    client.post("/login/", {"username": "t_quanjiaohe", "password": "Test-pass-2025"})
    client.post("/logout/")
    actions = list(
        AuditEntry.objects.filter(action__in=["login", "login_failed", "logout"]).values_list(
            "action", flat=True
        )
    )
    assert sorted(actions) == ["login", "login_failed", "logout"]
    failed = AuditEntry.objects.get(action="login_failed")
    assert failed.object_repr == "t_quanjiaohe" and failed.ip == "127.0.0.1"


def test_web_changes_record_source_and_address(cast, client_for, places):
    client_for(cast.township_a).post("/people/add/", {"name": "王二", "place": places.hamlet_a.code})
    entry = AuditEntry.objects.get(action="create", object_type="core.person")
    assert entry.source == "web" and entry.ip == "127.0.0.1"


def test_entries_older_than_retention_are_purged_and_recent_ones_kept(cast, settings):
    settings.AUDIT_RETENTION_DAYS = 180
    with time_machine.travel(timezone.now() - timezone.timedelta(days=200)):
        services.do_create_unit(actor=OPERATOR, name="旧单位", kind="other", place=cast.admin.place)
    services.do_create_unit(actor=OPERATOR, name="新单位", kind="other", place=cast.admin.place)
    deleted = services.purge_audit_log()
    assert deleted == 1
    assert AuditEntry.objects.filter(object_repr="新单位").exists()
    assert not AuditEntry.objects.filter(object_repr="旧单位").exists()


def test_audit_log_page_is_for_district_staff_only(cast, client_for):
    assert client_for(cast.district).get("/audit/").status_code == 200
    assert client_for(cast.township_a).get("/audit/").status_code == 403
