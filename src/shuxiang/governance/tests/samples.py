from datetime import timedelta

from django.utils import timezone

from shuxiang.core.actors import OPERATOR
from shuxiang.governance import services
from shuxiang.governance.models import (
    Consultation,
    Dispute,
    Grid,
    LegalAdviser,
    PartyBranch,
    PartyMeeting,
    Patrol,
    VillageDecision,
)
from shuxiang.testing import sample


@sample(Grid)
def make_grid(place, marker):
    return _grid(place, marker)


def _grid(place, marker):
    existing = Grid.objects.filter(hamlets=place).first()
    if existing is not None:
        return existing
    return services.do_create_grid(actor=OPERATOR, village=place.parent, name=marker[:60], hamlets=[place])


@sample(Patrol)
def make_patrol(place, marker):
    grid = _grid(place, f"样本网格{place.code}")
    now = timezone.now()
    return services.do_record_patrol(
        grid,
        actor=OPERATOR,
        started_at=now - timedelta(hours=1),
        ended_at=now,
        seen=marker,
        checked=["safety"],
    )


_n = [0]


def _id_number():
    from shuxiang.core import pii

    _n[0] += 1
    first17 = f"43090319850505{_n[0] % 1000:03d}"
    return first17 + pii.id_check_char(first17)


@sample(Dispute)
def make_dispute(place, marker):
    from shuxiang.governance import mediation

    return mediation.do_register_dispute(
        actor=OPERATOR,
        place=place,
        kind="neighbour",
        description=marker + "：宅前排水沟引发邻里纠纷",
        parties=[
            {"name": "甲方" + marker[:4], "id_number": _id_number(), "side": "applicant"},
            {"name": "乙方" + marker[:4], "id_number": _id_number(), "side": "respondent"},
        ],
    )


@sample(VillageDecision)
def make_decision(place, marker):
    from shuxiang.governance import affairs

    return affairs.do_propose_decision(
        actor=OPERATOR,
        village=place.parent,
        title=marker[:120],
        content=marker + "：村道硬化工程立项",
        proposed_on=timezone.localdate(),
    )


@sample(Consultation)
def make_consultation(place, marker):
    from shuxiang.governance import legal

    village = place.parent
    if legal.current_adviser(village) is None:
        legal.do_appoint_adviser(
            actor=OPERATOR,
            village=village,
            name="顾问律师",
            id_number=_id_number(),
            firm="赫山律师事务所",
            since=timezone.localdate() - timedelta(days=30),
        )
    return legal.do_book_consultation(
        actor=OPERATOR,
        village=village,
        name="咨询人",
        id_number=_id_number(),
        topic=marker[:100],
        question=marker + "：土地流转合同到期后如何续签",
        mode="written",
    )


@sample(LegalAdviser)
def make_adviser(place, marker):
    from shuxiang.governance import legal

    return legal.do_appoint_adviser(
        actor=OPERATOR,
        village=place.parent,
        name="顾问" + marker[:6],
        id_number=_id_number(),
        firm=("律师事务所" + marker)[:80],
        since=timezone.localdate() - timedelta(days=60),
    )


@sample(PartyMeeting)
def make_meeting(place, marker):
    from shuxiang.governance import affairs

    return affairs.do_record_meeting(
        actor=OPERATOR,
        village=place.parent,
        kind="assembly",
        held_on=timezone.localdate(),
        topic=marker[:120],
        attended=15,
        expected=20,
    )


@sample(PartyBranch)
def make_branch(place, marker):
    from shuxiang.governance import affairs

    branch = affairs.do_create_branch(actor=OPERATOR, village=place.parent, name=("党支部" + marker)[:60])
    affairs.do_add_member(
        actor=OPERATOR,
        branch=branch,
        name="党员" + marker[:4],
        id_number=_id_number(),
        joined_on=timezone.localdate(),
    )
    return branch
