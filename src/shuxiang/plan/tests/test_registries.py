import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook

from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError
from shuxiang.core.importers import ImportRejected
from shuxiang.core.models import Place
from shuxiang.indicators.models import Indicator
from shuxiang.indicators.rollup import drill_down, value_at
from shuxiang.indicators.services import do_refresh_computed
from shuxiang.plan import importers, services
from shuxiang.plan.models import NetworkCoverage, ServicePoint


def xlsx(rows):
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture
def hamlets(places):
    """泉交河镇 gets three more hamlets (4 in all); 兰溪镇 keeps its one."""
    made = [places.hamlet_a]
    for g in (2, 3, 4):
        code = f"{places.village_a.code}{g:02d}"
        made.append(
            Place.objects.create(
                code=code,
                name=f"清水村第{g}村民小组",
                level=4,
                kind="hamlet",
                parent=places.village_a,
                path=f"{places.village_a.path}{code}/",
            )
        )
    return made


def test_fibre_coverage_is_counted_from_the_hamlet_registry_and_rolled_up(plan, places, cast, hamlets):
    for hamlet in hamlets[:3]:
        services.do_save_coverage(hamlet, actor=cast.township_a, has_fibre=True, has_4g="是")
    services.do_save_coverage(hamlets[3], actor=cast.township_a, has_fibre="否")
    fibre = Indicator.objects.get(code="fibre_hamlets")
    assert do_refresh_computed(fibre, "2025Q3", actor=cast.district) == 5
    district, rows = drill_down(fibre, places.district, "2025")
    # 泉交河镇 3 of 4 hamlets = 75 %; 兰溪镇 0 of 1 (not surveyed) = 0 %; district 3 of 5 = 60 %.
    assert {r.place.name: r.value for r in rows} == {"泉交河镇": Decimal(75), "兰溪镇": Decimal(0)}
    assert (district.value, district.target, district.light.value) == (Decimal(60), Decimal(100), "danger")


def test_open_commerce_stations_make_village_logistics_coverage(plan, places, cast):
    """The plan file counts 村级电商物流服务点覆盖率 from the e-commerce network (markets'
    commerce.logistics_villages): a village counts when an open village station or pickup point was
    open by the quarter's end. A station being built, one opened after the quarter, or a service point
    of the plan's older registry does not make a village covered."""
    from shuxiang.markets import commerce

    logistics = Indicator.objects.get(code="logistics_villages")
    assert logistics.computed_by == "commerce.logistics_villages"
    commerce.do_create_station(
        actor=OPERATOR,
        code="QJH-ST",
        name="清水村电商服务站",
        kind="village",
        place=places.village_a,
        opened_on=date(2025, 6, 1),
    )
    commerce.do_create_station(
        actor=OPERATOR,
        code="LX-ST",
        name="荷花村电商服务站",
        kind="village",
        place=places.village_b,
        status="building",
    )
    commerce.do_create_station(
        actor=OPERATOR,
        code="LX-KD",
        name="荷花村快递收投点",
        kind="pickup",
        place=places.village_b,
        opened_on=date(2025, 10, 10),
    )
    services.do_save_service_point(
        actor=cast.township_b, place=places.village_b, kind="logistics", name="荷花村电商物流服务站"
    )
    do_refresh_computed(logistics, "2025Q3", actor=OPERATOR)
    assert value_at(logistics, places.township_a, "2025").value == 100
    assert value_at(logistics, places.township_b, "2025").value == 0
    assert value_at(logistics, places.district, "2025").value == 50


def test_bad_coverage_input_is_refused_with_the_field_named(places, cast):
    with pytest.raises(ServiceError) as exc:
        services.do_save_coverage(
            places.hamlet_a, actor=cast.township_a, has_fibre="也许", bandwidth_mbps="快"
        )
    assert set(exc.value.fields) == {"has_fibre", "bandwidth_mbps"}
    with pytest.raises(ServiceError) as exc:
        services.do_save_coverage(places.hamlet_b, actor=cast.township_a, has_fibre=True)
    assert exc.value.code == "out_of_scope"
    assert not NetworkCoverage.objects.exists()


def test_coverage_imports_from_xlsx_and_a_bad_row_stops_the_whole_file(places, cast):
    good = xlsx(
        [
            ["区划代码", "4G", "5G", "光纤", "有线电视", "带宽(Mbps)", "调查日期"],
            [places.hamlet_a.code, "是", "", "是", "", "", "2025-06-30"],
            [places.village_a.code, "是", "否", "是", "是", 1000, ""],
        ]
    )
    result = importers.import_coverage(good, "覆盖.xlsx", actor=cast.township_a)
    assert (result.created, result.updated) == (2, 0)
    assert NetworkCoverage.objects.get(place=places.village_a).bandwidth_mbps == 1000
    bad = xlsx(
        [
            ["区划代码", "4G", "光纤", "带宽(Mbps)"],
            [places.hamlet_a.code, "否", "否", ""],
            ["43090310320199", "是", "是", ""],
            [places.hamlet_b.code, "是", "是", ""],
            [places.village_a.code, "是", "是", "很快"],
        ]
    )
    with pytest.raises(ImportRejected) as exc:
        importers.import_coverage(bad, "覆盖.xlsx", actor=cast.township_a)
    rows = exc.value.fields["rows"]
    assert any(r.startswith("第3行") and "不存在" in r for r in rows)
    assert any(r.startswith("第4行") and "管辖范围" in r for r in rows)
    assert any(r.startswith("第5行") and "带宽" in r for r in rows)
    assert NetworkCoverage.objects.get(place=places.hamlet_a).has_fibre is True


def test_service_points_import_from_xlsx(places, cast):
    data = xlsx(
        [
            ["区划代码", "类型", "名称", "建成日期"],
            [places.village_a.code, "村级电商物流服务点", "清水村站", "2024-05-01"],
        ]
    )
    assert importers.import_service_points(data, "网点.xlsx", actor=cast.township_a).created == 1
    assert ServicePoint.objects.get().kind == "logistics"
    bad = xlsx([["区划代码", "类型", "名称"], [places.village_a.code, "超市", "x"]])
    with pytest.raises(ImportRejected):
        importers.import_service_points(bad, "网点.xlsx", actor=cast.township_a)
    assert ServicePoint.objects.count() == 1


def test_the_registry_import_page_loads_a_file_and_lists_every_bad_row_of_a_refused_one(
    places, cast, client_for
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    c = client_for(cast.township_a)
    good = xlsx([["区划代码", "4G", "光纤"], [places.hamlet_a.code, "是", "是"]])
    response = c.post(
        "/plan/registries/import/",
        {"kind": "coverage", "file": SimpleUploadedFile("覆盖.xlsx", good)},
    )
    assert response.status_code == 302
    assert NetworkCoverage.objects.get(place=places.hamlet_a).has_fibre is True
    bad = xlsx(
        [["区划代码", "4G", "光纤"], [places.hamlet_a.code, "否", "否"], ["43090310320199", "是", "是"]]
    )
    response = c.post(
        "/plan/registries/import/",
        {"kind": "coverage", "file": SimpleUploadedFile("覆盖.xlsx", bad)},
    )
    page = response.content.decode()
    assert response.status_code == 200 and "import-problems" in page and "第3行" in page
    assert NetworkCoverage.objects.get(place=places.hamlet_a).has_fibre is True  # nothing written
