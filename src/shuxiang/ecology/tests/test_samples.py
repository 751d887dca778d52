"""Samples: judged when recorded; an exceedance opens exactly one case for the responsible unit; a
later sample that meets the standard closes it with the evidence; bad input writes nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from shuxiang.cases.models import Case
from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError
from shuxiang.ecology import services
from shuxiang.ecology.models import Exceedance, MonitoringPoint, Sample, SampleValue

from .conftest import clean_values, hours_ago


def test_a_clean_sample_is_classed_and_becomes_the_points_latest(section):
    sample = services.do_record_sample(
        section,
        actor=OPERATOR,
        taken_at=hours_ago(3),
        sampler="李明",
        lab="赫山区环境监测站",
        values=clean_values(),
    )
    assert sample.meets and sample.water_class == "II" and sample.wqi is not None
    section.refresh_from_db()
    assert (section.latest_class, section.latest_meets) == ("II", True)
    assert SampleValue.objects.filter(sample=sample).count() == 7
    assert not Exceedance.objects.exists() and not Case.objects.exists()


def test_an_exceedance_opens_exactly_one_case_and_a_compliant_resample_closes_it(section, cast):
    first = services.do_record_sample(
        section, actor=OPERATOR, taken_at=hours_ago(30), sampler="李明", values=clean_values(w21003=2.4)
    )
    assert not first.meets and first.water_class == "劣V" and "氨氮 2.4 mg/L" in first.exceeded
    exceedance = Exceedance.objects.get()
    case = Case.objects.get()
    assert exceedance.case == case and case.case_type == "ecology.exceedance"
    assert case.unit == cast.department.unit  # the point's responsible unit
    assert "氨氮 2.4 mg/L" in case.description and case.place == section.place
    # a second exceeding sample adds to the same case
    services.do_record_sample(
        section, actor=OPERATOR, taken_at=hours_ago(20), sampler="李明", values=clean_values(w21003=1.8)
    )
    assert Case.objects.count() == 1 and Exceedance.objects.count() == 1
    exceedance.refresh_from_db()
    assert exceedance.repeat_count == 2
    # the re-sample meets the standard: the exceedance closes with it as evidence on the case
    resample = services.do_record_sample(
        section, actor=OPERATOR, taken_at=hours_ago(2), sampler="王芳", values=clean_values()
    )
    exceedance.refresh_from_db()
    assert exceedance.status == "closed" and exceedance.closing_sample == resample
    notes = [e.note for e in case.events.all()]
    assert any("复测达标" in (n or "") for n in notes)
    # a new exceedance after that is a new alarm and, the first case still open, a line on it
    services.do_record_sample(
        section, actor=OPERATOR, taken_at=hours_ago(1), sampler="王芳", values=clean_values(w01018=45)
    )
    assert Exceedance.objects.filter(status="open").count() == 1
    assert Case.objects.count() == 1


def test_an_older_sample_entered_late_does_not_replace_the_latest(section):
    services.do_record_sample(
        section, actor=OPERATOR, taken_at=hours_ago(2), sampler="李明", values=clean_values()
    )
    services.do_record_sample(
        section, actor=OPERATOR, taken_at=hours_ago(48), sampler="李明", values=clean_values(w21003=1.2)
    )
    section.refresh_from_db()
    assert section.latest_class == "II" and section.latest_meets is True


@pytest.mark.parametrize(
    "values, field",
    [
        ([{"factor": "w99999", "value": 1}], "w99999"),
        ([{"factor": "w21003", "value": 1, "unit": "g/L"}], "w21003"),
        ([{"factor": "w21003", "value": "abc"}], "w21003"),
        ([{"factor": "w21003", "value": -1}], "w21003"),
        ([], "values"),
    ],
)
def test_unknown_factors_units_and_bad_values_are_refused_and_nothing_is_written(section, values, field):
    with pytest.raises(ServiceError) as caught:
        services.do_record_sample(
            section, actor=OPERATOR, taken_at=hours_ago(1), sampler="李明", values=values
        )
    assert caught.value.code == "invalid" and field in caught.value.fields
    assert not Sample.objects.exists() and not SampleValue.objects.exists()


def test_a_missing_standard_edition_is_a_clear_error(section):
    with pytest.raises(ServiceError) as caught:
        services.do_record_sample(
            section,
            actor=OPERATOR,
            taken_at=hours_ago(1),
            sampler="李明",
            values=clean_values(),
            standard="GB 3838-1988",
        )
    assert caught.value.code == "standard_missing" and "GB 3838-1988" in caught.value.message
    assert not Sample.objects.exists()


def test_a_sample_in_the_future_or_without_sampler_is_refused(section):
    with pytest.raises(ServiceError) as caught:
        services.do_record_sample(
            section,
            actor=OPERATOR,
            taken_at=timezone.now() + timedelta(days=1),
            sampler="",
            values=clean_values(),
        )
    assert {"taken_at", "sampler"} <= set(caught.value.fields)


def test_a_township_officer_records_samples_only_in_their_township(section, places, cast):
    from shuxiang.core.errors import Forbidden, NotFound

    services.do_record_sample(
        section, actor=cast.township_a, taken_at=hours_ago(1), sampler="李明", values=clean_values()
    )
    other = services.do_create_point(
        actor=OPERATOR, code="HS-DM-T02", name="荷花村断面", kind="surface_section", place=places.village_b,
        standard=section.standard, grade="III",
    )  # fmt: skip
    with pytest.raises((Forbidden, NotFound, ServiceError)):
        services.do_record_sample(
            other, actor=cast.township_a, taken_at=hours_ago(1), sampler="李明", values=clean_values()
        )
    with pytest.raises((Forbidden, NotFound, ServiceError)):
        services.do_record_sample(
            section, actor=cast.grid_a, taken_at=hours_ago(1), sampler="李明", values=clean_values()
        )
    assert Sample.objects.count() == 1


def test_a_point_with_a_grade_its_standard_lacks_is_refused(places):
    from .conftest import gb3838

    with pytest.raises(ServiceError) as caught:
        services.do_create_point(
            actor=OPERATOR, code="HS-X", name="x", kind="surface_section", place=places.village_a,
            standard=gb3838(), grade="VI",
        )  # fmt: skip
    assert "grade" in caught.value.fields
    assert not MonitoringPoint.objects.exists()


def test_pollution_sources_are_ranked_around_a_point(section, places):
    lat, lng = section.latitude, section.longitude
    near = services.do_create_source(
        actor=OPERATOR, code="WR-1", name="清水村生猪养殖场", kind="livestock_farm", place=places.village_a,
        latitude=lat + 0.005, longitude=lng, load_index=5.0,
    )  # fmt: skip
    services.do_create_source(
        actor=OPERATOR, code="WR-2", name="远处的养殖场", kind="livestock_farm", place=places.village_b,
        latitude=lat + 0.3, longitude=lng, load_index=50.0,
    )  # fmt: skip
    small = services.do_create_source(
        actor=OPERATOR, code="WR-3", name="清水村污水处理站", kind="sewage_facility", place=places.village_a,
        latitude=lat + 0.002, longitude=lng, load_index=0.5,
    )  # fmt: skip
    ranked = services.nearby_sources(section, radius_km=5)
    assert [s.code for s in ranked] == [near.code, small.code]  # beyond 5 km left out, load over distance
    assert ranked[0].distance_km == pytest.approx(0.56, abs=0.02)
