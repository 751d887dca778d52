"""The places page is a tree (issue 14 §5: it was a flat table of 49 pages): the county and its
townships at once, a township's villages when it is opened (HTMX), the table for any search."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_admin_sees_the_county_and_its_townships_and_no_villages_until_asked(cast, places, client_for):
    page = client_for(cast.admin).get("/places/").content.decode()
    assert 'id="place-tree"' in page
    assert "赫山区" in page and "泉交河镇" in page and "兰溪镇" in page
    assert "清水村" not in page  # a township's villages come when it is opened
    assert f'hx-get="/places/?children={places.township_a.code}"' in page
    assert "1 个村/社区" in page


def test_opening_a_township_answers_its_villages(cast, places, client_for):
    rows = client_for(cast.admin).get(f"/places/?children={places.township_a.code}", HTTP_HX_REQUEST="true")
    html = rows.content.decode()
    assert "<html" not in html and "清水村" in html and "荷花村" not in html
    assert "1 个自然村/村民小组" in html


def test_an_officer_s_tree_starts_at_their_township_and_stays_in_it(cast, places, client_for):
    web = client_for(cast.township_a)
    page = web.get("/places/").content.decode()
    assert "泉交河镇" in page and "清水村" in page and "兰溪镇" not in page and "赫山区<" not in page
    assert web.get(f"/places/?children={places.township_b.code}").status_code == 404


def test_a_search_or_a_page_number_gives_the_table(cast, places, client_for):
    web = client_for(cast.admin)
    found = web.get("/places/?q=清水").content.decode()
    assert 'id="place-tree"' not in found and "清水村" in found and "<table" in found
    assert "<table" in web.get("/places/?view=table").content.decode()
    assert web.get("/places/?export=csv")["Content-Type"].startswith("text/csv")
