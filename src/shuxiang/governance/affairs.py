"""Party and village affairs: party meetings (三会一课, remote education) and village decisions through
四议两公开, with the public disclosure page /affairs/{village_code}/ (no names, no numbers)."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from shuxiang.core import audit, pii
from shuxiang.core.errors import ServiceError
from shuxiang.core.permissions import require
from shuxiang.governance.choices import DECISION_STAGES, DISCLOSE_WITHIN_DAYS, MEETING_KINDS, STAGE_ORDER
from shuxiang.governance.models import PartyBranch, PartyMeeting, PartyMember, VillageDecision

STAGE_DATE = {
    "discussion": "discussed_on",
    "review": "reviewed_on",
    "resolution": "resolved_on",
    "disclosure": "disclosed_on",
    "result": "result_disclosed_on",
}
STAGE_LABELS = dict(DECISION_STAGES)


def _day(value, field, errors, *, not_before=None):
    if not isinstance(value, date):
        errors[field] = ["请填写日期"]
    elif value > timezone.localdate():
        errors[field] = ["日期不能晚于今天"]
    elif not_before is not None and value < not_before:
        errors[field] = [f"不能早于上一环节（{not_before:%Y-%m-%d}）"]


@transaction.atomic
def do_record_meeting(
    *, actor, village, kind, held_on, topic, attended, expected, minutes=""
) -> PartyMeeting:
    require(actor, "governance.partymeeting.add", village)
    errors: dict[str, list[str]] = {}
    if village is None or village.level != 3:
        errors["village"] = ["请选择村（社区）"]
    if kind not in dict(MEETING_KINDS):
        errors["kind"] = ["会议类型无效"]
    _day(held_on, "held_on", errors)
    topic = (topic or "").strip()
    if not topic or len(topic) > 120:
        errors["topic"] = ["请填写主题（120字以内）"]
    if not isinstance(expected, int) or expected < 1:
        errors["expected"] = ["应到人数至少为1"]
    elif not isinstance(attended, int) or not 0 <= attended <= expected:
        errors["attended"] = ["实到人数应在0到应到人数之间"]
    if errors:
        raise ServiceError("invalid", "会议信息有误：" + next(iter(errors.values()))[0], errors)
    meeting = PartyMeeting.objects.create(
        village=village,
        kind=kind,
        held_on=held_on,
        topic=topic,
        attended=attended,
        expected=expected,
        minutes=(minutes or "").strip(),
    )
    audit.record_create(actor, meeting)
    return meeting


@transaction.atomic
def do_propose_decision(*, actor, village, title, content, proposed_on) -> VillageDecision:
    require(actor, "governance.villagedecision.add", village)
    errors: dict[str, list[str]] = {}
    if village is None or village.level != 3:
        errors["village"] = ["请选择村（社区）"]
    title, content = (title or "").strip(), (content or "").strip()
    if not title or len(title) > 120:
        errors["title"] = ["请填写事项（120字以内）"]
    if len(content) < 10:
        errors["content"] = ["请写明事项内容（至少10个字）"]
    _day(proposed_on, "proposed_on", errors)
    if errors:
        raise ServiceError("invalid", "提议有误：" + next(iter(errors.values()))[0], errors)
    decision = VillageDecision.objects.create(
        village=village, title=title, content=content, proposed_on=proposed_on
    )
    audit.record_create(actor, decision)
    return decision


@transaction.atomic
def do_advance_decision(decision: VillageDecision, *, actor, on, votes=None, result="") -> VillageDecision:
    """The next step of 四议两公开, dated, never skipped: a resolution needs the votes and a majority of
    those voting; the result disclosure needs the result."""
    require(actor, "governance.villagedecision.change", decision)
    index = STAGE_ORDER.index(decision.stage)
    if index + 1 >= len(STAGE_ORDER):
        raise ServiceError("finished", "该事项已完成结果公开", status=409)
    step = STAGE_ORDER[index + 1]
    previous = decision.proposed_on if index == 0 else getattr(decision, STAGE_DATE[STAGE_ORDER[index]])
    errors: dict[str, list[str]] = {}
    _day(on, "on", errors, not_before=previous)
    if step == "resolution":
        try:
            yes, no, abstain = (int(v) for v in votes or ())
        except (TypeError, ValueError):
            errors["votes"] = ["决议须填写赞成、反对、弃权票数"]
        else:
            if min(yes, no, abstain) < 0 or yes + no + abstain == 0:
                errors["votes"] = ["票数无效"]
            elif yes * 2 <= yes + no + abstain:
                errors["votes"] = ["赞成票未过半数，决议未通过，不能进入公开环节"]
    result = (result or "").strip()
    if step == "result" and len(result) < 5:
        errors["result"] = ["请写明实施结果"]
    if errors:
        raise ServiceError(
            "invalid", f"不能进入“{STAGE_LABELS[step]}”：" + next(iter(errors.values()))[0], errors
        )
    before = audit.snapshot(decision)
    setattr(decision, STAGE_DATE[step], on)
    if step == "resolution":
        decision.votes_for, decision.votes_against, decision.votes_abstain = yes, no, abstain
    if step == "result":
        decision.result = result
    decision.stage = step
    decision.save()
    audit.record_update(actor, decision, before)
    return decision


def disclosed_on_time(period, today=None):
    """Resolutions of the year up to the day counted: how many were disclosed within the rule's days
    (a few hundred a year in a county; counted in Python)."""
    day = min(period.end, today or timezone.localdate())
    counts: dict[int, list[int]] = {}
    rows = VillageDecision.objects.filter(resolved_on__lte=day, resolved_on__gte=date(period.year, 1, 1))
    for village_id, resolved, disclosed in rows.values_list("village_id", "resolved_on", "disclosed_on"):
        entry = counts.setdefault(village_id, [0, 0])
        entry[1] += 1
        if disclosed is not None and disclosed <= day and (disclosed - resolved).days <= DISCLOSE_WITHIN_DAYS:
            entry[0] += 1
    return [(village_id, on_time, total) for village_id, (on_time, total) in counts.items()]


# --- party branches and members ----------------------------------------------------------------

MEMBER_STATUSES = dict(PartyMember.STATUSES)


@transaction.atomic
def do_create_branch(*, actor, village, name, kind="branch", founded_on=None) -> PartyBranch:
    """A village's party organisation (党支部/党总支/联合党支部)."""
    require(actor, "governance.partybranch.add", village)
    errors: dict[str, list[str]] = {}
    if village is None or village.level != 3:
        errors["village"] = ["请选择村（社区）"]
    name = (name or "").strip()
    if not name or len(name) > 60:
        errors["name"] = ["请填写党组织名称（60字以内）"]
    if kind not in dict(PartyBranch.KINDS):
        errors["kind"] = ["类型应为党支部、党总支或联合党支部"]
    if founded_on is not None and (not isinstance(founded_on, date) or founded_on > timezone.localdate()):
        errors["founded_on"] = ["成立日期不能晚于今天"]
    if not errors and PartyBranch.objects.filter(village=village, name=name).exists():
        errors["name"] = ["本村已有同名党组织"]
    if errors:
        raise ServiceError("invalid", "党组织信息有误：" + next(iter(errors.values()))[0], errors)
    branch = PartyBranch.objects.create(village=village, name=name, kind=kind, founded_on=founded_on)
    audit.record_create(actor, branch)
    return branch


