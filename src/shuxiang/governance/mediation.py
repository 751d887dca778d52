"""Mediation (矛盾纠纷调解) on the case engine: a dispute is a case of type governance.mediation (its
deadline, escalation and timeline are the engine's); this module keeps the parties, sessions, the
agreement (a PDF) and the follow-up. Parties' ID numbers are checked and encrypted by core.Person."""

import io
from datetime import date, timedelta

from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from shuxiang.core import audit, pii
from shuxiang.core import services as core_services
from shuxiang.core.actors import SYSTEM_LABELS, Actor, as_actor
from shuxiang.core.errors import ServiceError
from shuxiang.core.files import store_attachment
from shuxiang.core.models import Person
from shuxiang.core.permissions import require
from shuxiang.governance.choices import DISPUTE_KINDS, OUTCOMES, SIDES
from shuxiang.governance.models import Dispute, DisputeParty, MediationSession

CASE_TYPE = "governance.mediation"
CATEGORY = "governance-mediation"
SYSTEM_LABELS.setdefault("governance", "基层治理联动")
GOVERNANCE = Actor.system("governance")
# 人民调解法 art. 26 gives no fixed term; the county's rule of thumb is 30 days, set on the category.
CATEGORY_DEFAULTS = {
    "name": "矛盾纠纷调解",
    "description": "邻里、土地、婚姻家庭、劳动等矛盾纠纷的人民调解：受理、调解、协议、回访",
    "group": "平安乡村",
    "case_type": CASE_TYPE,
    "is_public": False,
    "is_sensitive": True,
    "deadline_amount": 30,
    "deadline_unit": "calendar_days",
    "accept_hours": 48,
    "order": 97,
}
KIND_LABELS, SIDE_LABELS, OUTCOME_LABELS = dict(DISPUTE_KINDS), dict(SIDES), dict(OUTCOMES)


def ensure_case_category(sender=None, using="default", **kwargs):
    if not apps.is_installed("shuxiang.cases"):
        return
    from shuxiang.cases.models import CaseCategory

    CaseCategory.objects.using(using).get_or_create(code=CATEGORY, defaults=CATEGORY_DEFAULTS)


def register():
    from shuxiang.cases.registry import CaseLink, CaseType, register_type

    def links(case):
        dispute = Dispute.objects.filter(case=case).first()
        if dispute is None:
            return []
        rows = [CaseLink("纠纷", dispute.get_kind_display(), dispute.get_absolute_url())]
        if dispute.outcome:
            rows.append(CaseLink("调解结果", dispute.get_outcome_display()))
        return rows

    register_type(
        CaseType(
            code=CASE_TYPE,
            label="矛盾纠纷调解",
            actions={"accept", "dispatch", "return", "start", "note", "resolve", "close", "escalate"},
            links=links,
        )
    )


def _party(actor, place, data, i, errors):
    prefix = f"parties[{i}]."
    name = (data.get("name") or "").strip()
    side = data.get("side")
    if side not in SIDE_LABELS:
        errors[prefix + "side"] = ["身份应为申请人或被申请人"]
    if not name:
        errors[prefix + "name"] = ["请填写当事人姓名"]
    try:
        number = pii.normalize_id_number(data.get("id_number") or "")
    except pii.PIIError as exc:
        errors[prefix + "id_number"] = [f"第{i + 1}位当事人：{exc.message}"]
        return None
    return name, number, side, data.get("phone") or ""


