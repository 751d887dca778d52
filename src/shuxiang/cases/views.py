"""HTML: the resident's phone pages (report, track, public map and list) and the staff pages
(queue, list, detail with transitions, escalated, registration, statistics, categories, routing).

Views parse and render; every change goes through cases.services, and every step a page offers
comes from cases.choices.TRANSITIONS. Every route declares who may use it (core.access): the
resident's pages are `@public_view`, staff routes are declared in urls.py or here.
"""

import hmac
import json

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.views.decorators.cache import cache_page
from django.views.decorators.http import require_GET, require_POST

from shuxiang.cases import assignment, reference, services, stats
from shuxiang.cases.choices import (
    OPEN_STATES,
    REPORTER_TRANSITIONS,
    TRANSITIONS,
    CaseAction,
    CaseState,
    Channel,
    default_step,
)
from shuxiang.cases.filtersets import CaseFilterSet, PublicCaseFilterSet
from shuxiang.cases.forms import (
    CalendarDayForm,
    CategoryForm,
    DispatchForm,
    EvidenceForm,
    InfoForm,
    NoteForm,
    RateForm,
    ReasonForm,
    RecordForm,
    ReportForm,
    RoutingRuleForm,
    StaffCaseForm,
)
from shuxiang.cases.models import Case, CaseCategory, RoutingRule, WorkCalendarDay
from shuxiang.cases.registry import all_types, get_type
from shuxiang.core import formats, pii, ratelimit
from shuxiang.core import services as core_services
from shuxiang.core.access import public_view, requires
from shuxiang.core.choices import PlaceLevel
from shuxiang.core.errors import ServiceError
from shuxiang.core.files import attachments_of
from shuxiang.core.generic import (
    Column,
    ListPaginator,
    ObjectListView,
    form_page,
    object_or_404,
    object_view,
    reverse_one,
    submit_form,
)
from shuxiang.core.middleware import client_ip
from shuxiang.core.models import Attachment, Place, Unit, User
from shuxiang.core.permissions import has_perm

SESSION_KEYS = "case_reporter_keys"
PUBLIC_MAP_LIMIT = 1000
PUBLIC_MAP_SECONDS = 60
# Tracking lookups per client address (settings.TRACKING_RATE overrides): a resident checks their
# case a few times; a script walking tracking numbers is stopped.
TRACKING_RATE = "30/minute"


# --- the resident ----------------------------------------------------------------------------------


def _remember_key(request, number, key):
    keys = request.session.get(SESSION_KEYS, {})
    keys[number] = key
    request.session[SESSION_KEYS] = dict(list(keys.items())[-20:])


def _reporter_key(request, number):
    return (
        request.POST.get("key") or request.GET.get("key") or request.session.get(SESSION_KEYS, {}).get(number)
    )


def _holds_key(case, key) -> bool:
    return bool(
        key and case.reporter_key_digest and hmac.compare_digest(pii.digest(key), case.reporter_key_digest)
    )


def _show_error(form, exc: ServiceError, aliases=None):
    """The service's Chinese message on top, its per-field messages on the fields the form has."""
    form.add_error(None, exc.message)
    for name, messages_ in exc.fields.items():
        name = (aliases or {}).get(name, name)
        if name in form.fields:
            for message in messages_:
                form.add_error(name, message)


def _too_many(request):
    """None, or the 429 page when this address has looked up too many cases in the window."""
    rate = ratelimit.parse_rate(getattr(settings, "TRACKING_RATE", TRACKING_RATE))
    try:
        ratelimit.enforce("case-track", f"ip:{client_ip(request)}", rate, what="查询")
    except ratelimit.RateLimited as exc:
        response = render(
            request, "cases/track_lookup.html", {"title": "查询办理进度", "error": exc.message}, status=429
        )
        response["Retry-After"] = str(exc.retry_after)
        return response
    return None


