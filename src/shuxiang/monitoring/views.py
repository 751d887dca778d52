"""HTML pages of monitoring: worklists, the household 360° page, clue queue,
procedure steps on the phone, the public self-declaration and notice pages.

Every route declares its permission (`page`, or `permission` on the list
views); department users whose unit is not responsible for monitoring get 403
on all of them. Views are thin: look the object up through scope (404 outside
it), call a service, render. Health and disability reach a template only for
roles holding `monitoring.household.health`.
"""

import functools
from collections import Counter

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from shuxiang.core.access import requires
from shuxiang.core.actors import Actor
from shuxiang.core.errors import ServiceError
from shuxiang.core.exports import export_response
from shuxiang.core.generic import (
    Column,
    ObjectListView,
    PermissionMixin,
    cell_text,
    object_or_404,
    object_view,
    public_view,
    submit_form,
)
from shuxiang.core.importers import ImportRejected, read_rows
from shuxiang.core.middleware import client_ip
from shuxiang.core.models import AuditEntry, Place
from shuxiang.core.navigation import PendingItem
from shuxiang.core.permissions import has_perm
from shuxiang.core.pii import mask_name
from shuxiang.monitoring import choices as c
from shuxiang.monitoring import forms, importers, procedures, services, worklist
from shuxiang.monitoring import perms as p
from shuxiang.monitoring.filtersets import ClueFilterSet, HouseholdFilterSet, ProcedureFilterSet
from shuxiang.monitoring.models import Clue, Household, Member, MonitoringThreshold, Procedure, Rule, RuleRun
from shuxiang.monitoring.perms import clue_view, in_monitoring, redact_clues
from shuxiang.monitoring.rules import run_rules

# Who acts on a procedure at each stage, and with which form.
STEP_FORMS = {
    c.Stage.HOME_VISIT: (p.HOME_VISIT, forms.HomeVisitForm),
    c.Stage.VILLAGE_REVIEW: (p.VILLAGE_REVIEW, forms.VillageReviewForm),
    c.Stage.TOWNSHIP_REVIEW: (p.TOWNSHIP_REVIEW, forms.DecisionForm),
    c.Stage.COUNTY_APPROVAL: (p.COUNTY_APPROVAL, forms.DecisionForm),
}


def pending_work(user):
    """Home-page lines for what this user can act on: clues they may verify, follow-ups they may
    record, overdue procedures waiting at a step they may take."""
    if not in_monitoring(user):
        return []
    url = reverse("monitoring:worklist")
    items = []
    if has_perm(user, p.SCREEN):
        items.append(
            PendingItem("待核实的返贫风险线索", worklist.clues_to_verify(user).count(), url, "warning")
        )
    if has_perm(user, p.ASSIST):
        items.append(PendingItem("到期未走访的监测户", worklist.visits_due(user).count(), url, "warning"))
    stages = [stage for stage, (perm, _form) in STEP_FORMS.items() if has_perm(user, perm)]
    if stages:
        overdue = worklist.procedures_overdue(user).filter(stage__in=stages)
        items.append(PendingItem("超期待您办理的识别/消除程序", overdue.count(), url, "danger"))
    return items


