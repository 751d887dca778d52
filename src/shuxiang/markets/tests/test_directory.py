"""The directory for banks: consent on both routes, fields by client, rate, refusals audited, and
the entity sees who looked."""

import pytest

from shuxiang.core.actors import OPERATOR
from shuxiang.core.models import AuditEntry
from shuxiang.markets import directory
from shuxiang.markets.models import DirectoryClient, DirectoryLookup
from shuxiang.trace import codes
from shuxiang.trace import services as trace

pytestmark = pytest.mark.django_db
ID_NUMBER = "43090319750501123" + __import__("shuxiang.core.pii", fromlist=["x"]).id_check_char(
    "43090319750501123"
)
CREDIT_CODE = "93430903MA4L12345" + codes.credit_check_char("93430903MA4L12345")


@pytest.fixture
def entities(places, cast):
    a = trace.do_create_producer(
        actor=OPERATOR,
        name="清水村稻米专业合作社",
        kind="cooperative",
        place=places.village_a.code,
        credit_code=CREDIT_CODE,
        main_products="优质稻",
        contact_name="李建国",
        contact_phone="13907371234",
    )
    b = trace.do_create_producer(
        actor=OPERATOR,
        name="荷花村家庭农场",
        kind="family_farm",
        place=places.village_b.code,
        main_products="莲藕",
        contact_name="周桂兰",
        contact_id_number=ID_NUMBER,
    )
    a.operators.add(cast.producer)
    directory.do_set_consent(a, actor=OPERATOR, given=True)
    return {"a": a, "b": b}


@pytest.mark.parametrize("route", ["/api/v1/directory/entities/", "/api/v1/trace/directory/"])
def test_a_bank_lists_only_entities_that_consented_on_both_routes(entities, cast, api_for, route):
    rows = api_for(cast.bank).get(route).json()["results"]
    assert [r["name"] for r in rows] == ["清水村稻米专业合作社"]


def test_a_bank_asking_for_an_entity_without_consent_is_refused_audited_and_the_entity_sees_it(
    entities, cast, api_for
):
    response = api_for(cast.bank).get(f"/api/v1/directory/entities/{entities['b'].pk}/")
    assert response.status_code == 404 and response.json()["code"] == "no_consent"
    assert AuditEntry.objects.filter(actor=cast.bank, action="refused", changes__reason="no_consent").exists()
    assert DirectoryLookup.objects.get(producer=entities["b"]).outcome == "no_consent"


def test_revoking_consent_takes_the_entity_out_at_once(entities, cast, api_for):
    directory.do_set_consent(entities["a"], actor=cast.producer, given=False)
    assert api_for(cast.bank).get("/api/v1/directory/entities/").json()["count"] == 0
    assert api_for(cast.bank).get(f"/api/v1/directory/entities/{entities['a'].pk}/").status_code == 404


def test_a_bank_gets_only_its_field_set_and_every_served_entity_is_logged(entities, cast, api_for):
    DirectoryClient.objects.create(
        user=cast.bank, institution="赫山农商银行", fields=["name", "credit_code", "area_mu"], rate="100/m"
    )
    row = api_for(cast.bank).get("/api/v1/directory/entities/").json()["results"][0]
    assert set(row) == {"id", "name", "credit_code", "area_mu"}
    lookup = DirectoryLookup.objects.get(producer=entities["a"])
    assert (
        lookup.institution == "赫山农商银行"
        and lookup.outcome == "served"
        and lookup.fields == ["name", "credit_code", "area_mu"]
    )


def test_a_bank_above_its_rate_gets_429_and_the_refusal_is_audited(entities, cast, api_for):
    DirectoryClient.objects.create(user=cast.bank, institution="赫山农商银行", fields=["name"], rate="2/h")
    api = api_for(cast.bank)
    assert [api.get("/api/v1/directory/entities/").status_code for _ in range(3)] == [200, 200, 429]
    assert (
        AuditEntry.objects.filter(actor=cast.bank, action="refused", changes__reason="rate_limited").count()
        == 1
    )
    assert DirectoryLookup.objects.count() == 2


def test_staff_with_the_directory_grant_read_every_entity_and_are_not_logged_as_a_bank(
    entities, cast, api_for
):
    rows = api_for(cast.district).get("/api/v1/directory/entities/").json()["results"]
    assert {r["name"] for r in rows} == {"清水村稻米专业合作社", "荷花村家庭农场"}
    assert "contact_phone" in rows[0] and "*" in next(r["contact_phone"] for r in rows if r["contact_phone"])
    assert not DirectoryLookup.objects.exists()


def test_a_township_officer_has_no_directory_grant(entities, cast, api_for, client_for):
    assert api_for(cast.township_a).get("/api/v1/directory/entities/").status_code == 403
    assert client_for(cast.township_a).get("/directory/").status_code == 403


def test_the_entity_sees_who_looked(entities, cast, api_for, client_for):
    api_for(cast.bank).get("/api/v1/directory/entities/")
    page = client_for(cast.producer).get("/directory/lookups/")
    assert (
        page.status_code == 200
        and cast.bank.username in page.content.decode()
        or "t_bank" in page.content.decode()
    )


