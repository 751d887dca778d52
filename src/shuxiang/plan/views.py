"""HTML pages of plan supervision: the plan, ledgers, registries, bulletin, assessment,
assignments and the dashboard. Thin: they parse, call a service, render.

Every route declares the permission it needs (here, or in urls.py for a view routed twice);
the services check each action again on the object."""

from datetime import datetime, timedelta

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from shuxiang.core.access import requires
from shuxiang.core.choices import AuditAction
from shuxiang.core.errors import ServiceError
from shuxiang.core.files import attachments_of
from shuxiang.core.generic import Column, ObjectListView, form_page, object_or_404, object_view, submit_form
from shuxiang.core.importers import import_upload
from shuxiang.core.models import AuditEntry, Place, Unit
from shuxiang.core.permissions import has_perm
from shuxiang.core.scope import place_in_scope
from shuxiang.indicators.periods import parse_period
from shuxiang.indicators.reading import home_place, place_for
from shuxiang.indicators.rollup import value_at
from shuxiang.plan import assignments, bulletin, dashboard, importers, services
from shuxiang.plan.choices import ApprovalLevel, EntryStatus, UnitRole
from shuxiang.plan.filtersets import CoverageFilterSet, LedgerEntryFilterSet, ServicePointFilterSet
from shuxiang.plan.forms import (
    AssignmentForm,
    CoverageForm,
    ManualScoreForm,
    RegistryImportForm,
    RoundForm,
    SchemeForm,
    ServicePointForm,
)
from shuxiang.plan.loader import current_plan
from shuxiang.plan.models import (
    AssessmentResult,
    AssessmentScheme,
    LedgerEntry,
    LedgerRound,
    NetworkCoverage,
    ServicePoint,
    Task,
)
from shuxiang.plan.permissions import MANAGE


def _plan_or_404(user):
    plan = current_plan(user)
    if plan is None:
        raise Http404("尚未载入工作方案")
    return plan


# --- the plan ----------------------------------------------------------------------------------


@requires("plan.plan.view")
def plan_home(request):
    plan = current_plan(request.user)
    if plan is None:
        return render(request, "plan/home.html", {"plan": None, "title": "工作方案"})
    sections = list(plan.sections.prefetch_related("targets__indicator").order_by("order"))
    tasks = list(
        Task.objects.filter(plan=plan).prefetch_related("task_units", "targets").select_related("section")
    )
    by_section = {}
    for task in tasks:
        by_section.setdefault(task.section_id, []).append(task)
    return render(
        request,
        "plan/home.html",
        {"plan": plan, "sections": sections, "tasks_by_section": by_section, "title": plan.title},
    )


@requires("plan.task.view")
def task_detail(request, number):
    plan = _plan_or_404(request.user)
    task = get_object_or_404(
        Task.objects.prefetch_related("task_units__unit", "targets__indicator", "targets__place"),
        plan=plan,
        number=number,
    )
    year = parse_period(str(plan.end_year))
    try:
        place = home_place(request.user)
    except ServiceError:
        raise Http404 from None
    targets = []
    for target in task.targets.all():
        row = None
        if target.indicator_id and target.indicator.is_ratio:
            row = value_at(target.indicator, place, year)
        elif target.indicator_id and target.place and place_in_scope(request.user, target.place):
            row = value_at(target.indicator, target.place, year)
        targets.append((target, row))
    entries = (
        LedgerEntry.objects.restrict(request.user)
        .filter(task=task)
        .select_related("round", "place", "unit")
        .order_by("-round__period", "place__code", "unit__name")[:60]
    )
    return render(
        request,
        "plan/task_detail.html",
        {
            "task": task,
            "lead": [tu for tu in task.task_units.all() if tu.role == UnitRole.LEAD],
            "responsible": [tu for tu in task.task_units.all() if tu.role == UnitRole.RESPONSIBLE],
            "targets": targets,
            "entries": entries,
            "place": place,
            "title": str(task),
        },
    )


# --- ledgers -----------------------------------------------------------------------------------


def _excerpt(text, length=30):
    text = (text or "").replace("\n", " ")
    return text if len(text) <= length else text[:length] + "…"


class LedgerListView(ObjectListView):
    model = LedgerEntry
    filterset_class = LedgerEntryFilterSet
    title = "工作台账"
    select_related = ("round", "task", "place", "unit")
    columns = [
        Column("季度", "round.period"),
        Column("任务", lambda e: f"{e.task.number}. {e.task.title}", link=True),
        Column("填报主体", "reporter_name"),
        Column("状态", "get_status_display"),
        Column("审批", lambda e: e.get_approval_level_display() if e.approval_level else ""),
        Column("报送时间", "submitted_at"),
        Column("按时", "on_time"),
        Column("工作进展", lambda e: _excerpt(e.progress)),
    ]

    detail_route = "plan_ledger_detail"


