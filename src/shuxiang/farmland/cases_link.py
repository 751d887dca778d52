"""Findings become cases on the case engine (category 耕地保护, type `farmland.finding`).

A finding is opened by the monitoring rules, not by a person, so the case is opened as
`Actor.system("farmland")` for the polygon's village; the engine routes it to the township
government (its routing rules may say otherwise) with the rule's rectification deadline. The
township handles it on the case page and resolves it with the rectification evidence (photos and
what was done); `on_change` then marks the finding rectified — on time or late against its deadline.
"""

from datetime import datetime, time

from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from shuxiang.core.actors import Actor
from shuxiang.core.context import origin
from shuxiang.farmland.choices import mu, season_label

FARMLAND = Actor.system("farmland")
CASE_TYPE = "farmland.finding"
CATEGORY = "farmland-protection"
CATEGORY_DEFAULTS = {
    "name": "耕地保护",
    "description": "耕地和永久基本农田“非农化”“非粮化”、撂荒问题：核实、整改并上传整改佐证",
    "group": "农业农村",
    "case_type": CASE_TYPE,
    "is_public": False,
    "is_sensitive": False,
    "deadline_amount": 30,
    "deadline_unit": "calendar_days",
    "accept_hours": 24,
    "order": 95,
}


def ensure_case_category(sender=None, using="default", **kwargs):
    """耕地保护 exists among the case categories after every migrate (an administrator's edits stay)."""
    from shuxiang.cases.models import CaseCategory

    CaseCategory.objects.using(using).get_or_create(code=CATEGORY, defaults=CATEGORY_DEFAULTS)


def _category():
    from shuxiang.cases.models import CaseCategory

    return CaseCategory.objects.filter(code=CATEGORY, is_active=True).first()


def open_case(finding):
    """The finding's case, opened inside the caller's transaction (one case per finding)."""
    from shuxiang.cases import services as cases

    parcel = finding.parcel
    village = parcel.place
    township = village.parent.name if village.parent_id else ""
    lines = [
        f"{township}{village.name} {parcel.get_kind_display()}图斑 {parcel.code}（{mu(parcel.area_m2)} 亩）："
        f"{finding.description}",
        f"发现季节：{season_label(finding.season)}；规则：{finding.rule.name}。",
        f"请属地乡镇于 {finding.deadline:%Y-%m-%d} 前核实整改，办结时上传整改后照片并说明整改情况。",
    ]
    deadline = timezone.make_aware(
        datetime.combine(finding.deadline, time(18, 0)), timezone.get_current_timezone()
    )
    with origin("task"):
        return cases.do_open_case(
            actor=FARMLAND,
            case_type=CASE_TYPE,
            category=_category(),
            title=f"{village.name}{parcel.get_kind_display()}{finding.get_finding_type_display()}（{parcel.code}）"[
                :100
            ],
            description="\n".join(lines),
            place=village,
            deadline=deadline,
            channel="system",
            is_public=False,
            source_ref=f"farmland.finding:{finding.pk}",
            submission_key=f"farmland.finding:{finding.pk}",
            extra={"finding": finding.pk},
        )


def on_case_change(case, event=None):
    """A resolved or closed case marks its finding rectified (with what the handler wrote)."""
    from shuxiang.cases.choices import FINISHED_STATES
    from shuxiang.farmland.models import Finding

    if case.state not in FINISHED_STATES:
        return
    finding = Finding.objects.filter(case=case, status="open").first()
    if finding is None:
        return
    finding.status = "rectified"
    finding.rectified_at = case.resolved_at or case.closed_at or timezone.now()
    finding.rectification = (case.status_notes or "")[:500]
    finding.save(update_fields=["status", "rectified_at", "rectification"])
    from shuxiang.core import audit

    audit.record(FARMLAND, "update", finding, changes={"status": ["open", "rectified"]})


def case_links(case):
    from shuxiang.cases.registry import CaseLink
    from shuxiang.farmland.models import Finding

    finding = Finding.objects.filter(pk=case.extra.get("finding")).select_related("parcel", "rule").first()
    if finding is None:
        return []
    parcel = finding.parcel
    return [
        CaseLink(
            "问题", f"{finding.get_finding_type_display()}：{finding.description}", finding.get_absolute_url()
        ),
        CaseLink(
            "图斑",
            f"{parcel.get_kind_display()} {parcel.code}（{mu(parcel.area_m2)} 亩）",
            reverse("farmland:parcel_detail", args=[parcel.pk]),
        ),
        CaseLink("整改期限", f"{finding.deadline:%Y-%m-%d}"),
    ]


def register():
    if not apps.is_installed("shuxiang.cases"):
        return
    from shuxiang.cases.registry import CaseField, CaseType, register_type

    register_type(
        CaseType(
            code=CASE_TYPE,
            label="耕地保护问题",
            actions={"accept", "dispatch", "return", "start", "note", "resolve", "close", "escalate"},
            fields=[CaseField("finding", "问题编号", kind="int", required=True)],
            public=False,
            on_change=on_case_change,
            links=case_links,
        )
    )
