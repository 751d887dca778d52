"""Tourism pages: the public list and site pages (visitors against capacity, integrity figures,
complaint and rescue forms), and the staff registry with daily visitor entry; the health-notice form."""

from datetime import timedelta

from django.contrib import messages
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from shuxiang.core import ratelimit
from shuxiang.core.access import public_view, requires
from shuxiang.core.errors import ServiceError
from shuxiang.core.generic import (
    Column,
    ObjectDetailView,
    ObjectListView,
    form_page,
    object_or_404,
    object_view,
)
from shuxiang.core.middleware import client_ip
from shuxiang.core.models import Place
from shuxiang.core.permissions import has_perm
from shuxiang.villager import health, market, tourism
from shuxiang.villager.choices import SiteKind
from shuxiang.villager.filtersets import TouristSiteFilterSet
from shuxiang.villager.forms import (
    ComplaintForm,
    HealthNoticeForm,
    RescueForm,
    SiteForm,
    VisitForm,
    township_choices,
)
from shuxiang.villager.models import TouristSite, VisitCount


def with_today(qs):
    today = VisitCount.objects.filter(site=OuterRef("pk"), day=timezone.localdate())
    return qs.annotate(today_count=Subquery(today.values("count")[:1]))


def _published():
    return TouristSite.objects.filter(is_published=True).select_related("place", "place__parent")


@public_view
def tourism_home(request):
    """赫山文旅: scenic areas, key villages, homestays and farm stays, with today's visitors."""
    sites = _published()
    code, kind = request.GET.get("place", ""), request.GET.get("kind", "")
    if code:
        place = Place.objects.filter(code=code).only("path").first()
        sites = sites.filter(place__path__startswith=place.path) if place else sites.none()
    if kind in SiteKind.values:
        sites = sites.filter(kind=kind)
    sites = list(with_today(sites).order_by("kind", "place__code", "name")[:300])
    for s in sites:
        s.crowd = tourism.crowd_level(s, s.today_count or 0)
    return render(
        request,
        "villager/tourism.html",
        {
            "title": "赫山文旅",
            "sites": sites,
            "townships": township_choices(),
            "kinds": SiteKind.choices,
            "current": {"place": code, "kind": kind},
        },
    )


def _site_context(site, **forms):
    since = timezone.localdate() - timedelta(days=13)
    visits = list(site.visits.filter(day__gte=since).order_by("day"))
    peak = max([v.count for v in visits] + [site.capacity])
    for v in visits:
        v.width = round(100 * v.count / peak)
        v.crowd = tourism.crowd_level(site, v.count)
    return {
        "title": site.name,
        "site": site,
        "visits": visits,
        "capacity_width": round(100 * site.capacity / peak),
        "integrity": tourism.integrity(site),
        "complaint_form": forms.get("complaint_form") or ComplaintForm(),
        "rescue_form": forms.get("rescue_form") or RescueForm(),
    }


@public_view
def tourism_site(request, pk):
    site = _published().filter(pk=pk).first()
    if site is None:
        raise Http404
    return render(request, "villager/tourism_site.html", _site_context(site))


def _public_case(request, pk, form_class, write, done, key):
    site = _published().filter(pk=pk).first()
    if site is None:
        raise Http404
    form = form_class(request.POST)
    if form.is_valid():
        actor = request.user if request.user.is_authenticated else market.PUBLIC
        try:
            if not request.user.is_authenticated:
                ratelimit.enforce(
                    f"tourism-{key}", f"ip:{client_ip(request)}", ratelimit.parse_rate("10/hour"), what="提交"
                )
            case = write(site, actor=actor, **form.cleaned_data)
        except ServiceError as exc:
            form.apply_service_error(exc)
        else:
            messages.success(request, done.format(number=case.tracking_number))
            return redirect("villager:tourism_site", pk=pk)
    return render(
        request, "villager/tourism_site.html", _site_context(site, **{key + "_form": form}), status=400
    )


@public_view
@require_POST
def tourism_complaint(request, pk):
    return _public_case(
        request,
        pk,
        ComplaintForm,
        tourism.do_complain,
        "投诉已受理，受理编号 {number}，可凭编号查询办理进度",
        "complaint",
    )


@public_view
@require_POST
def tourism_rescue(request, pk):
    return _public_case(
        request,
        pk,
        RescueForm,
        tourism.do_request_rescue,
        "求助已转应急部门（编号 {number}），请保持电话畅通，紧急情况请同时拨打110/120",
        "rescue",
    )