@transaction.atomic
def do_register_dispute(*, actor, place, kind, description, parties, mediator=None) -> Dispute:
    """A dispute brought to the village: its parties (by ID number), the case, the mediator."""
    require(actor, "governance.dispute.add", place)
    errors: dict[str, list[str]] = {}
    if place is None or place.level < 3:
        errors["place"] = ["请选择纠纷发生的村或村民小组"]
    if kind not in KIND_LABELS:
        errors["kind"] = ["纠纷类型无效"]
    parties = list(parties or [])
    cleaned = [
        _party(actor, place, p if isinstance(p, dict) else {}, i, errors) for i, p in enumerate(parties)
    ]
    sides = {p[2] for p in cleaned if p}
    if not {"applicant", "respondent"} <= sides and not any(k.startswith("parties[") for k in errors):
        errors["parties"] = ["至少须有一名申请人和一名被申请人"]
    numbers = [p[1] for p in cleaned if p]
    if len(numbers) != len(set(numbers)):
        errors["parties"] = ["同一当事人不能出现两次"]
    if mediator is not None and (
        mediator.place_id is None or not place or not place.path.startswith(mediator.place.path)
    ):
        errors["mediator"] = ["调解员须为本辖区工作人员"]
    if errors:
        raise ServiceError("invalid", "纠纷登记有误：" + next(iter(errors.values()))[0], errors)
    from shuxiang.cases import services as cases

    by = Actor.on_behalf(as_actor(actor).person, via="governance") if as_actor(actor).is_person else actor
    case = cases.do_open_case(
        actor=by,
        case_type=CASE_TYPE,
        category=CATEGORY,
        title=f"{KIND_LABELS[kind]}调解",
        description=description,
        place=place,
        channel="staff",
        is_public=False,
    )
    dispute = Dispute.objects.create(case=case, place=place, kind=kind, mediator=mediator)
    for name, number, side, phone in (p for p in cleaned if p):
        person = Person.objects.filter(id_number_digest=pii.digest(number)).first()
        if person is None:
            person = core_services.do_create_person(
                actor=actor, name=name, place=place, id_number=number, phone=phone
            )
        DisputeParty.objects.create(dispute=dispute, person=person, side=side)
    audit.record_create(actor, dispute)
    return dispute


@transaction.atomic
def do_record_session(dispute: Dispute, *, actor, held_on, note, location="") -> MediationSession:
    require(actor, "governance.dispute.change", dispute)
    if dispute.outcome:
        raise ServiceError("concluded", "该纠纷已办结", status=409)
    errors = {}
    if not isinstance(held_on, date) or held_on > timezone.localdate():
        errors["held_on"] = ["调解日期不能晚于今天"]
    note = (note or "").strip()
    if len(note) < 5:
        errors["note"] = ["请记录调解情况（至少5个字）"]
    if errors:
        raise ServiceError("invalid", "调解记录有误：" + next(iter(errors.values()))[0], errors)
    session = MediationSession.objects.create(
        dispute=dispute,
        held_on=held_on,
        location=(location or "").strip()[:100],
        note=note,
        mediator=as_actor(actor).person,
    )
    audit.record_create(actor, session)
    from shuxiang.cases import services as cases

    case = dispute.case
    case.refresh_from_db()
    if case.state == "submitted":
        case = cases.do_accept_case(case, actor=GOVERNANCE, note="调解组织受理")
    if case.state in ("accepted", "dispatched", "returned"):
        case = cases.do_start_case(case, actor=GOVERNANCE, note="开始调解")
    cases.do_add_note(case, actor=GOVERNANCE, note=f"{held_on:%Y-%m-%d} 调解：{note[:200]}")
    return session


