import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from shuxiang.trace import codes, services


@pytest.fixture(autouse=True)
def fresh_public_cache():
    """Each test starts with no cached public page, shared or in this process's micro-cache."""
    from django.core.cache import cache

    from shuxiang.trace import public

    cache.clear()
    public._local.clear()


def credit_code(first17="93430903MA4L12345"):
    return first17 + codes.credit_check_char(first17)


@pytest.fixture
def farm(places, cast):
    """A cooperative in 泉交河镇 with a rice base, one plot with a soil test, a rice product and its
    recorder's account (the cast's producer role)."""
    producer = services.do_create_producer(
        actor=cast.township_a,
        name="清水村稻米专业合作社",
        kind="cooperative",
        place=places.village_a.code,
        credit_code=credit_code(),
        contact_name="李建国",
        contact_phone="13907371234",
        main_products="优质稻",
    )
    base = services.do_create_base(
        producer,
        actor=cast.township_a,
        name="清水村水稻基地",
        kind="planting",
        place=places.hamlet_a.code,
        area_mu=120,
    )
    plot = services.do_create_plot(base, actor=cast.township_a, name="1号田", area_mu=30)
    services.do_record_environment_test(
        plot,
        actor=cast.township_a,
        kind="soil",
        tested_on=timezone.localdate() - timedelta(days=200),
        agency="区农产品质量检测站",
        passed=True,
        summary="镉 0.21 mg/kg（限值 0.3）",
    )
    product = services.do_create_product(
        producer, actor=cast.township_a, name="清水贡米", category="rice", gtin="6901234567892", unit="kg"
    )
    account = cast.producer  # t_coop, role producer, in 清水村: this cooperative's recorder
    services.do_add_operator(producer, account, actor=cast.township_a)
    return {"producer": producer, "base": base, "plot": plot, "product": product, "account": account}


@pytest.fixture
def lot(farm, cast):
    return services.do_create_lot(
        farm["product"],
        actor=cast.township_a,
        lot_number="2025A01",
        origin=farm["plot"],
        quantity=Decimal("5000"),
    )


@pytest.fixture
def other_farm(places, cast):
    """A household producer in 兰溪镇, with its own plot, product and lot."""
    producer = services.do_create_producer(
        actor=cast.township_b,
        name="荷花村王氏家庭农场",
        kind="family_farm",
        place=places.village_b.code,
        contact_name="王秀英",
        contact_id_number="430903198001011233",
    )
    base = services.do_create_base(
        producer, actor=cast.township_b, name="荷花塘", kind="aquaculture", place=places.hamlet_b.code
    )
    plot = services.do_create_plot(base, actor=cast.township_b, name="3号塘")
    product = services.do_create_product(
        producer, actor=cast.township_b, name="黄颡鱼", category="aquatic", unit="kg"
    )
    lot = services.do_create_lot(
        product, actor=cast.township_b, lot_number="HS-01", origin=plot, quantity=800
    )
    return {"producer": producer, "plot": plot, "product": product, "lot": lot}


def days_ago(n, hour=9):
    """`hour` o'clock (Beijing) n days ago — never in the future: early in the day (a run between 16:00
    and 01:00 UTC), today's hours are squeezed into the part of today that has passed, in their order."""
    now = timezone.localtime()
    at = (now - timedelta(days=n)).replace(hour=hour, minute=0, second=0, microsecond=0)
    if at > now:
        start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        at = start + (now - start) * hour / 24
    return at


@pytest.fixture
def demo():
    """The Heshan demo's places, units and accounts, and its traceability data (no residents)."""
    from shuxiang.demo import builder
    from shuxiang.trace import demo as trace_demo

    rng = random.Random(builder.SEED)
    district, townships, villages, hamlets = builder.build_places(rng, 1)
    ctx = builder.DemoContext(
        rng=rng,
        scale=1,
        district=district,
        townships=townships,
        villages=villages,
        hamlets=hamlets,
        units=builder.build_units(district, townships, villages),
        users={},
    )
    builder.build_users(ctx)
    trace_demo.build(ctx)
    return ctx