@public_view
def report(request):
    """The phone page: category, photos, location (GPS, map tap or village), description."""
    form = ReportForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                case = services.do_open_case(
                    actor=services.PUBLIC_ACTOR,
                    category=data["category"],
                    description=data["description"],
                    place=data["village"] or None,
                    latitude=data["latitude"],
                    longitude=data["longitude"],
                    address=data["address"],
                    reporter_name=data["reporter_name"],
                    phone=data["phone"],
                    photos=data["photos"],
                    channel=Channel.WEB,
                    submission_key=data["submission_key"],
                    client=client_ip(request),
                )
            except ServiceError as exc:
                _show_error(form, exc, {"place": "village", "lat": "latitude", "long": "longitude"})
                status = exc.status if exc.status in (429,) else 400
            else:
                if case.reporter_key:
                    _remember_key(request, case.tracking_number, case.reporter_key)
                return redirect(reverse("cases_public:track", args=[case.tracking_number]) + "?submitted=1")
        else:
            status = 400
    return render(request, "cases/report.html", {"form": form, "title": "我要反映问题"}, status=status)


@public_view
def places_json(request):
    """Village and township centres for the report map's reference layer (public, no personal data)."""
    rows = Place.objects.filter(
        level__in=(PlaceLevel.TOWNSHIP, PlaceLevel.VILLAGE), latitude__isnull=False
    ).values_list("code", "name", "level", "latitude", "longitude")
    response = JsonResponse({"places": [list(r) for r in rows]}, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "public, max-age=3600"
    return response


@public_view
def track_lookup(request):
    number = (request.GET.get("number") or "").strip()
    if number:
        refused = _too_many(request)
        if refused is not None:
            return refused
        trackable = [t.code for t in all_types() if t.reporter_actions]
        if Case.objects.filter(tracking_number=number, case_type__in=trackable).exists():
            return redirect("cases_public:track", number)
        messages.error(request, f"没有找到受理编号为 {number} 的事件，请核对后重试")
    return render(request, "cases/track_lookup.html", {"title": "查询办理进度"})


def _public_case(number):
    case = (
        Case.objects.select_related("category", "place", "place__parent", "unit")
        .filter(tracking_number=number)
        .first()
    )
    case_type = get_type(case.case_type, default=None) if case else None
    if case is None or case_type is None or not case_type.reporter_actions:
        # Internal work (plan assignments, alarms…) has no public tracking page.
        raise Http404
    return case


def _reporter_timeline(case, *, with_notes: bool):
    """The steps staff marked for the reporter, each with its own photos (only for the reporter)."""
    events = list(case.events.filter(is_public=True).select_related("unit").order_by("at", "id"))
    photos = {a.pk: a for a in attachments_of(case)} if with_notes else {}
    for event in events:
        event.photos = [photos[i] for i in event.attachment_ids if i in photos]
    return events


@public_view
def track(request, number):
    """What a visitor with the tracking number sees, in three tiers:

    - the reporter (their key, from the link given at submission): the steps marked for them with
      their notes and photos, the description, and their own actions;
    - anyone else, for a public case: state, category, village, dates and the marked steps — no
      free text, no photos, no names;
    - anyone else, for a non-public case (sensitive categories, 12315 complaints): number and state only.
    """
    refused = _too_many(request)
    if refused is not None:
        return refused
    case = _public_case(number)
    key = _reporter_key(request, number)
    is_reporter = _holds_key(case, key)
    if is_reporter and request.GET.get("key"):
        _remember_key(request, number, key)
    shown = is_reporter or case.is_public
    context = {
        "case": case,
        "title": f"事件 {case.tracking_number}",
        "shown": shown,
        "events": _reporter_timeline(case, with_notes=is_reporter) if shown else [],
        "is_reporter": is_reporter,
        "submitted": request.GET.get("submitted"),
        "key": key if is_reporter else "",
        "tracking_link": request.build_absolute_uri(reverse("cases_public:track", args=[number]))
        + (f"?key={key}" if is_reporter else ""),
        "info_form": InfoForm(),
        "reason_form": ReasonForm(),
        "rate_form": RateForm(),
        "can": {
            step.action: case.state in step.sources
            and (step.action != CaseAction.RATE or case.rating is None)
            for step in REPORTER_TRANSITIONS
        },
    }
    response = render(request, "cases/track.html", context)
    response["Cache-Control"] = "no-store"
    return response


@public_view
@require_GET
def track_photo(request, number, pk):
    """A photo of a step on the tracking page: only for the reporter, only of a step marked for them."""
    case = _public_case(number)
    if not _holds_key(case, _reporter_key(request, number)):
        raise Http404
    visible = {i for e in case.events.filter(is_public=True) for i in e.attachment_ids}
    item = Attachment.objects.filter(owner_type="cases.case", owner_id=str(case.pk), pk=pk).first()
    if item is None or item.pk not in visible:
        raise Http404
    response = FileResponse(item.file.open("rb"), content_type=item.content_type)
    response["Content-Disposition"] = f'inline; filename="{item.sha256[:12]}{item.extension}"'
    response["Cache-Control"] = "private, no-store"
    return response


REPORTER_FORMS = {
    CaseAction.INFO: (InfoForm, "已补充信息，办理人员会看到"),
    CaseAction.CONFIRM: (None, "感谢确认，事件已关闭"),
    CaseAction.REOPEN: (ReasonForm, "已要求重新办理，办理人员会尽快处理"),
    CaseAction.RATE: (RateForm, "感谢您的评价"),
}


@public_view
@require_POST
def track_action(request, number, action):
    """The reporter's own steps (TRANSITIONS rows with `reporter`), with the key from their link."""
    step = TRANSITIONS.get(action)
    if step is None or not step.reporter:
        raise Http404
    case = _public_case(number)
    form_class, done = REPORTER_FORMS[step.action]
    form = form_class(request.POST, request.FILES) if form_class else None
    if form is not None and not form.is_valid():
        errors = "；".join(e for errs in form.errors.values() for e in errs)
        messages.error(request, f"提交有误：{errors}")
        return redirect("cases_public:track", number)
    values = dict(form.cleaned_data) if form else {}
    try:
        step.run(case, actor=services.REPORTER, reporter_key=_reporter_key(request, number), **values)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("cases_public:track", number)


def _public_queryset(request):
    qs = Case.objects.public().select_related("category", "place", "place__parent")
    filterset = PublicCaseFilterSet(request.GET, queryset=qs)
    return filterset, (filterset.qs if filterset.is_valid() else qs.none())


@public_view
def public_list(request):
    """Non-sensitive cases for everyone: category, village, state and dates only — never people or free text."""
    filterset, qs = _public_queryset(request)
    page = Paginator(qs.order_by("-created_at", "-id"), 20).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "title": "公开事件",
        "filterset": filterset,
        "page": page,
        "query": query.urlencode(),
    }
    template = "cases/_public_rows.html" if request.htmx else "cases/public_list.html"
    return render(request, template, context)


