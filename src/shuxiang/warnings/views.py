"""HTML pages: authoring with the place tree, approval queue, detail with the live "last mile"
board, endpoint registry, statistics with export, and the public Atom feed."""

import json
from collections import Counter, defaultdict

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import feedgenerator, timezone
from django.views.decorators.http import require_GET, require_POST

from shuxiang.core.access import public_view, requires
from shuxiang.core.errors import ServiceError
from shuxiang.core.exports import Sheet, export_response
from shuxiang.core.generic import Column, ObjectListView, form_page, object_or_404, object_view
from shuxiang.core.models import Place
from shuxiang.core.permissions import has_perm
from shuxiang.warnings import services, stats
from shuxiang.warnings.choices import (
    DELIVERY_TAG,
    OPEN_DELIVERY,
    PUBLISHED,
    STATUS_TAG,
    Colour,
    DeliveryStatus,
    WarningStatus,
)
from shuxiang.warnings.filtersets import EndpointFilterSet, WarningFilterSet
from shuxiang.warnings.forms import CancelForm, EndpointForm, StatsForm, UpdateForm, WarningForm
from shuxiang.warnings.models import Delivery, Endpoint, SignalType, Warning
from shuxiang.warnings.services import APPROVE, AUTHOR, EDIT, ENDPOINT_ADD, ENDPOINT_CHANGE
from shuxiang.warnings.speech import speech_of

# --- lists -------------------------------------------------------------------------------------


class WarningListView(ObjectListView):
    model = Warning
    filterset_class = WarningFilterSet
    title = "预警信息"
    select_related = ("signal_type",)
    create_url_name = "warning_create"
    columns = [
        Column("预警", "title", link=True, clip=True),
        Column("标题", "headline", clip=True),
        Column("状态", "get_status_display"),
        Column("发布时间", "issued_at"),
        Column("失效时间", "expires"),
        Column("标识符", "identifier"),
    ]

    detail_route = "warning_detail"

    def get(self, request, *args, **kwargs):
        self.create_url_name = "warning_create" if services.may(request.user, AUTHOR) else None
        return super().get(request, *args, **kwargs)


class EndpointListView(ObjectListView):
    model = Endpoint
    filterset_class = EndpointFilterSet
    title = "广播终端"
    select_related = ("place",)
    create_url_name = "endpoint_create"
    columns = [
        Column("名称", "name", link=True),
        Column("所在区划", "place.name"),
        Column("接入方式", "get_adapter_display"),
        Column("地址/主题", "address"),
        Column("启用", "is_active"),
    ]

    detail_route = "endpoint_detail"

    def get(self, request, *args, **kwargs):
        self.create_url_name = "endpoint_create" if services.may(request.user, ENDPOINT_ADD) else None
        return super().get(request, *args, **kwargs)


@requires(APPROVE)
def approvals(request):
    if not services.may(request.user, APPROVE):
        raise PermissionDenied
    items = (
        Warning.objects.restrict(request.user, "approve")
        .filter(status__in=[WarningStatus.PENDING, WarningStatus.APPROVED])
        .select_related("signal_type", "author")
        .prefetch_related("areas")
        .order_by("created_at")
    )
    return render(request, "warnings/approvals.html", {"items": items, "title": "预警审批"})


# --- authoring ---------------------------------------------------------------------------------


def _tree_context(user, selected):
    """Townships in the user's region for the picker; villages of townships holding a ticked
    village are rendered open, the rest load when opened."""
    scope = Place.objects.restrict(user)
    district = scope.filter(level=1).first()
    townships = list(scope.filter(level=2).order_by("code"))
    chosen = Place.objects.filter(code__in=selected)
    open_paths = {"/".join(p.path.split("/")[:3]) + "/" for p in chosen if p.level == 3}
    villages = defaultdict(list)
    for v in scope.filter(level=3, parent__in=[t for t in townships if t.path in open_paths]).order_by(
        "code"
    ):
        villages[v.parent_id].append(v)
    return {
        "district": district,
        "townships": [(t, villages.get(t.pk)) for t in townships],
        "selected": set(selected),
    }


