from datetime import date, timedelta

import pytest
from django.utils import timezone

from shuxiang.cases.models import Case
from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import Attachment
from shuxiang.housing import services
from shuxiang.housing.models import Appraisal, House, Renovation
from shuxiang.housing.tests.helpers import DANGER_D, SAFE, appraise, house, id_number, photo


@pytest.fixture
def lifted_household(places):
    from shuxiang.monitoring import services as monitoring

    return monitoring.do_create_household(
        actor=OPERATOR,
        place=places.hamlet_a,
        category="lifted",
        lifted_year=2019,
        members=[{"name": "李德明", "id_number": id_number(7), "relation": "head"}],
    )


def test_a_d_appraisal_without_findings_or_photos_is_refused_and_nothing_is_written(places):
    h = house(places.hamlet_a, key_group="dibao")
    with pytest.raises(ServiceError) as exc:
        appraise(h, "D", findings=[], photos=[])
    assert "findings" in exc.value.fields and "photos" in exc.value.fields
    assert "地基基础" in " ".join(exc.value.fields["findings"])
    with pytest.raises(ServiceError) as exc:
        appraise(h, "D", findings=SAFE, photos=[photo()])
    assert "危险部位" in " ".join(exc.value.fields["findings"])
    assert not Appraisal.objects.exists() and not Renovation.objects.exists() and not Case.objects.exists()
    h.refresh_from_db()
    assert h.grade == ""


def test_a_grade_that_contradicts_the_findings_is_refused(places):
    h = house(places.hamlet_a)
    with pytest.raises(ServiceError) as exc:
        appraise(h, "A", findings=DANGER_D, photos=[])
    assert "grade" in exc.value.fields


def test_a_key_household_s_d_house_becomes_one_renovation_case(places):
    h = house(places.hamlet_a, key_group="tekun")
    appraisal = appraise(h, "D")
    h.refresh_from_db()
    assert h.grade == "D" and h.dangerous_since == appraisal.appraised_on
    renovation = Renovation.objects.get(house=h)
    assert renovation.kind == "rebuild" and renovation.status == "planned"
    assert renovation.case.case_type == "housing.renovation" and renovation.case.state == "submitted"
    assert renovation.case.deadline.date() == appraisal.appraised_on + timedelta(days=180)
    # a second C/D appraisal while the renovation is open adds no second project or case
    appraise(h, "C")
    assert Renovation.objects.filter(house=h).count() == 1
    assert Case.objects.filter(case_type="housing.renovation").count() == 1


def test_an_ordinary_household_s_dangerous_house_opens_no_renovation(places):
    h = house(places.hamlet_a)
    appraise(h, "C")
    assert not Renovation.objects.exists() and not Case.objects.exists()


def test_the_key_group_comes_from_the_monitoring_registry_and_the_household_grade_follows(
    places, lifted_household
):
    owner = lifted_household.members.get().person
    h = services.do_register_house(
        actor=OPERATOR, place=places.hamlet_a, structure="earth_wood", floors=1, owner=owner
    )
    assert h.household == lifted_household and h.key_group == "lifted"
    appraise(h, "C")
    lifted_household.refresh_from_db()
    assert lifted_household.housing_grade == "C"
    assert "住房安全" in " ".join(lifted_household.guarantee_failures)
    assert Renovation.objects.filter(house=h).exists()


def test_photos_are_stored_without_metadata_and_an_image_bomb_is_refused(places):
    h = house(places.hamlet_a)
    a = appraise(h, "C")
    stored = Attachment.objects.get(owner_type="housing.appraisal", owner_id=str(a.pk))
    assert stored.content_type == "image/jpeg"
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buf = io.BytesIO()
    Image.new("1", (9000, 9000)).save(buf, format="PNG")
    bomb = SimpleUploadedFile("bomb.png", buf.getvalue(), content_type="image/png")
    with pytest.raises(ServiceError) as exc:
        appraise(h, "D", photos=[bomb])
    assert exc.value.code == "image_too_large"
    assert Appraisal.objects.filter(house=h).count() == 1


def test_a_resent_appraisal_is_stored_once(places):
    h = house(places.hamlet_a)
    first = appraise(h, "B", submission_key="phone-1-abc")
    again = appraise(h, "B", submission_key="phone-1-abc")
    assert first.pk == again.pk and Appraisal.objects.count() == 1


def test_the_house_grade_is_its_latest_appraisal_by_date(places):
    h = house(places.hamlet_a)
    today = timezone.localdate()
    appraise(h, "B", on=today)
    appraise(h, "C", on=today - timedelta(days=400))
    h.refresh_from_db()
    assert h.grade == "B" and h.dangerous_since is None


def test_a_future_appraisal_date_is_refused(places):
    h = house(places.hamlet_a)
    with pytest.raises(ServiceError) as exc:
        appraise(h, "A", on=timezone.localdate() + timedelta(days=1))
    assert "appraised_on" in exc.value.fields


def test_the_phone_form_records_an_appraisal_with_photos(places, cast, client_for):
    h = house(places.hamlet_a, key_group="dibao")
    web = client_for(cast.grid_a)
    page = web.get(f"/housing/houses/{h.code}/appraise/")
    assert page.status_code == 200 and "地基基础" in page.content.decode()
    response = web.post(
        f"/housing/houses/{h.code}/appraise/",
        {
            "grade": "D",
            "appraised_on": date.today().isoformat(),
            "appraiser_name": "赵工",
            "level_foundation": "local",
            "level_load_bearing": "whole",
            "note_load_bearing": "墙体严重开裂",
            "photos": [photo()],
            "submission_key": "k-1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    h.refresh_from_db()
    assert h.grade == "D" and h.renovations.count() == 1
    detail = web.get(f"/housing/houses/{h.code}/").content.decode()
    assert "墙体严重开裂" in detail and "整幢危房" in detail


def test_the_phone_form_shows_why_a_d_without_photos_is_refused(places, cast, client_for):
    h = house(places.hamlet_a)
    web = client_for(cast.grid_a)
    response = web.post(
        f"/housing/houses/{h.code}/appraise/",
        {
            "grade": "D",
            "appraised_on": date.today().isoformat(),
            "appraiser_name": "赵工",
            "level_foundation": "local",
            "level_load_bearing": "whole",
        },
    )
    assert response.status_code == 200
    assert "须上传危险部位照片" in response.content.decode()
    assert not Appraisal.objects.exists()
    assert House.objects.get(pk=h.pk).grade == ""
