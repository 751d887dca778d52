"""Every write of the needs market (网上需求集市): post, moderate, report, inquire, withdraw, expire,
and the job matching that runs when a job or a job-wanted posting goes public.

A resident without an account posts as `Actor.anonymous("public")`: limited per client address
(SHUXIANG_MARKET_POST_RATE) and per phone (MARKET_LIVE_PER_PHONE postings not yet expired), and always
through the moderation queue. A cadre who may moderate in the place publishes at once.
"""

import re
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from shuxiang.core import audit, pii, ratelimit
from shuxiang.core import services as core_services
from shuxiang.core.actors import Actor, as_actor
from shuxiang.core.choices import Role
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import Place
from shuxiang.core.permissions import has_perm, require
from shuxiang.villager.choices import (
    CATEGORY_SECTOR,
    KIND_CATEGORIES,
    VERIFIED_KINDS,
    EmploymentStatus,
    PosterKind,
    PostingKind,
    PostingStatus,
    ReportReason,
)
from shuxiang.villager.models import EmploymentRecord, Inquiry, Match, Posting, Report

PUBLIC = Actor.anonymous("public")
TASKS = Actor.system("tasks")

POST_RATE = "5/hour"  # anonymous postings per client address
SEND_RATE = "20/hour"  # anonymous inquiries and reports per client address
LIVE_PER_PHONE = 5  # postings under one phone not yet expired, withdrawn or rejected
REPORTS_TO_HIDE = 3  # reports that take a posting off the public list until a cadre looks again
MAX_DAYS = 90
DEFAULT_DAYS = 30

# Numbers that must not be in free text: mobile phones (also written with spaces or dashes), fixed
# lines with an area code, 18-character ID numbers. Anything like them is refused, not masked: the
# poster fixes the text, the platform relays contact.
_SEP = r"[\s\-－—]?"
PHONE_IN_TEXT = re.compile(r"(?<!\d)1[3-9]\d" + _SEP + r"\d{4}" + _SEP + r"\d{4}(?!\d)")
FIXED_IN_TEXT = re.compile(r"(?<!\d)0\d{2,3}[\s\-－—]?\d{7,8}(?!\d)")
ID_IN_TEXT = re.compile(r"(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])")
CONTACT_WORDS = re.compile(r"(微信|vx|wx|qq|加我)\s*[:：号]?\s*[A-Za-z0-9_\-]{5,}", re.IGNORECASE)
NUMBERS_MESSAGE = "请不要在文字中填写电话、身份证号或微信号：联系方式只填在“联系电话”栏，由平台代为转达"


def setting(name, default):
    return getattr(settings, name, default)


# --- the public list's cache ----------------------------------------------------------------------
# What anonymous visitors see is the same for everyone: the rendered list (and the API's page) is kept
# for PUBLIC_CACHE_SECONDS under a version that every write of a posting moves on, after its commit.

PUBLIC_CACHE_SECONDS = 60
VERSION_KEY = "villager:market:version"


def public_version() -> int:
    from django.core.cache import cache

    return cache.get_or_set(VERSION_KEY, 1, None)


def public_cache_key(kind: str, query: str) -> str:
    import hashlib

    digest = hashlib.sha256(query.encode()).hexdigest()[:32]
    return f"villager:market:{kind}:{public_version()}:{timezone.localdate()}:{digest}"


def _changed():
    """The public list changed: cached pages are stale now, and again once this transaction commits
    (a reader between the two could have cached the old rows under the first new version)."""
    from django.core.cache import cache

    def bump():
        try:
            cache.incr(VERSION_KEY)
        except ValueError:
            cache.set(VERSION_KEY, 2, None)

    bump()
    transaction.on_commit(bump)


def personal_numbers_in(text: str) -> bool:
    text = str(text or "")
    digits = re.sub(r"[０-９]", lambda m: str(ord(m.group()) - ord("０")), text)  # full-width digits too
    return any(p.search(digits) for p in (PHONE_IN_TEXT, FIXED_IN_TEXT, ID_IN_TEXT, CONTACT_WORDS))


