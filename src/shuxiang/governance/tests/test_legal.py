from datetime import timedelta

import pytest
from django.utils import timezone

from shuxiang.core import pii
from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError
from shuxiang.governance import legal
from shuxiang.governance.models import Consultation
from shuxiang.indicators.periods import quarter_of


def idn(n):
    first17 = f"43090319880808{n:03d}"
    return first17 + pii.id_check_char(first17)


@pytest.fixture
def adviser(places):
    return legal.do_appoint_adviser(
        actor=OPERATOR,
        village=places.village_a,
        name="刘律师",
        id_number=idn(1),
        firm="湖南某律师事务所",
        since=timezone.localdate() - timedelta(days=100),
        phone="13907371234",
    )


def test_a_consultation_needs_the_village_s_adviser_and_a_valid_id(places, cast):
    with pytest.raises(ServiceError) as exc:
        legal.do_book_consultation(
            actor=cast.village_a,
            village=places.village_a,
            name="张某",
            id_number=idn(2),
            topic="土地流转",
            question="流转合同到期后对方不退地怎么办",
            mode="written",
        )
    assert "尚未聘任" in exc.value.fields["village"][0]
    assert not Consultation.objects.exists()


def test_booked_answered_in_writing_and_the_coverage_figure(places, cast, adviser):
    c = legal.do_book_consultation(
        actor=cast.grid_a,
        village=places.village_a,
        name="张某",
        id_number=idn(2),
        topic="土地流转",
        question="流转合同到期后对方不退地怎么办",
        mode="written",
    )
    with pytest.raises(ServiceError):
        legal.do_answer_consultation(c, actor=cast.grid_a, answer="可以先协商，协商不成申请仲裁或诉讼。")
    legal.do_answer_consultation(
        c, actor=cast.village_a, answer="可以先协商，协商不成可向农村土地承包仲裁委员会申请仲裁。"
    )
    assert Consultation.objects.get().answered_at is not None
    rows = {p: n for p, n, _ in legal.villages_with_adviser(quarter_of(timezone.localdate()))}
    assert rows == {places.village_a.pk: 1, places.village_b.pk: 0}


def test_an_appointment_needs_a_future_time_and_pages_mask_the_asker(places, cast, adviser, client_for):
    with pytest.raises(ServiceError) as exc:
        legal.do_book_consultation(
            actor=cast.village_a,
            village=places.village_a,
            name="李某某",
            id_number=idn(3),
            topic="婚姻",
            question="离婚时宅基地上的房屋如何分割",
            mode="appointment",
        )
    assert "appointment_at" in exc.value.fields
    c = legal.do_book_consultation(
        actor=cast.village_a,
        village=places.village_a,
        name="李四海",
        id_number=idn(3),
        topic="婚姻",
        question="离婚时宅基地上的房屋如何分割",
        mode="appointment",
        appointment_at=timezone.now() + timedelta(days=2),
    )
    web = client_for(cast.township_a)
    listing = web.get("/legal/").content.decode()
    page = web.get(f"/legal/{c.pk}/").content.decode()
    assert "李*海" in listing and "李四海" not in listing and "李四海" not in page and idn(3) not in page
    assert "13907371234" not in listing
    assert client_for(cast.township_b).get(f"/legal/{c.pk}/").status_code == 404