def page(perm: str, *, post: str | None = None):
    """Declares a page's permission (core.access) and refuses departments outside monitoring (403)."""

    def wrap(view):
        @functools.wraps(view)
        def checked(request, *args, **kwargs):
            if not in_monitoring(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return requires(perm, post=post)(checked)

    return wrap


class MonitoringPermissionMixin(PermissionMixin):
    """The declared `permission` (core.access) plus the department rule."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not in_monitoring(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def head_name_subquery():
    # order_by(): Member's default order (by household, i.e. place code and number) joined both tables
    # into every row's subquery; a household has one head.
    return Subquery(
        Member.objects.filter(household=OuterRef("pk"), relation=c.Relation.HEAD)
        .order_by()
        .values("person__name")[:1]
    )


def member_count_subquery():
    """Members of the row's household, counted per row shown (a join + GROUP BY counted every household)."""
    members = Member.objects.filter(household=OuterRef("pk")).order_by().values("household")
    return Coalesce(Subquery(members.annotate(n=Count("pk")).values("n")[:1]), 0)


# --- worklist ---------------------------------------------------------------------------------


@page(p.VIEW)
def worklist_view(request):
    user = request.user
    clues = redact_clues(
        user, worklist.clues_to_verify(user).select_related("household", "place", "person")[:50]
    )
    due = worklist.visits_due(user).select_related("place").annotate(head_name=head_name_subquery())[:50]
    open_procedures = (
        worklist.procedures_open(user).select_related("household__place").order_by("due_at")[:50]
    )
    return render(
        request,
        "monitoring/worklist.html",
        {
            "clues": clues,
            "clue_count": worklist.clues_to_verify(user).count(),
            "due": due,
            "due_count": worklist.visits_due(user).count(),
            "procedures": open_procedures,
            "now": timezone.now(),
            "can_assist": has_perm(user, p.ASSIST),
            "can_screen": has_perm(user, p.SCREEN),
            "title": "防返贫监测工作台",
        },
    )


# --- households -----------------------------------------------------------------------------------


class HouseholdListView(MonitoringPermissionMixin, ObjectListView):
    model = Household
    filterset_class = HouseholdFilterSet
    title = "农户"
    permission = p.VIEW
    columns = [
        Column("户编号", "number", link=True),
        Column("户主", "head_name"),
        Column("村民小组", "place.name"),
        Column("农户类别", "get_category_display"),
        Column("监测状态", "get_status_display"),
        Column("监测类型", "get_monitored_type_display"),
        Column("人口", "member_count"),
    ]

    def get_queryset(self):
        # By 户编号, which begins with the hamlet's code (so a place's households stay together): its
        # unique index serves the order, where ordering by the place's code sorted every household.
        # Head and member count are subqueries, computed for the page's rows only and left out of the
        # count.
        return (
            super()
            .get_queryset()
            .select_related("place")
            .annotate(head_name=head_name_subquery(), member_count=member_count_subquery())
            .order_by("number")
        )

    detail_route = "monitoring:household_detail"


def _history(household):
    """Audit entries of the household and everything hanging off it, newest first."""
    related = {
        "monitoring.household": [household.pk],
        "monitoring.member": list(household.members.values_list("pk", flat=True)),
        "monitoring.incomerecord": list(household.incomes.values_list("pk", flat=True)),
        "monitoring.visit": list(household.visits.values_list("pk", flat=True)),
        "monitoring.measure": list(household.measures.values_list("pk", flat=True)),
        "monitoring.procedure": list(household.procedures.values_list("pk", flat=True)),
        "monitoring.clue": list(household.clues.values_list("pk", flat=True)),
    }
    q = Q()
    for object_type, ids in related.items():
        if ids:
            q |= Q(object_type=object_type, object_id__in=[str(i) for i in ids])
    return AuditEntry.objects.filter(q).order_by("-at")[:100]


@page(p.VIEW)
@object_view(Household)
def household_detail(request, pk):
    household = object_or_404(Household, request.user, pk=pk)
    household = (
        Household.objects.select_related("place__parent__parent")
        .prefetch_related(
            Prefetch("members", queryset=Member.objects.select_related("person").order_by("id")),
            "risks",
        )
        .get(pk=household.pk)
    )
    user = request.user
    return render(
        request,
        "monitoring/household_detail.html",
        {
            "object": household,
            "title": f"农户 {household.number}",
            "members": household.members.all(),
            "incomes": household.incomes.order_by("-year"),
            "visits": household.visits.select_related("visitor")[:24],
            "measures": household.measures.select_related("cadre", "unit"),
            "clues": redact_clues(user, household.clues.select_related("rule")[:30]),
            "procedures": household.procedures.select_related("case"),
            "failures": household.guarantee_failures,
            "history": _history(household),
            "follow_up_due": services.follow_up_due(household),
            "can_health": has_perm(user, p.HEALTH),
            "can_edit": has_perm(user, p.EDIT),
            "can_screen": has_perm(user, p.SCREEN),
            "can_assist": has_perm(user, p.ASSIST),
            "blockers": procedures.elimination_blockers(household)
            if household.status == c.MonitoringStatus.MONITORED
            else [],
        },
    )


def _form_page(request, form, title, submit="保存"):
    return render(request, "monitoring/form.html", {"form": form, "title": title, "submit": submit})


@page(p.SCREEN)
@object_view(Household)
def screening_visit(request, pk):
    """排查走访: a cadre or grid worker's visit; a concern becomes a clue."""
    return _visit_page(request, pk, c.VisitPurpose.SCREENING)


@page(p.ASSIST)
@object_view(Household)
def follow_up_visit(request, pk):
    """帮扶回访: the monthly follow-up of a monitored household, with an income estimate."""
    return _visit_page(request, pk, c.VisitPurpose.FOLLOW_UP)


def _visit_page(request, pk, purpose):
    household = object_or_404(Household, request.user, pk=pk)
    form = forms.VisitForm(request.POST or None, initial={"visited_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.do_record_visit(
                household,
                actor=request.user,
                purpose=purpose,
                visited_on=data["visited_on"],
                notes=data["notes"],
                concern=data["concern"],
                risk_types=data["risk_types"],
                income_estimate=data["income_estimate"],
            )
        except ServiceError as exc:
            form.apply_service_error(exc)
        else:
            messages.success(request, "走访已记录" + ("，并生成风险线索" if data["concern"] else ""))
            return redirect("monitoring:household_detail", pk=household.pk)
    return _form_page(request, form, f"{c.VisitPurpose(purpose).label}：户 {household.number}")


@page(p.EDIT)
@object_view(Household)
def income_form(request, pk):
    household = object_or_404(Household, request.user, pk=pk)
    form = forms.IncomeForm(request.POST or None, initial={"year": timezone.localdate().year - 1})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        year = data.pop("year")
        try:
            services.do_record_income(household, actor=request.user, year=year, **data)
        except ServiceError as exc:
            form.apply_service_error(exc)
        else:
            messages.success(request, f"{year}年收入已保存")
            return redirect("monitoring:household_detail", pk=household.pk)
    return _form_page(request, form, f"收入记录：户 {household.number}")


@page(p.EDIT)
@object_view(Household)
def guarantee_form(request, pk):
    household = object_or_404(Household, request.user, pk=pk)
    initial = {f: getattr(household, f) for f in ("category", "lifted_year", "housing_grade", "water_safe")}
    form = forms.GuaranteeForm(request.POST or None, initial=initial)
    saved, _ = submit_form(
        request, form, lambda d: services.do_update_household(household, actor=request.user, **d)
    )
    if saved:
        return redirect("monitoring:household_detail", pk=household.pk)
    return _form_page(request, form, f"农户类别与三保障：户 {household.number}")


@page(p.EDIT)
@object_view(Household)
def member_add(request, pk):
    household = object_or_404(Household, request.user, pk=pk)
    form = forms.NewMemberForm(request.POST or None, initial={"medical_insured": True})
    saved, _ = submit_form(
        request,
        form,
        lambda d: services.do_add_member(household, actor=request.user, **d),
        success="成员已添加",
    )
    if saved:
        return redirect("monitoring:household_detail", pk=household.pk)
    return _form_page(request, form, f"添加成员：户 {household.number}")


@page(p.EDIT)
@object_view(Member)
def member_edit(request, pk):
    """Health and disability are on this form: it needs the health permission too."""
    member = object_or_404(Member, request.user, pk=pk)
    if not has_perm(request.user, p.HEALTH):
        raise PermissionDenied
    initial = {f: getattr(member, f) for f in services.MEMBER_EDITABLE}
    form = forms.MemberForm(request.POST or None, initial=initial)
    saved, _ = submit_form(
        request, form, lambda d: services.do_update_member(member, actor=request.user, **d)
    )
    if saved:
        return redirect("monitoring:household_detail", pk=member.household_id)
    return _form_page(request, form, f"编辑成员：{member.person.name}")


@page(p.ASSIST)
@object_view(Household)
def measure_form(request, pk):
    household = object_or_404(Household, request.user, pk=pk)
    form = forms.MeasureForm(
        request.POST or None,
        initial={"start_on": timezone.localdate()},
        user=request.user,
        household=household,
    )
    saved, _ = submit_form(
        request,
        form,
        lambda d: services.do_add_measure(household, actor=request.user, **d),
        success="帮扶措施已登记",
    )
    if saved:
        return redirect("monitoring:household_detail", pk=household.pk)
    return _form_page(request, form, f"帮扶措施：户 {household.number}")


@page(p.SCREEN)
@require_POST
@object_view(Household)
def start_procedure(request, pk):
    household = object_or_404(Household, request.user, pk=pk)
    try:
        if request.POST.get("kind") == c.ProcedureKind.ELIMINATION:
            procedure = procedures.do_start_elimination(household, actor=request.user)
        else:
            procedure = procedures.do_start_identification(household, actor=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("monitoring:household_detail", pk=household.pk)
    messages.success(
        request,
        f"已发起{procedure.get_kind_display()}，办结时限 {timezone.localtime(procedure.due_at):%Y-%m-%d}",
    )
    return redirect("monitoring:procedure_detail", pk=procedure.pk)


# --- clues ---------------------------------------------------------------------------------------


class ClueListView(MonitoringPermissionMixin, ObjectListView):
    model = Clue
    filterset_class = ClueFilterSet
    title = "风险线索"
    permission = "monitoring.clue.view"
    select_related = ("place", "household", "rule")
    columns = [
        Column("发现时间", "created_at"),
        Column("来源渠道", "get_channel_display"),
        Column("情况", "summary", link=True),
        Column("农户", "household.number"),
        Column("所在地", "place.name"),
        Column("状态", "get_status_display"),
    ]

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        self.columns = [
            Column("情况", lambda obj: clue_view(user, obj)["summary"], link=True)
            if col.header == "情况"
            else col
            for col in type(self).columns
        ]
        return super().dispatch(request, *args, **kwargs)

    detail_route = "monitoring:clue_detail"


@page("monitoring.clue.view", post=p.SCREEN)
@object_view(Clue)
def clue_detail(request, pk):
    clue = object_or_404(Clue, request.user, pk=pk)
    link_form = forms.LinkClueForm(request.POST if request.POST.get("action") == "link" else None)
    dismiss_form = forms.DismissForm(request.POST if request.POST.get("action") == "dismiss" else None)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "link" and link_form.is_valid():
                target = (
                    Household.objects.restrict(request.user)
                    .filter(number=link_form.cleaned_data["number"])
                    .first()
                )
                if target is None:
                    raise ServiceError(
                        "not_found", "户编号不存在或不在您的管辖范围内", {"number": ["未找到该户"]}
                    )
                services.do_link_clue(clue, target, actor=request.user)
                messages.success(request, f"已关联到户 {target.number}")
                return redirect("monitoring:clue_detail", pk=clue.pk)
            if request.POST.get("action") == "dismiss" and dismiss_form.is_valid():
                services.do_dismiss_clue(clue, actor=request.user, note=dismiss_form.cleaned_data["note"])
                messages.success(request, "线索已核实排除")
                return redirect("monitoring:clue_detail", pk=clue.pk)
        except ServiceError as exc:
            (link_form if request.POST.get("action") == "link" else dismiss_form).apply_service_error(exc)
    visible = clue_view(request.user, clue)
    return render(
        request,
        "monitoring/clue_detail.html",
        {
            "object": clue,
            "title": "风险线索",
            "visible": visible,
            "figures": _figures_in_words(visible["figures"] or {}),
            "risk_labels": [c.RiskType(r).label for r in visible["risk_types"] if r in c.RiskType.values],
            "link_form": link_form,
            "dismiss_form": dismiss_form,
            "can_screen": has_perm(request.user, p.SCREEN),
        },
    )


# --- procedures ------------------------------------------------------------------------------------


class ProcedureListView(MonitoringPermissionMixin, ObjectListView):
    model = Procedure
    filterset_class = ProcedureFilterSet
    title = "识别与风险消除"
    permission = "monitoring.procedure.view"
    select_related = ("household__place",)
    columns = [
        Column("户编号", "household.number", link=True),
        Column("程序", "get_kind_display"),
        Column("当前环节", "get_stage_display"),
        Column("起算时间", "started_at"),
        Column("办结时限", "due_at"),
        Column("村民小组", "household.place.name"),
    ]

    detail_route = "monitoring:procedure_detail"


@page("monitoring.procedure.view")
@object_view(Procedure)
def procedure_detail(request, pk):
    """The procedure and, for whoever may take its current step, the step's form.

    Posting needs the current step's own permission (checked here and again by the step's service).
    """
    procedure = object_or_404(Procedure, request.user, pk=pk)
    procedure = Procedure.objects.select_related("household__place", "case", "visited_by").get(
        pk=procedure.pk
    )
    step = STEP_FORMS.get(procedure.stage)
    form = None
    if step and has_perm(request.user, step[0]):
        kwargs = {}
        if procedure.stage == c.Stage.HOME_VISIT:
            kwargs["elimination"] = procedure.kind == c.ProcedureKind.ELIMINATION
        initial = {"visited_on": timezone.localdate(), "notice_from": timezone.localdate()}
        form = step[1](request.POST or None, request.FILES or None, initial=initial, **kwargs)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                _do_step(procedure, request.user, data)
            except ServiceError as exc:
                form.apply_service_error(exc)
            else:
                messages.success(request, f"“{c.Stage(procedure.stage).label}”已办理")
                return redirect("monitoring:procedure_detail", pk=procedure.pk)
    elif request.method == "POST":
        raise PermissionDenied
    events = (
        procedure.case.events.order_by("at")
        if procedure.case_id and hasattr(procedure.case, "events")
        else []
    )
    return render(
        request,
        "monitoring/procedure_detail.html",
        {
            "object": procedure,
            "title": f"{procedure.get_kind_display()}：户 {procedure.household.number}",
            "form": form,
            "stages": [(s, s.label) for s in c.STAGE_ORDER],
            "stage_index": c.STAGE_ORDER.index(procedure.stage),
            "events": events,
            "overdue": procedure.decided_at is None and procedure.due_at < timezone.now(),
            "risk_labels": [c.RiskType(r).label for r in procedure.proposed_risks if r in c.RiskType.values],
            "can_health": has_perm(request.user, p.HEALTH),
            "notice_url": reverse("monitoring:notice", args=[procedure.notice_token])
            if procedure.notice_token
            else "",
        },
    )


def _do_step(procedure, user, data):
    if procedure.stage == c.Stage.HOME_VISIT:
        procedures.do_home_visit(
            procedure,
            actor=user,
            consent_signed=data["consent_signed"],
            notes=data["notes"],
            visited_on=data["visited_on"],
            photos=data["photos"],
            proposed_type=data.get("proposed_type", ""),
            risk_types=data.get("risk_types", []),
            primary_risk=data.get("primary_risk", ""),
        )
    elif procedure.stage == c.Stage.VILLAGE_REVIEW:
        procedures.do_village_review(procedure, actor=user, **data)
    elif procedure.stage == c.Stage.TOWNSHIP_REVIEW:
        procedures.do_township_review(procedure, actor=user, approve=data["approve"], notes=data["notes"])
    else:
        procedures.do_county_approval(procedure, actor=user, approve=data["approve"], notes=data["notes"])
    procedure.refresh_from_db()


# --- public pages (no account) ------------------------------------------------------------------


def _rate_limited(request, bucket="declare", limit=20, window=3600) -> bool:
    """A simple per-IP counter in the cache, the same limit as the API's anonymous submissions."""
    key = f"monitoring:{bucket}:{client_ip(request)}"
    cache.add(key, 0, window)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, window)
        count = 1
    return count > limit


@public_view
def declare(request):
    """农户自主申报, on a phone without an account; a signed-in cadre may declare on someone's behalf."""
    villages = forms.village_choices()
    form = forms.DeclarationForm(request.POST or None, places=villages)
    if request.method == "POST" and form.is_valid():
        if not request.user.is_authenticated and _rate_limited(request):
            form.add_error(None, "提交过于频繁，请稍后再试")
        else:
            data = form.cleaned_data
            actor = request.user if request.user.is_authenticated else Actor.anonymous("public")
            try:
                services.do_declare(actor=actor, **data)
            except ServiceError as exc:
                form.apply_service_error(exc)
            else:
                return render(request, "monitoring/declare_done.html", {"title": "申报已提交"})
    return render(request, "monitoring/declare.html", {"form": form, "title": "农户自主申报"})


@public_view
def notice(request, token):
    """The public notice (公示): no ID number, phone, bank account or health status."""
    if not token:
        raise Http404
    procedure = (
        Procedure.objects.filter(notice_token=token)
        .select_related("household__place__parent__parent")
        .prefetch_related("household__members__person")
        .first()
    )
    if procedure is None:
        raise Http404
    household = procedure.household
    head = household.head
    return render(
        request,
        "monitoring/notice.html",
        {
            "title": "公示",
            "procedure": procedure,
            "village": household.place.parent,
            "township": household.place.parent.parent,
            "hamlet": household.place,
            "head_name": mask_name(head.person.name) if head else "",
            "size": household.members.count(),
            "proposed_type": procedure.get_proposed_type_display(),
            "running": procedures.notice_is_running(procedure),
        },
    )


# --- import, alerts, configuration ------------------------------------------------------------------


@page(p.EDIT)
def import_view(request):
    form = forms.UploadForm(request.POST or None, request.FILES or None)
    problems, result = [], None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = importers.import_households(read_rows(upload.read(), upload.name), actor=request.user)
        except ImportRejected as exc:
            problems = [p.as_text() for p in exc.problems]
            form.add_error(None, exc.message)
        except ServiceError as exc:
            form.add_error("file", exc.message)
        else:
            messages.success(
                request,
                f"导入完成：新增 {result.created} 户，更新 {result.updated} 户，成员 {result.members} 人",
            )
            return redirect("monitoring:import")
    return render(
        request,
        "monitoring/import.html",
        {"form": form, "problems": problems, "columns": importers.COLUMNS, "title": "农户导入"},
    )


@page(p.ALERT)
def alert_upload(request):
    form = forms.AlertUploadForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            rows = read_rows(upload.read(), upload.name)
            records = [
                {
                    "id_number": r.get("id_number") or r.get("身份证号", ""),
                    "detail": r.get("说明", ""),
                    "amount": r.get("金额", ""),
                }
                for _, r in rows
            ]
            result = services.do_receive_alerts(
                actor=request.user, kind=form.cleaned_data["kind"], records=records
            )
        except ServiceError as exc:
            form.add_error(None, exc.message)
            for field, msgs in exc.fields.items():
                for m in msgs:
                    form.add_error(None, f"{field}：{m}")
    return render(
        request, "monitoring/alert_upload.html", {"form": form, "result": result, "title": "部门预警导入"}
    )


# What a rule's or an alert's figures mean (Clue.figures keys), as the clue page shows them.
FIGURE_LABELS = {
    "year": "年度",
    "per_capita_net": "人均纯收入（元）",
    "threshold": "监测收入标准（元）",
    "line": "本规则的收入线（元）",
    "document": "依据文件",
    "previous": "上年人均纯收入（元）",
    "current": "本年人均纯收入（元）",
    "drop_percent": "降幅（%）",
    "limit_percent": "规则阈值（%）",
    "expenses": "合规自付支出（元）",
    "gross": "家庭总收入（元）",
    "housing_grade": "住房安全等级",
    "water_safe": "饮水安全",
    "uninsured": "未参保人数",
    "dropouts": "失学辍学人数",
    "amount": "金额（元）",
}


def _figures_in_words(figures: dict) -> list:
    """[(label, value)] in the table's order; yes/no in words, keys nobody named last, as they are."""
    order = list(FIGURE_LABELS)
    rows = sorted(figures.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order))
    return [(FIGURE_LABELS.get(k, k), _figure_value(v)) for k, v in rows]


def _figure_value(value):
    if isinstance(value, bool):
        return "是" if value else "否"
    return "—" if value in (None, "") else value


def _runs_by_rule_name(runs):
    """Each run with what it flagged by rule name (the codes are for the engine, not for people)."""
    names = dict(Rule.objects.values_list("code", "name"))
    for run in runs:
        run.flagged_named = [(names.get(code, code), n) for code, n in (run.flagged or {}).items()]
    return runs


@page("monitoring.rule.view", post=p.CONFIGURE)
def config_view(request):
    may_configure = has_perm(request.user, p.CONFIGURE)
    form = forms.ThresholdForm(request.POST if request.POST.get("action") == "threshold" else None)
    if request.method == "POST":
        if request.POST.get("action") == "threshold" and form.is_valid():
            try:
                services.do_set_threshold(actor=request.user, **form.cleaned_data)
            except ServiceError as exc:
                form.apply_service_error(exc)
            else:
                messages.success(request, "监测收入标准已保存")
                return redirect("monitoring:config")
        elif request.POST.get("action") == "run":
            try:
                year = int(request.POST.get("year") or timezone.localdate().year - 1)
            except ValueError:
                year = timezone.localdate().year - 1
            try:
                result = run_rules(
                    year=year, incremental=request.POST.get("incremental") == "1", actor=request.user
                )
            except ServiceError as exc:
                messages.error(request, exc.message)
                return redirect("monitoring:config")
            names = dict(Rule.objects.values_list("code", "name"))
            text = "，".join(f"{names.get(k, k)} {v} 户" for k, v in result.flagged.items()) or "无"
            messages.success(request, f"{year}年规则已运行，新增预警：{text}")
            for reason in result.skipped.values():
                messages.warning(request, reason)
            return redirect("monitoring:config")
    return render(
        request,
        "monitoring/config.html",
        {
            "title": "监测收入标准与规则",
            "thresholds": MonitoringThreshold.objects.all(),
            "rules": Rule.objects.all(),
            "runs": _runs_by_rule_name(RuleRun.objects.all()[:10]),
            "form": form,
            "may_configure": may_configure,
            "default_year": timezone.localdate().year - 1,
        },
    )


@page(p.CONFIGURE)
def rule_edit(request, pk):
    rule = Rule.objects.filter(pk=pk).first()
    if rule is None:
        raise Http404
    initial = {
        f: getattr(rule, f) for f in ("name", "parameter", "valid_from_year", "valid_to_year", "is_active")
    }
    form = forms.RuleForm(request.POST or None, initial=initial)
    saved, _ = submit_form(
        request, form, lambda d: services.do_update_rule(rule, actor=request.user, **d), success="规则已保存"
    )
    if saved:
        return redirect("monitoring:config")
    return _form_page(request, form, f"编辑规则：{rule.name}")


# --- statistics and national export ------------------------------------------------------------------


@page(p.VIEW)
def stats(request):
    user = request.user
    households = Household.objects.restrict(user)
    monitored = households.filter(status__in=(c.MonitoringStatus.MONITORED, c.MonitoringStatus.ELIMINATING))
    by_type = Counter(dict(monitored.values_list("monitored_type").annotate(n=Count("pk")).order_by()))
    by_status = Counter(dict(households.values_list("status").annotate(n=Count("pk")).order_by()))
    places = Place.objects.restrict(user)
    township_rows = []
    for township in places.filter(level=2).order_by("code"):
        qs = households.filter(place__path__startswith=township.path)
        row = qs.aggregate(
            total=Count("pk"),
            monitored=Count(
                "pk", filter=Q(status__in=(c.MonitoringStatus.MONITORED, c.MonitoringStatus.ELIMINATING))
            ),
            eliminated=Count("pk", filter=Q(status=c.MonitoringStatus.ELIMINATED)),
        )
        if row["total"]:
            township_rows.append((township, row))
    village = request.GET.get("township")
    village_rows = []
    if village:
        parent = places.filter(code=village, level=2).first()
        if parent is not None:
            for v in places.filter(parent=parent).order_by("code"):
                qs = households.filter(place__path__startswith=v.path)
                row = qs.aggregate(
                    total=Count("pk"),
                    monitored=Count(
                        "pk",
                        filter=Q(status__in=(c.MonitoringStatus.MONITORED, c.MonitoringStatus.ELIMINATING)),
                    ),
                    eliminated=Count("pk", filter=Q(status=c.MonitoringStatus.ELIMINATED)),
                )
                if row["total"]:
                    village_rows.append((v, row))
    risk_rows = []
    if has_perm(user, p.HEALTH):
        from shuxiang.monitoring.models import HouseholdRisk

        counts = dict(
            HouseholdRisk.objects.restrict(user)
            .filter(household__status__in=(c.MonitoringStatus.MONITORED, c.MonitoringStatus.ELIMINATING))
            .values_list("risk_type")
            .annotate(n=Count("pk"))
            .order_by()
        )
        risk_rows = [(label, counts.get(value, 0)) for value, label in c.RiskType.choices]
    return render(
        request,
        "monitoring/stats.html",
        {
            "title": "防返贫监测统计",
            "kpis": [
                ("农户", sum(by_status.values())),
                ("监测对象", sum(by_type.values())),
                ("风险已消除", by_status.get(c.MonitoringStatus.ELIMINATED, 0)),
                ("待核实线索", worklist.clues_to_verify(user).count()),
            ],
            "type_rows": [(label, by_type.get(value, 0)) for value, label in c.MonitoredType.choices],
            "township_rows": township_rows,
            "village_rows": village_rows,
            "risk_rows": risk_rows,
        },
    )


NATIONAL_COLUMNS = [
    "省",
    "县（市、区）",
    "乡镇",
    "行政村",
    "村民小组",
    "户编号",
    "户主姓名",
    "家庭人口数",
    "监测对象类别",
    "主要风险类型",
    "其他风险类型",
    "识别时间",
    "风险是否消除",
    "风险消除时间",
    "上年度家庭人均纯收入（元）",
]


@page(p.EXPORT)
def national_export(request):
    """Monitored households in the national system's column order (as far as it is publicly known).

    No ID number or phone; risk types (which may reveal illness or disability)
    only for roles holding monitoring.household.health.
    """
    user = request.user
    show_risks = has_perm(user, p.HEALTH)
    year = timezone.localdate().year - 1
    from shuxiang.monitoring.models import IncomeRecord

    qs = (
        Household.objects.restrict(user)
        .exclude(status__in=(c.MonitoringStatus.NONE, c.MonitoringStatus.IDENTIFYING))
        .select_related("place__parent__parent")
        .prefetch_related("risks")
        .annotate(
            head_name=head_name_subquery(),
            member_count=Count("members", distinct=True),
            last_income=Subquery(
                IncomeRecord.objects.filter(household=OuterRef("pk"), year=year).values("per_capita_net")[:1]
            ),
        )
        .order_by("place__code", "number")
    )
    provinces = dict(MonitoringThreshold.objects.values_list("province", "province_name"))

    def rows():
        for hh in qs:
            risks = list(hh.risks.all())
            primary = next((r.get_risk_type_display() for r in risks if r.is_primary), "")
            others = "、".join(r.get_risk_type_display() for r in risks if not r.is_primary)
            yield [
                provinces.get(hh.place.code[:2], ""),
                hh.place.parent.parent.parent.name if hh.place.parent.parent.parent_id else "",
                hh.place.parent.parent.name,
                hh.place.parent.name,
                hh.place.name,
                hh.number,
                hh.head_name or "",
                hh.member_count,
                hh.get_monitored_type_display(),
                primary if show_risks else "（无权限）",
                others if show_risks else "（无权限）",
                cell_text(hh.identified_on),
                "是" if hh.status == c.MonitoringStatus.ELIMINATED else "否",
                cell_text(hh.eliminated_on),
                cell_text(hh.last_income),
            ]

    return export_response(
        rows(),
        NATIONAL_COLUMNS,
        fmt="xlsx",
        filename=f"monitored-{timezone.localtime():%Y%m%d}",
        sheet_title="监测对象",
        actor=user,
        object_type="monitoring.household",
        description="导出监测对象（国家系统格式）",
        details={"risk_types": show_risks},
    )