def _guides_json():
    return json.dumps(
        {
            t.code: {"colours": t.colours, "guides": t.guides}
            for t in SignalType.objects.filter(is_active=True)
        },
        ensure_ascii=False,
    )


def _render_form(request, form, title, selected, warning=None, update_of=None):
    context = {
        "form": form,
        "title": title,
        "warning": warning,
        "update_of": update_of,
        "guides": _guides_json(),
        **_tree_context(request.user, selected),
    }
    return render(request, "warnings/warning_form.html", context)


@object_view(Warning)
def warning_form(request, pk=None):
    """Write a warning (routed as warning_create, needing add) or change a draft (warning_edit, change)."""
    warning = object_or_404(Warning, request.user, pk=pk) if pk else None
    if not services.may(request.user, EDIT if warning else AUTHOR):
        raise PermissionDenied
    initial = {}
    if warning:
        initial = {
            f: getattr(warning, f)
            for f in ("colour", "headline", "description", "instruction", "urgency", "certainty")
        }
        initial.update(
            signal_type=warning.signal_type.code,
            effective=timezone.localtime(warning.effective),
            expires=timezone.localtime(warning.expires),
            areas=[p.code for p in warning.areas.all()],
        )
    form = WarningForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.service_kwargs()
        submit = request.POST.get("intent") == "submit"
        try:
            if warning:
                warning = services.do_edit_warning(warning, actor=request.user, **data)
                if submit:
                    services.do_submit_warning(warning, actor=request.user)
            else:
                warning = services.do_create_warning(actor=request.user, **data)
                if submit:
                    services.do_submit_warning(warning, actor=request.user)
        except ServiceError as exc:
            form.apply_service_error(exc)
        else:
            messages.success(request, "已提交审批" if submit else "草稿已保存")
            return redirect("warning_detail", pk=warning.pk)
    selected = request.POST.getlist("areas") if request.method == "POST" else initial.get("areas", [])
    title = f"修改预警草稿：{warning.headline}" if warning else "编写预警"
    return _render_form(request, form, title, selected, warning=warning)


@requires(AUTHOR)
@object_view(Warning)
def warning_update(request, pk):
    original = object_or_404(Warning, request.user, pk=pk)
    if not services.may(request.user, AUTHOR):
        raise PermissionDenied
    initial = {
        f: getattr(original, f)
        for f in ("colour", "headline", "description", "instruction", "urgency", "certainty")
    }
    initial.update(expires=timezone.localtime(original.expires), areas=[p.code for p in original.areas.all()])
    form = UpdateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.service_kwargs()
        data.pop("effective", None)
        if data["instruction"] is None and data["colour"] == original.colour:
            data["instruction"] = original.instruction
        try:
            warning = services.do_update_warning(
                original, actor=request.user, submit=request.POST.get("intent") == "submit", **data
            )
        except ServiceError as exc:
            form.apply_service_error(exc)
        else:
            messages.success(request, "更新已保存，待发布")
            return redirect("warning_detail", pk=warning.pk)
    selected = request.POST.getlist("areas") if request.method == "POST" else initial["areas"]
    return _render_form(request, form, f"更新预警：{original.title}", selected, update_of=original)


@requires(AUTHOR)
@object_view(Place, "code")
def place_children(request, code):
    """Villages of one township for the picker (loaded when the township is opened)."""
    parent = object_or_404(Place, request.user, code=code)
    villages = Place.objects.restrict(request.user).filter(parent=parent, level=3).order_by("code")
    return render(request, "warnings/_villages.html", {"villages": villages, "selected": set()})


@requires(AUTHOR)
def places_json(request):
    """Townships and villages in the user's region with positions, for the map picker."""
    rows = (
        Place.objects.restrict(request.user)
        .filter(level__in=[2, 3], latitude__isnull=False, longitude__isnull=False)
        .select_related("parent")
        .order_by("code")
    )
    places = [
        [p.code, p.name, p.level, p.latitude, p.longitude, p.parent.code if p.parent_id else ""] for p in rows
    ]
    return JsonResponse({"places": places})


