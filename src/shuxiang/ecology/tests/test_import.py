"""A lab's XLSX report: each row a judged sample; one bad row and nothing is written, every problem listed."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from shuxiang.cases.models import Case
from shuxiang.ecology.models import Sample

from .conftest import hours_ago


def _xlsx(rows):
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile("report.xlsx", out.getvalue())


HEADER = ["点位编码", "采样时间", "采样人", "检测机构", "报告编号", "氨氮", "w01018", "溶解氧"]


def test_a_lab_report_is_imported_and_judged(client_for, cast, section):
    when = hours_ago(5).astimezone().strftime("%Y-%m-%d %H:%M")
    upload = _xlsx(
        [
            HEADER,
            [section.code, when, "李明", "益阳市生态环境监测中心", "HSJC-1", 0.4, 18, 6.2],
            [
                section.code,
                hours_ago(2).astimezone().strftime("%Y-%m-%d %H:%M"),
                "李明",
                "",
                "HSJC-2",
                1.8,
                22,
                5.5,
            ],
        ]
    )
    response = client_for(cast.township_a).post("/ecology/samples/import/", {"file": upload})
    assert response.status_code == 302
    samples = list(Sample.objects.order_by("taken_at"))
    assert [(s.water_class, s.meets, s.source) for s in samples] == [
        ("III", True, "import"),
        ("V", False, "import"),
    ]
    assert Case.objects.count() == 1


def test_one_bad_row_and_nothing_is_written(client_for, cast, section):
    when = hours_ago(5).astimezone().strftime("%Y-%m-%d %H:%M")
    upload = _xlsx(
        [
            HEADER + ["镭"],
            [section.code, when, "李明", "", "", 0.4, 18, 6.2, ""],
            ["NOPE", when, "李明", "", "", 0.4, 18, 6.2, ""],
            [section.code, "昨天", "李明", "", "", 0.4, 18, 6.2, 3],
        ]
    )
    page = client_for(cast.township_a).post("/ecology/samples/import/", {"file": upload}).content.decode()
    assert "导入未执行" in page and "第3行" in page and "第4行" in page
    assert not Sample.objects.exists()
