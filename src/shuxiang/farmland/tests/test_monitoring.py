"""Plantings and patrols against the layers: 非农化/非粮化 findings open exactly one case each, bad
input writes nothing, and a resolved case marks its finding rectified."""

import io

import pytest
from django.core.management import call_command

from shuxiang.cases.models import Case
from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import Forbidden, ServiceError
from shuxiang.farmland import rules, services
from shuxiang.farmland.models import Finding, PatrolReport, Planting
from shuxiang.farmland.tests.layerfiles import LAT, LNG, import_fields, lonlat_field

pytestmark = pytest.mark.django_db


def plant(parcel, crop, area_mu=1, season="2026-early", actor=OPERATOR, **kw):
    return services.do_record_planting(
        actor=actor, parcel=parcel, season=season, crop=crop, area_mu=area_mu, **kw
    )


def test_a_non_grain_planting_on_permanent_farmland_opens_exactly_one_case_for_the_township(fields_a, cast):
    parcel = fields_a[0]
    plant(parcel, "citrus", variety="冰糖橙", actor=cast.grid_a)
    plant(parcel, "seedlings", area_mu=2)  # the same problem, the same season: no second finding

    finding = Finding.objects.get()
    assert finding.finding_type == "non_grain"
    assert "柑橘（冰糖橙）" in finding.description
    case = Case.objects.get(case_type="farmland.finding")
    assert finding.case == case
    assert case.category.name == "耕地保护"
    assert case.place == parcel.place
    assert case.unit.name == "泉交河镇人民政府"
    assert case.deadline is not None and case.extra == {"finding": finding.pk}
    assert Case.objects.filter(case_type="farmland.finding").count() == 1


def test_grain_and_winter_rapeseed_on_permanent_farmland_open_nothing(fields_a):
    plant(fields_a[0], "rice")
    plant(fields_a[1], "rapeseed", season="2026-winter")
    assert Finding.objects.count() == 0


def test_vegetables_on_ordinary_cultivated_land_are_not_a_finding(places):
    import_fields(places.village_a, "cultivated", [lonlat_field(0.0, 0.0)], prefix="G")
    from shuxiang.farmland.models import Parcel

    plant(Parcel.objects.get(code="G0001"), "vegetables")
    assert Finding.objects.count() == 0


def test_a_planting_larger_than_its_polygon_is_refused_and_nothing_is_written(fields_a):
    parcel = fields_a[0]  # about 16 mu
    plant(parcel, "rice", area_mu=10)
    with pytest.raises(ServiceError) as caught:
        plant(parcel, "citrus", area_mu=parcel.area_mu - 5)
    assert "种植面积超过图斑面积" in caught.value.fields["area_mu"][0]
    assert Planting.objects.count() == 1 and Finding.objects.count() == 0


def test_a_planting_on_an_unknown_polygon_or_with_a_bad_season_is_refused(fields_a):
    with pytest.raises(ServiceError) as caught:
        plant(None, "rice")
    assert caught.value.fields["parcel"] == ["图斑不存在或已停用"]
    with pytest.raises(ServiceError) as caught:
        plant(fields_a[0], "rice", season="2026春")
    assert "season" in caught.value.fields
    assert Planting.objects.count() == 0


def test_a_repeated_phone_submission_is_stored_once(fields_a, cast):
    first = plant(fields_a[0], "rice", actor=cast.grid_a, submission_key="phone-1")
    again = plant(fields_a[0], "rice", actor=cast.grid_a, submission_key="phone-1")
    assert first.pk == again.pk and Planting.objects.count() == 1


def test_a_grid_worker_cannot_declare_a_planting_in_another_township(field_b, cast):
    with pytest.raises(ServiceError, match="不在您的管辖范围内"):
        plant(field_b, "rice", actor=cast.grid_a)
    assert Planting.objects.count() == 0