# --- detail, workflow, board -----------------------------------------------------------------


def board_context(warning, user):
    """Targeted, delivered, failed by township, from one query over this warning's deliveries."""
    rows = list(
        Delivery.objects.restrict(user).filter(warning=warning).values_list("status", "endpoint__place__path")
    )
    codes = {path.split("/")[2] for _, path in rows if len(path.split("/")) > 3}
    names = dict(Place.objects.filter(code__in=codes).values_list("code", "name"))
    totals = Counter(status for status, _ in rows)
    per = defaultdict(Counter)
    for status, path in rows:
        per[path.split("/")[2]][status] += 1
    by_township = [
        {
            "code": code,
            "name": names.get(code, code),
            "targeted": sum(c.values()),
            "reached": c[DeliveryStatus.DELIVERED] + c[DeliveryStatus.PLAYED],
            "played": c[DeliveryStatus.PLAYED],
            "failed": c[DeliveryStatus.FAILED],
            "open": c[DeliveryStatus.PENDING] + c[DeliveryStatus.SENDING],
        }
        for code, c in sorted(per.items())
    ]
    failures = (
        Delivery.objects.restrict(user)
        .filter(warning=warning, status=DeliveryStatus.FAILED)
        .select_related("endpoint__place")[:100]
    )
    retrying = (
        Delivery.objects.restrict(user)
        .filter(warning=warning, status__in=OPEN_DELIVERY, attempts__gt=0)
        .select_related("endpoint__place")[:50]
    )
    return {
        "warning": warning,
        "targeted": len(rows),
        "reached": totals[DeliveryStatus.DELIVERED] + totals[DeliveryStatus.PLAYED],
        "played": totals[DeliveryStatus.PLAYED],
        "failed": totals[DeliveryStatus.FAILED],
        "skipped": totals[DeliveryStatus.SKIPPED],
        "open": totals[DeliveryStatus.PENDING] + totals[DeliveryStatus.SENDING],
        "by_township": by_township,
        "failures": failures,
        "retrying": retrying,
        "delivery_tag": DELIVERY_TAG,
        "can_resend": services.may(user, AUTHOR) and warning.status == WarningStatus.ISSUED,
        "now": timezone.now(),
    }


@requires("warnings.warning.view")
@object_view(Warning)
def warning_detail(request, pk):
    warning = object_or_404(Warning, request.user, pk=pk)
    user = request.user
    is_author = warning.author_id == user.pk
    can_author = services.may(user, AUTHOR)
    can_edit = services.may(user, EDIT)
    can_approve = services.may(user, APPROVE, warning)
    status = warning.status
    context = {
        "object": warning,
        "title": warning.title,
        "areas": warning.areas.all(),
        "status_tag": STATUS_TAG.get(status, ""),
        "followups": Warning.objects.restrict(user).filter(references=warning).order_by("created_at"),
        "audio": speech_of(warning),
        "cancel_form": CancelForm(),
        "can_edit": can_edit and status == WarningStatus.DRAFT,
        "can_submit": can_author and status == WarningStatus.DRAFT and warning.needs_approval,
        "can_issue_now": can_author
        and (
            (status == WarningStatus.DRAFT and not warning.needs_approval) or status == WarningStatus.APPROVED
        ),
        "can_approve": can_approve and status == WarningStatus.PENDING and not is_author,
        "waiting_other": status == WarningStatus.PENDING and is_author,
        "can_follow_up": can_author and status == WarningStatus.ISSUED and warning.msg_type != "Cancel",
        "published": status in PUBLISHED,
        "expired": warning.expires <= timezone.now(),
        **board_context(warning, user),
    }
    return render(request, "warnings/warning_detail.html", context)


@requires("warnings.warning.view")
@object_view(Warning)
def warning_board(request, pk):
    warning = object_or_404(Warning, request.user, pk=pk)
    return render(request, "warnings/_board.html", board_context(warning, request.user))


