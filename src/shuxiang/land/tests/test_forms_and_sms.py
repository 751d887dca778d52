"""The browser forms and API writes for contracts, setting up a cooperative, proposing members and
allocating shares; the one-time code by text message (outbox by default, an HTTP gateway when set)."""

import json
import threading
from datetime import date, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.utils import timezone

from shuxiang.core import services as core_services
from shuxiang.core.actors import OPERATOR
from shuxiang.core.models import AuditEntry, Person
from shuxiang.land import coop as coop_services
from shuxiang.land import services
from shuxiang.land.models import Contract, Cooperative, Holding, Member, MemberCode, TextMessage
from shuxiang.land.tests.conftest import confirmed_member

pytestmark = pytest.mark.django_db

ID_A = "11010519491231002X"


@pytest.fixture
def household(places, person_factory):
    return services.do_register_contractor(
        actor=OPERATOR, code="430903103201000001", head=person_factory("李德顺")
    )


# --- contracts ----------------------------------------------------------------------------------


def _contract_form(**over):
    return {
        "contractor": "430903103201000001",
        "method": "J",
        "parcels": "4309031032010000001, 4309031032010000002",
        "start": "1998-09-30",
        "end": "2028-09-29",
        "certificate_no": "430903103201000001J",
        **over,
    }


def test_a_village_cadre_registers_edits_and_terminates_a_contract_in_the_browser(
    village_parcels, household, cast, client_for
):
    web = client_for(cast.village_a)
    assert web.get("/land/contracts/add/").status_code == 200
    bad = web.post("/land/contracts/add/", _contract_form(contractor="430903103201000099"))
    assert bad.status_code == 400 and "承包方不存在" in bad.content.decode()
    backwards = web.post("/land/contracts/add/", _contract_form(end="1990-01-01"))
    assert "终止日期应晚于起始日期" in backwards.content.decode()
    assert Contract.objects.count() == 0

    ok = web.post("/land/contracts/add/", _contract_form())
    assert ok.status_code == 302 and ok["Location"] == "/land/contracts/430903103201000001J/"
    contract = Contract.objects.get()
    assert sorted(contract.parcels.values_list("code", flat=True)) == [
        "4309031032010000001",
        "4309031032010000002",
    ]
    detail = web.get(ok["Location"]).content.decode()
    assert "李德顺户" in detail and "修改" in detail and "终止合同" in detail
    listing = web.get("/land/contracts/?q=430903103201000001").content.decode()
    assert "430903103201000001J" in listing

    # 延包 and 调地: the third parcel joins, the second leaves
    edit = web.post(
        "/land/contracts/430903103201000001J/edit/",
        {"parcels": "4309031032010000001\n4309031032010000003", "end": "2058-09-29", "certificate_no": "X1"},
    )
    assert edit.status_code == 302
    contract.refresh_from_db()
    assert contract.end == date(2058, 9, 29) and contract.certificate_no == "X1"
    assert sorted(contract.parcels.values_list("code", flat=True)) == [
        "4309031032010000001",
        "4309031032010000003",
    ]
    changes = AuditEntry.objects.filter(object_type="land.contract", action="update").get().changes
    assert "4309031032010000002" in changes["parcels"][0] and changes["end"][1].startswith("2058")

    future = web.post(
        "/land/contracts/430903103201000001J/terminate/",
        {"ended_on": str(timezone.localdate() + timedelta(days=3)), "end_reason": "自愿交回承包地"},
    )
    assert "至今天之间" in future.content.decode()
    contract.refresh_from_db()
    assert contract.status == "active"
    done = web.post(
        "/land/contracts/430903103201000001J/terminate/",
        {"ended_on": "2026-03-01", "end_reason": "承包地被依法征收", "note": "高速连接线"},
    )
    assert done.status_code == 302
    contract.refresh_from_db()
    assert contract.status == "ended" and contract.end_reason == "承包地被依法征收：高速连接线"
    # its parcels are free for a new contract (other method, so another code)
    again = web.post("/land/contracts/add/", _contract_form(method="Q", parcels="4309031032010000001"))
    assert again.status_code == 302
    # and an ended contract cannot be edited
    assert (
        "已终止"
        in web.post(
            "/land/contracts/430903103201000001J/edit/",
            {"parcels": "4309031032010000001", "end": "2060-01-01"},
        ).content.decode()
    )