@public_view
def public_map(request):
    filterset, _ = _public_queryset(request)
    return render(
        request,
        "cases/public_map.html",
        {"title": "公开事件地图", "filterset": filterset, "data_url": reverse("cases_public:map_json")},
    )


@public_view
@cache_page(PUBLIC_MAP_SECONDS)
def public_map_json(request):
    """GeoJSON of the latest public cases (at most PUBLIC_MAP_LIMIT), rounded to ~100 m.

    Public and non-personal, so each server process keeps an answer for a minute: a busy public
    map costs one query per filter combination per minute, not one per visitor.
    """
    _, qs = _public_queryset(request)
    rows = qs.filter(latitude__isnull=False, longitude__isnull=False).order_by("-created_at", "-id")[
        :PUBLIC_MAP_LIMIT
    ]
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(lng, 3), round(lat, 3)]},
            "properties": {
                "n": number,
                "c": category or "",
                "s": state,
                "o": state in OPEN_STATES,
                "d": timezone.localtime(created).strftime("%Y-%m-%d"),
            },
        }
        for number, category, state, lat, lng, created in rows.values_list(
            "tracking_number", "category__name", "state", "latitude", "longitude", "created_at"
        )
    ]
    labels = dict(CaseState.choices)
    return JsonResponse(
        {"type": "FeatureCollection", "features": features, "states": labels},
        json_dumps_params={"ensure_ascii": False},
    )


# --- staff -------------------------------------------------------------------------------------------


def case_url(case):
    return reverse_one("cases:detail", case.pk)