def agreement_pdf(dispute: Dispute, text: str, on: date) -> bytes:
    """人民调解协议书 as a PDF: parties by name with ID numbers masked, the agreed terms, the date."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    font = "STSong-Light"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4)
    pdf.setTitle("人民调解协议书")
    width, height = A4
    y = height - 25 * mm
    pdf.setFont(font, 18)
    pdf.drawCentredString(width / 2, y, "人民调解协议书")
    y -= 14 * mm
    pdf.setFont(font, 11)
    lines = [f"编号：{dispute.case.tracking_number}    纠纷类型：{dispute.get_kind_display()}", ""]
    for party in dispute.parties.select_related("person"):
        lines.append(
            f"{party.get_side_display()}：{party.person.name}  身份证号：{party.person.id_number_masked}"
        )
    lines += ["", "经调解，双方自愿达成如下协议："]
    for paragraph in text.splitlines():
        while paragraph:
            cut = paragraph
            while pdfmetrics.stringWidth(cut, font, 11) > width - 40 * mm:
                cut = cut[:-1]
            lines.append(cut)
            paragraph = paragraph[len(cut) :]
    lines += [
        "",
        "本协议经双方当事人签字（盖章）、人民调解员签字并加盖人民调解委员会印章后生效。",
        "",
        f"日期：{on:%Y年%m月%d日}",
    ]
    for line in lines:
        if y < 20 * mm:
            pdf.showPage()
            pdf.setFont(font, 11)
            y = height - 20 * mm
        pdf.drawString(20 * mm, y, line)
        y -= 7 * mm
    pdf.save()
    return buf.getvalue()


@transaction.atomic
def do_conclude_dispute(
    dispute: Dispute, *, actor, outcome, concluded_on, agreement_text="", follow_up_days=30
) -> Dispute:
    """The outcome; an agreement becomes the 协议书 PDF; the case is resolved and closed; a follow-up is due."""
    require(actor, "governance.dispute.change", dispute)
    if dispute.outcome:
        raise ServiceError("concluded", "该纠纷已办结", status=409)
    errors = {}
    if outcome not in OUTCOME_LABELS:
        errors["outcome"] = ["调解结果无效"]
    agreement_text = (agreement_text or "").strip()
    if outcome == "agreed" and len(agreement_text) < 10:
        errors["agreement_text"] = ["调解成功须写明协议内容（至少10个字）"]
    if not isinstance(concluded_on, date) or concluded_on > timezone.localdate():
        errors["concluded_on"] = ["办结日期不能晚于今天"]
    if outcome in OUTCOME_LABELS and outcome != "withdrawn" and not dispute.sessions.exists():
        errors["outcome"] = ["尚无调解记录，不能办结"]
    if errors:
        raise ServiceError("invalid", "不能办结：" + next(iter(errors.values()))[0], errors)
    before = audit.snapshot(dispute)
    dispute.outcome, dispute.concluded_on = outcome, concluded_on
    dispute.agreement_text = agreement_text if outcome == "agreed" else ""
    dispute.follow_up_on = concluded_on + timedelta(days=follow_up_days)
    dispute.save(update_fields=["outcome", "concluded_on", "agreement_text", "follow_up_on"])
    if outcome == "agreed":
        data = agreement_pdf(dispute, agreement_text, concluded_on)
        store_attachment(
            SimpleUploadedFile("agreement.pdf", data, content_type="application/pdf"),
            owner=dispute,
            place=dispute.place,
            actor=actor,
            kind="document",
            name="人民调解协议书.pdf",
        )
    audit.record_update(actor, dispute, before)
    from shuxiang.cases import services as cases

    case = dispute.case
    case.refresh_from_db()
    if case.state == "submitted":
        case = cases.do_accept_case(case, actor=GOVERNANCE, note="调解组织受理")
    if case.state not in ("resolved", "closed"):
        if case.state == "returned":
            case = cases.do_start_case(case, actor=GOVERNANCE, note="继续办理")
        case = cases.do_resolve_case(
            case, actor=GOVERNANCE, note=f"{OUTCOME_LABELS[outcome]}（{concluded_on:%Y-%m-%d}）"
        )
        cases.do_close_case(case, actor=GOVERNANCE, note="调解办结")
    return dispute


@transaction.atomic
def do_follow_up(dispute: Dispute, *, actor, note) -> Dispute:
    require(actor, "governance.dispute.change", dispute)
    if not dispute.outcome:
        raise ServiceError("not_concluded", "纠纷尚未办结，不能回访", status=409)
    note = (note or "").strip()
    if len(note) < 4:
        raise ServiceError("invalid", "请填写回访情况", {"follow_up_note": ["至少4个字"]})
    before = audit.snapshot(dispute)
    dispute.follow_up_note = note[:500]
    dispute.follow_up_on = timezone.localdate()
    dispute.save(update_fields=["follow_up_note", "follow_up_on"])
    audit.record_update(actor, dispute, before)
    return dispute


def success_rate(period, today=None):
    """Disputes concluded by the day counted and how many of them ended in an agreement (per place)."""
    from django.db.models import Count, Q

    day = min(period.end, today or timezone.localdate())
    rows = (
        Dispute.objects.filter(concluded_on__lte=day, concluded_on__gte=date(period.year, 1, 1))
        .values("place_id")
        .annotate(total=Count("pk"), agreed=Count("pk", filter=Q(outcome="agreed")))
        .order_by()
    )
    return [(r["place_id"], r["agreed"], r["total"]) for r in rows]