class SiteListView(ObjectListView):
    model = TouristSite
    filterset_class = TouristSiteFilterSet
    title = "旅游点"
    select_related = ("place", "place__parent")
    columns = [
        Column("名称", "name", link=True),
        Column("类型", "get_kind_display"),
        Column("等级", "grade"),
        Column("所在地", lambda s: f"{s.place.parent.name if s.place.parent else ''}{s.place.name}"),
        Column("许可证号", "licence_no"),
        Column("许可有效期至", "licence_valid_until"),
        Column("日最大承载量", "capacity"),
        Column("今日游客", lambda s: s.today_count if s.today_count is not None else "—"),
    ]
    create_url_name = "villager:tourism_create"
    create_permission = "villager.touristsite.add"
    create_label = "登记"

    def get_queryset(self):
        return with_today(super().get_queryset())

    detail_route = "villager:tourism_detail"


class SiteDetailView(ObjectDetailView):
    model = TouristSite
    template_name = "villager/tourism_detail.html"
    select_related = ("place", "place__parent")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        site, user = self.object, self.request.user
        context.update(_site_context(site))
        context.update(
            may_change=has_perm(user, "villager.touristsite.change", site),
            may_count=has_perm(user, "villager.visitcount.add", site),
            visit_form=VisitForm(initial={"day": timezone.localdate()}),
        )
        return context


def _site_page(request, site=None):
    initial = {}
    if site is not None:
        initial = {f: getattr(site, f) for f in SiteForm.base_fields if f != "place"}
        initial["place"] = site.place.code
    form = SiteForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        place = Place.objects.filter(code=data.pop("place")).first()
        try:
            site = tourism.do_save_site(actor=request.user, place=place, site=site, **data)
        except ServiceError as exc:
            form.apply_service_error(exc)
        else:
            messages.success(request, "已保存")
            return redirect("villager:tourism_detail", pk=site.pk)
    return form_page(request, form, "登记旅游点" if site is None else f"修改：{site.name}")


@requires("villager.touristsite.add")
def tourism_create(request):
    return _site_page(request)


@requires("villager.touristsite.change")
@object_view(TouristSite)
def tourism_edit(request, pk):
    return _site_page(request, object_or_404(TouristSite, request.user, pk=pk))


@requires("villager.visitcount.add")
@object_view(TouristSite)
def tourism_visits(request, pk):
    """Daily visitor entry on the phone (a counter posts the same through the API)."""
    site = object_or_404(TouristSite, request.user, pk=pk)
    if request.method != "POST":
        return redirect("villager:tourism_detail", pk=pk)
    form = VisitForm(request.POST)
    if form.is_valid():
        try:
            visit = tourism.do_record_visits(site, actor=request.user, **form.cleaned_data)
        except ServiceError as exc:
            messages.error(
                request, exc.message + "：" + "；".join(m for ms in exc.fields.values() for m in ms)
            )
        else:
            level = tourism.crowd_level(site, visit.count)
            messages.success(request, "已填报" + ("，已超过承载量预警线，已通知乡镇" if level else ""))
    else:
        messages.error(request, "游客量有误：" + "；".join(e for es in form.errors.values() for e in es))
    return redirect("villager:tourism_detail", pk=pk)


@requires("warnings.warning.add")
def health_notice(request):
    """卫生健康提示: a vaccination day or prevention advice to the villages' loudspeakers (blue, no
    second approver), issued through the warnings engine with speech."""
    form = HealthNoticeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            warning = health.do_issue_health_notice(actor=request.user, **form.cleaned_data)
        except ServiceError as exc:
            form.apply_service_error(exc)
        else:
            messages.success(request, f"已发布：{warning.headline}")
            return redirect(reverse("warning_list"))
    return render(
        request,
        "villager/health_notice.html",
        {"title": "卫生健康提示", "form": form},
        status=400 if form.errors else 200,
    )


@requires("villager.touristsite.change")
@object_view(TouristSite)
def tourism_counter(request, pk):
    """Register the site's gate counter in the iot engine; its token is shown once, on this answer."""
    site = object_or_404(TouristSite, request.user, pk=pk)
    if request.method != "POST":
        return redirect("villager:tourism_detail", pk=pk)
    try:
        credentials = tourism.do_attach_counter(site, actor=request.user, code=request.POST.get("code", ""))
    except ServiceError as exc:
        messages.error(request, exc.message + "".join(f"：{m}" for ms in exc.fields.values() for m in ms))
        return redirect("villager:tourism_detail", pk=pk)
    return render(
        request,
        "villager/counter_done.html",
        {"title": "客流计数器已登记", "site": site, "credentials": credentials},
    )