ACTIONS = {"save", "submit", "approve", "return", "unapprove", "reopen", "evidence", "assign"}


@requires("plan.ledgerentry.view")
@object_view(LedgerEntry)
def ledger_detail(request, pk):
    """One form: its reporter fills it, approvers move it along; each action is the service's to allow."""
    entry = object_or_404(LedgerEntry, request.user, pk=pk)
    user = request.user
    entry = LedgerEntry.objects.select_related("round", "task", "place", "unit").get(pk=entry.pk)
    error = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in ACTIONS:
            raise Http404
        try:
            _ledger_action(request, entry, action)
        except ServiceError as exc:
            if exc.status == 404:
                raise Http404 from None
            error = exc
        else:
            return redirect("plan_ledger_detail", pk=entry.pk)
        entry.refresh_from_db()
    indicators = services.reported_indicators(entry)
    figures = services.entry_figures(entry)
    posted = request.POST if error is not None else {}
    shared = entry.unit_id is not None and entry.task.task_units.values("unit").distinct().count() > 1
    fields = []
    for indicator in indicators:
        num, den = figures.get(indicator.code, (None, None))
        fields.append(
            {
                "indicator": indicator,
                # A bureau's own figure; the district's is derived from every unit's by the rule.
                "hint": f"各单位分别填报，{entry.place.name}数{indicator.unit_rule_text}" if shared else "",
                "value": posted.get(f"v_{indicator.code}", "" if num is None else f"{num.normalize():f}"),
                "denominator": posted.get(
                    f"d_{indicator.code}", "" if den is None else f"{den.normalize():f}"
                ),
                "errors": error.fields.get(indicator.code, []) if error else [],
            }
        )
    violations = services.violations_of(entry) if indicators else []
    approver = services.approver_level(user, entry)
    next_level = services._next_level(entry)
    manage = has_perm(user, MANAGE)
    return render(
        request,
        "plan/ledger_detail.html",
        {
            "entry": entry,
            "fields": fields,
            "violations": violations,
            "error": error,
            "progress": posted.get("progress", entry.progress),
            "problems": posted.get("problems", entry.problems),
            "can_edit": entry.is_open_for_input() and services.may_fill(user, entry),
            "can_approve": entry.status == EntryStatus.SUBMITTED and approver == next_level,
            "can_unapprove": approver is not None and entry.approval_level is not None,
            "can_reopen": manage
            and entry.status in (EntryStatus.DRAFT, EntryStatus.RETURNED)
            and not entry.is_open_for_input(),
            "can_assign": manage and bool(entry.problems),
            "evidence": attachments_of(entry),
            "timeline": _timeline(entry),
            "lock_time": entry.lock_time(),
            "title": str(entry),
            "default_deadline": (timezone.localtime() + timedelta(days=15)).strftime("%Y-%m-%dT%H:%M"),
        },
        status=400 if error else 200,
    )


def _timeline(entry):
    """The form's own history (who saved, submitted, approved or returned it, and when).

    It belongs to the form, so whoever may open the form reads it — the audit log as a whole stays
    with those granted it. Only what the page shows leaves the log: the time, who, the action and
    the status, level and reason changes, never the saved text.
    """
    rows = (
        AuditEntry.objects.filter(object_type="plan.ledgerentry", object_id=str(entry.pk))
        .order_by("at")
        .values("at", "actor_label", "action", "changes")[:50]
    )
    kept = ("status", "approval_level", "reason")
    return [
        {
            "at": row["at"],
            "actor_label": row["actor_label"],
            "action": AuditAction(row["action"]).label
            if row["action"] in AuditAction.values
            else row["action"],
            "changes": {k: v for k, v in (row["changes"] or {}).items() if k in kept},
        }
        for row in rows
    ]


def _parse_local(value, field):
    try:
        parsed = datetime.strptime(value or "", "%Y-%m-%dT%H:%M")
    except ValueError:
        raise ServiceError("invalid", "时间格式错误", {field: ["请选择日期和时间"]}) from None
    return timezone.make_aware(parsed)