def _check_text(errors, field, value, *, label, low, high):
    value = str(value or "").strip()
    if len(value) < low:
        errors[field] = [f"{label}至少{low}个字"]
    elif len(value) > high:
        errors[field] = [f"{label}不超过{high}个字"]
    elif personal_numbers_in(value):
        errors[field] = [NUMBERS_MESSAGE]
    return value


def _resolve_place(value, errors):
    if isinstance(value, Place):
        place = value
    else:
        try:
            place = core_services.resolve_place(value)
        except ServiceError as exc:
            errors.update(exc.fields or {"place": [exc.message]})
            return None
    if place.level < 2:
        errors["place"] = ["请选择乡镇或村（社区）"]
        return None
    return place


def _limit(scope, source, rate, what):
    if source:
        ratelimit.enforce(
            scope,
            f"ip:{source}",
            ratelimit.parse_rate(setting(f"MARKET_{scope.upper()}_RATE", rate)),
            what=what,
        )


def _digest(source) -> str:
    return pii.digest(f"source:{source}") if source else ""


def township_of(place: Place) -> Place:
    while place.level > 2 and place.parent_id:
        place = place.parent
    return place


# --- posting ------------------------------------------------------------------------------------


@transaction.atomic
def do_create_posting(
    *,
    actor,
    kind,
    category,
    title,
    body,
    place,
    contact_name,
    phone,
    price="",
    days=DEFAULT_DAYS,
    source=None,
    poster_kind=None,
    verified_note="",
) -> Posting:
    """A new posting. Anonymous: pending, rate-limited by `source` (the client address). A signed-in
    user who may moderate in the place publishes it at once (and says who the poster is)."""
    actor = as_actor(actor)
    errors: dict[str, list[str]] = {}
    place_obj = _resolve_place(place, errors)
    require(actor, "villager.posting.add", place_obj)
    if not actor.is_person:
        _limit("post", source, POST_RATE, "发布")
    if kind not in PostingKind.values:
        errors["kind"] = ["类别应为：" + "、".join(PostingKind.labels)]
    elif category not in KIND_CATEGORIES[kind]:
        errors["category"] = ["细类与类别不符"]
    title = _check_text(errors, "title", title, label="标题", low=4, high=40)
    body = _check_text(errors, "body", body, label="详细说明", low=10, high=1000)
    price = _check_text(errors, "price", price, label="报酬/价格", low=0, high=40)
    contact_name = _check_text(errors, "contact_name", contact_name, label="联系人称呼", low=1, high=20)
    try:
        phone = pii.normalize_phone(str(phone or ""))
    except pii.PIIError as exc:
        errors["phone"] = [exc.message]
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_DAYS:
        errors["days"] = [f"有效天数应为1到{MAX_DAYS}天"]
    moderator = (
        actor.is_person and place_obj is not None and has_perm(actor, "villager.posting.moderate", place_obj)
    )
    poster_kind = poster_kind or (PosterKind.VILLAGER if actor.is_person else PosterKind.RESIDENT)
    if poster_kind not in PosterKind.values or (
        poster_kind in VERIFIED_KINDS and not moderator and actor.is_person
    ):
        poster_kind = PosterKind.RESIDENT
    if not actor.is_person:
        poster_kind = PosterKind.RESIDENT
    if errors:
        raise ServiceError("invalid", "需求信息有误", errors)
    phone_digest = pii.digest(phone)
    today = timezone.localdate()
    live = Posting.objects.filter(
        phone_digest=phone_digest,
        status__in=[PostingStatus.PENDING, PostingStatus.PUBLISHED],
        expires_on__gte=today,
    ).count()
    if live >= setting("MARKET_LIVE_PER_PHONE", LIVE_PER_PHONE):
        raise ServiceError(
            "too_many_postings",
            f"同一电话同时有效的信息最多{LIVE_PER_PHONE}条，请先撤回或等待旧信息到期",
            {"phone": ["有效信息已达上限"]},
        )
    now = timezone.now()
    posting = Posting.objects.create(
        kind=kind,
        category=category,
        title=title,
        body=body,
        price=price,
        place=place_obj,
        contact_name=contact_name,
        phone=phone,
        phone_digest=phone_digest,
        poster=actor.human,
        poster_kind=poster_kind,
        verified_note=str(verified_note or "")[:100] if poster_kind in VERIFIED_KINDS else "",
        status=PostingStatus.PUBLISHED if moderator else PostingStatus.PENDING,
        moderated_by=actor.human if moderator else None,
        moderated_at=now if moderator else None,
        published_at=now if moderator else None,
        created_at=now,
        expires_on=today + timedelta(days=days),
        source_digest=_digest(source),
    )
    audit.record_create(actor, posting)
    if moderator:
        _changed()
        _after_publish(posting)
    else:
        _tell_moderators(posting, "新的需求信息待审核")
    return posting


