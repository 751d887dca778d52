"""Who reaches traceability (issue 12): the bank reads the directory and nothing else, a producer's
recorder its own producer's records and nothing else, staff as before; checked with the demo's own
accounts (`bank`, `coop`, `water`, `grid`, …) and with the test cast."""

import pytest

from shuxiang.core.actors import OPERATOR
from shuxiang.core.choices import Role
from shuxiang.core.navigation import pending_for
from shuxiang.trace.models import Lot, Producer

pytestmark = pytest.mark.django_db

COUNTERFEIT = "疑似假冒追溯码的批次"


# --- the demo's accounts ------------------------------------------------------------------------


def test_the_producer_page_renders_for_every_demo_producer(demo, client_for):
    admin = client_for(demo.users["admin"])
    producers = list(Producer.objects.all())
    assert len(producers) == 7
    for producer in producers:
        response = admin.get(f"/trace/producers/{producer.pk}/")
        assert response.status_code == 200, producer.name
        page = response.content.decode()
        assert producer.name in page and "关联监测设备" in page and "新建批次" in page
    pond = Producer.objects.get(name="新市渡特种水产养殖合作社")
    assert "TRACE-POND-01" in admin.get(f"/trace/producers/{pond.pk}/").content.decode()


def test_the_counterfeit_pending_item_shows_only_to_those_who_can_clear_it(demo, client_for):
    lot = Lot.objects.get(suspicious=True)
    assert lot.product.producer.place.township.name == "泉交河镇"
    users = demo.users

    def shown(name):
        return any(item.title == COUNTERFEIT for item in pending_for(users[name]))

    assert shown("admin") and shown("district") and shown("agri") and shown("quanjiaohe")
    for name in ("water", "grid", "bank", "coop", "lanxi"):
        assert not shown(name), name
    assert COUNTERFEIT not in client_for(users["coop"]).get("/").content.decode()
    assert COUNTERFEIT in client_for(users["quanjiaohe"]).get("/").content.decode()


def test_a_counterfeit_clue_is_a_pending_item_for_its_township_and_nothing_public(demo, client_for):
    from django.test import Client

    lot = Lot.objects.exclude(clue_reason="").get()
    assert lot.product.producer.place.township.name == "兰溪镇" and not lot.suspicious
    users = demo.users

    def shown(name):
        return any(item.title == "待核查的仿冒线索" for item in pending_for(users[name]))

    assert shown("lanxi") and shown("admin")
    for name in ("quanjiaohe", "grid", "bank", "coop", "water"):
        assert not shown(name), name
    page = Client().get(lot.public_path).content.decode()
    assert "仿冒" not in page and lot.clue_reason not in page


# --- the bank: the directory, by token, and nothing else ---------------------------------------------

BANK_REFUSED_API = ["/api/v1/people/", "/api/v1/cases/", "/api/v1/iot/devices/", "/api/v1/trace/producers/"]
WEB_PAGES = ["/", "/trace/producers/", "/trace/lots/", "/people/", "/cases/", "/water/reservoirs/"]


def test_the_demo_bank_reads_the_directory_and_is_refused_everything_else(demo, api_for, client_for):
    assert demo.users["bank"].role == Role.BANK and "bank" in {name for name, _, _ in demo.credentials}
    api = api_for(demo.users["bank"])
    for path in BANK_REFUSED_API:
        assert api.get(path).status_code == 403, path
    # Only entities that consented to the directory are shown: the markets demo records consent for
    # most of the seven (this fixture builds the trace demo only, so its directory part is run here).
    from shuxiang.markets.demo import build_directory
    from shuxiang.markets.models import DirectoryConsent

    assert api.get("/api/v1/trace/directory/").json()["count"] == 0
    build_directory(demo)
    consenting = DirectoryConsent.objects.filter(status="given").count()
    assert 5 <= consenting <= 7
    response = api.get("/api/v1/trace/directory/")
    assert response.status_code == 200 and len(response.json()["results"]) == consenting
    web = client_for(demo.users["bank"])
    for path in WEB_PAGES:
        assert web.get(path).status_code == 403, path


@pytest.mark.parametrize("path", BANK_REFUSED_API)
def test_a_bank_token_is_refused_outside_the_directory(farm, cast, api_for, path):
    assert api_for(cast.bank).get(path).status_code == 403