def test_a_patrol_report_outside_the_polygon_it_names_is_refused(fields_a, cast):
    with pytest.raises(ServiceError) as caught:
        services.do_record_patrol(
            actor=cast.grid_a, parcel=fields_a[0], season="2026-early", observed_use="pond",
            latitude=LAT + 0.01, longitude=LNG,
        )  # fmt: skip
    assert "不在图斑 P0001 内" in caught.value.fields["latitude"][0]
    assert PatrolReport.objects.count() == 0 and Finding.objects.count() == 0


def test_a_pond_found_on_patrol_opens_a_non_agricultural_finding_with_a_case(fields_a, cast):
    patrol = services.do_record_patrol(
        actor=cast.grid_a, parcel=fields_a[1], season="2026-early", observed_use="pond",
        latitude=LAT + 0.0005, longitude=LNG + 0.0025, note="挖塘约2亩养鱼",
    )  # fmt: skip
    finding = Finding.objects.get()
    assert finding.patrol == patrol and finding.finding_type == "non_agri"
    assert "挖塘约2亩养鱼" in finding.description
    assert finding.case is not None
    assert patrol.reported_by == cast.grid_a


def test_a_patrol_finding_grain_opens_nothing(fields_a, cast):
    services.do_record_patrol(
        actor=cast.grid_a, parcel=fields_a[1], season="2026-early", observed_use="grain",
        latitude=LAT + 0.0005, longitude=LNG + 0.0025,
    )  # fmt: skip
    assert PatrolReport.objects.count() == 1 and Finding.objects.count() == 0


def test_resolving_the_case_with_evidence_marks_the_finding_rectified_on_time(
    fields_a, cast, django_capture_on_commit_callbacks
):
    from shuxiang.cases import services as cases

    with django_capture_on_commit_callbacks(execute=True):
        plant(fields_a[0], "citrus")
    finding = Finding.objects.get()
    case = finding.case
    with django_capture_on_commit_callbacks(execute=True):
        cases.do_accept_case(case, actor=cast.township_a)
        cases.do_start_case(case, actor=cast.township_a)
        cases.do_resolve_case(case, actor=cast.township_a, note="已铲除柑橘苗，恢复种植水稻")
    finding.refresh_from_db()
    assert finding.status == "rectified"
    assert finding.on_time is True
    assert finding.rectification == "已铲除柑橘苗，恢复种植水稻"


def test_a_township_officer_dismisses_a_finding_that_was_no_problem(fields_a, cast):
    plant(fields_a[0], "citrus")
    finding = Finding.objects.get()
    with pytest.raises(ServiceError):
        services.do_dismiss_finding(finding, actor=cast.township_a, reason="无")
    services.do_dismiss_finding(finding, actor=cast.township_a, reason="经核实为登记错误，实为水稻")
    finding.refresh_from_db()
    assert finding.status == "dismissed"
    with pytest.raises(Forbidden):
        services.do_dismiss_finding(finding, actor=cast.grid_a, reason="经核实为登记错误")


def test_the_season_run_flags_what_the_sql_rule_flags_and_adds_nothing_twice(fields_a, field_b):
    Planting.objects.bulk_create(
        [
            Planting(parcel=fields_a[0], season="2026-late", crop="citrus", area_m2=500, source="imported"),
            Planting(parcel=fields_a[1], season="2026-late", crop="rice", area_m2=500, source="imported"),
            Planting(parcel=field_b, season="2026-late", crop="tea", area_m2=500, source="imported"),
        ]
    )
    assert Finding.objects.count() == 0  # written behind the services' back: nothing checked yet
    out = io.StringIO()
    call_command("farmland", "check", "2026-late", stdout=out)
    assert "新发现问题 2 个" in out.getvalue()
    flagged = set(Finding.objects.values_list("parcel_id", flat=True))
    assert flagged == rules.matches_sql("2026-late") == {fields_a[0].pk, field_b.pk}
    assert rules.run_season("2026-late", actor=OPERATOR)["opened"] == 0
    assert Case.objects.filter(case_type="farmland.finding").count() == 2
