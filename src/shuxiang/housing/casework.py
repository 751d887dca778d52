"""Housing's cases on the case engine: a renovation of a key household's dangerous house
(housing.renovation) and the rectification of a business house's hazards (housing.rectification).

The engine keeps deadlines, dispatch, escalation and the timeline; housing keeps what the work is
about (the house, the subsidy, the acceptance). Both cases are opened and finished by the housing
system actor from housing's own services: a renovation ends with an acceptance, a rectification with
evidence, never by a bare close.
"""

from datetime import datetime, time

from django.apps import apps
from django.utils import timezone

from shuxiang.core.actors import SYSTEM_LABELS, Actor

# The housing system actor, registered into core's closed vocabulary from here (core never imports us).
SYSTEM_LABELS.setdefault("housing", "农房安全联动")
HOUSING = Actor.system("housing")
RENOVATION = "housing.renovation"
RECTIFICATION = "housing.rectification"
CATEGORIES = {
    "housing-renovation": {
        "name": "农村危房改造",
        "description": "重点对象C、D级危房的改造：立项、开工、竣工验收，动态清零",
        "group": "住房安全",
        "case_type": RENOVATION,
        "is_public": False,
        "is_sensitive": True,
        "deadline_amount": 180,
        "deadline_unit": "calendar_days",
        "accept_hours": 72,
        "order": 95,
    },
    "housing-rectification": {
        "name": "经营性自建房隐患整治",
        "description": "经营性自建房排查发现的结构、经营、合法性隐患：限期整改，凭证销号",
        "group": "住房安全",
        "case_type": RECTIFICATION,
        "is_public": False,
        "is_sensitive": False,
        "deadline_amount": 30,
        "deadline_unit": "calendar_days",
        "accept_hours": 48,
        "order": 96,
    },
}
CATEGORY_OF = {RENOVATION: "housing-renovation", RECTIFICATION: "housing-rectification"}


def enabled() -> bool:
    return apps.is_installed("shuxiang.cases")


def ensure_case_categories(sender=None, using="default", **kwargs):
    """The two categories exist after every migrate and flush; what an administrator changed stays."""
    if not enabled():
        return
    from shuxiang.cases.models import CaseCategory

    for code, defaults in CATEGORIES.items():
        CaseCategory.objects.using(using).get_or_create(code=code, defaults=defaults)


def _end_of(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(18, 0)), timezone.get_current_timezone())


def open_case(case_type, *, house, title, description, deadline, source_ref, submission_key):
    """A case of one of housing's types for `house`, due at the end of `deadline` (a date)."""
    if not enabled():
        return None
    from shuxiang.cases import services as cases

    return cases.do_open_case(
        actor=HOUSING,
        case_type=case_type,
        category=CATEGORY_OF[case_type],
        title=title[:100],
        description=description,
        # the hamlet, not the house's own point: a house registered at the edge of the county (or with a
        # rough position) must not be refused by the engine's county-boundary check
        place=house.place,
        channel="system",
        is_public=False,
        source_ref=source_ref,
        submission_key=submission_key,
        deadline=_end_of(deadline),
    )


def start_case(case, note: str):
    """Work began (a renovation started): the case is accepted and in progress."""
    if case is None:
        return
    from shuxiang.cases import services as cases

    case.refresh_from_db()
    if case.state == "submitted":
        case = cases.do_accept_case(case, actor=HOUSING, note="住房安全系统受理")
    if case.state in ("accepted", "dispatched"):
        cases.do_start_case(case, actor=HOUSING, note=note)


def finish_case(case, note: str):
    """The work is done with its evidence (acceptance, rectification): resolved and closed."""
    if case is None:
        return
    from shuxiang.cases import services as cases

    case.refresh_from_db()
    if case.state in ("resolved", "closed"):
        return
    if case.state == "submitted":
        case = cases.do_accept_case(case, actor=HOUSING, note="住房安全系统受理")
    if case.state == "returned":
        case = cases.do_start_case(case, actor=HOUSING, note="继续办理")
    cases.do_resolve_case(case, actor=HOUSING, note=note)
    cases.do_close_case(case.__class__.objects.get(pk=case.pk), actor=HOUSING, note="凭验收/整改材料销号")