ACTIONS = {
    "submit": (lambda w, u, p: services.do_submit_warning(w, actor=u), "已提交审批"),
    "approve": (
        lambda w, u, p: services.do_approve_warning(w, actor=u, note=p.get("note", "")),
        "已审批通过",
    ),
    "reject": (
        lambda w, u, p: services.do_reject_warning(w, actor=u, note=p.get("note", "")),
        "已退回编写人",
    ),
    "issue": (lambda w, u, p: services.do_issue_warning(w, actor=u), "预警已发布，正在送达各广播终端"),
    "cancel": (
        lambda w, u, p: services.do_cancel_warning(w, actor=u, reason=p.get("reason", "")),
        "已发布解除消息",
    ),
    "resend": (
        lambda w, u, p: services.do_resend(
            w, actor=u, deliveries=[int(x) for x in p.getlist("delivery") if x.isdigit()]
        ),
        "已重新发送",
    ),
}


# The permission each workflow route declares (urls.py routes one path per verb).
ACTION_PERMS = {
    "submit": AUTHOR,
    "approve": APPROVE,
    "reject": APPROVE,
    "issue": AUTHOR,
    "cancel": AUTHOR,
    "resend": AUTHOR,
}


@require_POST
@object_view(Warning)
def warning_action(request, pk, verb):
    warning = object_or_404(Warning, request.user, pk=pk)
    if verb not in ACTIONS:
        raise Http404
    run, done = ACTIONS[verb]
    try:
        result = run(warning, request.user, request.POST)
    except ServiceError as exc:
        if exc.status == 404:
            raise Http404 from None
        if exc.status == 403:
            raise PermissionDenied(exc.message) from None
        messages.error(request, exc.message)
        return redirect("warning_detail", pk=warning.pk)
    messages.success(request, done)
    target = result.pk if isinstance(result, Warning) else warning.pk
    return redirect("warning_detail", pk=target)


# --- endpoints ----------------------------------------------------------------------------------


@requires("warnings.endpoint.view")
@object_view(Endpoint)
def endpoint_detail(request, pk):
    endpoint = object_or_404(Endpoint, request.user, pk=pk)
    recent = (
        Delivery.objects.restrict(request.user)
        .filter(endpoint=endpoint)
        .select_related("warning__signal_type")
        .order_by("-pk")[:30]
    )
    return render(
        request,
        "warnings/endpoint_detail.html",
        {
            "object": endpoint,
            "title": endpoint.name,
            "recent": recent,
            "delivery_tag": DELIVERY_TAG,
            "can_edit": services.may(request.user, ENDPOINT_CHANGE, endpoint),
        },
    )


@object_view(Endpoint)
def endpoint_form(request, pk=None):
    """Register an endpoint (routed as endpoint_create, needing add) or edit one (endpoint_edit, change)."""
    endpoint = object_or_404(Endpoint, request.user, pk=pk) if pk else None
    if not services.may(request.user, ENDPOINT_CHANGE if endpoint else ENDPOINT_ADD, endpoint):
        raise PermissionDenied
    initial = {"is_active": True}
    if endpoint:
        initial = {
            f: getattr(endpoint, f)
            for f in ("name", "adapter", "url", "topic", "directory", "note", "is_active")
        }
        initial["place"] = endpoint.place.code
    form = EndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if endpoint:
                endpoint = services.do_update_endpoint(endpoint, actor=request.user, **form.cleaned_data)
            else:
                endpoint = services.do_create_endpoint(actor=request.user, **form.cleaned_data)
        except ServiceError as exc:
            form.apply_service_error(exc)
        else:
            messages.success(request, "已保存")
            return redirect("endpoint_detail", pk=endpoint.pk)
    title = f"编辑广播终端：{endpoint.name}" if endpoint else "登记广播终端"
    return form_page(request, form, title)


# --- statistics ---------------------------------------------------------------------------------


