"""Party branches and their members: masked on every staff page and API answer, counted (never named)
on the public page; a person is on one roll only; scoped like every governance object."""

from datetime import timedelta

import pytest
from django.utils import timezone

from shuxiang.core.errors import ServiceError
from shuxiang.governance import affairs
from shuxiang.governance.models import PartyBranch, PartyMember
from shuxiang.governance.tests.test_affairs import ID_OR_PHONE
from shuxiang.governance.tests.test_legal import idn


@pytest.fixture
def branch(places, cast):
    return affairs.do_create_branch(
        actor=cast.village_a, village=places.village_a, name="中共清水村支部委员会"
    )


def test_members_are_added_once_and_bad_input_writes_nothing(places, cast, branch):
    joined = timezone.localdate() - timedelta(days=3000)
    affairs.do_add_member(
        actor=cast.village_a, branch=branch, name="刘建国", id_number=idn(31), joined_on=joined
    )
    with pytest.raises(ServiceError) as exc:
        affairs.do_add_member(
            actor=cast.village_a, branch=branch, name="刘建国", id_number=idn(31), joined_on=joined
        )
    assert "已是党员" in exc.value.fields["id_number"][0]
    with pytest.raises(ServiceError) as exc:
        affairs.do_add_member(
            actor=cast.village_a,
            branch=branch,
            name="",
            id_number="4309031988080812",
            joined_on=timezone.localdate() + timedelta(days=1),
            status="honorary",
        )
    assert {"name", "id_number", "joined_on", "status"} <= set(exc.value.fields)
    with pytest.raises(ServiceError):
        affairs.do_create_branch(actor=cast.village_a, village=places.village_a, name="中共清水村支部委员会")
    # another township's officer may not add to this branch
    with pytest.raises(ServiceError):
        affairs.do_add_member(
            actor=cast.township_b, branch=branch, name="王某", id_number=idn(32), joined_on=joined
        )
    assert PartyMember.objects.count() == 1 and PartyBranch.objects.count() == 1


def test_the_roll_is_masked_on_pages_and_api_and_only_counted_in_public(
    places, cast, branch, client_for, api_for
):
    browser = client_for(cast.village_a)
    page = browser.post(
        f"/affairs/branches/{branch.pk}/",
        {"name": "周秀兰", "id_number": idn(33), "status": "probationary", "joined_on": "2026-03-01"},
        follow=True,
    ).content.decode()
    assert "周*兰" in page and "预备党员" in page and "周秀兰" not in page and idn(33) not in page
    bad = browser.post(
        f"/affairs/branches/{branch.pk}/", {"name": "李四", "id_number": "123", "joined_on": "2020-01-01"}
    )
    assert bad.status_code == 400 and PartyMember.objects.count() == 1
    listing = browser.get("/affairs/branches/").content.decode()
    assert "中共清水村支部委员会" in listing
    api = api_for(cast.village_a)
    r = api.post(
        f"/api/v1/affairs/branches/{branch.pk}/members/",
        {"name": "陈卫东", "id_number": idn(34), "joined_on": "2001-07-01"},
        format="json",
    )
    assert r.status_code == 201 and r.json()["name"] == "陈*东", r.content
    detail = api.get(f"/api/v1/affairs/branches/{branch.pk}/")
    assert detail.json()["member_count"] == 2 and not ID_OR_PHONE.search(detail.content.decode())
    assert api.get("/api/v1/affairs/branches/").json()["count"] == 1
    assert api_for(cast.township_b).get(f"/api/v1/affairs/branches/{branch.pk}/").status_code == 404
    assert client_for(cast.township_b).get(f"/affairs/branches/{branch.pk}/").status_code == 404
    # the public page: the branch and how many members, nobody named
    from django.test import Client

    public = Client().get(f"/affairs/{places.village_a.code}/").content.decode()
    assert "中共清水村支部委员会" in public and "党员2名" in public
    assert "陈" not in public.split('id="branches"')[1].split("</section>")[0].replace("中共清水村", "")
    assert not ID_OR_PHONE.search(public)


def test_the_demo_gives_each_village_a_branch_with_a_roll(places):
    import random

    from shuxiang.governance import demo

    demo.build_branches(random.Random(7), [places.village_a, places.village_b])
    branches = list(PartyBranch.objects.order_by("village__code"))
    assert [b.village for b in branches] == [places.village_a, places.village_b]
    for b in branches:
        assert 12 <= b.members.count() <= 30
