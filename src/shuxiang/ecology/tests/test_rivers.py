"""Tracing with the river network (水系表): a source is upstream of a section when its water enters the
section's river at or above the section's kilometre — directly or through a tributary; sources downstream
or in another basin are left out, sources without a river position stay (they cannot be ruled out)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import AuditEntry
from shuxiang.ecology import services
from shuxiang.ecology.models import MonitoringPoint, PollutionSource, River
from shuxiang.ecology.tests.conftest import gb3838

NETWORK = "河流,汇入,汇入处里程,河长\n资江,,,653\n志溪河,资江,612,70\n沾溪河,资江,630,45\n撇洪新河,,,69\n"


def _upload(text, name="heshan-rivers.csv"):
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


@pytest.fixture
def network(client_for, cast):
    response = client_for(cast.district).post("/ecology/rivers/", {"file": _upload(NETWORK)})
    assert response.status_code == 302
    return River.objects.all()


@pytest.fixture
def zijiang_section(places, cast):
    """A class III section on 资江 at km 620, in 清水村."""
    return services.do_create_point(
        actor=OPERATOR, code="HS-DM-ZJ", name="资江清水村断面", kind="surface_section",
        place=places.village_a, standard=gb3838(), grade="III", river="资江", river_km=620,
        responsible_unit=cast.department.unit,
    )  # fmt: skip


def _source(places, code, name, *, north_km, river="", river_km=None, load=1.0):
    p = places.village_a
    return services.do_create_source(
        actor=OPERATOR, code=code, name=name, kind="livestock_farm", place=p,
        latitude=p.latitude + north_km / 111.0, longitude=p.longitude, load_index=load,
        river=river, river_km=river_km,
    )  # fmt: skip


def test_upstream_and_tributary_sources_are_kept_downstream_and_other_basins_left_out(
    network, zijiang_section, places, client_for, cast
):
    _source(places, "WR-UP", "资江上游养殖场", north_km=1.0, river="资江", river_km=615)
    _source(places, "WR-TRIB", "志溪河养殖场", north_km=2.0, river="志溪河", river_km=30, load=3)
    _source(places, "WR-DOWN", "资江下游养殖场", north_km=0.5, river="资江", river_km=625, load=20)
    _source(places, "WR-TRIB-BELOW", "沾溪河养殖场", north_km=0.8, river="沾溪河", river_km=10, load=9)
    _source(places, "WR-OTHER", "撇洪新河养殖场", north_km=0.3, river="撇洪新河", river_km=20, load=50)
    _source(places, "WR-UNMARKED", "未标注养殖场", north_km=1.5)

    kept, left_out = services.tracing(zijiang_section)
    assert [(s.code, s.relation) for s in kept] == [
        ("WR-TRIB", "upstream"),  # 志溪河 enters 资江 at 612, above the section's 620: load 3 over 2 km
        ("WR-UP", "upstream"),
        ("WR-UNMARKED", "unknown"),  # cannot be ruled out
    ]
    assert {(s.code, s.relation) for s in left_out} == {
        ("WR-DOWN", "downstream"),
        ("WR-TRIB-BELOW", "downstream"),  # 沾溪河 enters 资江 at 630, below the section
        ("WR-OTHER", "elsewhere"),
    }

    page = client_for(cast.township_a).get(f"/ecology/points/{zijiang_section.pk}/").content.decode()
    assert "志溪河养殖场" in page and "上游" in page and 'id="left-out"' in page
    assert "已排除 3 个" in page
    data = client_for(cast.township_a).get(f"/ecology/points/{zijiang_section.pk}/sources.json").json()
    assert [s["code"] for s in data["sources"]] == ["WR-TRIB", "WR-UP", "WR-UNMARKED"]
    assert data["sources"][0]["relation_display"] == "上游"
    assert {s["code"] for s in data["left_out"]} == {"WR-DOWN", "WR-TRIB-BELOW", "WR-OTHER"}


def test_without_a_river_position_every_nearby_source_is_listed(network, section, places):
    _source(places, "WR-A", "资江下游养殖场", north_km=0.5, river="资江", river_km=625)
    kept, left_out = services.tracing(section)  # the conftest section has a river name but no kilometre
    assert [s.relation for s in kept] == ["unknown"] and left_out == []


def test_the_district_loads_the_network_and_the_file_replaces_it(network, client_for, cast):
    assert {(r.name, r.flows_into.name if r.flows_into else None, r.joins_at_km) for r in network} == {
        ("资江", None, None),
        ("志溪河", "资江", 612),
        ("沾溪河", "资江", 630),
        ("撇洪新河", None, None),
    }
    c = client_for(cast.district)
    page = c.get("/ecology/rivers/").content.decode()
    assert "志溪河" in page and 'id="load-rivers"' in page
    assert (
        c.post(
            "/ecology/rivers/", {"file": _upload("河流,汇入,汇入处里程\n资江,,\n志溪河,资江,611\n")}
        ).status_code
        == 302
    )
    assert set(River.objects.values_list("name", "joins_at_km")) == {("资江", None), ("志溪河", 611)}
    assert AuditEntry.objects.filter(object_type="ecology.river", action="delete").count() == 2
    api = c.get("/api/v1/ecology/rivers/").json()
    assert api["count"] == 2 and {r["name"] for r in api["results"]} == {"资江", "志溪河"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("河流,汇入,汇入处里程\n甲河,乙河,3\n乙河,甲河,4\n", "成环"),
        ("河流,汇入,汇入处里程\n甲河,丙河,3\n", "不在本表中"),
        ("河流,汇入,汇入处里程\n甲河,,\n乙河,甲河,\n", "请填写在“甲河”上的汇入处里程"),
        ("河流,汇入,汇入处里程,河长\n甲河,,,10\n乙河,甲河,12,\n", "超过“甲河”的河长"),
        ("河流,汇入,汇入处里程\n甲河,,\n甲河,,\n", "重复"),
        ("河流,汇入,汇入处里程\n甲河,,-1\n", "0–10000"),
        ("名称,说明\n甲河,x\n", "河流名称不能为空"),
    ],
)
def test_a_bad_network_file_is_refused_whole_and_changes_nothing(network, client_for, cast, text, message):
    before = set(River.objects.values_list("name", "joins_at_km"))
    response = client_for(cast.district).post("/ecology/rivers/", {"file": _upload(text)})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert set(River.objects.values_list("name", "joins_at_km")) == before


def test_only_the_district_loads_the_network(client_for, cast):
    c = client_for(cast.township_a)
    assert 'id="load-rivers"' not in c.get("/ecology/rivers/").content.decode()
    assert c.post("/ecology/rivers/", {"file": _upload(NETWORK)}).status_code == 403
    assert not River.objects.exists()
    assert client_for(cast.grid_a).get("/api/v1/ecology/rivers/").status_code == 200  # staff may read it


def test_the_command_loads_the_network_and_refuses_a_bad_file(tmp_path, db):
    good = tmp_path / "rivers.csv"
    good.write_text(NETWORK, encoding="utf-8")
    call_command("rivers", str(good))
    assert River.objects.count() == 4
    bad = tmp_path / "bad.csv"
    bad.write_text("河流,汇入,汇入处里程\n甲河,乙河,3\n乙河,甲河,4\n", encoding="utf-8")
    with pytest.raises(CommandError, match="成环"):
        call_command("rivers", str(bad))
    assert River.objects.count() == 4


def test_a_kilometre_without_its_river_is_refused_and_nothing_is_written(places, cast):
    with pytest.raises(ServiceError) as caught:
        services.do_create_point(
            actor=OPERATOR, code="HS-DM-X", name="无名断面", kind="surface_section",
            place=places.village_a, standard=gb3838(), grade="III", river_km=12,
        )  # fmt: skip
    assert "river" in caught.value.fields and not MonitoringPoint.objects.exists()
    with pytest.raises(ServiceError) as caught:
        _source(places, "WR-X", "养殖场", north_km=1, river="资江", river_km=-3)
    assert "river_km" in caught.value.fields and not PollutionSource.objects.exists()
