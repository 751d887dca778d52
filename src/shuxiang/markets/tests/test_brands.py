# ruff: noqa: F811  (the trace fixtures imported below are parameters of the tests)
"""一镇一品: a township's brand, the registered producers authorised to use it, and the public page
that shows them with their lots' one-code pages (and nothing private)."""

import pytest

from shuxiang.core.errors import ServiceError
from shuxiang.core.models import AuditEntry
from shuxiang.markets import brands
from shuxiang.markets.models import Brand, BrandProducer
from shuxiang.trace.tests.conftest import farm, lot, other_farm  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


def test_a_township_registers_its_brand_authorises_a_producer_and_the_public_sees_its_lots(
    places,
    cast,
    farm,
    lot,
    other_farm,
    client,
    client_for,
):
    c = client_for(cast.township_a)
    bad = c.post(
        "/commerce/brands/new/",
        {"name": "泉交河贡米", "kind": "township", "place": places.village_a.pk, "products": "大米"},
    )
    assert bad.status_code == 400 and not Brand.objects.exists()
    done = c.post(
        "/commerce/brands/new/",
        {
            "name": "泉交河贡米",
            "kind": "township",
            "place": places.township_a.pk,
            "products": "优质稻、大米",
            "certification": "绿色食品",
            "description": "稻虾共作的优质稻。",
            "is_public": "on",
        },
    )
    brand = Brand.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/commerce/brands/{brand.pk}/"
    # Only producers of the brand's township are offered; another township's is refused.
    page = c.get(f"/commerce/brands/{brand.pk}/").content.decode()
    assert "清水村稻米专业合作社" in page and "荷花村王氏家庭农场" not in page
    outside = c.post(
        f"/commerce/brands/{brand.pk}/",
        {"producer": other_farm["producer"].pk, "authorised_on": "2026-01-05"},
    )
    assert outside.status_code == 400 and not BrandProducer.objects.exists()
    ok = c.post(
        f"/commerce/brands/{brand.pk}/", {"producer": farm["producer"].pk, "authorised_on": "2025-03-01"}
    )
    assert ok.status_code == 302 and BrandProducer.objects.get().producer == farm["producer"]
    assert AuditEntry.objects.filter(object_type="markets.brandproducer", action="create").exists()
    with pytest.raises(ServiceError) as twice:
        brands.do_authorise_producer(brand, actor=cast.township_a, producer=farm["producer"])
    assert "已获本品牌授权" in twice.value.fields["producer"][0]

    # The public page, without an account: the brand, its producer and the lot's one-code page.
    public = client.get(f"/brands/{brand.pk}/")
    body = public.content.decode()
    assert public.status_code == 200 and "泉交河贡米" in body and "清水村稻米专业合作社" in body
    assert lot.public_path in body
    assert "李建国" not in body and "13907371234" not in body and farm["producer"].credit_code not in body
    assert "泉交河贡米" in client.get("/brands/").content.decode()
    # Another township's officer neither sees it in the staff list nor may authorise for it.
    assert "泉交河贡米" not in client_for(cast.township_b).get("/commerce/brands/").content.decode()
    assert client_for(cast.township_b).get(f"/commerce/brands/{brand.pk}/").status_code == 404


def test_brand_rules_and_a_hidden_brand(places, cast, client):
    with pytest.raises(ServiceError) as wrong_level:
        brands.do_create_brand(
            actor=cast.district, name="赫山大米", kind="regional", place=places.township_a, products="大米"
        )
    assert "区（县）" in wrong_level.value.fields["place"][0]
    with pytest.raises(ServiceError):
        brands.do_create_brand(
            actor=cast.grid_a, name="清水村莲藕", kind="township", place=places.township_a, products="莲藕"
        )
    with pytest.raises(ServiceError):  # outside the officer's township
        brands.do_create_brand(
            actor=cast.township_a, name="兰溪腊味", kind="township", place=places.township_b, products="腊肉"
        )
    hidden = brands.do_create_brand(
        actor=cast.district,
        name="赫山大米",
        kind="regional",
        place=places.district,
        products="大米",
        is_public=False,
    )
    assert client.get(f"/brands/{hidden.pk}/").status_code == 404
    assert Brand.objects.count() == 1