@requires("warnings.warning.view")
def statistics(request):
    townships = Place.objects.restrict(request.user).filter(level=2).order_by("code")
    form = StatsForm(request.GET or None, townships=townships)
    params = form.cleaned_data if form.is_bound and form.is_valid() else {}
    result = stats.compute(
        request.user,
        start=params.get("start"),
        end=params.get("end"),
        township=params.get("township") or None,
    )
    export = request.GET.get("export")
    if export in ("csv", "xlsx"):
        if not has_perm(request.user, "warnings.warning.export"):
            raise PermissionDenied
        return _export_stats(request, result, export)
    query = request.GET.copy()
    query.pop("export", None)
    return render(
        request,
        "warnings/stats.html",
        {
            "form": form,
            "stats": result,
            "title": "预警统计",
            "query": query.urlencode(),
            "colour_keys": list(Colour),
            "chart": json.dumps(
                {
                    "types": [name for name, _, _ in result.by_type],
                    "colours": result.colours,
                    "series": [
                        [counts[i] for _, counts, _ in result.by_type] for i in range(len(result.colours))
                    ],
                },
                ensure_ascii=False,
            ),
        },
    )


def _export_stats(request, result, fmt):
    summaries = [
        Sheet(
            "按信号类型和颜色",
            ["信号类型", *result.colours, "合计"],
            [[type_name, *counts, total] for type_name, counts, total in result.by_type],
        ),
        Sheet(
            "按乡镇",
            ["乡镇", "预警次数", "其中橙色及以上"],
            [[township.name, n, severe] for township, n, severe in result.by_township],
        ),
        Sheet("按月份", ["月份", "预警次数"], [[month, n] for month, n in result.by_month]),
    ]
    return export_response(
        result.rows,
        stats.EXPORT_HEADERS,
        fmt=fmt,
        filename=f"warning-stats-{timezone.localtime():%Y%m%d-%H%M}",
        sheet_title="预警明细",
        actor=request.user,
        object_type="warnings.warning",
        description=f"导出预警统计（{fmt}）",
        filters=dict(request.GET.lists()),
        summary_sheets=summaries,
    )


# --- public Atom feed ----------------------------------------------------------------------------


@public_view
@require_GET
def feed(request):
    """Published warnings as Atom: the whole county, or `?place=<township code>` for one township.

    Public: only issued, updated and cancelled messages of status Actual, and only what the CAP
    message itself carries (headline, description, type, colour) — never drafts, authors or notes."""
    code = request.GET.get("place", "").strip()
    qs = Warning.objects.filter(status__in=PUBLISHED, cap_status="Actual").select_related("signal_type")
    if code:
        place = Place.objects.filter(code=code, level__lte=2).first()
        if place is None:
            raise Http404("区划代码不存在或不是乡镇")
        qs = qs.filter(stats.overlapping(place)).distinct()
    else:
        place = Place.objects.filter(level=1).order_by("code").first()
    title = f"{place.name if place else ''}预警信息"
    base = settings.PUBLIC_URL
    self_url = f"{base}{request.get_full_path()}"
    atom = feedgenerator.Atom1Feed(
        title=title,
        link=f"{base}/warnings/feed.atom",
        description=f"{title}（CAP 1.2）",
        language="zh-CN",
        feed_url=self_url,
        feed_guid=self_url,
    )
    for w in qs.order_by("-issued_at")[:50]:
        atom.add_item(
            title=f"{w.title}：{w.headline}",
            link=f"{base}/api/v1/warnings/{w.pk}.cap",
            description=w.description,
            unique_id=f"urn:shuxiang:warning:{w.identifier}",
            unique_id_is_permalink=False,
            pubdate=w.issued_at,
            updateddate=w.updated_at,
            categories=[w.signal_type.name, w.get_colour_display(), w.msg_type],
            enclosures=[
                feedgenerator.Enclosure(f"{base}/api/v1/warnings/{w.pk}.cap", "0", "application/cap+xml")
            ],
        )
    response = HttpResponse(content_type="application/atom+xml; charset=utf-8")
    atom.write(response, "utf-8")
    return response
