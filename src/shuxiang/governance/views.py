"""Grid pages: the list with each grid's workers and recent patrols, a grid's page with its workload,
and the phone's patrol form. Thin: parse, call a service, render."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from shuxiang.core.access import public_view, requires
from shuxiang.core.errors import ServiceError
from shuxiang.core.files import attachments_of
from shuxiang.core.generic import Column, ObjectListView, form_page, object_view, submit_form
from shuxiang.core.models import Place
from shuxiang.core.permissions import has_perm
from shuxiang.core.pii import mask_name
from shuxiang.governance import affairs, awareness, forms, legal, mediation, services, workload
from shuxiang.governance.choices import MEETING_KINDS, STAGE_ORDER
from shuxiang.governance.filtersets import (
    BranchFilterSet,
    ConsultationFilterSet,
    DecisionFilterSet,
    DisputeFilterSet,
    GridFilterSet,
)
from shuxiang.governance.models import (
    Consultation,
    Dispute,
    Grid,
    LegalAdviser,
    PartyBranch,
    PartyMeeting,
    PartyMember,
    VillageDecision,
)


class GridListView(ObjectListView):
    model = Grid
    filterset_class = GridFilterSet
    title = "网格与巡查"
    select_related = ("village", "village__parent")
    columns = [
        Column("网格", "name", link=True),
        Column("编码", "code"),
        Column("乡镇", "village.parent.name"),
        Column("村", "village.name"),
        Column("村民小组", lambda g: g.n_hamlets),
        Column("网格员", lambda g: "、".join(w.display_name or w.username for w in g.workers.all())),
        Column("近30天巡查", lambda g: g.recent_patrols),
    ]

    detail_route = "governance:grid_detail"
    detail_field = "code"

    def get_queryset(self):
        since = timezone.now() - timedelta(days=workload.WINDOW_DAYS)
        return (
            super()
            .get_queryset()
            .prefetch_related("workers")
            .annotate(
                n_hamlets=Count("hamlets", distinct=True),
                recent_patrols=Count("patrols", filter=Q(patrols__started_at__gte=since), distinct=True),
            )
            .order_by("code")
        )


def _grid(request, code):
    grid = (
        Grid.objects.restrict(request.user)
        .select_related("village", "village__parent")
        .filter(code=code)
        .first()
    )
    if grid is None:
        raise Http404
    return grid


@requires("governance.grid.view")
@object_view(Grid, "code")
def grid_detail(request, code):
    grid = _grid(request, code)
    user = request.user
    patrols = list(grid.patrols.restrict(user).select_related("worker").prefetch_related("cases")[:20])
    for p in patrols:
        p.photos = list(attachments_of(p))
    return render(
        request,
        "governance/grid_detail.html",
        {
            "object": grid,
            "hamlets": grid.hamlets.order_by("code"),
            "workload": workload.for_workers(grid.workers.all(), user),
            "patrols": patrols,
            "can_patrol": has_perm(user, "governance.patrol.add", grid),
        },
    )


@requires("governance.patrol.add")
@object_view(Grid, "code")
def patrol_new(request, code):
    from shuxiang.cases.models import CaseCategory

    grid = _grid(request, code)
    categories = CaseCategory.objects.filter(is_active=True, case_type="complaint").order_by("group", "order")
    form = forms.PatrolForm(request.POST or None, request.FILES or None, categories=categories)

    def write(d):
        return services.do_record_patrol(
            grid,
            actor=request.user,
            started_at=d["started_at"],
            ended_at=d["ended_at"],
            seen=d["seen"],
            checked=d["checked"],
            route=d["route"],
            photos=d["photos"],
            events=form.events(),
            submission_key=d["submission_key"] or None,
        )

    done, patrol = submit_form(request, form, write, success="巡查已记录")
    if done:
        return redirect("governance:grid_detail", code=grid.code)
    return render(request, "governance/patrol_form.html", {"form": form, "grid": grid, "title": "记录巡查"})


# --- mediation --------------------------------------------------------------------------------


class DisputeListView(ObjectListView):
    """Disputes in scope: kind, place, mediator, state and outcome — never the parties."""

    model = Dispute
    filterset_class = DisputeFilterSet
    title = "矛盾纠纷调解"
    select_related = ("case", "place", "place__parent", "mediator")
    create_url_name = "governance:dispute_new"
    create_permission = "governance.dispute.add"
    create_label = "登记纠纷"
    columns = [
        Column("受理编号", "case.tracking_number", link=True),
        Column("类型", "get_kind_display"),
        Column(
            "发生地",
            lambda d: f"{d.place.parent.name} {d.place.name}" if d.place.level == 4 else d.place.name,
        ),
        Column("调解员", lambda d: (d.mediator.display_name or d.mediator.username) if d.mediator_id else ""),
        Column("状态", "case.get_state_display"),
        Column("结果", "get_outcome_display"),
        Column("登记时间", "created_at"),
    ]

    detail_route = "governance:dispute_detail"


@requires("governance.dispute.add")
def dispute_new(request):
    form = forms.DisputeForm(request.POST or None)

    def write(d):
        return mediation.do_register_dispute(
            actor=request.user,
            place=d["place"],
            kind=d["kind"],
            description=d["description"],
            parties=form.parties(),
            mediator=request.user if request.user.role in ("village", "township") else None,
        )

    done, dispute = submit_form(request, form, write, success="纠纷已登记")
    if done:
        return redirect("governance:dispute_detail", pk=dispute.pk)
    return form_page(request, form, "登记矛盾纠纷", submit="登记")


@requires("governance.dispute.view")
@object_view(Dispute)
def dispute_detail(request, pk):
    user = request.user
    dispute = Dispute.objects.restrict(user).select_related("case", "place", "mediator").filter(pk=pk).first()
    if dispute is None:
        raise Http404
    can_change = has_perm(user, "governance.dispute.change", dispute)
    step = request.POST.get("step") if request.method == "POST" else None
    forms_ = {
        "session": forms.SessionForm(request.POST if step == "session" else None, prefix="session"),
        "conclude": forms.ConcludeForm(request.POST if step == "conclude" else None, prefix="conclude"),
        "follow": forms.FollowUpForm(request.POST if step == "follow" else None, prefix="follow"),
    }
    if step:
        if not can_change:
            raise PermissionDenied
        writes = {
            "session": lambda d: mediation.do_record_session(dispute, actor=user, **d),
            "conclude": lambda d: mediation.do_conclude_dispute(dispute, actor=user, **d),
            "follow": lambda d: mediation.do_follow_up(dispute, actor=user, **d),
        }
        if step in writes:
            done, _ = submit_form(request, forms_[step], writes[step])
            if done:
                return redirect("governance:dispute_detail", pk=pk)
    parties = [
        (p.get_side_display(), mask_name(p.person.name), p.person.id_number_masked)
        for p in dispute.parties.select_related("person")
    ]
    return render(
        request,
        "governance/dispute_detail.html",
        {
            "object": dispute,
            "parties": parties,
            "sessions": dispute.sessions.select_related("mediator"),
            "agreements": list(attachments_of(dispute)),
            "can_change": can_change,
            "forms": forms_,
        },
    )


# --- party and village affairs --------------------------------------------------------------


class DecisionListView(ObjectListView):
    """Village decisions in scope and where each stands in 四议两公开."""

    model = VillageDecision
    filterset_class = DecisionFilterSet
    title = "党务村务 · 四议两公开"
    template_name = "governance/decision_list.html"
    select_related = ("village", "village__parent")
    create_url_name = "governance:decision_new"
    create_permission = "governance.villagedecision.add"
    create_label = "新增提议"
    columns = [
        Column("事项", "title", link=True, clip=True),
        Column("乡镇", "village.parent.name"),
        Column("村", "village.name"),
        Column("当前环节", "get_stage_display"),
        Column("提议日期", "proposed_on"),
        Column("决议日期", "resolved_on"),
        Column("按时公开", lambda d: "" if d.disclosed_on_time is None else d.disclosed_on_time),
    ]

    detail_route = "governance:decision_detail"

    def get_extra_context(self, queryset):
        meetings = (
            PartyMeeting.objects.restrict(self.request.user)
            .order_by("-held_on")
            .select_related("village")[:10]
        )
        return {
            "meetings": meetings,
            "can_meet": has_perm(self.request.user, "governance.partymeeting.add"),
            "can_see_branches": has_perm(self.request.user, "governance.partybranch.view"),
        }


@requires("governance.villagedecision.add")
def decision_new(request):
    form = forms.DecisionForm(request.POST or None)
    done, decision = submit_form(
        request, form, lambda d: affairs.do_propose_decision(actor=request.user, **d)
    )
    if done:
        return redirect("governance:decision_detail", pk=decision.pk)
    return form_page(request, form, "新增村级重大事项提议", submit="提交")


@requires("governance.villagedecision.view")
@object_view(VillageDecision)
def decision_detail(request, pk):
    decision = VillageDecision.objects.restrict(request.user).select_related("village").filter(pk=pk).first()
    if decision is None:
        raise Http404
    index = STAGE_ORDER.index(decision.stage)
    step = STAGE_ORDER[index + 1] if index + 1 < len(STAGE_ORDER) else None
    can_change = step is not None and has_perm(request.user, "governance.villagedecision.change", decision)
    form = forms.AdvanceForm(request.POST or None, step=step)
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        done, _ = submit_form(
            request,
            form,
            lambda d: affairs.do_advance_decision(
                decision, actor=request.user, on=d["on"], votes=form.votes(), result=d.get("result", "")
            ),
        )
        if done:
            return redirect("governance:decision_detail", pk=pk)
    return render(
        request,
        "governance/decision_detail.html",
        {
            "object": decision,
            "steps": _steps(decision),
            "next_label": affairs.STAGE_LABELS.get(step, ""),
            "form": form,
            "can_change": can_change,
        },
    )


def _steps(decision):
    dates = {
        "proposal": decision.proposed_on,
        **{s: getattr(decision, f) for s, f in affairs.STAGE_DATE.items()},
    }
    return [(label, dates[code]) for code, label in affairs.DECISION_STAGES]


@requires("governance.partymeeting.add")
def meeting_new(request):
    form = forms.MeetingForm(request.POST or None)
    done, _ = submit_form(request, form, lambda d: affairs.do_record_meeting(actor=request.user, **d))
    if done:
        return redirect("governance:decision_list")
    return form_page(request, form, "记录三会一课 / 远程教育")


@public_view
def affairs_public(request, code):
    """党务村务公开 of one village, for anyone: disclosed decisions with their steps, votes and results;
    the party branch's meetings as counts. No names, no numbers of people; minutes stay internal."""
    from django.urls import Resolver404, resolve

    village = Place.objects.filter(code=code, level=3).select_related("parent").first()
    if village is None:
        raise Http404
    decisions = VillageDecision.objects.filter(village=village, stage__in=("disclosure", "result")).order_by(
        "-resolved_on"
    )
    year = timezone.localdate().year
    meetings = (
        PartyMeeting.objects.filter(village=village, held_on__year=year)
        .values("kind")
        .annotate(n=Count("pk"), attended=Sum("attended"), expected=Sum("expected"))
        .order_by("kind")
    )
    kinds = dict(MEETING_KINDS)
    meeting_rows = [
        (
            kinds.get(m["kind"], m["kind"]),
            m["n"],
            round(100 * m["attended"] / m["expected"]) if m["expected"] else None,
        )
        for m in meetings
    ]
    branches = [
        (b.name, b.get_kind_display(), b.n)
        for b in PartyBranch.objects.filter(village=village).annotate(n=Count("members")).order_by("name")
    ]
    finances = f"/open/{village.code}/"
    try:
        resolve(finances)
    except Resolver404:
        finances = None
    return render(
        request,
        "governance/affairs_public.html",
        {
            "village": village,
            "decisions": [(d, _steps(d)) for d in decisions],
            "meeting_rows": meeting_rows,
            "branches": branches,
            "year": year,
            "finances_url": finances,
        },
    )