def _tell_moderators(posting, title):
    village = posting.place if posting.place.level <= 3 else posting.place.parent
    places = [village, township_of(village)] if village.level == 3 else [village]
    recipients = list(core_services.users_at(places, [Role.TOWNSHIP, Role.VILLAGE]))
    if recipients:
        url = f"/market/queue/{posting.pk}/"
        transaction.on_commit(
            lambda: core_services.notify(
                recipients, title=f"{title}：{posting.title}", url=url, kind="market"
            )
        )


@transaction.atomic
def do_moderate_posting(
    posting: Posting, *, actor, approve: bool, note="", poster_kind=None, verified_note=""
) -> Posting:
    """The moderation step: publish a pending posting (and say who the poster is verified as) or turn
    it down with the reason. Reports against it count as handled."""
    require(actor, "villager.posting.moderate", posting)
    posting = Posting.objects.select_for_update().get(pk=posting.pk)
    if posting.status != PostingStatus.PENDING:
        raise ServiceError("not_pending", "该信息不在待审核状态", {})
    note = str(note or "").strip()
    if not approve and not note:
        raise ServiceError("invalid", "请填写不通过的理由", {"note": ["请填写理由"]})
    if poster_kind is not None and poster_kind not in PosterKind.values:
        raise ServiceError("invalid", "发布人身份无效", {"poster_kind": ["无效的身份"]})
    before = audit.snapshot(posting)
    now = timezone.now()
    posting.status = PostingStatus.PUBLISHED if approve else PostingStatus.REJECTED
    posting.moderation_note = note[:200]
    posting.moderated_by = as_actor(actor).human
    posting.moderated_at = now
    if approve:
        posting.published_at = posting.published_at or now
        if posting.expires_on < timezone.localdate():
            posting.expires_on = timezone.localdate() + timedelta(days=DEFAULT_DAYS)
        if poster_kind:
            posting.poster_kind = poster_kind
            posting.verified_note = str(verified_note or "")[:100] if poster_kind in VERIFIED_KINDS else ""
    posting.save()
    posting.reports.filter(handled=False).update(handled=True)
    audit.record_update(actor, posting, before)
    _changed()
    if approve:
        _after_publish(posting)
    elif posting.poster_id:
        recipient = [posting.poster]
        transaction.on_commit(
            lambda: core_services.notify(
                recipient,
                title=f"需求信息未通过审核：{posting.title}",
                body=note,
                url=posting.get_absolute_url(),
                kind="market",
            )
        )
    return posting


@transaction.atomic
def do_withdraw_posting(posting: Posting, *, actor, key=None) -> Posting:
    """The poster takes a posting down: through their private link (`key`) or, signed in, as its
    poster or a cadre who may change it."""
    actor = as_actor(actor)
    if actor.is_person:
        if posting.poster_id != actor.human.pk:
            require(actor, "villager.posting.change", posting)
    elif not key or key != posting.key:
        raise ServiceError("not_found", "信息不存在", {})
    if posting.status not in (PostingStatus.PENDING, PostingStatus.PUBLISHED):
        raise ServiceError("not_current", "该信息已下架", {})
    before = audit.snapshot(posting)
    posting.status = PostingStatus.WITHDRAWN
    posting.save(update_fields=["status"])
    audit.record_update(actor, posting, before)
    _changed()
    return posting


