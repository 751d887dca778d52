import pytest
from django.db import connection

from shuxiang.core import pii, services
from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import Person


@pytest.mark.parametrize("number", ["11010519491231002X", "440524188001010014"])
def test_standard_example_id_numbers_are_valid(number):
    assert pii.normalize_id_number(number) == number


def test_lowercase_x_is_accepted_as_check_character():
    assert pii.normalize_id_number("11010519491231002x") == "11010519491231002X"


def test_fifteen_digit_number_is_upgraded_with_century_and_check_digit():
    assert pii.normalize_id_number("110105491231002") == "11010519491231002X"


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("110105194912310021", "id_number_check_digit"),
        ("11010519491331002X", "id_number_birth_date"),
        ("1101051949123100", "id_number_format"),
        ("430903********1234", "masked_value"),
    ],
)
def test_invalid_id_numbers_are_refused_with_a_reason(number, code):
    with pytest.raises(pii.PIIError) as exc:
        pii.normalize_id_number(number)
    assert exc.value.code == code
    assert exc.value.message  # a Chinese sentence for the person who typed it


def test_masks_show_only_the_parts_people_recognise():
    assert pii.mask_id_number("430903199001011234") == "430903********1234"
    assert pii.mask_phone("13812341234") == "138****1234"
    assert pii.mask_name("张小明") == "张*明"


def test_id_and_phone_are_not_stored_in_clear(places):
    person = services.do_create_person(
        actor=OPERATOR,
        name="李四",
        place=places.hamlet_a,
        id_number="11010519491231002X",
        phone="13812341234",
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM core_person WHERE id = %s", [person.pk])
        raw_id, raw_phone = cursor.fetchone()
    assert "11010519491231002X" not in raw_id and "1101051949" not in raw_id
    assert "13812341234" not in raw_phone
    assert Person.objects.get(pk=person.pk).id_number == "11010519491231002X"


def test_person_is_found_by_full_id_number_through_its_digest(places):
    services.do_create_person(
        actor=OPERATOR, name="李四", place=places.hamlet_a, id_number="11010519491231002X"
    )
    found = Person.objects.filter(id_number_digest=pii.digest("11010519491231002X"))
    assert [p.name for p in found] == ["李四"]


def test_a_masked_value_never_round_trips_into_storage(places):
    person = services.do_create_person(
        actor=OPERATOR,
        name="李四",
        place=places.hamlet_a,
        id_number="11010519491231002X",
        phone="13812341234",
    )
    with pytest.raises(ServiceError) as exc:
        services.do_update_person(person, actor=OPERATOR, id_number=person.id_number_masked)
    assert "id_number" in exc.value.fields
    with pytest.raises(ServiceError):
        services.do_update_person(person, actor=OPERATOR, phone=person.phone_masked)
    person.refresh_from_db()
    assert person.id_number == "11010519491231002X"
    assert person.phone == "13812341234"


def test_the_same_id_number_cannot_be_registered_twice(places):
    services.do_create_person(
        actor=OPERATOR, name="李四", place=places.hamlet_a, id_number="11010519491231002X"
    )
    with pytest.raises(ServiceError) as exc:
        services.do_create_person(
            actor=OPERATOR, name="李四四", place=places.hamlet_b, id_number="11010519491231002X"
        )
    assert exc.value.fields["id_number"] == ["该身份证号已登记"]
    assert Person.objects.count() == 1


def test_gender_and_birth_date_come_from_the_id_number(places):
    person = services.do_create_person(
        actor=OPERATOR, name="王五", place=places.hamlet_a, id_number="440524188001010014"
    )
    assert person.gender == "male"
    assert person.birth_date.isoformat() == "1880-01-01"