def _ledger_action(request, entry, action):
    user, post = request.user, request.POST
    if action == "save" or action == "submit":
        values = {}
        for indicator in services.reported_indicators(entry):
            num = post.get(f"v_{indicator.code}", "")
            values[indicator.code] = (num, post.get(f"d_{indicator.code}", "")) if indicator.is_ratio else num
        if services.may_fill(user, entry) and entry.is_open_for_input():
            services.do_save_entry(
                entry,
                actor=user,
                progress=post.get("progress", ""),
                problems=post.get("problems", ""),
                values=values,
            )
        if action == "submit":
            services.do_submit_entry(entry, actor=user)
            messages.success(request, "台账已报送")
        else:
            messages.success(request, "已保存")
    elif action == "approve":
        entry = services.do_approve_entry(entry, actor=user)
        messages.success(
            request, "已审定" if entry.approval_level == ApprovalLevel.DISTRICT else "已审核，等待区级审定"
        )
    elif action == "return":
        services.do_return_entry(entry, actor=user, reason=post.get("reason", ""))
        messages.success(request, "已退回")
    elif action == "unapprove":
        services.do_unapprove_entry(entry, actor=user)
        messages.success(request, "已撤销审批")
    elif action == "reopen":
        services.do_reopen_entry(entry, actor=user, until=_parse_local(post.get("until"), "until"))
        messages.success(request, "已重新开放补报")
    elif action == "evidence":
        upload = request.FILES.get("file")
        if upload is None:
            raise ServiceError("required", "请选择要上传的文件", {"file": ["必填"]})
        services.do_add_evidence(entry, upload, actor=user)
        messages.success(request, "佐证材料已上传")
    elif action == "assign":
        case = assignments.do_assign_from_entry(
            entry,
            actor=user,
            deadline=_parse_local(post.get("deadline"), "deadline"),
            major=bool(post.get("major")),
        )
        messages.success(request, f"已交办，受理编号 {case.tracking_number}")


# --- quarterly rounds and the bulletin ---------------------------------------------------------


