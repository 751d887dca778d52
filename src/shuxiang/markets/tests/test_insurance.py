"""Agricultural insurance in the directory: a policy's refusals write nothing, permission and scope
refusals are audited, an insurer reports only its own, and the directory's `insurance` field counts
the policies in force for the clients whose field set holds it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import AuditEntry
from shuxiang.markets import directory, insurance
from shuxiang.markets.models import DirectoryClient, InsurancePolicy
from shuxiang.trace import codes
from shuxiang.trace import services as trace

pytestmark = pytest.mark.django_db
ID_NUMBER = "43090319750501123" + __import__("shuxiang.core.pii", fromlist=["x"]).id_check_char(
    "43090319750501123"
)
CREDIT_CODE = "93430903MA4L12345" + codes.credit_check_char("93430903MA4L12345")
PICC = "中国人民财产保险股份有限公司益阳市分公司"
CHINA_UNITED = "中华联合财产保险股份有限公司益阳中心支公司"
ROUTE = "/api/v1/directory/insurance/"


@pytest.fixture(autouse=True)
def fresh_cache():
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def entities(places):
    a = trace.do_create_producer(
        actor=OPERATOR,
        name="清水村稻米专业合作社",
        kind="cooperative",
        place=places.village_a.code,
        credit_code=CREDIT_CODE,
        main_products="优质稻",
    )
    b = trace.do_create_producer(
        actor=OPERATOR,
        name="荷花村家庭农场",
        kind="family_farm",
        place=places.village_b.code,
        contact_name="周桂兰",
        contact_id_number=ID_NUMBER,
    )
    directory.do_set_consent(a, actor=OPERATOR, given=True)
    return {"a": a, "b": b}


def rice(**over):
    today = timezone.localdate()
    values = {
        "insurer": PICC,
        "number": "PHAD2026430903000123",
        "kind": "rice",
        "subject": "早稻",
        "quantity": "120",
        "unit": "mu",
        "sum_insured": "120000",
        "premium": "7200",
        "premium_subsidy": "5760",
        "starts_on": today - timedelta(days=60),
        "ends_on": today + timedelta(days=100),
        "claims_paid": "0",
    }
    values.update(over)
    return values


@pytest.fixture
def insurer(cast):
    """The demo bank account configured as an insurer client."""
    return directory.do_configure_client(
        actor=OPERATOR, user=cast.bank, institution=PICC, fields=["name", "insurance"], kind="insurer"
    )


@pytest.mark.parametrize(
    ("over", "field", "text"),
    [
        ({"ends_on": timezone.localdate() - timedelta(days=200)}, "ends_on", "保险止期应晚于起期"),
        ({"sum_insured": "-1"}, "sum_insured", "不能为负数"),
        ({"premium": "9000000000"}, "premium", "明显不合理"),
        ({"quantity": "0"}, "quantity", "应大于0"),
        ({"premium_subsidy": "8000"}, "premium_subsidy", "不能超过保费"),
        ({"claims_paid": "200000"}, "claims_paid", "不能超过保险金额"),
        ({"kind": "tea"}, "kind", "险种不在目录中"),
        ({"number": "  "}, "number", "保单号必填"),
    ],
)
def test_a_bad_policy_is_refused_in_chinese_on_its_field_and_nothing_is_written(
    entities, cast, over, field, text
):
    with pytest.raises(ServiceError) as refused:
        insurance.do_record_policy(actor=cast.district, producer=entities["a"], **rice(**over))
    assert refused.value.code == "invalid" and text in refused.value.fields[field][0]
    assert not InsurancePolicy.objects.exists()
    assert not AuditEntry.objects.filter(object_type="markets.insurancepolicy").exists()


def test_the_same_policy_number_twice_for_one_insurer_is_a_duplicate_another_insurer_may_reuse_it(
    entities, cast
):
    insurance.do_record_policy(actor=cast.district, producer=entities["a"], **rice())
    with pytest.raises(ServiceError) as refused:
        insurance.do_record_policy(actor=cast.district, producer=entities["b"], **rice())
    assert refused.value.code == "duplicate" and "已登记此保单号" in refused.value.message
    insurance.do_record_policy(actor=cast.district, producer=entities["b"], **rice(insurer=CHINA_UNITED))
    assert InsurancePolicy.objects.count() == 2


def test_an_unknown_entity_on_the_api_is_refused_with_a_code_and_nothing_written(entities, cast, api_for):
    response = api_for(cast.district).post(
        ROUTE, {**rice(credit_code="91430903MA4L00000X"), "starts_on": "2026-03-01", "ends_on": "2026-12-31"}
    )
    assert response.status_code == 400 and response.json()["code"] == "unknown_producer"
    assert not InsurancePolicy.objects.exists()


def test_a_township_outside_its_region_is_refused_and_the_refusal_audited(entities, cast, api_for):
    body = {**rice(entity=entities["b"].pk), "starts_on": "2026-03-01", "ends_on": "2026-12-31"}
    response = api_for(cast.township_a).post(ROUTE, body, format="json")
    assert response.status_code == 400 and response.json()["code"] == "unknown_producer"
    with pytest.raises(ServiceError) as refused:  # the service itself refuses the place, too
        insurance.do_record_policy(actor=cast.township_a, producer=entities["b"], **rice())
    assert refused.value.status == 403
    assert not InsurancePolicy.objects.exists()


def test_village_and_grid_roles_neither_read_nor_write_policies(entities, cast, api_for, client_for):
    insurance.do_record_policy(actor=cast.district, producer=entities["a"], **rice())
    assert api_for(cast.village_a).get(ROUTE).status_code == 403
    assert client_for(cast.grid_a).get("/directory/insurance/").status_code == 403
    response = api_for(cast.village_a).post(ROUTE, {**rice(entity=entities["a"].pk)}, format="json")
    assert response.status_code == 403
    assert AuditEntry.objects.filter(actor=cast.village_a, action="refused").exists()
    assert InsurancePolicy.objects.count() == 1


def test_an_insurer_client_posts_its_own_policies_and_reads_only_those(entities, cast, api_for, insurer):
    insurance.do_record_policy(actor=cast.district, producer=entities["a"], **rice(insurer=CHINA_UNITED))
    api = api_for(cast.bank)
    body = rice(credit_code=CREDIT_CODE, insurer="")
    body.update(starts_on=body["starts_on"].isoformat(), ends_on=body["ends_on"].isoformat())
    response = api.post(ROUTE, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["insurer"] == PICC and response.json()["in_force"] is True
    mine = InsurancePolicy.objects.get(insurer=PICC)
    assert mine.insurer_account == cast.bank and mine.source == "api"
    # another insurer's policy: refused (403, audited), nothing written
    response = api.post(ROUTE, {**body, "number": "X-1", "insurer": CHINA_UNITED}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "not_own_policy"
    assert AuditEntry.objects.filter(actor=cast.bank, action="refused").exists()
    assert InsurancePolicy.objects.count() == 2
    # it lists only its own, and may bring its claims up to date
    rows = api.get(ROUTE).json()["results"]
    assert [r["number"] for r in rows] == [mine.number]
    other = InsurancePolicy.objects.get(insurer=CHINA_UNITED)
    assert api.patch(f"{ROUTE}{other.pk}/", {"claims_paid": "1"}, format="json").status_code == 404
    assert (
        api.patch(f"{ROUTE}{mine.pk}/", {"claims_paid": "8600"}, format="json").json()["claims_paid"]
        == "8600.00"
    )
    assert api.delete(f"{ROUTE}{mine.pk}/").status_code in (403, 405)


def test_a_bank_that_is_not_an_insurer_cannot_post_policies(entities, cast, api_for):
    directory.do_configure_client(actor=OPERATOR, user=cast.bank, institution="赫山农商银行", fields=["name"])
    body = rice(credit_code=CREDIT_CODE)
    body.update(starts_on=body["starts_on"].isoformat(), ends_on=body["ends_on"].isoformat())
    response = api_for(cast.bank).post(ROUTE, body, format="json")
    assert response.status_code == 403 and not InsurancePolicy.objects.exists()


def test_the_directory_shows_insurance_in_force_only_to_clients_whose_field_set_has_it(
    entities, cast, api_for, insurer
):
    today = timezone.localdate()
    a = entities["a"]
    insurance.do_record_policy(actor=cast.district, producer=a, **rice(claims_paid="3000"))
    insurance.do_record_policy(
        actor=cast.district,
        producer=a,
        **rice(
            number="PHAD-HOG-7",
            kind="hog",
            subject="育肥猪",
            quantity="300",
            unit="head",
            sum_insured="240000",
            premium="14400",
            premium_subsidy="11520",
            claims_paid="1200",
        ),
    )
    insurance.do_record_policy(  # expired last year: not counted
        actor=cast.district,
        producer=a,
        **rice(
            number="PHAD-OLD",
            kind="rapeseed",
            starts_on=today - timedelta(days=500),
            ends_on=today - timedelta(days=135),
            claims_paid="50000",
        ),
    )
    row = api_for(cast.bank).get(f"/api/v1/directory/entities/{a.pk}/").json()
    assert set(row) == {"id", "name", "insurance"}
    assert row["insurance"] == {
        "policies": 2,
        "kinds": ["hog", "rice"],
        "sum_insured": "360000.00",
        "claims_paid": "4200.00",
    }
    DirectoryClient.objects.filter(user=cast.bank).update(fields=["name", "credit_code"])
    row = api_for(cast.bank).get(f"/api/v1/directory/entities/{a.pk}/").json()
    assert "insurance" not in row
    # an entity without a policy in force: zeros, not nulls
    b = api_for(cast.district).get(f"/api/v1/directory/entities/{entities['b'].pk}/").json()
    assert b["insurance"] == {"policies": 0, "kinds": [], "sum_insured": "0.00", "claims_paid": "0.00"}


def test_the_hand_reader_of_insurance_matches_the_generic_serializer(entities, cast):
    from rest_framework import serializers

    from shuxiang.markets.api import DirectoryEntitySerializer
    from shuxiang.trace.models import DirectoryEntry

    insurance.do_record_policy(actor=cast.district, producer=entities["a"], **rice(claims_paid="12.5"))
    entity = DirectoryEntry.objects.select_related("place", "contact", "directory_consent").get(
        pk=entities["a"].pk
    )
    directory.attach_figures([entity])
    generic = serializers.ModelSerializer.to_representation(DirectoryEntitySerializer(), entity)
    assert DirectoryEntitySerializer(entity).data == generic
    assert generic["insurance"]["claims_paid"] == "12.50"


def test_a_township_officer_adds_a_policy_on_a_phone_and_the_entity_page_shows_it(entities, cast, client_for):
    web = client_for(cast.township_a)
    form = web.get(f"/directory/insurance/new/?producer={entities['a'].pk}")
    assert form.status_code == 200 and "登记农业保险保单" in form.content.decode()
    today = timezone.localdate()
    post = {
        "producer": entities["a"].pk,
        "insurer": PICC,
        "number": "PHAD2026-9",
        "kind": "rice",
        "subject": "中稻",
        "quantity": "80",
        "unit": "mu",
        "sum_insured": "80000",
        "premium": "4800",
        "premium_subsidy": "",
        "starts_on": (today - timedelta(days=10)).isoformat(),
        "ends_on": (today + timedelta(days=120)).isoformat(),
        "claims_paid": "",
    }
    bad = web.post("/directory/insurance/new/", {**post, "ends_on": (today - timedelta(days=20)).isoformat()})
    assert bad.status_code == 400 and "保险止期应晚于起期" in bad.content.decode()
    assert not InsurancePolicy.objects.exists()
    assert web.post("/directory/insurance/new/", post).status_code == 302
    policy = InsurancePolicy.objects.get()
    assert policy.recorded_by == cast.township_a and policy.premium_subsidy == 0
    listing = web.get("/directory/insurance/?in_force=true&kind=rice").content.decode()
    assert "PHAD2026-9" in listing and "在保" in listing
    # the entity's directory page (district, with the directory grant) lists it with today's figures
    page = client_for(cast.district).get(f"/directory/{entities['a'].pk}/").content.decode()
    assert "PHAD2026-9" in page and "水稻种植保险" in page
    # a correction: claims paid, audited with before/after
    assert web.post(f"/directory/insurance/{policy.pk}/", {**post, "claims_paid": "2400"}).status_code == 302
    entry = AuditEntry.objects.filter(action="update", object_type="markets.insurancepolicy").get()
    assert entry.changes["claims_paid"][1] in ("2400.00", 2400, "2400")


def test_the_demo_gives_most_entities_policies_in_force_and_expired_and_an_insurer_client(entities, places):
    import random
    from types import SimpleNamespace

    from shuxiang.markets.demo import PICC, build_insurance

    for n in range(8):
        trace.do_create_producer(
            actor=OPERATOR,
            name=f"示范生猪养殖公司{n}",
            kind="company",
            place=places.village_a.code,
            credit_code=f"91430903MA4L0000{n}" + codes.credit_check_char(f"91430903MA4L0000{n}"),
            main_products="生猪",
        )
    ctx = SimpleNamespace(rng=random.Random(7), district=places.district, users={}, credentials=[])
    assert build_insurance(ctx) > 8
    today = timezone.localdate()
    policies = InsurancePolicy.objects.all()
    assert policies.filter(ends_on__lt=today).exists() and policies.filter(ends_on__gte=today).exists()
    assert policies.filter(claims_paid__gt=0).exists()
    client = DirectoryClient.objects.get(user=ctx.users["insurer"])
    assert client.kind == "insurer" and "insurance" in client.fields
    # the policies of the insurer the demo account stands for carry its account (it reads them)
    assert set(policies.filter(insurer=PICC).values_list("insurer_account", flat=True)) == {
        ctx.users["insurer"].pk
    }


def test_the_administrator_marks_a_client_as_an_insurer_in_the_browser(entities, cast, client_for):
    page = client_for(cast.admin)
    form = {"user": cast.bank.pk, "institution": PICC, "kind": "insurer", "fields": ["name"], "rate": "60/m"}
    assert page.post("/directory/clients/new/", form).status_code == 302
    assert DirectoryClient.objects.get(user=cast.bank).kind == "insurer"
    assert "保险机构" in page.get("/directory/clients/").content.decode()


def test_a_file_of_policies_is_all_or_nothing_with_every_bad_row_named(entities, cast, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    head = "统一社会信用代码,承保机构,保单号,险种,保险标的,保险数量,单位,保险金额,保费,财政补贴保费,保险起期,保险止期,已决赔款\n"
    good = f"{CREDIT_CODE},{PICC},F-1,水稻种植保险,早稻,100,亩,100000,6000,4500,2026-03-01,2026-11-30,\n"
    bad = f"{CREDIT_CODE},{PICC},F-2,水稻种植保险,早稻,0,亩,100000,6000,,2026-03-01,2026-02-01,\n"
    web = client_for(cast.district)

    def upload(text):
        return web.post(
            "/directory/insurance/import/",
            {"file": SimpleUploadedFile("policies.csv", text.encode("utf-8"), content_type="text/csv")},
        )

    response = upload(head + good + bad)
    page = response.content.decode()
    assert "第3行「保险数量」" in page and "第3行「保险止期」" in page
    assert not InsurancePolicy.objects.exists()
    again = upload(head + good)
    assert again.status_code == 302
    policy = InsurancePolicy.objects.get()
    assert (policy.kind, policy.unit, policy.source) == ("rice", "mu", "import")
