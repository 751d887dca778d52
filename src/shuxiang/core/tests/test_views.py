import csv
import io

from openpyxl import load_workbook

from shuxiang.core import services
from shuxiang.core.actors import OPERATOR
from shuxiang.core.models import AuditEntry, Person


def make_people(places):
    services.do_create_person(
        actor=OPERATOR,
        name="本镇张三",
        place=places.hamlet_a,
        id_number="11010519491231002X",
        phone="13812341234",
    )
    services.do_create_person(actor=OPERATOR, name="外镇李四", place=places.hamlet_b)


def test_home_page_greets_and_lists_pending_work(cast, client_for):
    html = client_for(cast.township_a).get("/").content.decode()
    assert "我的待办" in html and "t_quanjiaohe" in html


def test_people_list_searches_by_name_and_by_full_id_number(cast, places, client_for):
    make_people(places)
    web = client_for(cast.district)
    assert "本镇张三" in web.get("/people/?q=张三").content.decode()
    by_id = web.get("/people/?q=11010519491231002X").content.decode()
    assert "本镇张三" in by_id and "外镇李四" not in by_id
    table = by_id[by_id.index("<table") :]
    assert "110105********002X" in table and "11010519491231002X" not in table


def test_people_list_shows_masked_identifiers(cast, places, client_for):
    make_people(places)
    html = client_for(cast.district).get("/people/").content.decode()
    assert "110105********002X" in html and "138****1234" in html
    assert "13812341234" not in html


def test_htmx_filter_returns_only_the_table(cast, places, client_for):
    make_people(places)
    response = client_for(cast.district).get("/people/?q=李四", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<table" in html and "<html" not in html and "外镇李四" in html


def test_csv_export_holds_only_the_officers_township_and_is_audited(cast, places, client_for):
    make_people(places)
    response = client_for(cast.township_a).get("/people/?export=csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "姓名"
    assert [r[0] for r in rows[1:]] == ["本镇张三"]
    assert rows[1][1] == "110105********002X"
    assert AuditEntry.objects.filter(action="export", actor=cast.township_a).exists()


def test_xlsx_export_opens_in_excel_with_the_filtered_rows(cast, places, client_for):
    make_people(places)
    response = client_for(cast.district).get("/people/?q=张三&export=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "姓名" and [v[0] for v in values[1:]] == ["本镇张三"]


def test_person_page_reveals_numbers_only_on_request_and_audits_it(cast, places, client_for):
    make_people(places)
    person = Person.objects.get(name="本镇张三")
    web = client_for(cast.district)
    page = web.get(f"/people/{person.pk}/").content.decode()
    assert "110105********002X" in page and "11010519491231002X" not in page
    revealed = web.post(f"/people/{person.pk}/reveal/").content.decode()
    assert "11010519491231002X" in revealed and "13812341234" in revealed
    assert (
        AuditEntry.objects.filter(action="reveal", actor=cast.district, object_id=str(person.pk)).count() == 1
    )


def test_officer_without_reveal_permission_cannot_reveal(cast, places, client_for):
    make_people(places)
    person = Person.objects.get(name="本镇张三")
    web = client_for(cast.township_a)
    assert "显示完整号码" not in web.get(f"/people/{person.pk}/").content.decode()
    assert web.post(f"/people/{person.pk}/reveal/").status_code == 403


def test_person_form_shows_field_errors_and_writes_nothing(cast, places, client_for):
    response = client_for(cast.township_a).post(
        "/people/add/", {"name": "王五", "id_number": "110105194912310021", "place": places.hamlet_a.code}
    )
    assert "校验位错误" in response.content.decode()
    assert not Person.objects.filter(name="王五").exists()


def test_editing_a_person_never_puts_the_stored_numbers_back_in_the_form(cast, places, client_for):
    make_people(places)
    person = Person.objects.get(name="本镇张三")
    web = client_for(cast.township_a)
    form = web.get(f"/people/{person.pk}/edit/").content.decode()
    assert "11010519491231002X" not in form and "110105********002X" not in form
    web.post(
        f"/people/{person.pk}/edit/",
        {"name": "本镇张叁", "id_number": "", "phone": "", "place": places.hamlet_a.code},
    )
    person.refresh_from_db()
    assert person.name == "本镇张叁" and person.id_number == "11010519491231002X"


def test_place_page_browses_the_tree(cast, places, client_for):
    html = client_for(cast.district).get("/places/430903103000/").content.decode()
    assert "清水村" in html and "赫山区" in html


def test_admin_creates_a_user_in_the_ui(cast, places, client_for):
    response = client_for(cast.admin).post(
        "/users/add/",
        {
            "username": "newgrid",
            "display_name": "新网格员",
            "role": "grid",
            "place": places.village_b.code,
            "password": "Good-pass-123",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    from shuxiang.core.models import User

    assert User.objects.get(username="newgrid").place == places.village_b


def test_admin_user_form_refuses_a_weak_password(cast, places, client_for):
    response = client_for(cast.admin).post(
        "/users/add/",
        {
            "username": "weakling",
            "role": "grid",
            "place": places.village_b.code,
            "password": "abc",
        },
    )
    assert "密码" in response.content.decode()
    from shuxiang.core.models import User

    assert not User.objects.filter(username="weakling").exists()


def test_lists_paginate(cast, places, client_for):
    for i in range(30):
        services.do_create_person(actor=OPERATOR, name=f"人员{i:02d}", place=places.hamlet_a)
    html = client_for(cast.district).get("/people/?page=2").content.decode()
    assert "第 2 / 2 页" in html


def test_a_division_code_box_suggests_only_places_in_the_officer_s_township(cast, client_for, places):
    form_page = client_for(cast.district).get("/units/add/").content.decode()
    assert 'hx-get="/places/suggest/?field=' in form_page and '<datalist id="places-' in form_page
    officer = client_for(cast.township_a)
    options = officer.get("/places/suggest/", {"field": "place", "place": ""}).content.decode()
    assert places.village_a.code in options and places.village_b.code not in options
    by_name = officer.get(
        "/places/suggest/", {"field": "place", "place": places.village_a.name}
    ).content.decode()
    assert f'<option value="{places.village_a.code}">{places.village_a.name}' in by_name
    by_code = officer.get(
        "/places/suggest/", {"field": "place", "place": places.village_b.code[:9]}
    ).content.decode()
    assert places.village_b.code not in by_code  # the other township's code prefix finds nothing