def test_a_parcel_under_an_active_contract_cannot_be_contracted_twice(
    village_parcels, household, cast, client_for
):
    web = client_for(cast.village_a)
    assert web.post("/land/contracts/add/", _contract_form()).status_code == 302
    services.do_register_contractor(
        actor=OPERATOR,
        code="430903103201000002",
        head=Person.objects.create(name="王二", place=household.village),
    )
    second = web.post(
        "/land/contracts/add/", _contract_form(contractor="430903103201000002", parcels="4309031032010000002")
    )
    assert "已有有效承包合同" in second.content.decode() and Contract.objects.count() == 1


def test_contract_pages_are_scoped_and_need_the_permission(village_parcels, household, cast, client_for):
    services.do_create_contract(
        actor=OPERATOR,
        contractor=household,
        parcels=village_parcels[:1],
        start=date(1998, 9, 30),
        end=date(2028, 9, 29),
    )
    assert client_for(cast.township_b).get("/land/contracts/430903103201000001J/").status_code == 404
    assert client_for(cast.grid_a).get("/land/contracts/add/").status_code == 403
    refused = client_for(cast.grid_a).post(
        "/land/contracts/430903103201000001J/terminate/", {"ended_on": "2026-01-01", "end_reason": "其他"}
    )
    assert refused.status_code == 403 and Contract.objects.get().status == "active"


def test_contracts_over_the_api_create_change_and_terminate(village_parcels, household, cast, api_for):
    api = api_for(cast.township_a)
    body = {
        "contractor": "430903103201000001",
        "parcels": ["4309031032010000001"],
        "start": "1998-09-30",
        "end": "2028-09-29",
    }
    foreign = api.post("/api/v1/land/contracts/", {**body, "parcels": ["4309031032019999999"]}, format="json")
    assert foreign.status_code == 400 and "地块不存在" in foreign.json()["message"]
    assert Contract.objects.count() == 0
    created = api.post("/api/v1/land/contracts/", body, format="json")
    assert created.status_code == 201 and created.json()["code"] == "430903103201000001J"
    changed = api.patch(
        "/api/v1/land/contracts/430903103201000001J/",
        {"end": "2058-09-29", "parcels": ["4309031032010000001", "4309031032010000004"]},
        format="json",
    )
    assert changed.status_code == 200 and changed.json()["end"] == "2058-09-29"
    assert changed.json()["parcels"] == ["4309031032010000001", "4309031032010000004"]
    bad = api.post(
        "/api/v1/land/contracts/430903103201000001J/terminate/", {"ended_on": "2026-01-01"}, format="json"
    )
    assert bad.status_code == 400 and Contract.objects.get().status == "active"
    ended = api.post(
        "/api/v1/land/contracts/430903103201000001J/terminate/",
        {"ended_on": "2026-01-01", "reason": "自愿交回承包地"},
        format="json",
    )
    assert ended.status_code == 200 and ended.json()["status"] == "ended"
    assert ended.json()["ended_on"] == "2026-01-01"


# --- the cooperative, members, shares ------------------------------------------------------------


def test_a_township_sets_up_a_cooperative_in_the_browser_and_a_village_cadre_may_not(
    places, cast, client_for
):
    form = {
        "village": "430903103201",
        "name": "",
        "credit_code": "N2430903MF1234567X",
        "cutoff_date": "2020-12-31",
        "management": "static",
        "reserve_percent": "30",
    }
    assert client_for(cast.village_a).post("/land/coop/add/", form).status_code == 403
    web = client_for(cast.township_a)
    bad = web.post("/land/coop/add/", {**form, "credit_code": "12345"})
    assert "统一社会信用代码应为18位" in bad.content.decode() and Cooperative.objects.count() == 0
    ok = web.post("/land/coop/add/", {**form, "credit_code": "N2430903MF1234567X".replace("N", "9")})
    assert ok.status_code == 302 and ok["Location"] == "/land/coop/430903103201/members/"
    c = Cooperative.objects.get()
    assert c.name.endswith("股份经济合作社") and c.reserve_rate == Decimal("0.3000")
    # the village is no longer offered, and posting it again is refused
    assert "430903103201" not in web.get("/land/coop/add/").content.decode().split('name="village"')[1][:2000]
    assert web.post("/land/coop/add/", {**form, "credit_code": ""}).status_code == 400
    assert Cooperative.objects.count() == 1