def test_staff_record_consent_on_the_entitys_page(entities, cast, client_for):
    web = client_for(cast.district)
    page = web.get(f"/directory/{entities['b'].pk}/")
    assert page.status_code == 200 and "未同意" in page.content.decode()
    # the district role may record consent (village and up); the page posts the choice
    assert web.post(f"/directory/{entities['b'].pk}/consent/", {"given": "true"}).status_code == 302
    assert entities["b"].directory_consent.status == "given"


def test_the_bank_cannot_write_consent_or_use_the_web(entities, cast, client_for, api_for):
    assert client_for(cast.bank).get("/directory/").status_code == 403


def test_an_entitys_figures_and_fields_read_the_same_as_the_generic_serializer(
    entities, cast, places, api_for
):
    """The directory's hand-written figures (one SQL statement) and field readers (no DRF field
    machinery) give what the declared serializer fields document."""
    from decimal import Decimal

    from django.utils import timezone
    from rest_framework import serializers

    from shuxiang.markets import commerce
    from shuxiang.markets.api import DirectoryEntitySerializer
    from shuxiang.trace.models import DirectoryEntry

    a = entities["a"]
    trace.do_create_base(
        a, actor=OPERATOR, name="一号基地", kind="planting", place=places.village_a.code, area_mu="12.5"
    )
    trace.do_create_base(
        a, actor=OPERATOR, name="二号基地", kind="planting", place=places.village_a.code, area_mu="7.25"
    )
    seller = commerce.do_create_seller(
        actor=OPERATOR, name="清水稻米网店", place=places.village_a, producer=a
    )
    month = timezone.localdate().replace(day=1)
    commerce.do_report_sales(
        actor=OPERATOR,
        rows=[
            {
                "month": month,
                "seller": seller.name,
                "platform": "douyin",
                "product": "优质稻",
                "amount": "3200.50",
                "orders": 41,
            }
        ],
    )
    from datetime import timedelta

    from shuxiang.land.models import Transfer

    today = timezone.localdate()
    for code, status in (("LZ-1", "active"), ("LZ-2", "ended")):  # only the contract in force counts
        Transfer.objects.create(
            code=code,
            village=places.village_a,
            transferee=a.name,
            transferee_kind="cooperative",
            start=today - timedelta(days=400),
            end=today + timedelta(days=3000),
            area_m2="20000.00",
            annual_rent="12000",
            signed_on=today - timedelta(days=400),
            status=status,
        )
    row = api_for(cast.district).get(f"/api/v1/directory/entities/{a.pk}/").json()
    assert (row["bases"], row["area_mu"], row["online_sales_12m"]) == (2, "19.75", "3200.50")
    assert row["land_in_mu"] == "30.00"
    assert row["lots"] == row["certificates"] == row["failed_tests"] == 0 and row["consent_given_at"]

    entity = DirectoryEntry.objects.select_related("place", "contact", "directory_consent").get(pk=a.pk)
    directory.attach_figures([entity])
    assert entity.total_area == Decimal("19.75") and entity.consenting
    generic = serializers.ModelSerializer.to_representation(DirectoryEntitySerializer(), entity)
    assert DirectoryEntitySerializer(entity).data == generic


def test_the_administrator_sets_a_banks_fields_and_rate_in_the_browser_and_the_bank_reads_just_those(
    entities, cast, client_for, api_for
):
    page = client_for(cast.admin)
    assert "名录查询机构" in page.get("/directory/clients/").content.decode()
    form = {
        "user": cast.bank.pk,
        "institution": "赫山农商银行",
        "fields": ["name", "area_mu"],
        "rate": "100/m",
    }
    response = page.post("/directory/clients/new/", form)
    assert response.status_code == 302
    client = DirectoryClient.objects.get(user=cast.bank)
    row = api_for(cast.bank).get("/api/v1/directory/entities/").json()["results"][0]
    assert set(row) == {"id", "name", "area_mu"}
    listing = page.get("/directory/clients/").content.decode()
    assert "赫山农商银行" in listing and "基地面积（亩）" in listing
    # a change is audited with what it was before
    page.post(f"/directory/clients/{client.pk}/", {**form, "fields": ["name"], "rate": "30/m"})
    entry = AuditEntry.objects.filter(action="update", object_type="markets.directoryclient").latest("at")
    assert entry.changes["rate"] == ["100/m", "30/m"]


def test_a_bad_client_setting_is_refused_in_chinese_and_writes_nothing(entities, cast, client_for):
    page = client_for(cast.admin)
    response = page.post(
        "/directory/clients/new/",
        {"user": cast.bank.pk, "institution": "赫山农商银行", "fields": ["name"], "rate": "many"},
    )
    assert response.status_code == 400 and "频率格式如 60/m" in response.content.decode()
    assert not DirectoryClient.objects.exists()


def test_only_the_administrator_configures_directory_clients(entities, cast, client_for):
    assert client_for(cast.district).get("/directory/clients/").status_code == 403
    form = {"user": cast.bank.pk, "institution": "x", "fields": ["name"], "rate": "1/m"}
    assert client_for(cast.district).post("/directory/clients/new/", form).status_code == 403
    assert not DirectoryClient.objects.exists()