class CaseListView(ObjectListView):
    model = Case
    filterset_class = CaseFilterSet
    title = "全部事件"
    select_related = ("category", "place", "unit")
    columns = [
        Column("受理编号", "tracking_number", link=True),
        Column("标题", "title", link=True, clip=True),
        Column("类别", "category.name"),
        Column("区划", "place.name", wrap=True),
        Column("状态", "get_state_display"),
        Column("责任单位", "unit.name", wrap=True),
        Column("办理时限", "deadline"),
        Column("超期", "is_overdue"),
        Column("提交时间", "created_at"),
    ]
    detail_url = staticmethod(case_url)


def queue_rows_html(cases, *, now, escalated=False) -> str:
    """The queue's table body (see cases/_queue_table.html), written in Python.

    The template wrote the same markup in ~6 ms a page of 25 (two {% url %} tags, filters and a dozen
    variables a row), the largest part of the queue's own CPU; this takes a fraction of a millisecond.
    Late rows carry the class "late" and a 超期 tag, urgent ones a 紧急 tag; the title is clipped with
    its whole text in the tooltip.
    """
    if not cases:
        return mark_safe('<tr><td colspan="8" class="muted">没有待办事件</td></tr>')
    out = []
    for c in cases:
        late = c.deadline is not None and c.deadline < now
        url = conditional_escape(case_url(c))
        title = conditional_escape(c.title)
        tags = (' <span class="tag tag-danger">超期</span>' if late else "") + (
            ' <span class="tag tag-warn">紧急</span>' if c.priority == "urgent" else ""
        )
        out.append(
            f'<tr class="{"late" if late else ""}"><td>{conditional_escape(formats.when(c.deadline))}{tags}</td>'
            f'<td><a class="mono" href="{url}">{conditional_escape(c.tracking_number)}</a></td>'
            f'<td><a class="clip" href="{url}" title="{title}">{title}</a></td>'
            f"<td>{conditional_escape(c.place.name)}</td>"
            f'<td><span class="tag {c.state_tag}">{conditional_escape(c.get_state_display())}</span></td>'
            f'<td class="wrap">{conditional_escape((c.unit.name if c.unit else "") or "—")}</td>'
            f'<td class="wrap">{conditional_escape(c.assignee or "—")}</td>'
            + (f"<td>{c.escalation_level}</td>" if escalated else "")
            + "</tr>\n"
        )
    return mark_safe("".join(out))


def _queue_page(request, qs, *, title, template, extra=None):
    filterset = CaseFilterSet(request.GET, queryset=qs, request=request)
    rows = filterset.qs if filterset.is_valid() else qs.none()
    if not request.GET.get("ordering"):
        rows = rows.order_by("deadline", "id")
    # Category, unit and handler are fetched for the page's rows by id (three small queries): joined
    # into the page query, PostgreSQL spent 6–18 ms planning a six-table join for 25 rows.
    page = ListPaginator(
        rows.select_related("place")
        .only(
            "id",
            "tracking_number",
            "title",
            "state",
            "priority",
            "deadline",
            "is_overdue",
            "escalation_level",
            "created_at",
            "category_id",
            "unit_id",
            "assignee_id",
            "place__name",
        )
        .prefetch_related(
            Prefetch("category", queryset=CaseCategory.objects.only("id", "name")),
            Prefetch("unit", queryset=Unit.objects.only("id", "name")),
            Prefetch("assignee", queryset=User.objects.only("id", "username", "display_name")),
        ),
        25,
    ).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    now = timezone.now()
    context = {
        "title": title,
        "filterset": filterset,
        "page": page,
        "rows_html": queue_rows_html(
            page.object_list, now=now, escalated=bool((extra or {}).get("escalated"))
        ),
        "query": query.urlencode(),
        "now": now,
        "list_url": request.path,
        "states": [(s, CaseState(s).label) for s in OPEN_STATES],
        **(extra or {}),
    }
    return render(request, "cases/_queue_table.html" if request.htmx else template, context)


@requires("case.handle")
def queue(request):
    """我的待办: open cases waiting for this user (their unit, assigned, their grid — dispatchers: their region)."""
    return _queue_page(
        request, Case.objects.for_queue(request.user), title="我的待办", template="cases/queue.html"
    )


@requires("case.supervise")
def escalated(request):
    """督办: open cases escalated to a supervising level in this user's region, most overdue first."""
    qs = Case.objects.restrict(request.user, "supervise").open().filter(escalation_level__gt=0)
    return _queue_page(
        request, qs, title="升级督办事件", template="cases/queue.html", extra={"escalated": True}
    )