def test_a_village_cadre_proposes_a_member_and_allocates_shares_in_the_browser(
    places, coop, household, person_factory, cast, client_for
):
    web = client_for(cast.village_a)
    url = f"/land/coop/{coop.village.code}/members/add/"
    form = {
        "name": "李小芳",
        "id_number": ID_A,
        "phone": "13907371234",
        "household": "430903103201000001",
        "basis": "birth",
        "bank_name": "益阳农商行",
        "bank_account": "6217001234567890123",
    }
    bad = web.post(url, {**form, "id_number": "110105194912310021"})
    assert (
        bad.status_code == 400
        and Member.objects.count() == 0
        and Person.objects.filter(name="李小芳").count() == 0
    )
    assert web.post(url, form).status_code == 302
    member = Member.objects.get(person__name="李小芳")
    assert (
        member.status == "proposed" and member.household == household and member.person.phone == "13907371234"
    )
    # a second cooperative cannot take the same person
    other = coop_services.do_create_cooperative(
        actor=OPERATOR, village=places.village_b, name="荷花村股份经济合作社", cutoff_date=date(2020, 12, 31)
    )
    again = coop_services.do_propose_member_by_id
    with pytest.raises(Exception) as exc:
        again(other, actor=OPERATOR, name="李小芳", id_number=ID_A, basis="hukou")
    assert "一人只能是一个集体经济组织的成员" in str(exc.value.message)

    shares_url = f"/land/coop/{coop.village.code}/shares/"
    early = web.post(shares_url, {"target": "all", "kind": "population", "shares": "1"})
    assert "没有需要配" in early.content.decode() and Holding.objects.count() == 0
    coop_services.do_approve_member(member, actor=OPERATOR)
    coop_services.do_approve_member(member, actor=OPERATOR)
    others = []
    for _ in range(3):  # confirmed, no shares yet
        m = coop_services.do_propose_member(coop, actor=OPERATOR, person=person_factory(), basis="hukou")
        coop_services.do_approve_member(m, actor=OPERATOR)
        others.append(coop_services.do_approve_member(m, actor=OPERATOR))
    done = web.post(
        shares_url, {"target": "all", "kind": "population", "shares": "1", "basis": "成员大会决议"}
    )
    assert done.status_code == 302
    assert Holding.objects.filter(kind="population", shares=Decimal("1")).count() == 4
    # again: nobody is left without 人口股, nothing is written twice
    assert (
        "没有需要配"
        in web.post(shares_url, {"target": "all", "kind": "population", "shares": "1"}).content.decode()
    )
    one = web.post(
        shares_url, {"target": "member", "member": others[0].code, "kind": "land", "shares": "2.5"}
    )
    assert one.status_code == 302
    assert Holding.objects.get(member=others[0], kind="land").shares == Decimal("2.5")
    wrong = web.post(
        shares_url, {"target": "member", "member": others[0].code, "kind": "collective", "shares": "5"}
    )
    assert "成员不能持有集体股" in wrong.content.decode()
    kept = web.post(shares_url, {"target": "collective", "kind": "collective", "shares": "40"})
    assert kept.status_code == 302 and Holding.objects.get(member=None).shares == Decimal("40")
    page = web.get(f"/land/coop/{coop.village.code}/members/").content.decode()
    assert 'id="total-shares">46.5000<' in page  # 4 × 人口股 1 + 土地入股 2.5 + 集体股 40


def test_static_management_gives_no_new_shares_to_a_member_confirmed_after_the_cutoff(
    places, person_factory, cast, client_for
):
    c = coop_services.do_create_cooperative(
        actor=OPERATOR, village=places.village_a, name="清水村股份经济合作社", cutoff_date=date(2020, 12, 31)
    )
    late = coop_services.do_propose_member(c, actor=OPERATOR, person=person_factory(), basis="birth")
    coop_services.do_approve_member(late, actor=OPERATOR)
    coop_services.do_approve_member(late, actor=OPERATOR)  # confirmed today, after the cut-off
    web = client_for(cast.village_a)
    single = web.post(
        f"/land/coop/{c.village.code}/shares/",
        {"target": "member", "member": late.code, "kind": "population", "shares": "1"},
    )
    assert "增人不增股" in single.content.decode() and Holding.objects.count() == 0
    bulk = web.post(
        f"/land/coop/{c.village.code}/shares/", {"target": "all", "kind": "population", "shares": "1"}
    )
    assert "没有需要配" in bulk.content.decode() and Holding.objects.count() == 0


