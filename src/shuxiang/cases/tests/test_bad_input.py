import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from shuxiang.cases import reference, services
from shuxiang.cases.models import Case
from shuxiang.cases.registry import CaseField, CaseType, follow, register_type
from shuxiang.cases.signals import case_changed
from shuxiang.core.actors import OPERATOR, Actor
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import Attachment

pytestmark = pytest.mark.django_db


def nothing_written():
    return not Case.objects.exists() and not Attachment.objects.exists()


def test_coordinates_outside_the_county_are_refused(open_case):
    with pytest.raises(ServiceError) as err:
        open_case(place=None, latitude=39.9042, longitude=116.4074)  # Beijing
    assert err.value.code == "outside_county"
    assert "赫山区" in err.value.message
    assert nothing_written()


def test_coordinates_inside_the_county_find_the_nearest_hamlet(open_case, places):
    case = open_case(place=None, latitude=28.6912, longitude=112.5213)
    assert case.place == places.hamlet_b
    assert case.unit.name == "兰溪镇人民政府"


def test_a_photo_over_ten_megabytes_is_refused_and_nothing_is_kept(open_case):
    big = SimpleUploadedFile(
        "big.jpg", b"\xff\xd8\xff" + b"0" * (10 * 1024 * 1024 + 1), content_type="image/jpeg"
    )
    with pytest.raises(ServiceError) as err:
        open_case(photos=[big])
    assert err.value.code == "file_too_large"
    assert "10MB" in err.value.message
    assert nothing_written()


def test_a_file_that_only_claims_to_be_a_photo_is_refused(open_case):
    fake = SimpleUploadedFile("photo.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg")
    with pytest.raises(ServiceError) as err:
        open_case(photos=[fake])
    assert err.value.code == "not_an_image"
    assert nothing_written()


def test_the_published_photo_has_no_exif_location(open_case, photo):
    case = open_case(photos=[photo])
    stored = Attachment.objects.get(owner_type="cases.case", owner_id=str(case.pk))
    assert stored.is_public
    with stored.file.open("rb") as fh, Image.open(io.BytesIO(fh.read())) as image:
        assert not image.getexif()


def test_a_too_short_description_is_refused_with_a_field_message(open_case):
    with pytest.raises(ServiceError) as err:
        open_case(description="脏")
    assert err.value.fields["description"] == ["请描述问题，至少5个字"]
    assert nothing_written()


def test_a_wrong_phone_number_is_refused(open_case):
    with pytest.raises(ServiceError) as err:
        open_case(phone="12345")
    assert "phone" in err.value.fields
    assert nothing_written()


def test_a_sensitive_category_never_becomes_public(open_case):
    case = open_case(category="food", description="小卖部出售过期食品")
    assert not case.is_public
    assert not Case.objects.public().filter(pk=case.pk).exists()


def test_an_anonymous_resident_cannot_use_a_staff_only_category(open_case, categories):
    reference.do_save_category(actor=OPERATOR, code="hazard", name="房屋安全隐患", is_public=False)
    with pytest.raises(ServiceError) as err:
        open_case(category="hazard")
    assert err.value.code == "unknown_category"
    assert nothing_written()


def test_the_same_submission_key_returns_the_first_case(open_case):
    first = open_case(submission_key="form-1")
    again = open_case(submission_key="form-1")
    assert again.pk == first.pk and Case.objects.count() == 1


def test_a_registered_type_validates_its_own_fields_and_is_followed_on_commit(
    places, cast, django_capture_on_commit_callbacks
):
    seen = []
    register_type(
        CaseType(
            code="test.assignment",
            label="测试交办",
            actions={"accept", "dispatch", "start", "resolve", "close", "note", "return", "escalate"},
            fields=[
                CaseField("task_code", "任务编号", required=True),
                CaseField("score", "分值", kind="int"),
            ],
            on_change=lambda case, event: seen.append(("type", event.action)),
        )
    )
    follow(lambda case, event: seen.append(("follow", event.action)), case_type="test.assignment")
    received = []

    def receiver(sender, case, event, action, **kwargs):
        received.append(action)

    case_changed.connect(receiver)
    try:
        with pytest.raises(ServiceError) as err:
            services.do_open_case(
                actor=Actor.system("plan"),
                case_type="test.assignment",
                description="季度台账未报送，请补报",
                place=places.township_a,
            )
        assert err.value.fields == {"task_code": ["任务编号必填"]}
        with django_capture_on_commit_callbacks(execute=True):
            case = services.do_open_case(
                actor=Actor.system("plan"),
                case_type="test.assignment",
                description="季度台账未报送，请补报",
                place=places.township_a,
                extra={"task_code": "T07", "score": "3"},
            )
        assert case.extra == {"task_code": "T07", "score": 3}
        assert not case.is_public and not case.reporter_key
        assert received == ["open"] and ("type", "open") in seen and ("follow", "open") in seen
        with pytest.raises(ServiceError) as err:
            services.do_confirm_case(case, actor=services.REPORTER, reporter_key="x")
        assert err.value.code == "not_allowed"
    finally:
        case_changed.disconnect(receiver)


def test_a_tracking_number_drawn_twice_by_concurrent_submissions_is_drawn_again(open_case, monkeypatch):
    first = open_case()
    numbers = iter([first.tracking_number, "20260101000001"])
    monkeypatch.setattr(services, "_new_tracking_number", lambda now: next(numbers))
    second = open_case()
    assert second.tracking_number == "20260101000001" and Case.objects.count() == 2