@transaction.atomic
def do_add_member(*, actor, branch, name, id_number, joined_on, status="full", phone="") -> PartyMember:
    """A party member of `branch` (the person found by ID number, or registered as core.Person). A
    person already on a branch's roll is refused: nobody holds two memberships."""
    from shuxiang.core import services as core_services
    from shuxiang.core.models import Person

    require(actor, "governance.partymember.add", branch)
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = ["请填写姓名"]
    number = None
    try:
        number = pii.normalize_id_number(id_number or "")
    except pii.PIIError as exc:
        errors["id_number"] = [exc.message]
    if status not in MEMBER_STATUSES:
        errors["status"] = ["党员类别应为正式党员或预备党员"]
    if not isinstance(joined_on, date):
        errors["joined_on"] = ["请填写入党日期"]
    elif joined_on > timezone.localdate():
        errors["joined_on"] = ["入党日期不能晚于今天"]
    person = Person.objects.filter(id_number_digest=pii.digest(number)).first() if number else None
    if person is not None and PartyMember.objects.filter(person=person).exists():
        errors["id_number"] = ["此人已是党员（已在党组织名册中），不能重复登记"]
    if errors:
        raise ServiceError("invalid", "党员信息有误：" + next(iter(errors.values()))[0], errors)
    if person is None:
        person = core_services.do_create_person(
            actor=actor, name=name, place=branch.village, id_number=number, phone=phone or ""
        )
    member = PartyMember.objects.create(branch=branch, person=person, status=status, joined_on=joined_on)
    audit.record_create(actor, member)
    return member
