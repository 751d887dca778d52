"""One format for levels and times, and the audit log in words (issue 14 §5: "core.user", "web/task/cli",
"system:operator" on the audit pages; levels with one, two or three decimals; three date formats)."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from shuxiang.core import audit, formats
from shuxiang.core.actors import OPERATOR, Actor
from shuxiang.core.context import origin
from shuxiang.core.models import AuditEntry
from shuxiang.core.tests.pagetext import visible_text


def test_levels_have_two_decimals_and_the_unit():
    assert formats.level(123.1) == "123.10 m"
    assert formats.level(Decimal("85.456")) == "85.46 m"
    assert formats.level(None) == "—"
    assert formats.reading(123.456, "m") == "123.46 m"
    assert formats.reading(12.5, "mm") == "12.5 mm"


def test_times_are_local_and_dates_iso():
    moment = datetime(2025, 3, 4, 6, 5, tzinfo=UTC)  # 14:05 in Asia/Shanghai
    assert formats.when(moment) == "2025-03-04 14:05"
    assert formats.day(moment) == "2025-03-04"
    assert formats.day(date(2025, 12, 31)) == "2025-12-31"
    assert formats.when(None) == "—"


def test_a_value_printed_without_a_filter_uses_the_same_format():
    from django.template import Context, Template
    from django.utils.formats import date_format, localize

    moment = datetime(2025, 3, 4, 6, 5, tzinfo=UTC)
    assert localize(timezone.localtime(moment)) == "2025-03-04 14:05"
    assert date_format(date(2025, 3, 4)) == "2025-03-04"
    page = Template(
        "{% load fmt %}{{ t }}|{{ t|when }}|{{ d|day }}|{{ z|level_m }}|{{ r|reading:'mm' }}"
    ).render(Context({"t": moment, "d": date(2025, 3, 4), "z": 85.5, "r": 12.5}))
    assert page == "2025-03-04 14:05|2025-03-04 14:05|2025-03-04|85.50 m|12.5 mm"


def test_audit_codes_read_in_chinese():
    assert formats.object_type_name("core.user") == "用户"
    assert formats.source_name("web") == "网页" and formats.source_name("task") == "后台任务"
    assert formats.source_name("cli") == "命令行"
    assert formats.actor_name("system:operator").startswith("系统·运维命令（")
    assert formats.actor_name("device:0043090399") == "设备 0043090399"
    assert formats.actor_name("t_grid（经monitoring）") == "t_grid（经防返贫监测联动）"
    assert formats.actor_name("public") == "群众（无账号）"
    assert formats.actor_name("t_admin") == "t_admin"


@pytest.mark.django_db
def test_who_names_the_person_behind_a_username(cast):
    assert formats.who("t_grid") == str(cast.grid_a)
    assert formats.who("system:water") == "系统·水利告警联动"
    assert formats.who("nobody") == "nobody"


@pytest.mark.django_db
def test_the_audit_list_and_entry_show_names_not_codes(cast, places, client_for):
    with origin("task"):
        audit.record(Actor.system("tasks"), "update", places.township_a)
    with origin("cli"):
        audit.record(OPERATOR, "update", cast.grid_a)
    web = client_for(cast.admin)
    page = visible_text(web.get("/audit/?page_size=200").content.decode())
    for raw in ("core.user", "core.place", "system:operator", "cli", "task"):
        assert raw not in page
    assert "用户" in page and "后台任务" in page and "命令行" in page and "系统·后台定时任务" in page
    entry = AuditEntry.objects.filter(object_type="core.user", source="cli").latest("pk")
    detail = visible_text(web.get(f"/audit/{entry.pk}/").content.decode())
    assert "core.user" not in detail and "系统·运维命令" in detail and "命令行" in detail
    options = web.get("/audit/").content.decode()
    assert '<option value="core.user">用户</option>' in options


@pytest.mark.django_db
def test_an_audit_entry_names_the_fields_and_values_it_changed(cast, places, client_for):
    from shuxiang.core import services

    services.do_update_user(cast.grid_b, actor=OPERATOR, is_active=False)
    entry = AuditEntry.objects.filter(object_type="core.user", action="update").latest("pk")
    text = visible_text(client_for(cast.admin).get(f"/audit/{entry.pk}/").content.decode())
    assert "is_active" not in text and "True" not in text and "False" not in text
    assert "是" in text and "否" in text
    assert formats.change_rows("core.place", {"kind": ["town", "township"]}) == [("类型", "镇", "乡")]
    assert formats.change_rows("iot.alarmrule", {"created_at": "x"})[0][0] == "创建时间"
