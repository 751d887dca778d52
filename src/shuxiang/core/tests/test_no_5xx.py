"""Inputs that used to answer 500 (issue 13's reproductions in core): each is a clear 4xx now, nothing written."""

import pytest

from shuxiang.core.jsonbody import loads, nesting_depth
from shuxiang.core.models import Person, User

pytestmark = pytest.mark.django_db


def test_deleting_a_person_still_referenced_answers_409_with_what_references_it(cast, places, api_for):
    from shuxiang.core.tests.test_scope_walk import load_samples
    from shuxiang.monitoring.models import Member

    member = load_samples()[Member](places.hamlet_a, "被引用的成员")
    person = member.person
    answer = api_for(cast.admin).delete(f"/api/v1/people/{person.pk}/")
    assert answer.status_code == 409
    assert answer.json()["code"] == "in_use" and "不能删除" in answer.json()["message"]
    assert Person.objects.filter(pk=person.pk).exists()


def test_creating_a_township_user_without_a_place_is_a_400(cast, api_for):
    answer = api_for(cast.admin).post(
        "/api/v1/users/", {"username": "x_no_place", "role": "township"}, format="json"
    )
    assert answer.status_code == 400
    assert not User.objects.filter(username="x_no_place").exists()


def test_unit_domains_null_is_a_400(cast, api_for):
    unit = cast.township_a.unit
    answer = api_for(cast.admin).patch(f"/api/v1/units/{unit.pk}/", {"domains": None}, format="json")
    assert answer.status_code == 400


@pytest.mark.parametrize("query", ["unit=-9223372036854775809", "place=99999999999999999999999"])
def test_integers_beyond_64_bits_in_filters_are_a_400(cast, api_for, client_for, query):
    assert api_for(cast.admin).get(f"/api/v1/people/?{query}").status_code < 500
    assert client_for(cast.admin).get(f"/people/?{query}").status_code < 500


def test_an_id_beyond_64_bits_in_a_url_is_not_a_500(cast, api_for, client_for):
    assert api_for(cast.admin).get("/api/v1/people/99999999999999999999999/").status_code in (400, 404)
    assert client_for(cast.admin).get("/people/99999999999999999999999/").status_code in (400, 404)


def test_json_nested_50000_deep_is_refused_before_parsing(cast, api_for):
    body = "[" * 50000 + "]" * 50000
    answer = api_for(cast.admin).generic("POST", "/api/v1/people/", body, content_type="application/json")
    assert answer.status_code == 400
    assert "嵌套" in answer.json()["message"]


def test_the_depth_check_ignores_brackets_inside_strings():
    assert nesting_depth(b'{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}') == 1
    assert loads('{"a": [1, {"b": 2}]}') == {"a": [1, {"b": 2}]}