# --- legal help -------------------------------------------------------------------------------


class ConsultationListView(ObjectListView):
    """Legal consultations in scope (the person asking masked) and the villages' advisers."""

    model = Consultation
    filterset_class = ConsultationFilterSet
    title = "法律咨询（一村一法律顾问）"
    template_name = "governance/consultation_list.html"
    select_related = ("village", "village__parent", "adviser__person", "asker")
    create_url_name = "governance:consultation_new"
    create_permission = "governance.consultation.add"
    create_label = "登记咨询"
    columns = [
        Column("事项", "topic", link=True, clip=True),
        Column("村", "village.name"),
        Column("咨询人", lambda c: mask_name(c.asker.name)),
        Column("法律顾问", lambda c: c.adviser.person.name),
        Column("答复方式", "get_mode_display"),
        Column("预约时间", "appointment_at"),
        Column("已答复", lambda c: c.answered_at is not None),
    ]

    detail_route = "governance:consultation_detail"

    def get_extra_context(self, queryset):
        user = self.request.user
        return {
            "advisers": LegalAdviser.objects.restrict(user)
            .select_related("village", "person")
            .order_by("village__code")[:50],
            "can_appoint": has_perm(user, "governance.legaladviser.add"),
        }


@requires("governance.consultation.add")
def consultation_new(request):
    form = forms.ConsultationForm(request.POST or None)
    done, consultation = submit_form(
        request, form, lambda d: legal.do_book_consultation(actor=request.user, **d)
    )
    if done:
        return redirect("governance:consultation_detail", pk=consultation.pk)
    return form_page(request, form, "登记法律咨询", submit="登记")