@transaction.atomic
def do_report_posting(posting: Posting, *, actor, reason, note="", source=None) -> Report:
    """An abuse report. At REPORTS_TO_HIDE reports a published posting goes back to the queue."""
    require(actor, "villager.report.add", posting)
    if not as_actor(actor).is_person:
        _limit("send", source, SEND_RATE, "举报")
    errors = {}
    if reason not in ReportReason.values:
        errors["reason"] = ["请选择举报原因"]
    note = str(note or "").strip()
    if len(note) > 200:
        errors["note"] = ["说明不超过200字"]
    if posting.status != PostingStatus.PUBLISHED:
        raise ServiceError("not_current", "该信息已下架", {})
    if errors:
        raise ServiceError("invalid", "举报信息有误", errors)
    digest = _digest(source)
    if digest and posting.reports.filter(source_digest=digest).exists():
        raise ServiceError("duplicate", "您已举报过这条信息，我们会尽快核查", {})
    report = Report.objects.create(
        posting=posting, reason=reason, note=note, source_digest=digest, created_at=timezone.now()
    )
    audit.record_create(actor, report)
    Posting.objects.filter(pk=posting.pk).update(report_count=F("report_count") + 1)
    posting.refresh_from_db(fields=["report_count"])
    if posting.report_count >= setting("MARKET_REPORTS_TO_HIDE", REPORTS_TO_HIDE):
        before = audit.snapshot(posting)
        posting.status = PostingStatus.PENDING
        posting.moderation_note = f"被举报{posting.report_count}次，暂停展示待复核"
        posting.save(update_fields=["status", "moderation_note"])
        audit.record_update(Actor.system("tasks"), posting, before)
        _changed()
        _tell_moderators(posting, "需求信息被多次举报，待复核")
    return report


@transaction.atomic
def do_send_inquiry(posting: Posting, *, actor, name, phone, message, source=None) -> Inquiry:
    """Contact through the platform: the message and phone go to the poster only."""
    require(actor, "villager.inquiry.add", posting)
    if not as_actor(actor).is_person:
        _limit("send", source, SEND_RATE, "留言")
    if posting.status != PostingStatus.PUBLISHED or posting.expires_on < timezone.localdate():
        raise ServiceError("not_current", "该信息已下架，无法联系", {})
    errors: dict[str, list[str]] = {}
    name = _check_text(errors, "name", name, label="称呼", low=1, high=20)
    message = _check_text(errors, "message", message, label="留言", low=2, high=300)
    try:
        phone = pii.normalize_phone(str(phone or ""))
    except pii.PIIError as exc:
        errors["phone"] = [exc.message]
    if errors:
        raise ServiceError("invalid", "留言信息有误", errors)
    inquiry = Inquiry.objects.create(
        posting=posting,
        name=name,
        phone=phone,
        phone_digest=pii.digest(phone),
        message=message,
        created_at=timezone.now(),
    )
    audit.record_create(actor, inquiry)
    if posting.poster_id:
        recipient = [posting.poster]
        transaction.on_commit(
            lambda: core_services.notify(
                recipient,
                title=f"有人联系您的信息：{posting.title}",
                url=posting.get_absolute_url(),
                kind="market",
            )
        )
    return inquiry


