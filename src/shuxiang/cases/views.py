"""HTML: the resident's phone pages (report, track, public map and list) and the staff pages
(queue, list, detail with transitions, escalated, registration, statistics, categories, routing).

Views parse and render; every change goes through cases.services.
"""

import hmac
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import cache_page
from django.views.decorators.http import require_POST

from shuxiang.cases import services, stats
from shuxiang.cases.choices import OPEN_STATES, CaseAction, CaseState, Channel
from shuxiang.cases.filtersets import CaseFilterSet, PublicCaseFilterSet
from shuxiang.cases.forms import (
    CalendarDayForm,
    CategoryForm,
    DispatchForm,
    InfoForm,
    NoteForm,
    RateForm,
    ReasonForm,
    ReportForm,
    RoutingRuleForm,
    StaffCaseForm,
)
from shuxiang.cases.models import Case, CaseCategory, RoutingRule, WorkCalendarDay
from shuxiang.cases.registry import all_types, get_type
from shuxiang.core import pii
from shuxiang.core import services as core_services
from shuxiang.core.choices import PlaceLevel
from shuxiang.core.errors import ServiceError
from shuxiang.core.files import attachments_of
from shuxiang.core.generic import Column, ObjectListView, object_or_404, object_view, submit_form
from shuxiang.core.middleware import client_ip
from shuxiang.core.models import Place, Unit, User
from shuxiang.core.permissions import has_perm

SESSION_KEYS = "case_reporter_keys"
PUBLIC_MAP_LIMIT = 1000
PUBLIC_MAP_SECONDS = 60


# --- the resident ----------------------------------------------------------------------------------


def _remember_key(request, number, key):
    keys = request.session.get(SESSION_KEYS, {})
    keys[number] = key
    request.session[SESSION_KEYS] = dict(list(keys.items())[-20:])


def _reporter_key(request, number):
    return (
        request.POST.get("key") or request.GET.get("key") or request.session.get(SESSION_KEYS, {}).get(number)
    )


def _show_error(form, exc: ServiceError, aliases=None):
    """The service's Chinese message on top, its per-field messages on the fields the form has."""
    form.add_error(None, exc.message)
    for name, messages_ in exc.fields.items():
        name = (aliases or {}).get(name, name)
        if name in form.fields:
            for message in messages_:
                form.add_error(name, message)


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


