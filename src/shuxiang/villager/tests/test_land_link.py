"""The land-rental link: a land-rental need goes, with the holder's consent, to the rural property-rights
exchange (shuxiang.land) as a listing; listings open for bids appear on the market."""

from decimal import Decimal

import pytest

from shuxiang.core.actors import OPERATOR
from shuxiang.core.models import AuditEntry, Notification
from shuxiang.land import exchange
from shuxiang.land import parcels as parcel_services
from shuxiang.land.models import Listing
from shuxiang.land.tests.helpers import codes_for, grid_parcels, write_parcels
from shuxiang.villager import land_link, market
from shuxiang.villager.models import Posting
from shuxiang.villager.tests.conftest import post

pytestmark = pytest.mark.django_db

LAND = {
    "kind": "rental",
    "category": "land",
    "title": "流转水田30亩",
    "body": "连片水田，灌溉方便，可种双季稻或稻虾共作。",
    "price": "500元/亩·年",
}


@pytest.fixture
def parcels(places, tmp_path):
    shapes = grid_parcels()
    path = write_parcels(tmp_path / "qs.shp", shapes, codes_for("43090310320100", len(shapes)))
    parcel_services.do_import_parcels(path, actor=OPERATOR)
    from shuxiang.land.models import Parcel

    return list(Parcel.objects.filter(village=places.village_a).order_by("code"))


@pytest.fixture
def need(places, cast):
    posting = post(places, source="10.0.0.7", **LAND)
    return market.do_moderate_posting(posting, actor=cast.village_a, approve=True, poster_kind="villager")


def form(chosen, **overrides):
    values = {
        "consent": "户主签字同意书已存村委",
        "parcels": " ".join(p.code for p in chosen[:3]),
        "reserve_price": "4500.00",
        "term_years": "5",
        "mode": "open",
        "conditions": "不得改变农业用途",
    }
    values.update(overrides)
    return values