@requires("plan.ledgerround.view", post=MANAGE)
def round_list(request):
    plan = _plan_or_404(request.user)
    now = timezone.localtime()
    form = RoundForm(
        request.POST or None,
        initial={"year": now.year, "quarter": (now.month - 1) // 3 + 1, "deadline": now + timedelta(days=10)},
    )
    saved, _ = submit_form(
        request,
        form,
        lambda d: services.do_open_round(plan, actor=request.user, **d),
        success="已下发本季度台账",
    )
    if saved:
        return redirect("plan_rounds")
    done = Q(entries__status__in=[EntryStatus.SUBMITTED, EntryStatus.APPROVED])
    rounds = LedgerRound.objects.filter(plan=plan).annotate(
        expected=Count("entries"),
        submitted=Count("entries", filter=done),
        on_time=Count("entries", filter=Q(entries__on_time=True)),
        approved=Count("entries", filter=Q(entries__status=EntryStatus.APPROVED)),
    )
    return render(request, "plan/rounds.html", {"rounds": rounds, "form": form, "title": "季度调度"})


@requires("plan.ledgerround.view")
def bulletin_file(request, pk, fmt):
    """The quarter's bulletin (a district-wide ranking of every township and unit) as PDF or XLSX."""
    round_ = get_object_or_404(LedgerRound, pk=pk)
    data = bulletin.build(round_)
    from shuxiang.core import audit

    audit.record(
        request.user, "export", round_, object_repr=f"生成通报 {round_}（{fmt}）", changes={"format": fmt}
    )
    name = f"bulletin-{round_.period}.{fmt}"
    if fmt == "pdf":
        response = HttpResponse(bulletin.to_pdf(data), content_type="application/pdf")
    else:
        response = HttpResponse(
            bulletin.to_xlsx(data),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- registries --------------------------------------------------------------------------------


class CoverageListView(ObjectListView):
    model = NetworkCoverage
    filterset_class = CoverageFilterSet
    title = "网络覆盖登记"
    select_related = ("place",)
    create_url_name = "plan_coverage_add"
    create_permission = "plan.networkcoverage.add"
    columns = [
        Column("区划代码", "place.code"),
        Column("名称", "place.name", link=True),
        Column("4G", "has_4g"),
        Column("5G", "has_5g"),
        Column("光纤", "has_fibre"),
        Column("有线电视", "has_cable_tv"),
        Column("带宽(Mbps)", "bandwidth_mbps"),
        Column("调查日期", "surveyed_on"),
        Column("备注", "note"),
    ]

    detail_route = "plan_coverage_edit"


def _yes_no(value):
    return {"true": True, "false": False}.get(value)


def _coverage_page(request, coverage=None):
    initial = {}
    if coverage is not None:
        initial = {
            "place": coverage.place.code,
            "bandwidth_mbps": coverage.bandwidth_mbps or "",
            "surveyed_on": coverage.surveyed_on.isoformat() if coverage.surveyed_on else "",
            "note": coverage.note,
        }
        for name in ("has_4g", "has_5g", "has_fibre", "has_cable_tv"):
            value = getattr(coverage, name)
            initial[name] = "" if value is None else ("true" if value else "false")
    form = CoverageForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            place = place_for(request.user, data.pop("place"))
            for name in ("has_4g", "has_5g", "has_fibre", "has_cable_tv"):
                data[name] = _yes_no(data[name])
            if coverage is not None and place != coverage.place:
                raise ServiceError("invalid", "区划不能修改", {"place": ["区划不能修改"]})
            services.do_save_coverage(place, actor=request.user, **data)
        except ServiceError as exc:
            form.apply_service_error(exc)
        else:
            messages.success(request, "已保存")
            return redirect("plan_coverage")
    title = f"网络覆盖：{coverage.place.name}" if coverage else "登记网络覆盖"
    return form_page(request, form, title)


@requires("plan.networkcoverage.add")
def coverage_add(request):
    return _coverage_page(request)


@requires("plan.networkcoverage.change")
@object_view(NetworkCoverage)
def coverage_edit(request, pk):
    return _coverage_page(request, object_or_404(NetworkCoverage, request.user, pk=pk))


class ServicePointListView(ObjectListView):
    model = ServicePoint
    filterset_class = ServicePointFilterSet
    title = "服务网点"
    select_related = ("place",)
    create_url_name = "plan_service_point_add"
    create_permission = "plan.servicepoint.add"
    columns = [
        Column("名称", "name", link=True),
        Column("类型", "get_kind_display"),
        Column("所在区划", "place.name"),
        Column("建成日期", "opened_on"),
        Column("在用", "is_active"),
    ]

    detail_route = "plan_service_point_edit"


def _point_page(request, point=None):
    initial = {}
    if point is not None:
        initial = {
            "place": point.place.code,
            "kind": point.kind,
            "name": point.name,
            "address": point.address,
            "opened_on": point.opened_on,
            "is_active": point.is_active,
        }
    form = ServicePointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            place = place_for(request.user, data.pop("place"))
            services.do_save_service_point(actor=request.user, place=place, point=point, **data)
        except ServiceError as exc:
            form.apply_service_error(exc)
        else:
            messages.success(request, "已保存")
            return redirect("plan_service_points")
    return form_page(request, form, point.name if point else "登记服务网点")


@requires("plan.servicepoint.add")
def service_point_add(request):
    return _point_page(request)


@requires("plan.servicepoint.change")
@object_view(ServicePoint)
def service_point_edit(request, pk):
    return _point_page(request, object_or_404(ServicePoint, request.user, pk=pk))


@requires("plan.networkcoverage.change")
def registry_import(request):
    """Both registries are granted together; the importer checks the chosen one's own permissions."""
    form = RegistryImportForm(request.POST or None, request.FILES or None)

    def run(content, name):
        importer = (
            importers.import_coverage
            if form.cleaned_data["kind"] == "coverage"
            else importers.import_service_points
        )
        return importer(content, name, actor=request.user)

    result, problems = import_upload(request, form, run)
    if result is not None:
        messages.success(request, f"导入完成：新增 {result.created} 条，更新 {result.updated} 条")
        return redirect("plan_registry_import")
    return render(
        request, "plan/registry_import.html", {"form": form, "problems": problems, "title": "导入登记台账"}
    )


# --- assessment --------------------------------------------------------------------------------


def _subjects(plan):
    townships = Place.objects.filter(level=2, path__startswith=plan.district.path).order_by("code")
    units = Unit.objects.filter(plan_tasks__task__plan=plan).distinct().order_by("name")
    return [(f"p{t.pk}", t.name) for t in townships] + [(f"u{u.pk}", u.short_name or u.name) for u in units]


@requires("plan.assessmentresult.view", post=MANAGE)
def assessment(request):
    plan = _plan_or_404(request.user)
    manage = has_perm(request.user, MANAGE)
    year = int(request.GET.get("year") or plan.end_year)
    scheme = AssessmentScheme.objects.filter(plan=plan, year=year).first()
    scheme_form = manual_form = None
    if manage:
        initial = {"year": year}
        if scheme:
            initial.update({f: getattr(scheme, f) for f in services.SCHEME_FIELDS})
        scheme_form = SchemeForm(
            request.POST if request.POST.get("action") == "scheme" else None, initial=initial
        )
        manual_form = ManualScoreForm(request.POST if request.POST.get("action") == "manual" else None)
        manual_form.fields["subject"].choices = _subjects(plan)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "scheme" and scheme_form.is_valid():
                data = dict(scheme_form.cleaned_data)
                year = data.pop("year")
                services.do_save_scheme(plan, actor=request.user, year=year, **data)
                messages.success(request, "考核方案已保存")
                return redirect(f"{reverse('plan_assessment')}?year={year}")
            if action == "manual" and manual_form.is_valid() and scheme:
                subject = manual_form.cleaned_data["subject"]
                if subject.startswith("p"):
                    place, unit = get_object_or_404(Place, pk=subject[1:]), None
                else:
                    unit = get_object_or_404(Unit, pk=subject[1:])
                    place = plan.district
                services.do_set_manual_score(
                    scheme,
                    actor=request.user,
                    place=place,
                    unit=unit,
                    score=manual_form.cleaned_data["score"],
                    reason=manual_form.cleaned_data["reason"],
                )
                messages.success(request, "评议分已保存")
                return redirect(f"{reverse('plan_assessment')}?year={year}")
            if action == "run" and scheme:
                services.do_run_assessment(scheme, actor=request.user)
                messages.success(request, "考核结果已计算")
                return redirect(f"{reverse('plan_assessment')}?year={year}")
        except ServiceError as exc:
            (scheme_form if action == "scheme" else manual_form).apply_service_error(exc)
    results = (
        AssessmentResult.objects.restrict(request.user).filter(scheme=scheme).select_related("place", "unit")
        if scheme
        else AssessmentResult.objects.none()
    )
    return render(
        request,
        "plan/assessment.html",
        {
            "scheme": scheme,
            "year": year,
            "scheme_form": scheme_form,
            "manual_form": manual_form,
            "township_results": [r for r in results if r.group == "township"],
            "unit_results": [r for r in results if r.group == "unit"],
            "manual_scores": scheme.manual_scores.restrict(request.user).select_related("place", "unit")
            if scheme
            else [],
            "title": "年度考核",
        },
    )


# --- assignments -------------------------------------------------------------------------------


@requires("cases.case.view", post=MANAGE)
def assignment_list(request):
    from shuxiang.cases.models import Case

    plan = current_plan(request.user)
    form = None
    if plan is not None and has_perm(request.user, MANAGE):
        units = (
            Unit.objects.restrict(request.user)
            .filter(is_active=True, place__level__lte=2)
            .order_by("place__code", "name")
        )
        form = AssignmentForm(request.POST or None, units=units)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            task = Task.objects.filter(plan=plan, number=data["task"]).first() if data.get("task") else None
            try:
                case = assignments.do_assign(
                    actor=request.user,
                    unit=data["unit"],
                    title=data["title"],
                    description=data["description"],
                    deadline=data["deadline"],
                    task=task,
                    major=data["major"],
                )
            except ServiceError as exc:
                form.apply_service_error(exc)
            else:
                messages.success(request, f"已交办，受理编号 {case.tracking_number}")
                return redirect("plan_assignments")
    cases = (
        Case.objects.restrict(request.user)
        .filter(case_type=assignments.CASE_TYPE)
        .select_related("unit", "place")
        .order_by("-created_at")[:200]
    )
    return render(request, "plan/assignments.html", {"cases": cases, "form": form, "title": "交办事项"})


# --- dashboard ---------------------------------------------------------------------------------


@requires("indicators.datavalue.view")
def dashboard_view(request):
    plan = current_plan(request.user)
    try:
        place = place_for(request.user, request.GET.get("place"))
    except ServiceError:
        raise Http404 from None
    year = plan.end_year if plan else timezone.localdate().year
    try:
        period = parse_period(request.GET.get("period") or str(year))
    except ServiceError:
        period = parse_period(str(year))
    indicators = dashboard.targeted_indicators(period.year)
    chosen = next(
        (i for i in indicators if i.code == request.GET.get("indicator")),
        indicators[0] if indicators else None,
    )
    cards = dashboard.kpi_cards(place, period, indicators)
    own = ranked = geo = None
    if chosen is not None and place.level < 4:
        own, ranked, geo = dashboard.ranking(chosen, place, period)
    return render(
        request,
        "plan/dashboard.html",
        {
            "place": place,
            "ancestors": [
                a for a in place.ancestors() if Place.objects.restrict(request.user).filter(pk=a.pk).exists()
            ],
            "period": period,
            "indicators": indicators,
            "chosen": chosen,
            "cards": cards,
            "own": own,
            "ranked": ranked,
            "chart": {
                "rows": ranked or [],
                "unit": chosen.unit if chosen else "",
                "name": chosen.name if chosen else "",
            },
            "geo": geo,
            "title": "驾驶舱",
        },
    )