# The input each kind of step asks for on the page (TRANSITIONS rows name their kind).
STAFF_FORMS = {
    "note": NoteForm,
    "record": RecordForm,
    "evidence": EvidenceForm,
    "reason": ReasonForm,
    "escalate": ReasonForm,
    "dispatch": DispatchForm,
}
# Sent with a step's "对反映人公开" checkbox, so an unticked box means "not for the reporter" while a
# form without the box (another client) leaves the step's default.
VISIBILITY_OFFERED = "visibility_offered"


def _panel_context(request, case, error=None):
    events = list(case.events.select_related("actor").order_by("at", "id"))
    photos = {a.pk: a for a in attachments_of(case)}
    for event in events:
        event.photos = [photos[i] for i in event.attachment_ids if i in photos]
    steps = [TRANSITIONS[a] for a in services.available_actions(request.user, case)]
    opened = default_step(steps)
    dispatch_form = DispatchForm()
    if any(s.form == "dispatch" for s in steps):
        people = assignment.dispatch_people(case.place, case_type=get_type(case.case_type, default=None))
        dispatch_form.offer_people(people)
    dispatch_form.fields["unit"].queryset = assignment.dispatch_units(
        case.place, category=case.category, case_type=get_type(case.case_type), current=case.unit_id
    ).select_related("place")
    case_type = get_type(case.case_type, default=None)
    return {
        "case": case,
        "facts": case_type.facts(case) if case_type else [],
        "events": events,
        "steps": steps,
        "default_action": opened.action if opened else "",
        "dispatch_form": dispatch_form,
        "visibility_offered": VISIBILITY_OFFERED,
        "error": error,
        "now": timezone.now(),
        "can_reveal": has_perm(request.user, "pii.reveal") and bool(case.phone),
    }


def _load_case(request, pk):
    """The case inside the user's region, or 404 — looked up before any permission check."""
    try:
        return (
            Case.objects.restrict(request.user)
            .select_related("category", "place", "unit", "assignee", "grid_worker", "escalated_to")
            .get(pk=pk)
        )
    except (Case.DoesNotExist, ValueError):
        raise Http404 from None


@requires("cases.case.view")
@object_view(Case, "pk")
def detail(request, pk):
    case = _load_case(request, pk)
    context = _panel_context(request, case)
    context["title"] = f"{case.tracking_number} {case.title}"
    return render(request, "cases/_panel.html" if request.htmx else "cases/detail.html", context)


@require_POST
@object_view(Case, "pk")
def transition(request, pk, action):
    """One staff step (routed once per TRANSITIONS row, each declaring its permission in urls.py).

    The service decides: permission on the case, ownership, the state, and — for dispatch — whether
    the unit and the person are responsible for the case's place. HTMX gets the refreshed panel
    (with the refusal on it, status 200 so it is swapped in), a plain form a redirect.
    """
    case = _load_case(request, pk)
    step = TRANSITIONS[action]
    form = STAFF_FORMS[step.form](request.POST, request.FILES)
    error = None
    if form.is_valid():
        values = dict(form.cleaned_data)
        if "is_public" in values and VISIBILITY_OFFERED not in request.POST:
            values["is_public"] = None
        if not step.staff_choose:
            values.pop("is_public", None)
        try:
            case = step.run(case, actor=request.user, **values)
        except ServiceError as exc:
            error = exc.message + "".join(f"（{'；'.join(m)}）" for m in exc.fields.values())
    else:
        error = "；".join(e for errs in form.errors.values() for e in errs)
    if error is None:
        messages.success(request, f"已{step.label}")
        if not Case.objects.restrict(request.user).filter(pk=case.pk).exists():
            return redirect("cases:queue")
    if request.htmx:
        fresh = Case.objects.restrict(request.user).filter(pk=case.pk).first()
        if fresh is None:
            response = HttpResponse(status=204)
            response["HX-Redirect"] = reverse("cases:queue")
            return response
        return render(request, "cases/_panel.html", _panel_context(request, fresh, error))
    if error:
        messages.error(request, error)
    return redirect("cases:detail", case.pk)