@requires("governance.legaladviser.add")
def adviser_new(request):
    form = forms.AdviserForm(request.POST or None)
    done, _ = submit_form(request, form, lambda d: legal.do_appoint_adviser(actor=request.user, **d))
    if done:
        return redirect("governance:consultation_list")
    return form_page(request, form, "聘任村法律顾问")


@requires("governance.consultation.view")
@object_view(Consultation)
def consultation_detail(request, pk):
    item = (
        Consultation.objects.restrict(request.user)
        .select_related("village", "adviser__person", "asker")
        .filter(pk=pk)
        .first()
    )
    if item is None:
        raise Http404
    can_answer = item.answered_at is None and has_perm(request.user, "governance.consultation.change", item)
    form = forms.AnswerForm(request.POST or None)
    if request.method == "POST":
        if not can_answer:
            raise PermissionDenied
        done, _ = submit_form(
            request, form, lambda d: legal.do_answer_consultation(item, actor=request.user, **d)
        )
        if done:
            return redirect("governance:consultation_detail", pk=pk)
    return render(
        request,
        "governance/consultation_detail.html",
        {"object": item, "asker": mask_name(item.asker.name), "form": form, "can_answer": can_answer},
    )


@requires("warnings.warning.add")
def awareness_notice(request):
    """反诈、普法提示: a notice to the villages' loudspeakers (blue, no second approver), issued through
    the warnings engine with speech; below, the notices issued and their loudspeakers' receipts."""
    form = forms.AwarenessNoticeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            warning = awareness.do_issue_awareness_notice(actor=request.user, **form.cleaned_data)
        except ServiceError as exc:
            form.apply_service_error(exc)
        else:
            messages.success(request, f"已发布：{warning.headline}")
            return redirect("governance:awareness_notice")
    return render(
        request,
        "governance/awareness_notice.html",
        {"title": "反诈普法提示", "form": form, "notices": awareness.recent_notices(request.user)},
        status=400 if form.errors else 200,
    )