@transaction.atomic
def do_expire_postings(*, actor, today=None) -> int:
    """Published or pending postings past their date become expired (the nightly task)."""
    require(actor, "villager.posting.change")
    today = today or timezone.localdate()
    due = Posting.objects.filter(
        status__in=[PostingStatus.PUBLISHED, PostingStatus.PENDING], expires_on__lt=today
    )
    ids = list(due.values_list("pk", flat=True)[:50000])
    if ids:
        Posting.objects.filter(pk__in=ids).update(status=PostingStatus.EXPIRED)
        _changed()
        audit.record(
            actor,
            "update",
            object_type="villager.posting",
            object_repr=f"{len(ids)}条到期下架",
            changes={"expired": len(ids)},
        )
    return len(ids)


# --- matching ---------------------------------------------------------------------------------------


def _after_publish(posting: Posting):
    if posting.kind == PostingKind.JOB:
        match_job(posting)
    elif posting.kind == PostingKind.JOB_WANTED:
        for job in (
            live_postings()
            .filter(kind=PostingKind.JOB, category=posting.category)
            .filter(place__path__startswith=township_of(posting.place).path)[:50]
        ):
            match_job(job, seekers=[posting])


def live_postings(today=None):
    """What the public sees: approved and not expired (the phone column is never even read)."""
    today = today or timezone.localdate()
    return Posting.objects.filter(status=PostingStatus.PUBLISHED, expires_on__gte=today).defer("phone", "key")


def latest_records():
    """Each person's latest employment record (one per person, the newest quarter)."""
    from django.db.models import OuterRef, Subquery

    newest = (
        EmploymentRecord.objects.filter(person=OuterRef("person"))
        .order_by("-year", "-quarter")
        .values("pk")[:1]
    )
    return EmploymentRecord.objects.filter(pk=Subquery(newest))


def match_job(job: Posting, seekers=None) -> list[Match]:
    """Put a public job in front of job seekers in its township: job-wanted postings of the same kind
    of work, and people whose latest record says not working and whose wish fits (their village's
    cadres and grid workers are told, they know the person). Each pair is matched once."""
    township = township_of(job.place)
    with_people = seekers is None
    if seekers is None:
        seekers = list(
            live_postings()
            .filter(kind=PostingKind.JOB_WANTED, category=job.category, place__path__startswith=township.path)
            .select_related("poster")[:200]
        )
    sector = CATEGORY_SECTOR.get(job.category)
    people = (
        list(
            latest_records()
            .filter(status=EmploymentStatus.NOT_WORKING, place__path__startswith=township.path)
            .filter(Q(wanted_sector="") | Q(wanted_sector=sector))
            .select_related("place", "person")[:200]
        )
        if with_people
        else []
    )
    now = timezone.now()
    made = []
    for seeker in seekers:
        match, created = Match.objects.get_or_create(job=job, seeker=seeker, defaults={"created_at": now})
        if created:
            made.append(match)
            _notify_match(job, seeker.poster, f"有新的招聘信息与您的求职相符：{job.title}")
            _notify_match(
                job, job.poster, f"有求职者与您的招聘相符：{seeker.title}", url=seeker.get_absolute_url()
            )
    by_village: dict[int, list] = {}
    for record in people:
        match, created = Match.objects.get_or_create(
            job=job, person=record.person, defaults={"created_at": now}
        )
        if created:
            made.append(match)
            village = record.place if record.place.level <= 3 else record.place.parent
            by_village.setdefault(village.pk, [village, []])[1].append(record.person)
    for village, persons in by_village.values():
        recipients = core_services.users_at([village], [Role.VILLAGE, Role.GRID])
        names = "、".join(pii.mask_name(p.name) for p in persons[:5]) + ("等" if len(persons) > 5 else "")
        if recipients:
            title = f"岗位匹配：{job.title}适合本村未就业人员{len(persons)}人（{names}）"
            url = job.get_absolute_url()
            transaction.on_commit(
                lambda r=recipients, t=title, u=url: core_services.notify(r, title=t, url=u, kind="market")
            )
    return made


def _notify_match(job, user, title, url=None):
    if user is None:
        return
    url = url or job.get_absolute_url()
    transaction.on_commit(lambda: core_services.notify([user], title=title, url=url, kind="market"))