def test_cooperatives_members_and_shares_over_the_api(places, cast, api_for):
    api = api_for(cast.township_a)
    bad = api.post(
        "/api/v1/land/cooperatives/",
        {"village": "430903103201", "name": "清水村股份经济合作社", "cutoff_date": "2099-01-01"},
        format="json",
    )
    assert bad.status_code == 400 and Cooperative.objects.count() == 0
    made = api.post(
        "/api/v1/land/cooperatives/",
        {
            "village": "430903103201",
            "name": "清水村股份经济合作社",
            "cutoff_date": "2020-12-31",
            "management": "periodic",
        },
        format="json",
    )
    assert made.status_code == 201 and made.json()["village"] == "430903103201"
    assert api.get("/api/v1/land/cooperatives/430903103201/").json()["name"] == "清水村股份经济合作社"
    proposed = api.post(
        "/api/v1/land/members/",
        {"village": "430903103201", "name": "李小芳", "id_number": ID_A, "basis": "hukou"},
        format="json",
    )
    assert proposed.status_code == 201 and proposed.json()["status"] == "proposed"
    code = proposed.json()["code"]
    # the township cannot take the village's step; the village can
    assert api.post(f"/api/v1/land/members/{code}/approve/").status_code == 403
    assert api_for(cast.village_a).post(f"/api/v1/land/members/{code}/approve/").json()["status"] == "village"
    assert api.post(f"/api/v1/land/members/{code}/approve/").json()["status"] == "confirmed"
    shares = api.post(
        f"/api/v1/land/members/{code}/shares/", {"kind": "population", "shares": "1.5"}, format="json"
    )
    assert shares.status_code == 200 and shares.json()["shares"] == {"population": "1.5000"}
    precise = api.post(
        f"/api/v1/land/members/{code}/shares/", {"kind": "labour", "shares": "1.23456"}, format="json"
    )
    assert precise.status_code == 400 and not Holding.objects.filter(kind="labour").exists()
    assert api_for(cast.township_b).get(f"/api/v1/land/members/{code}/").status_code == 404


# --- the one-time code by text message -----------------------------------------------------------


@pytest.fixture
def phone_member(coop, person_factory):
    person = person_factory("李小芳")
    core_services.do_update_person(person, actor=OPERATOR, id_number=ID_A, phone="13907371234")
    return confirmed_member(coop, person)


def test_without_a_gateway_the_code_waits_in_the_outbox_the_cadre_sees_and_it_opens_the_page(
    phone_member, coop, client, cast, client_for, settings
):
    settings.SMS_URL = ""
    page = client.post("/land/my/", {"id_number": ID_A, "action": "send"}).content.decode()
    assert "查询码已发送" in page
    message = TextMessage.objects.get()
    assert message.status == "outbox" and message.phone == "13907371234"
    code = message.text.split("查询码为 ")[1][:6]
    members_page = client_for(cast.village_a).get(f"/land/coop/{coop.village.code}/members/").content.decode()
    assert code in members_page and "短信" in members_page
    # a grid worker (who may read the register) does not see the outbox
    grid_page = client_for(cast.grid_a).get(f"/land/coop/{coop.village.code}/members/")
    assert grid_page.status_code in (200, 403, 404) and code not in grid_page.content.decode()
    mine = client.post("/land/my/", {"id_number": ID_A, "code": code, "action": "check"}).content.decode()
    assert "李小芳，您好" in mine


def test_an_unknown_id_number_gets_the_same_answer_and_nothing_is_sent(phone_member, client):
    page = client.post("/land/my/", {"id_number": "110105194912310038", "action": "send"}).content.decode()
    assert "查询码已发送" in page and TextMessage.objects.count() == 0 and MemberCode.objects.count() == 0
    malformed = client.post("/land/my/", {"id_number": "12345", "action": "send"}).content.decode()
    assert "my-error" in malformed and TextMessage.objects.count() == 0


def test_a_member_cannot_be_texted_more_than_once_a_minute(phone_member, client):
    client.post("/land/my/", {"id_number": ID_A, "action": "send"})
    second = client.post("/land/my/", {"id_number": ID_A, "action": "send"}).content.decode()
    assert "过于频繁" in second and TextMessage.objects.count() == 1