def places_json(request):
    """Village and township centres for the report map's reference layer (public, no personal data)."""
    rows = Place.objects.filter(
        level__in=(PlaceLevel.TOWNSHIP, PlaceLevel.VILLAGE), latitude__isnull=False
    ).values_list("code", "name", "level", "latitude", "longitude")
    response = JsonResponse({"places": [list(r) for r in rows]}, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "public, max-age=3600"
    return response


def track_lookup(request):
    number = (request.GET.get("number") or "").strip()
    if number:
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


def track(request, number):
    """What the reporter sees: state, deadline, public timeline, and — with their key — their actions."""
    case = _public_case(number)
    key = _reporter_key(request, number)
    is_reporter = bool(
        key and case.reporter_key_digest and hmac.compare_digest(pii.digest(key), case.reporter_key_digest)
    )
    if key and is_reporter and request.GET.get("key"):
        _remember_key(request, number, key)
    case_type = get_type(case.case_type, default=None)
    context = {
        "case": case,
        "title": f"事件 {case.tracking_number}",
        "events": case.events.filter(is_public=True).order_by("at", "id"),
        "photos": [a for a in attachments_of(case) if a.is_public],
        "is_reporter": is_reporter and case_type is not None and case_type.reporter_actions,
        "submitted": request.GET.get("submitted"),
        "key": key if is_reporter else "",
        "tracking_link": request.build_absolute_uri(reverse("cases_public:track", args=[number]))
        + (f"?key={key}" if is_reporter else ""),
        "info_form": InfoForm(),
        "reason_form": ReasonForm(),
        "rate_form": RateForm(),
        "can": {
            "info": case.state in (*OPEN_STATES, CaseState.RESOLVED),
            "confirm": case.state == CaseState.RESOLVED,
            "reopen": case.state in (CaseState.RESOLVED, CaseState.CLOSED),
            "rate": case.state in (CaseState.RESOLVED, CaseState.CLOSED) and case.rating is None,
        },
    }
    return render(request, "cases/track.html", context)


REPORTER_ACTIONS = {
    "info": (InfoForm, services.do_add_info, "已补充信息，办理人员会看到"),
    "confirm": (None, services.do_confirm_case, "感谢确认，事件已关闭"),
    "reopen": (ReasonForm, services.do_reopen_case, "已要求重新办理，办理人员会尽快处理"),
    "rate": (RateForm, services.do_rate_case, "感谢您的评价"),
}


@require_POST
def track_action(request, number, action):
    if action not in REPORTER_ACTIONS:
        raise Http404
    case = _public_case(number)
    form_class, service, done = REPORTER_ACTIONS[action]
    form = form_class(request.POST, request.FILES) if form_class else None
    if form is not None and not form.is_valid():
        errors = "；".join(e for errs in form.errors.values() for e in errs)
        messages.error(request, f"提交有误：{errors}")
        return redirect("cases_public:track", number)
    values = dict(form.cleaned_data) if form else {}
    try:
        service(case, actor=services.PUBLIC_ACTOR, reporter_key=_reporter_key(request, number), **values)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("cases_public:track", number)


def _public_queryset(request):
    qs = Case.objects.public().select_related("category", "place", "place__parent")
    filterset = PublicCaseFilterSet(request.GET, queryset=qs)
    return filterset, (filterset.qs if filterset.is_valid() else qs.none())


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


def public_map(request):
    filterset, _ = _public_queryset(request)
    return render(
        request,
        "cases/public_map.html",
        {"title": "公开事件地图", "filterset": filterset, "data_url": reverse("cases_public:map_json")},
    )


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
    return reverse("cases:detail", args=[case.pk])


class CaseListView(ObjectListView):
    model = Case
    filterset_class = CaseFilterSet
    title = "全部事件"
    select_related = ("category", "place", "unit")
    columns = [
        Column("受理编号", "tracking_number", link=True),
        Column("标题", "title", link=True),
        Column("类别", "category.name"),
        Column("区划", "place.name"),
        Column("状态", "get_state_display"),
        Column("责任单位", "unit.name"),
        Column("办理时限", "deadline"),
        Column("超期", "is_overdue"),
        Column("提交时间", "created_at"),
    ]
    detail_url = staticmethod(case_url)


def _queue_page(request, qs, *, title, template, extra=None):
    filterset = CaseFilterSet(request.GET, queryset=qs, request=request)
    rows = filterset.qs if filterset.is_valid() else qs.none()
    if not request.GET.get("ordering"):
        rows = rows.order_by("deadline", "id")
    page = Paginator(
        rows.select_related("category", "place", "unit", "assignee").only(
            "id",
            "tracking_number",
            "title",
            "state",
            "priority",
            "deadline",
            "is_overdue",
            "escalation_level",
            "created_at",
            "category__name",
            "place__name",
            "unit__name",
            "assignee__username",
            "assignee__display_name",
        ),
        25,
    ).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "title": title,
        "filterset": filterset,
        "page": page,
        "query": query.urlencode(),
        "now": timezone.now(),
        "list_url": request.path,
        "states": [(s, CaseState(s).label) for s in OPEN_STATES],
        **(extra or {}),
    }
    return render(request, "cases/_queue_table.html" if request.htmx else template, context)


@login_required
def queue(request):
    """我的待办: open cases waiting for this user (their unit, assigned, their grid — dispatchers: their region)."""
    if not (has_perm(request.user, "case.handle") or has_perm(request.user, "case.dispatch")):
        raise PermissionDenied
    return _queue_page(
        request, Case.objects.for_queue(request.user), title="我的待办", template="cases/queue.html"
    )


