"""Public legal service in the village (一村一法律顾问): advisers appointed to villages, consultations
booked with them and answered in writing or at an appointment."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from shuxiang.core import audit, pii
from shuxiang.core import services as core_services
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import Person, Place
from shuxiang.core.permissions import require
from shuxiang.governance.models import Consultation, LegalAdviser


def _person(actor, name, id_number, phone, place, errors, prefix):
    name = (name or "").strip()
    if not name:
        errors[prefix + "name"] = ["请填写姓名"]
    try:
        number = pii.normalize_id_number(id_number or "")
    except pii.PIIError as exc:
        errors[prefix + "id_number"] = [exc.message]
        return None
    if errors:
        return None
    person = Person.objects.filter(id_number_digest=pii.digest(number)).first()
    return person or core_services.do_create_person(
        actor=actor, name=name, place=place, id_number=number, phone=phone or ""
    )


def current_adviser(village, on=None):
    on = on or timezone.localdate()
    return (
        LegalAdviser.objects.filter(village=village, since__lte=on)
        .exclude(until__lt=on)
        .select_related("person")
        .order_by("-since")
        .first()
    )


@transaction.atomic
def do_appoint_adviser(*, actor, village, name, id_number, firm, since, until=None, phone="") -> LegalAdviser:
    require(actor, "governance.legaladviser.add", village)
    errors: dict[str, list[str]] = {}
    if village is None or village.level != 3:
        errors["village"] = ["请选择村（社区）"]
    firm = (firm or "").strip()
    if not firm:
        errors["firm"] = ["请填写所在律师事务所或法律服务所"]
    if not isinstance(since, date):
        errors["since"] = ["请填写聘任日期"]
    elif until is not None and until < since:
        errors["until"] = ["聘期截止不能早于聘任日期"]
    person = None if errors else _person(actor, name, id_number, phone, village, errors, "")
    if errors:
        raise ServiceError("invalid", "法律顾问信息有误：" + next(iter(errors.values()))[0], errors)
    adviser = LegalAdviser.objects.create(
        village=village, person=person, firm=firm[:80], since=since, until=until
    )
    audit.record_create(actor, adviser)
    return adviser


@transaction.atomic
def do_book_consultation(
    *, actor, village, name, id_number, topic, question, mode, appointment_at=None, phone=""
) -> Consultation:
    """A villager's question for the village's current adviser (registered by a cadre or grid worker)."""
    require(actor, "governance.consultation.add", village)
    errors: dict[str, list[str]] = {}
    adviser = current_adviser(village) if village is not None else None
    if adviser is None:
        errors["village"] = ["该村尚未聘任法律顾问"]
    topic, question = (topic or "").strip(), (question or "").strip()
    if not topic or len(topic) > 100:
        errors["topic"] = ["请填写咨询事项（100字以内）"]
    if len(question) < 10:
        errors["question"] = ["请写明咨询内容（至少10个字）"]
    if mode not in dict(Consultation.MODES):
        errors["mode"] = ["答复方式应为书面答复或预约面谈"]
    elif mode == "appointment" and (appointment_at is None or appointment_at < timezone.now()):
        errors["appointment_at"] = ["预约面谈须填写今后的预约时间"]
    asker = None if errors else _person(actor, name, id_number, phone, village, errors, "asker_")
    if errors:
        raise ServiceError("invalid", "咨询登记有误：" + next(iter(errors.values()))[0], errors)
    consultation = Consultation.objects.create(
        village=village,
        adviser=adviser,
        asker=asker,
        topic=topic,
        question=question,
        mode=mode,
        appointment_at=appointment_at if mode == "appointment" else None,
    )
    audit.record_create(actor, consultation)
    return consultation


@transaction.atomic
def do_answer_consultation(consultation: Consultation, *, actor, answer) -> Consultation:
    require(actor, "governance.consultation.change", consultation)
    if consultation.answered_at is not None:
        raise ServiceError("answered", "该咨询已答复", status=409)
    answer = (answer or "").strip()
    if len(answer) < 10:
        raise ServiceError("invalid", "请写明答复内容（至少10个字）", {"answer": ["至少10个字"]})
    before = audit.snapshot(consultation)
    consultation.answer, consultation.answered_at = answer, timezone.now()
    consultation.save(update_fields=["answer", "answered_at"])
    audit.record_update(actor, consultation, before)
    return consultation


def villages_with_adviser(period, today=None):
    """Villages (and communities) with an adviser in office on the day counted, over all villages."""
    day = min(period.end, today or timezone.localdate())
    served = set(
        LegalAdviser.objects.filter(since__lte=day)
        .exclude(until__lt=day)
        .values_list("village_id", flat=True)
    )
    return [(pk, int(pk in served), 1) for pk in Place.objects.filter(level=3).values_list("pk", flat=True)]