@requires("pii.reveal")
@require_POST
@object_view(Case, "pk")
def reveal(request, pk):
    case = _load_case(request, pk)
    try:
        ratelimit.limit_reveal(request.user, case, ["phone"])
        values = core_services.do_reveal(case, ["phone"], actor=request.user)
    except ratelimit.RateLimited as exc:
        return ratelimit.too_many_response(exc, html=True)
    except ServiceError as exc:
        raise PermissionDenied(exc.message) from None
    return HttpResponse(f'<span class="mono">{values["phone"]}</span>')


@requires("case.open")
def create(request):
    form = StaffCaseForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = services.do_open_case(actor=request.user, channel=Channel.STAFF, **data)
        except ServiceError as exc:
            _show_error(form, exc)
        else:
            messages.success(request, f"已登记，受理编号 {case.tracking_number}")
            return redirect("cases:detail", case.pk)
    return form_page(request, form, "登记事件", submit="登记")


@requires("case.stats")
def statistics(request):
    by = request.GET.get("by", "township")
    if by not in stats.DIMENSIONS:
        by = "township"
    filterset = CaseFilterSet(request.GET, queryset=stats.restricted(request.user), request=request)
    qs = filterset.qs if filterset.is_valid() else Case.objects.none()
    rows = stats.statistics(qs, by)
    chart = {
        "labels": [r.label for r in rows],
        "volume": [r.volume for r in rows],
        "resolved_on_time_rate": [r.resolved_on_time_rate for r in rows],
    }
    return render(
        request,
        "cases/stats.html",
        {
            "title": "事件统计",
            "rows": rows,
            "total": stats.totals(qs),
            "by": by,
            "dimensions": stats.DIMENSIONS,
            "filterset": filterset,
            "chart": json.dumps(chart, ensure_ascii=False),
        },
    )


@requires("case.configure")
def categories(request, pk=None):
    """类别与时限: list and add/edit; district-wide reference data, changed by case.configure only."""
    category = CaseCategory.objects.filter(pk=pk).first() if pk else None
    if pk and category is None:
        raise Http404
    initial = (
        {f: getattr(category, f) for f in CategoryForm.base_fields}
        if category
        else {"is_public": True, "is_active": True}
    )
    form = CategoryForm(request.POST or None, initial=initial)
    saved, _ = submit_form(
        request,
        form,
        lambda d: reference.do_save_category(actor=request.user, category=category, **d),
        success="类别已保存",
    )
    if saved:
        return redirect("cases:categories")
    return render(
        request,
        "cases/categories.html",
        {
            "title": "类别与时限",
            "form": form,
            "category": category,
            "items": CaseCategory.objects.all(),
            "calendar_form": CalendarDayForm(),
            "calendar": WorkCalendarDay.objects.filter(date__gte=timezone.localdate())[:60],
        },
    )


@requires("case.configure")
@require_POST
def calendar_day(request):
    """工作日历: a public holiday or a make-up working day, for counting working-hour deadlines."""
    form = CalendarDayForm(request.POST)
    if form.is_valid():
        reference.do_set_calendar_day(actor=request.user, **form.cleaned_data)
        messages.success(request, "工作日历已更新")
    else:
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
    return redirect("cases:categories")


@requires("case.configure")
def routing(request):
    """分派规则: the routing table in the user's region, and a form to add a line."""
    form = RoutingRuleForm(request.POST or None)
    form.fields["unit"].queryset = Unit.objects.restrict(request.user).filter(is_active=True)
    saved, _ = submit_form(
        request,
        form,
        lambda d: reference.do_save_routing_rule(actor=request.user, **d),
        success="分派规则已保存",
    )
    if saved:
        return redirect("cases:routing")
    rules = RoutingRule.objects.restrict(request.user).select_related("place", "category", "unit")
    return render(request, "cases/routing.html", {"title": "分派规则", "form": form, "rules": rules})


@requires("case.configure")
@require_POST
@object_view(RoutingRule, "pk")
def routing_delete(request, pk):
    rule = object_or_404(RoutingRule, request.user, pk=pk)
    reference.do_delete_routing_rule(rule, actor=request.user)
    messages.success(request, "已删除分派规则")
    return redirect("cases:routing")