def test_a_bank_token_reads_the_directory_list_and_detail(farm, other_farm, cast, api_for):
    from shuxiang.markets.directory import do_set_consent

    for f in (farm, other_farm):
        do_set_consent(f["producer"], actor=OPERATOR, given=True)
    api = api_for(cast.bank)
    response = api.get("/api/v1/trace/directory/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert {r["name"] for r in rows} == {farm["producer"].name, other_farm["producer"].name}
    detail = api.get(f"/api/v1/trace/directory/{rows[0]['id']}/")
    assert detail.status_code == 200 and detail.json()["name"] == rows[0]["name"]
    # Only what a bank may read: a masked phone, no ID number, no operators, no address.
    assert all("*" in r["contact_phone"] for r in rows if r["contact_phone"])
    assert not {"contact_id_number", "operators", "address"} & set(rows[0])


def test_other_trace_apis_are_closed_to_the_bank(lot, cast, api_for):
    api = api_for(cast.bank)
    for path in (
        "/api/v1/trace/lots/",
        f"/api/v1/trace/lots/{lot.pk}/",
        f"/api/v1/trace/lots/{lot.pk}/events/",
        "/api/v1/trace/products/",
        "/api/v1/trace/plots/",
    ):
        assert api.get(path).status_code == 403, path


@pytest.mark.parametrize("path", WEB_PAGES)
def test_the_bank_cannot_use_the_web_ui(cast, client_for, path):
    assert client_for(cast.bank).get(path).status_code == 403


def test_the_bank_signing_in_on_the_web_is_told_it_is_an_api_account(cast):
    from django.test import Client

    from shuxiang.testing import PASSWORD

    web = Client()
    response = web.post("/login/", {"username": cast.bank.username, "password": PASSWORD})
    # The sign-in page says it is an API account, and no session is opened.
    assert "接口账号" in response.content.decode()
    assert web.get("/trace/producers/").status_code == 302


# --- the coop: its own producer's records, web and API ------------------------------------------------


def test_the_demo_coop_sees_only_its_own_producers_records(demo, client_for, api_for):
    coop = demo.users["coop"]
    assert coop.role == Role.PRODUCER and "coop" in {name for name, _, _ in demo.credentials}
    own = Producer.objects.get(operators=coop)
    web = client_for(coop)
    page = web.get(f"/trace/producers/{own.pk}/").content.decode()
    assert own.name in page and "新建批次" in page and "记录环境检测" in page
    assert "添加基地" not in page and "关联监测设备" not in page
    for other_producer in Producer.objects.exclude(pk=own.pk):
        assert web.get(f"/trace/producers/{other_producer.pk}/").status_code == 404
    own_lots = set(Lot.objects.filter(product__producer=own).values_list("lot_number", flat=True))
    assert len(own_lots) == 3
    page = client_for(coop).get("/trace/lots/?page_size=1000").content.decode()
    assert all(number in page for number in own_lots)
    assert not any(lot.lot_number in page for lot in Lot.objects.exclude(product__producer=own))
    rows = api_for(coop).get("/api/v1/trace/lots/?page_size=1000").json()["results"]
    assert {r["lot_number"] for r in rows} == own_lots
    other = Lot.objects.exclude(product__producer=own).first()
    assert client_for(coop).get(f"/trace/lots/{other.pk}/").status_code == 404
    assert api_for(coop).get(f"/api/v1/trace/lots/{other.pk}/").status_code == 404
    for path in ("/people/", "/cases/", "/api/v1/people/", "/api/v1/cases/"):
        client = api_for(coop) if path.startswith("/api/") else client_for(coop)
        assert client.get(path).status_code == 403, path


def test_the_coop_sees_its_own_producers_lots_in_html_and_api_and_no_others(
    lot, farm, other_farm, client_for, api_for
):
    coop = farm["account"]
    page = client_for(coop).get("/trace/lots/?page_size=1000").content.decode()
    assert lot.lot_number in page and other_farm["lot"].lot_number not in page
    rows = api_for(coop).get("/api/v1/trace/lots/").json()["results"]
    assert [r["lot_number"] for r in rows] == [lot.lot_number]
    producers = api_for(coop).get("/api/v1/trace/producers/").json()["results"]
    assert [p["name"] for p in producers] == [farm["producer"].name]
    assert client_for(coop).get(f"/trace/lots/{lot.pk}/").status_code == 200


def test_the_coop_gets_404_for_another_producers_lot_on_the_web_and_the_api(
    lot, farm, other_farm, client_for, api_for
):
    coop = farm["account"]
    other = other_farm["lot"]
    web, api = client_for(coop), api_for(coop)
    assert web.get(f"/trace/lots/{other.pk}/").status_code == 404
    assert web.get(f"/trace/lots/{other.pk}/labels.pdf").status_code == 404
    assert web.post(f"/trace/lots/{other.pk}/events/add/", {"biz_step": "harvesting"}).status_code == 404
    assert web.get(f"/trace/producers/{other_farm['producer'].pk}/").status_code == 404
    assert api.get(f"/api/v1/trace/lots/{other.pk}/").status_code == 404
    assert api.post(f"/api/v1/trace/lots/{other.pk}/events/", {"biz_step": "harvesting"}).status_code == 404
    assert api.get(f"/api/v1/trace/products/{other_farm['product'].pk}/").status_code == 404
    assert api.get(f"/api/v1/trace/plots/{other_farm['plot'].pk}/").status_code == 404
    assert not other.events.exists()


@pytest.mark.parametrize(
    "path", ["/people/", "/cases/", "/water/reservoirs/", "/iot/alarms/", "/warnings/", "/api/v1/people/"]
)
def test_the_coop_is_refused_people_cases_reservoirs_alarms_and_warnings(farm, client_for, api_for, path):
    coop = farm["account"]
    client = api_for(coop) if path.startswith("/api/") else client_for(coop)
    assert client.get(path).status_code == 403


def test_the_coop_has_no_directory_and_cannot_register_producers(farm, places, client_for, api_for):
    coop = farm["account"]
    assert api_for(coop).get("/api/v1/trace/directory/").status_code == 403
    assert client_for(coop).get("/trace/producers/add/").status_code == 403
    response = api_for(coop).post(
        "/api/v1/trace/producers/",
        {"name": "某合作社", "kind": "cooperative", "place": places.village_a.code},
    )
    assert response.status_code == 403 and Producer.objects.count() == 1


def test_the_coop_records_an_event_for_its_own_lot_on_the_web(lot, farm, client_for):
    from shuxiang.trace.tests.conftest import days_ago

    when = days_ago(1).strftime("%Y-%m-%dT%H:%M")
    response = client_for(farm["account"]).post(
        f"/trace/lots/{lot.pk}/events/add/", {"biz_step": "planting", "event_time": when, "note": "插秧"}
    )
    assert response.status_code == 302
    assert lot.events.get().recorded_by == farm["account"].username


# --- the test cast: staff keep today's access --------------------------------------------------------


def test_staff_with_the_directory_today_keep_it_and_other_staff_have_none(cast, api_for):
    for user in (cast.admin, cast.district, cast.department):
        assert api_for(user).get("/api/v1/trace/directory/").status_code == 200, user.username
    for user in (cast.township_a, cast.village_a, cast.grid_a, cast.producer, cast.gateway, cast.feed):
        assert api_for(user).get("/api/v1/trace/directory/").status_code == 403, user.username


def test_a_directory_grant_does_not_open_the_producer_register(cast, api_for):
    from shuxiang.core.actors import OPERATOR
    from shuxiang.core.grants import do_create_grant

    # Even a grant to the directory given to one person of another client role opens only the directory.
    do_create_grant(actor=OPERATOR, object_type="trace.directoryentry", actions=["view"], user=cast.feed)
    api = api_for(cast.feed)
    assert api.get("/api/v1/trace/directory/").status_code == 200
    assert api.get("/api/v1/trace/producers/").status_code == 403
    assert api.get("/api/v1/trace/lots/").status_code == 403


def test_a_water_bureau_officer_reads_trace_records_but_gets_no_trace_forms(lot, places, client_for):
    from shuxiang.core import services as core_services
    from shuxiang.core.actors import OPERATOR
    from shuxiang.testing import PASSWORD

    water = core_services.do_create_unit(
        actor=OPERATOR, name="区水利局", kind="bureau", place=places.district, domains=["water"]
    )
    officer = core_services.do_create_user(
        actor=OPERATOR,
        username="t_water",
        role="department",
        place=places.district,
        unit=water,
        password=PASSWORD,
    )
    web = client_for(officer)
    assert web.get(f"/trace/lots/{lot.pk}/").status_code == 200
    assert web.get("/trace/producers/add/").status_code == 403
    assert web.get(f"/trace/producers/{lot.product.producer_id}/lots/add/").status_code == 403
    assert web.post(f"/trace/lots/{lot.pk}/events/add/", {"biz_step": "planting"}).status_code == 403
    assert not lot.events.exists()