def test_a_cadre_takes_a_land_rental_need_to_the_exchange_and_the_public_is_sent_there(
    client, client_for, places, cast, need, parcels, django_capture_on_commit_callbacks
):
    cadre = client_for(cast.village_a)
    staff_page = cadre.get(f"/market/queue/{need.pk}/").content.decode()
    assert "转入产权交易" in staff_page
    assert cadre.get(f"/market/postings/{need.pk}/exchange/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = cadre.post(f"/market/postings/{need.pk}/exchange/", form(parcels))
    assert response.status_code == 302
    need.refresh_from_db()
    listing = Listing.objects.get(code=need.exchange_code)
    assert listing.status == "draft" and listing.village == places.village_a
    assert sorted(p.code for p in listing.parcels.all()) == [p.code for p in parcels[:3]]
    assert listing.reserve_price == Decimal("4500.00") and listing.term_years == 5
    assert "第" in listing.title and "流转水田30亩" in listing.title
    assert need.exchange_consent == "户主签字同意书已存村委" and need.exchange_by == cast.village_a
    assert AuditEntry.objects.filter(
        object_type="villager.posting", changes__has_key="exchange_code"
    ).exists()
    assert AuditEntry.objects.filter(object_type="land.listing", action="create").exists()
    assert Notification.objects.filter(
        recipient=cast.township_a, title__contains=listing.code, url=f"/land/listings/{listing.code}/"
    ).exists()
    # not yet public at the exchange: the posting says it waits for the desk
    detail = client.get(f"/market/{need.pk}/").content.decode()
    assert "交易中心审核后公开挂牌" in detail and f"/land/exchange/{listing.code}/" not in detail
    # the exchange desk (the township) publishes it: the market now sends people there
    exchange.do_publish_listing(listing, actor=cast.township_a, days=10)
    detail = client.get(f"/market/{need.pk}/").content.decode()
    assert f'href="/land/exchange/{listing.code}/"' in detail and "到产权交易中心查看和报价" in detail
    assert client.get(f"/land/exchange/{listing.code}/").status_code == 200
    rentals = client.get("/market/?kind=rental&place=430903103000").content.decode()
    assert 'id="exchange-listings"' in rentals and "底价4500.00元/年" in rentals
    assert "已转产权交易" in rentals
    jobs = client.get("/market/?kind=job").content.decode()
    assert 'id="exchange-listings"' not in jobs
    api = client.get("/api/v1/market/postings/?kind=rental").json()
    assert api["results"][0]["exchange_url"] == f"/land/exchange/{listing.code}/"
    # once only
    again = cadre.post(f"/market/postings/{need.pk}/exchange/", form(parcels))
    assert Listing.objects.count() == 1 and "已转入" in again.content.decode()


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"consent": ""}, "consent"),
        ({"consent": "电话13907371234确认"}, "consent"),
        ({"parcels": "4309031032010099999"}, "parcels"),
        ({"reserve_price": "0"}, "reserve_price"),
        ({"term_years": "40"}, "term_years"),
    ],
)
def test_bad_input_is_refused_with_a_reason_and_writes_nothing(
    client_for, cast, need, parcels, overrides, field
):
    response = client_for(cast.village_a).post(
        f"/market/postings/{need.pk}/exchange/", form(parcels, **overrides)
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="field-' + field + '"' in page and "has-error" in page
    need.refresh_from_db()
    assert need.exchange_code == "" and Listing.objects.count() == 0


def test_parcels_of_another_village_and_other_kinds_of_need_are_refused(places, cast, need, parcels):
    other = post(places, source="10.0.0.6", **{**LAND, "place": places.village_b})
    other = market.do_moderate_posting(other, actor=OPERATOR, approve=True)
    with pytest.raises(market.ServiceError) as exc:
        land_link.do_list_on_exchange(
            other,
            actor=OPERATOR,
            consent="户主签字同意",
            parcels=[parcels[0].code],
            reserve_price=Decimal("3000.00"),
            term_years=3,
        )
    assert "parcels" in exc.value.fields
    job = post(places, source="10.0.0.5")
    with pytest.raises(market.ServiceError) as exc:
        land_link.do_list_on_exchange(
            job,
            actor=OPERATOR,
            consent="户主签字同意",
            parcels=[parcels[0].code],
            reserve_price=Decimal("3000.00"),
            term_years=3,
        )
    assert exc.value.code == "not_land_rental"
    assert Listing.objects.count() == 0 and not Posting.objects.exclude(exchange_code="").exists()


def test_who_may_take_a_need_to_the_exchange(client, client_for, cast, need, parcels):
    url = f"/market/postings/{need.pk}/exchange/"
    assert client_for(cast.grid_a).post(url, form(parcels)).status_code == 403
    assert client.post(url, form(parcels)).status_code in (302, 403)
    assert client_for(cast.producer).get(url).status_code == 403
    assert Listing.objects.count() == 0


def test_over_the_api(api_for, anon_api, cast, need, parcels):
    url = f"/api/v1/market/postings/{need.pk}/exchange/"
    body = {
        "consent": "户主电话确认同意挂牌",
        "parcels": [p.code for p in parcels[3:5]],
        "reserve_price": "5200.00",
        "term_years": 8,
        "mode": "sealed",
    }
    assert anon_api.post(url, body, format="json").status_code in (401, 403)
    assert api_for(cast.grid_a).post(url, body, format="json").status_code == 403
    bad = api_for(cast.township_a).post(url, {**body, "parcels": ["123"]}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid" and "parcels" in bad.json()["fields"]
    assert Listing.objects.count() == 0
    ok = api_for(cast.township_a).post(url, body, format="json")
    assert ok.status_code == 201, ok.content
    data = ok.json()
    listing = Listing.objects.get(code=data["exchange_code"])
    assert data["listing_status"] == "draft" and listing.mode == "sealed" and listing.term_years == 8
    again = api_for(cast.township_a).post(url, body, format="json")
    assert again.status_code == 409 and again.json()["code"] == "already_listed"