def house_links(case):
    """What a housing case page shows: the house (linked), its grade, the township."""
    from shuxiang.cases.registry import CaseLink
    from shuxiang.cases.routing import township_of
    from shuxiang.housing.models import House

    rows = []
    code = case.source_ref.split(":", 1)[1] if case.source_ref.startswith("housing.house:") else ""
    house = House.objects.filter(code=code).select_related("owner").first() if code else None
    if house is not None:
        rows.append(CaseLink("房屋", f"{house.code} {house.address}".strip(), house.get_absolute_url()))
        rows.append(CaseLink("安全等级", house.get_grade_display() or "未鉴定"))
        if house.key_group:
            rows.append(CaseLink("重点对象", house.get_key_group_display()))
    township = township_of(case.place)
    if township is not None:
        rows.append(CaseLink("属地乡镇", township.name))
    return rows


FINISHING = ("resolve", "close")
RENOVATION_REFUSAL = (
    "危房改造不能在事件中直接办结：请在农房安全模块登记竣工验收（验收后A级或B级、改造后照片），"
    "验收后事件自动办结，房屋同时退出“动态清零”台账。"
)
RECTIFICATION_REFUSAL = (
    "隐患整治不能在事件中直接办结：请在经营性自建房排查中登记整改销号（整改说明和照片），销号后事件自动办结。"
)


def renovation_guard(case, action):
    """A renovation case is resolved and closed only by its acceptance (do_accept_renovation marks the
    project accepted first, then finishes the case as the housing system actor): a handler resolving
    it in the queue is refused, so the house never leaves the "zero" count without an acceptance."""
    if action not in FINISHING:
        return None
    from shuxiang.housing.models import Renovation

    renovation = Renovation.objects.filter(case=case).only("status").first()
    if renovation is None or renovation.is_open:
        return RENOVATION_REFUSAL
    return None


def rectification_guard(case, action):
    """A rectification case is finished only by the inspection's 销号 with evidence."""
    if action not in FINISHING:
        return None
    from shuxiang.housing.choices import InspectionResult
    from shuxiang.housing.models import BusinessInspection

    inspection = BusinessInspection.objects.filter(case=case).only("result").first()
    if inspection is None or inspection.result != InspectionResult.RECTIFIED:
        return RECTIFICATION_REFUSAL
    return None


def renovation_links(case):
    """The house, plus the renovation project and how the case ends (by its acceptance)."""
    from shuxiang.cases.registry import CaseLink
    from shuxiang.housing.models import Renovation

    rows = house_links(case)
    renovation = Renovation.objects.filter(case=case).first()
    if renovation is not None:
        text = "已竣工验收" if not renovation.is_open else "登记竣工验收后自动办结（不能在事件中直接办结）"
        rows.insert(1, CaseLink("改造项目", text, renovation.get_absolute_url()))
    return rows


def rectification_links(case):
    """The house, plus the inspection and how the case ends (by 销号 with evidence)."""
    from django.urls import reverse

    from shuxiang.cases.registry import CaseLink
    from shuxiang.housing.models import BusinessInspection

    rows = house_links(case)
    inspection = BusinessInspection.objects.filter(case=case).only("pk", "result").first()
    if inspection is not None:
        text = (
            "已整改销号"
            if inspection.result == "rectified"
            else "登记整改销号后自动办结（不能在事件中直接办结）"
        )
        rows.insert(1, CaseLink("隐患排查", text, reverse("housing:inspection_detail", args=[inspection.pk])))
    return rows


def register():
    if not enabled():
        return
    from shuxiang.cases.registry import CaseType, register_type

    steps = {"accept", "dispatch", "return", "start", "note", "resolve", "close", "escalate"}
    register_type(
        CaseType(
            code=RENOVATION,
            label="农村危房改造",
            actions=steps,
            links=renovation_links,
            guard=renovation_guard,
        )
    )
    register_type(
        CaseType(
            code=RECTIFICATION,
            label="经营性自建房隐患整治",
            actions=steps,
            links=rectification_links,
            guard=rectification_guard,
        )
    )
