import pytest

from shuxiang.core.actors import OPERATOR
from shuxiang.villager import market


def post(places, **overrides):
    values = {
        "kind": "job",
        "category": "farm_work",
        "title": "招采茶工10名",
        "body": "清明前后采茶，按斤计酬，包午餐，熟手优先。",
        "price": "150元/天",
        "place": places.village_a,
        "contact_name": "李师傅",
        "phone": "13907371234",
    }
    values.update(overrides)
    actor = values.pop("actor", market.PUBLIC)
    return market.do_create_posting(actor=actor, **values)


@pytest.fixture
def pending(places):
    return post(places, source="10.0.0.9")


@pytest.fixture
def live(places, cast):
    posting = post(places, source="10.0.0.8")
    return market.do_moderate_posting(posting, actor=cast.village_a, approve=True, poster_kind="villager")


@pytest.fixture
def operator():
    return OPERATOR