class _Gateway(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((self.headers.get("Authorization"), json.loads(body)))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway():
    _Gateway.received = []
    _Gateway.status = 200
    server = HTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def test_with_a_gateway_the_code_goes_to_the_phone_and_is_masked_in_the_record(
    phone_member, client, gateway, settings
):
    settings.SMS_URL = f"http://127.0.0.1:{gateway.server_port}/send"
    settings.SMS_TOKEN = "s3cret"
    client.post("/land/my/", {"id_number": ID_A, "action": "send"})
    ((auth, body),) = _Gateway.received
    assert auth == "Bearer s3cret" and body["phone"] == "13907371234"
    code = body["text"].split("查询码为 ")[1][:6]
    message = TextMessage.objects.get()
    assert message.status == "sent" and code not in message.text and "******" in message.text
    mine = client.post("/land/my/", {"id_number": ID_A, "code": code, "action": "check"}).content.decode()
    assert "李小芳，您好" in mine


def test_a_refusing_gateway_is_recorded_as_failed(phone_member, client, gateway, settings):
    settings.SMS_URL = f"http://127.0.0.1:{gateway.server_port}/send"
    _Gateway.status = 503
    client.post("/land/my/", {"id_number": ID_A, "action": "send"})
    message = TextMessage.objects.get()
    assert message.status == "failed" and "503" in message.error


def test_a_village_cadre_registers_a_household_then_its_contract(village_parcels, cast, client_for):
    from shuxiang.land.models import Contractor

    web = client_for(cast.village_a)
    form = {
        "code": "430903103201000007",
        "head_name": "周桂兰",
        "head_id_number": ID_A,
        "head_phone": "13907375555",
        "members": "周建国\n周小明 110105194912310038",
    }
    bad = web.post("/land/contracts/household/", {**form, "code": "430903999999000007"})
    assert "未知的发包方" in bad.content.decode()
    broken = web.post("/land/contracts/household/", {**form, "members": "周建国 123"})
    assert broken.status_code == 400 and Contractor.objects.count() == 0
    assert not Person.objects.filter(name="周桂兰").exists()  # the head was not kept either
    ok = web.post("/land/contracts/household/", form)
    assert ok.status_code == 302 and ok["Location"] == "/land/contracts/add/?contractor=430903103201000007"
    household = Contractor.objects.get()
    assert household.head.name == "周桂兰" and household.members.count() == 3
    assert 'value="430903103201000007"' in web.get(ok["Location"]).content.decode()
    listing = web.get("/land/contracts/").content.decode()
    assert "登记承包方" in listing and 'id="kpi-active">0<' in listing


def test_shares_move_inside_a_household_and_pass_to_heirs_in_the_browser(
    coop, household, person_factory, cast, client_for
):
    a, b, c = (
        confirmed_member(coop, person_factory(), household=household, shares={"population": "1", "land": "3"})
        for _ in range(3)
    )
    outsider = confirmed_member(coop, person_factory())
    web = client_for(cast.village_a)
    url = f"/land/coop/{coop.village.code}/shares/transfer/"
    refused = web.post(
        url, {"from_member": a.code, "to_member": outsider.code, "kind": "land", "shares": "1"}
    )
    assert "同一农户" in refused.content.decode()
    assert Holding.objects.get(member=a, kind="land").shares == Decimal("3")
    assert (
        web.post(url, {"from_member": a.code, "to_member": b.code, "kind": "land", "shares": "1"}).status_code
        == 302
    )
    assert Holding.objects.get(member=b, kind="land").shares == Decimal("4")

    url = f"/land/coop/{coop.village.code}/shares/inherit/"
    short = web.post(url, {"deceased": a.code, "heirs": f"{b.code} 1/3\n{c.code} 1/2"})
    assert "应正好为 1" in short.content.decode()
    assert Member.objects.get(pk=a.pk).status == "confirmed"
    done = web.post(url, {"deceased": a.code, "heirs": f"{b.code} 1/3\n{c.code} 2/3"})
    assert done.status_code == 302
    assert Member.objects.get(pk=a.pk).status == "left"
    # 人口股 1 → 0.3333 + 0.6667; 土地入股 2 → 0.6667 + 1.3333: nothing lost or made up
    assert Holding.objects.get(member=b, kind="population").shares == Decimal("1.3333")
    assert Holding.objects.get(member=c, kind="population").shares == Decimal("1.6667")
    assert Holding.objects.get(member=b, kind="land").shares + Holding.objects.get(
        member=c, kind="land"
    ).shares == Decimal("9")