@login_required
def escalated(request):
    """督办: open cases escalated to a supervising level in this user's region, most overdue first."""
    if not has_perm(request.user, "case.supervise"):
        raise PermissionDenied
    qs = Case.objects.restrict(request.user).open().filter(escalation_level__gt=0)
    return _queue_page(
        request, qs, title="升级督办事件", template="cases/queue.html", extra={"escalated": True}
    )


def _dispatch_units(user, case):
    """Units a dispatcher can give the case to: district bureaus and companies, and units of the case's township."""
    township = case.place.path.split("/")[:3]
    prefix = "/".join(township) + "/" if len(township) == 3 else case.place.path
    return Unit.objects.filter(is_active=True).filter(
        Q(place__level=PlaceLevel.DISTRICT) | Q(place__path__startswith=prefix)
    )


STAFF_ACTIONS = {
    CaseAction.ACCEPT: ("case.accept", NoteForm),
    CaseAction.DISPATCH: ("case.dispatch", DispatchForm),
    CaseAction.RETURN: ("case.handle", ReasonForm),
    CaseAction.START: ("case.handle", NoteForm),
    CaseAction.NOTE: ("case.handle", NoteForm),
    CaseAction.RESOLVE: ("case.handle", NoteForm),
    CaseAction.CLOSE: ("case.close", NoteForm),
    CaseAction.CONFIRM: ("case.close", NoteForm),
    CaseAction.REOPEN: ("case.supervise", ReasonForm),
    CaseAction.ESCALATE: ("case.supervise", ReasonForm),
}


def available_actions(user, case):
    """The transitions this user may offer on this case now (the service still has the last word)."""
    from shuxiang.cases.choices import TRANSITIONS

    case_type = get_type(case.case_type, default=None)
    mine = (
        has_perm(user, "case.dispatch")
        or case.assignee_id == user.pk
        or case.grid_worker_id == user.pk
        or (user.unit_id is not None and case.unit_id == user.unit_id)
    )
    found = []
    for action, (perm, _form) in STAFF_ACTIONS.items():
        if case_type is None or not case_type.allows(action) or not has_perm(user, perm):
            continue
        if case.state not in TRANSITIONS[action][0]:
            continue
        if perm in ("case.accept", "case.handle") and not mine:
            continue
        found.append(action)
    return found


