import pytest
from django.utils import timezone

from shuxiang.core.errors import ServiceError
from shuxiang.housing import services
from shuxiang.housing.models import Appraisal, House
from shuxiang.housing.tests.helpers import appraise, house


def test_housing_services_refuse_a_bare_string_actor(places):
    with pytest.raises(TypeError):
        services.do_register_house(actor="admin", place=places.hamlet_a, structure="frame", floors=1)


def test_a_grid_worker_appraises_but_does_not_register_houses(places, cast):
    h = house(places.hamlet_a)
    appraise(h, "B", actor=cast.grid_a)
    with pytest.raises(ServiceError) as exc:
        house(places.hamlet_a, actor=cast.grid_a)
    assert exc.value.status == 403
    assert House.objects.count() == 1


def test_a_township_officer_cannot_appraise_another_township_s_house(places, cast, client_for):
    b = house(places.hamlet_b)
    with pytest.raises(ServiceError):
        appraise(b, "A", actor=cast.township_a)
    web = client_for(cast.township_a)
    assert web.get(f"/housing/houses/{b.code}/").status_code == 404
    r = web.post(
        f"/housing/houses/{b.code}/appraise/",
        {
            "grade": "A",
            "appraised_on": timezone.localdate().isoformat(),
            "appraiser_name": "x",
            "level_foundation": "none",
            "level_load_bearing": "none",
        },
    )
    assert r.status_code == 404 and not Appraisal.objects.exists()


def test_no_client_role_sees_houses(places, cast, api_for, client_for):
    house(places.hamlet_a)
    for user in cast.clients().values():
        assert api_for(user).get("/api/v1/housing/houses/").status_code == 403
        assert api_for(user).get("/api/v1/housing/appraisals/").status_code == 403


def test_staff_see_houses_of_their_region_only(places, cast, api_for):
    house(places.hamlet_a)
    house(places.hamlet_b)
    assert api_for(cast.district).get("/api/v1/housing/houses/").json()["count"] == 2
    assert api_for(cast.township_b).get("/api/v1/housing/houses/").json()["count"] == 1
    assert api_for(cast.grid_a).get("/api/v1/housing/houses/").json()["count"] == 1