class BranchListView(ObjectListView):
    """The party organisations in scope with their members counted (the roll is on each branch's page)."""

    model = PartyBranch
    filterset_class = BranchFilterSet
    title = "党组织与党员"
    select_related = ("village", "village__parent")
    create_url_name = "governance:branch_new"
    create_permission = "governance.partybranch.add"
    create_label = "新增党组织"
    columns = [
        Column("名称", "name", link=True),
        Column("乡镇", "village.parent.name"),
        Column("村", "village.name"),
        Column("类型", "get_kind_display"),
        Column("党员", lambda b: b.members.count()),
        Column("预备党员", lambda b: b.members.filter(status="probationary").count()),
    ]

    detail_route = "governance:branch_detail"


@requires("governance.partybranch.add")
def branch_new(request):
    form = forms.BranchForm(request.POST or None)
    done, branch = submit_form(request, form, lambda d: affairs.do_create_branch(actor=request.user, **d))
    if done:
        return redirect("governance:branch_detail", pk=branch.pk)
    return form_page(request, form, "新增党组织", submit="保存")


@requires("governance.partybranch.view")
@object_view(PartyBranch)
def branch_detail(request, pk):
    """A branch's roll: members masked (name and ID number), their category and since when; a cadre
    adds a member here."""
    branch = (
        PartyBranch.objects.restrict(request.user).select_related("village__parent").filter(pk=pk).first()
    )
    if branch is None:
        raise Http404
    can_add = has_perm(request.user, "governance.partymember.add", branch)
    form = forms.MemberForm(request.POST or None)
    if request.method == "POST":
        if not can_add:
            raise PermissionDenied
        done, _ = submit_form(
            request,
            form,
            lambda d: affairs.do_add_member(actor=request.user, branch=branch, **d),
            success="已登记",
        )
        if done:
            return redirect("governance:branch_detail", pk=pk)
    members = [
        (mask_name(m.person.name), m.person.id_number_masked, m)
        for m in PartyMember.objects.filter(branch=branch)
        .select_related("person")
        .order_by("joined_on", "pk")
    ]
    return render(
        request,
        "governance/branch_detail.html",
        {"object": branch, "members": members, "form": form, "can_add": can_add},
        status=400 if form.errors else 200,
    )