def _panel_context(request, case, error=None):
    events = list(case.events.select_related("actor").order_by("at", "id"))
    photos = {a.pk: a for a in attachments_of(case)}
    for event in events:
        event.photos = [photos[i] for i in event.attachment_ids if i in photos]
    dispatch_form = DispatchForm()
    dispatch_form.fields["unit"].queryset = _dispatch_units(request.user, case)
    return {
        "case": case,
        "events": events,
        "actions": [(a, CaseAction(a).label) for a in available_actions(request.user, case)],
        "dispatch_form": dispatch_form,
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


@login_required
@object_view(Case, "pk")
def detail(request, pk):
    case = _load_case(request, pk)
    context = _panel_context(request, case)
    context["title"] = f"{case.tracking_number} {case.title}"
    return render(request, "cases/_panel.html" if request.htmx else "cases/detail.html", context)


@login_required
@require_POST
@object_view(Case, "pk")
def transition(request, pk, action):
    """One staff transition; HTMX gets the refreshed panel, a plain form a redirect."""
    case = _load_case(request, pk)
    if action not in STAFF_ACTIONS:
        raise Http404
    perm, form_class = STAFF_ACTIONS[action]
    if not has_perm(request.user, perm):
        raise PermissionDenied
    form = form_class(request.POST, request.FILES)
    if form_class is DispatchForm:
        form.fields["unit"].queryset = _dispatch_units(request.user, case)
    error = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            if action == CaseAction.DISPATCH:
                assignee = None
                if data["assignee"]:
                    assignee = User.objects.restrict(request.user).filter(username=data["assignee"]).first()
                    if assignee is None:
                        raise ServiceError(
                            "unknown_user", f"找不到用户 {data['assignee']}", {"assignee": ["用户不存在"]}
                        )
                case = services.do_dispatch_case(
                    case, actor=request.user, unit=data["unit"], assignee=assignee, note=data["note"]
                )
            elif form_class is ReasonForm:
                service = {
                    CaseAction.RETURN: services.do_return_case,
                    CaseAction.REOPEN: services.do_reopen_case,
                    CaseAction.ESCALATE: services.do_escalate_case,
                }[action]
                case = service(case, actor=request.user, reason=data["reason"])
            elif action == CaseAction.NOTE:
                case = services.do_add_note(
                    case,
                    actor=request.user,
                    note=data["note"],
                    photos=data["photos"],
                    is_public=data["is_public"],
                )
            elif action == CaseAction.RESOLVE:
                case = services.do_resolve_case(
                    case, actor=request.user, note=data["note"], photos=data["photos"]
                )
            else:
                service = {
                    CaseAction.ACCEPT: services.do_accept_case,
                    CaseAction.START: services.do_start_case,
                    CaseAction.CLOSE: services.do_close_case,
                    CaseAction.CONFIRM: services.do_confirm_case,
                }[action]
                case = service(case, actor=request.user, note=data["note"])
        except ServiceError as exc:
            error = exc.message + "".join(f"（{'；'.join(m)}）" for m in exc.fields.values())
    else:
        error = "；".join(e for errs in form.errors.values() for e in errs)
    if error is None:
        messages.success(request, f"已{CaseAction(action).label}")
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


@login_required
@require_POST
@object_view(Case, "pk")
def reveal(request, pk):
    case = _load_case(request, pk)
    try:
        values = core_services.do_reveal(case, ["phone"], actor=request.user)
    except ServiceError as exc:
        raise PermissionDenied(exc.message) from None
    return HttpResponse(f'<span class="mono">{values["phone"]}</span>')


@login_required
def create(request):
    if not has_perm(request.user, "case.open"):
        raise PermissionDenied
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
    return render(request, "core/form.html", {"form": form, "title": "登记事件", "submit": "登记"})


@login_required
def statistics(request):
    if not has_perm(request.user, "case.stats"):
        raise PermissionDenied
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


@login_required
def categories(request, pk=None):
    """类别与时限: list and add/edit; district-wide reference data, changed by case.configure only."""
    if not has_perm(request.user, "case.configure"):
        raise PermissionDenied
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
        lambda d: services.do_save_category(actor=request.user, category=category, **d),
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


@login_required
@require_POST
def calendar_day(request):
    """工作日历: a public holiday or a make-up working day, for counting working-hour deadlines."""
    if not has_perm(request.user, "case.configure"):
        raise PermissionDenied
    form = CalendarDayForm(request.POST)
    if form.is_valid():
        services.do_set_calendar_day(actor=request.user, **form.cleaned_data)
        messages.success(request, "工作日历已更新")
    else:
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
    return redirect("cases:categories")


@login_required
def routing(request):
    """分派规则: the routing table in the user's region, and a form to add a line."""
    if not has_perm(request.user, "case.configure"):
        raise PermissionDenied
    form = RoutingRuleForm(request.POST or None)
    saved, _ = submit_form(
        request,
        form,
        lambda d: services.do_save_routing_rule(actor=request.user, **d),
        success="分派规则已保存",
    )
    if saved:
        return redirect("cases:routing")
    rules = RoutingRule.objects.restrict(request.user).select_related("place", "category", "unit")
    return render(request, "cases/routing.html", {"title": "分派规则", "form": form, "rules": rules})


@login_required
@require_POST
@object_view(RoutingRule, "pk")
def routing_delete(request, pk):
    rule = object_or_404(RoutingRule, request.user, pk=pk)
    if not has_perm(request.user, "case.configure"):
        raise PermissionDenied
    services.do_delete_routing_rule(rule, actor=request.user)
    messages.success(request, "已删除分派规则")
    return redirect("cases:routing")
