"""Disease early warning: reports, the stage order, outbreak zones, the farms inside them, clues."""

import pytest
from django.utils import timezone

from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import Notification
from shuxiang.livestock import disease, services
from shuxiang.livestock.models import DiseaseReport


@pytest.fixture
def outbreak(farm, cast):
    report = disease.do_report_suspicion(
        actor=cast.grid_a,
        farm=farm,
        species="pig",
        symptoms="高热、皮肤发绀，3天内死亡6头",
        sick=14,
        deaths=6,
    )
    disease.do_advance_report(report, actor=cast.department, to="suspected")
    return disease.do_advance_report(report, actor=cast.department, to="confirmed")


def neighbour(places, producer, name, km_north, kind="pig"):
    """A farm `km_north` kilometres north of the village (1° latitude ≈ 111.2 km)."""
    farm = services.do_create_farm(
        actor=OPERATOR, code=f"N-{name}", name=name, kind=kind, producer=producer, place=places.village_a
    )
    farm.latitude = places.village_a.latitude + km_north / 111.2
    farm.longitude = places.village_a.longitude
    farm.save(update_fields=["latitude", "longitude"])
    return farm


def test_a_report_goes_suspicious_suspected_confirmed_in_order(farm, cast):
    report = disease.do_report_suspicion(
        actor=cast.grid_a, farm=farm, species="pig", symptoms="食欲废绝，高热"
    )
    assert report.stage == "suspicious" and (report.latitude, report.longitude) == (
        farm.latitude,
        farm.longitude,
    )
    report = disease.do_advance_report(report, actor=cast.department, to="suspected")
    assert report.stage == "suspected" and report.suspected_at is not None
    report = disease.do_advance_report(report, actor=cast.department, to="confirmed")
    assert report.is_outbreak and report.confirmed_at is not None


def test_a_confirmation_skipping_the_suspected_stage_is_refused(farm, cast):
    report = disease.do_report_suspicion(actor=cast.grid_a, farm=farm, species="pig", symptoms="高热")
    with pytest.raises(ServiceError) as exc:
        disease.do_advance_report(report, actor=cast.department, to="confirmed")
    assert exc.value.code == "stage_skipped" and "下一步应为「疑似」" in exc.value.message
    report.refresh_from_db()
    assert report.stage == "suspicious" and report.confirmed_at is None


def test_only_the_animal_health_office_moves_a_report(farm, cast):
    report = disease.do_report_suspicion(actor=cast.grid_a, farm=farm, species="pig", symptoms="高热")
    for person in (cast.grid_a, cast.township_a, cast.village_a):
        with pytest.raises(ServiceError) as exc:
            disease.do_advance_report(report, actor=person, to="suspected")
        assert exc.value.status == 403
    report.refresh_from_db()
    assert report.stage == "suspicious"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"species": "pig", "symptoms": "高热"}, "place"),
        ({"place": "430903103201", "symptoms": "高热"}, "species"),
        ({"place": "430903103201", "species": "pig", "symptoms": "  "}, "symptoms"),
        ({"place": "999999999999", "species": "pig", "symptoms": "高热"}, "place"),
    ],
)
def test_a_suspicion_without_location_or_species_is_refused(places, cast, fields, field):
    with pytest.raises(ServiceError) as exc:
        disease.do_report_suspicion(actor=cast.grid_a, **fields)
    assert exc.value.code == "invalid" and field in exc.value.fields
    assert not DiseaseReport.objects.exists()


def test_a_backyard_report_is_placed_at_its_village(places, cast):
    report = disease.do_report_suspicion(
        actor=cast.grid_a, place="430903103201", species="pig", symptoms="散养户2头死亡", deaths=2
    )
    assert report.farm is None and report.latitude == places.village_a.latitude


def test_farms_inside_the_zones_are_listed_by_distance_with_their_zone(outbreak, places, producer):
    near = neighbour(places, producer, "近邻猪场", 2.0)
    far = neighbour(places, producer, "远处猪场", 7.5)
    neighbour(places, producer, "区外猪场", 12.0)
    rows = [(f.name, zone, round(km, 1)) for f, zone, km in disease.farms_in_zones(outbreak)]
    assert rows == [
        ("清水生猪养殖场", "infected", 0.0),
        (near.name, "infected", 2.0),
        (far.name, "threatened", 7.5),
    ]


def test_confirming_tells_the_farms_in_the_zones_without_naming_the_outbreak_farms_owner(
    farm, places, producer, cast, django_capture_on_commit_callbacks
):
    other = neighbour(places, producer, "邻场", 5.0)
    producer.operators.add(cast.producer)
    report = disease.do_report_suspicion(
        actor=cast.grid_a, farm=farm, species="pig", symptoms="高热", deaths=3
    )
    disease.do_advance_report(report, actor=cast.department, to="suspected")
    with django_capture_on_commit_callbacks(execute=True):
        disease.do_advance_report(report, actor=cast.department, to="confirmed")
    notes = Notification.objects.filter(recipient=cast.producer)
    assert notes.count() == 2 and any("受威胁区" in n.title for n in notes)
    text = " ".join(n.title + n.body for n in notes)
    assert other.name in text and producer.contact is None  # only farm and village names travel
    assert Notification.objects.filter(recipient=cast.township_a, title__contains="确诊动物疫情").exists()


def test_moves_in_and_out_of_the_zone_are_flagged(outbreak, pens, cast):
    finishing, nursery = pens
    services.do_record_entry(finishing, actor=cast.grid_a, kind="purchase", count=20)
    services.do_record_entry(finishing, actor=cast.grid_a, kind="move", count=5, to_pen=nursery)
    flagged = list(disease.flagged_moves(outbreak).values_list("kind", flat=True))
    assert flagged == ["purchase"]  # a move between two pens of the same farm stays inside the zone


def test_an_outbreak_can_draft_a_warning_for_the_townships_concerned(outbreak, cast):
    warning = disease.do_issue_outbreak_warning(outbreak, actor=cast.district)
    outbreak.refresh_from_db()
    assert outbreak.warning_id == warning.pk and warning.signal_type.code == "animal_epidemic"
    assert warning.status in ("draft", "pending", "submitted")


def test_deaths_above_the_baseline_raise_a_clue_once(pens, cast, django_capture_on_commit_callbacks):
    finishing, _ = pens
    services.do_record_entry(finishing, actor=cast.grid_a, kind="purchase", count=300)
    with django_capture_on_commit_callbacks(execute=True):
        services.do_record_entry(finishing, actor=cast.grid_a, kind="death", count=3)
    assert not DiseaseReport.objects.exists()  # 3 in a week is within 2 × 0.5 × 7
    with django_capture_on_commit_callbacks(execute=True):
        services.do_record_entry(finishing, actor=cast.grid_a, kind="death", count=6)
    clue = DiseaseReport.objects.get()
    assert clue.automatic and clue.farm == finishing.farm and clue.deaths == 9 and "系统线索" in clue.symptoms
    with django_capture_on_commit_callbacks(execute=True):
        services.do_record_entry(finishing, actor=cast.grid_a, kind="death", count=4)
    assert DiseaseReport.objects.count() == 1
    assert clue.reported_at <= timezone.now()
