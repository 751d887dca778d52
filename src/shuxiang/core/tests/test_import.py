import csv
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from shuxiang.core.importers import ImportRejected, run_import
from shuxiang.core.models import AuditEntry, Place, Unit, User


def xlsx(rows):
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


PLACE_HEADER = ["区划代码", "名称", "层级", "类型", "上级代码"]


def test_a_county_imports_its_villages_and_hamlets_from_xlsx(cast):
    data = xlsx(
        [
            PLACE_HEADER,
            ["430903103202", "新桥村", "村", "村", "430903103000"],
            ["43090310320201", "新桥村一组", "村民小组", "村民小组", "430903103202"],
            ["43090310320202", "新桥村二组", "村民小组", "", ""],
        ]
    )
    result = run_import("places", data, "places.xlsx", actor=cast.admin)
    assert (result.created, result.updated) == (3, 0)
    hamlet = Place.objects.get(code="43090310320202")
    assert hamlet.parent.name == "新桥村"
    assert hamlet.path == "/430903000000/430903103000/430903103202/43090310320202/"
    assert AuditEntry.objects.filter(action="import", object_type="core.place").exists()


def test_reimport_updates_names_by_code(cast):
    run_import(
        "places",
        xlsx([PLACE_HEADER, ["430903103201", "清水湾村", "村", "村", "430903103000"]]),
        "p.xlsx",
        actor=cast.admin,
    )
    assert Place.objects.get(code="430903103201").name == "清水湾村"


def test_bad_rows_are_all_reported_in_chinese_and_nothing_is_written(cast):
    before = Place.objects.count()
    data = xlsx(
        [
            PLACE_HEADER,
            ["430903103203", "好村", "村", "村", "430903103000"],
            ["43090310320", "短代码村", "村", "村", "430903103000"],
            ["430903103204", "错上级村", "村", "村", "430903999000"],
            ["430903103205", "错类型村", "村", "街道", "430903103000"],
            ["430903103203", "重复村", "村", "村", "430903103000"],
        ]
    )
    with pytest.raises(ImportRejected) as exc:
        run_import("places", data, "bad.xlsx", actor=cast.admin)
    problems = [p.as_text() for p in exc.value.problems]
    assert any(p.startswith("第3行") and "12位" in p for p in problems)
    assert any(p.startswith("第4行") and "430903999000" in p for p in problems)
    assert any(p.startswith("第5行") and "类型" in p for p in problems)
    assert any(p.startswith("第6行") and "重复" in p for p in problems)
    assert Place.objects.count() == before
    assert not Place.objects.filter(code="430903103203").exists()


def test_csv_in_gbk_is_accepted_for_units(cast):
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["名称", "类型", "所在区划", "负责领域"])
    writer.writerow(["赫山区自来水公司", "企业", "430903000000", "cases"])
    result = run_import("units", buf.getvalue().encode("gb18030"), "units.csv", actor=cast.admin)
    assert result.created == 1
    assert Unit.objects.get(name="赫山区自来水公司").domains == ["cases"]


def test_users_import_refuses_weak_passwords_and_wrong_levels_without_writing(cast):
    data = xlsx(
        [
            ["用户名", "姓名", "角色", "所属区划", "密码"],
            ["zhang", "张三", "乡镇", "430903103000", "Good-pass-123"],
            ["li", "李四", "乡镇", "430903103201", "Good-pass-123"],
            ["wang", "王五", "网格员", "430903103201", "weak"],
        ]
    )
    with pytest.raises(ImportRejected) as exc:
        run_import("users", data, "users.xlsx", actor=cast.admin)
    texts = " ".join(p.as_text() for p in exc.value.problems)
    assert "第3行" in texts and "第4行" in texts and "第2行" not in texts
    assert not User.objects.filter(username__in=["zhang", "li", "wang"]).exists()


def test_township_officer_may_not_import(cast):
    with pytest.raises(Exception) as exc:
        run_import("places", xlsx([PLACE_HEADER]), "p.xlsx", actor=cast.township_a)
    assert getattr(exc.value, "code", "") == "forbidden"


def test_import_command_prints_every_bad_row_and_fails(cast, tmp_path, capsys):
    path = tmp_path / "places.xlsx"
    path.write_bytes(xlsx([PLACE_HEADER, ["123", "坏村", "村", "村", "430903103000"]]))
    with pytest.raises(CommandError) as exc:
        call_command("import", "places", str(path))
    assert "未写入任何数据" in str(exc.value)
    assert "第2行" in capsys.readouterr().err


def test_import_page_shows_problems_to_the_admin(cast, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("p.xlsx", xlsx([PLACE_HEADER, ["123", "坏村", "村", "村", "430903103000"]]))
    response = client_for(cast.admin).post("/import/", {"kind": "places", "file": upload})
    html = response.content.decode()
    assert "导入未执行" in html and "第2行" in html
