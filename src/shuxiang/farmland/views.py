"""Farmland pages: the overview with statistics, layer maps, polygons, plantings, findings, patrols,
the rice platform and the seedling factory. Views parse, call a service and render."""

from collections import defaultdict

from django.contrib import messages
from django.db.models import Count, Q, Sum
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from shuxiang.core.access import requires
from shuxiang.core.errors import ServiceError
from shuxiang.core.generic import (
    EXPORT_LIMIT,
    Column,
    ObjectDetailView,
    ObjectListView,
    form_page,
    object_or_404,
    object_view,
    submit_form,
)
from shuxiang.core.models import Place
from shuxiang.core.permissions import has_perm
from shuxiang.farmland import facilities, forms, machinery_link, rice, services
from shuxiang.farmland.api import feature_collection
from shuxiang.farmland.choices import (
    FINDING_TAG,
    KIND_COLOUR,
    M2_PER_MU,
    AdvisoryStatus,
    FacilityStatus,
    FindingType,
    Kind,
    current_season,
    mu,
    season_label,
)
from shuxiang.farmland.filtersets import (
    FacilityFilterSet,
    FindingFilterSet,
    ParcelFilterSet,
    PlantingFilterSet,
    RiceSeasonFilterSet,
    SeedlingBatchFilterSet,
)
from shuxiang.farmland.models import (
    Facility,
    Finding,
    LayerImport,
    Parcel,
    Planting,
    RiceAdvisory,
    RiceSeason,
    RiceVariety,
    SeedlingBatch,
    SeedlingFactory,
)
from shuxiang.farmland.thermal import Thermal

MAP_LIMIT = 3_000  # polygons drawn on a list page's map; more asks the reader to pick a village


def _area_stats(parcels, group_by: str):
    """{group id: {kind: (count, m²)}} for current polygons."""
    table = defaultdict(dict)
    rows = parcels.values(group_by, "kind").annotate(n=Count("pk"), area=Sum("area_m2")).order_by()
    for row in rows:
        table[row[group_by]][row["kind"]] = (row["n"], row["area"])
    return table


@requires("farmland.parcel.view")
@require_GET
def home(request):
    """Statistics per township (or per village of one township, ?place=), open findings, recent imports."""
    user = request.user
    parcels = Parcel.objects.restrict(user).filter(retired_at__isnull=True)
    focus = None
    code = request.GET.get("place", "").strip()
    if code:
        focus = Place.objects.restrict(user).filter(code=code, level=2).first()
        if focus is None:
            raise Http404("没有这个乡镇")
    if focus is None and user.place is not None and user.place.level == 2:
        focus = user.place
    if focus is not None:
        stats = _area_stats(parcels.filter(place__parent=focus), "place_id")
        places = Place.objects.filter(pk__in=stats.keys()).order_by("code")
    else:
        stats = _area_stats(parcels, "place__parent_id")
        places = Place.objects.filter(pk__in=stats.keys()).order_by("code")
    rows, totals = [], {k: [0, 0.0] for k in Kind.values}
    for place in places:
        cells = []
        for kind in Kind.values:
            n, area = stats[place.pk].get(kind, (0, 0.0))
            totals[kind][0] += n
            totals[kind][1] += area
            cells.append((n, round(area / M2_PER_MU, 1)))
        rows.append({"place": place, "cells": cells, "drill": focus is None})
    findings = Finding.objects.restrict(user).filter(status="open")
    by_type = defaultdict(lambda: defaultdict(int))
    for township, kind, n in (
        findings.values_list("parcel__place__parent__name", "finding_type").annotate(n=Count("pk")).order_by()
    ):
        by_type[township][kind] += n
    context = {
        "title": "耕地保护",
        "focus": focus,
        "kinds": Kind.choices,
        "rows": rows,
        "totals": [(k, totals[k][0], round(totals[k][1] / M2_PER_MU, 1)) for k in Kind.values],
        "finding_types": FindingType.choices,
        "finding_rows": [(t, [by_type[t][k] for k in FindingType.values]) for t in sorted(by_type)],
        "open_findings": findings.count(),
        "overdue_findings": findings.filter(deadline__lt=timezone.localdate()).count(),
        "imports": LayerImport.objects.restrict(user).select_related("place")[:8],
        "season": season_label(current_season(timezone.localdate())),
    }
    return render(request, "farmland/home.html", context)


@requires("farmland.parcel.view")
@require_GET
def layer_index(request):
    parcels = Parcel.objects.restrict(request.user).filter(retired_at__isnull=True)
    totals = {
        r["kind"]: r for r in parcels.values("kind").annotate(n=Count("pk"), area=Sum("area_m2")).order_by()
    }
    layers = [
        {
            "kind": k,
            "label": label,
            "n": totals.get(k, {}).get("n", 0),
            "mu": mu(totals.get(k, {}).get("area", 0)),
        }
        for k, label in Kind.choices
    ]
    context = {
        "title": "农田图层",
        "layers": layers,
        "imports": LayerImport.objects.restrict(request.user).select_related("place", "place__parent")[:30],
    }
    return render(request, "farmland/layer_index.html", context)


class LayerView(ObjectListView):
    """One layer's polygons in the user's region (`?village=` narrows it) with a map and legend."""

    model = Parcel
    filterset_class = ParcelFilterSet
    template_name = "farmland/layer.html"
    select_related = ("place", "place__parent", "project")
    columns = [
        Column("图斑编号", "code", link=True),
        Column("所在乡镇", "place.parent.name"),
        Column("所在村", "place.name"),
        Column("地类", "land_class"),
        Column("面积（亩）", "area_mu"),
        Column("建设项目", lambda p: p.project.name if p.project_id else ""),
        Column("版本", "version"),
        Column("更新时间", "changed_at"),
    ]

    detail_route = "farmland:parcel_detail"

    def get(self, request, *args, **kwargs):
        if kwargs["kind"] not in Kind.values:
            raise Http404("没有这个图层")
        self.kind = kwargs["kind"]
        self.title = f"{Kind(self.kind).label}图层"
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return super().get_queryset().filter(kind=self.kind, retired_at__isnull=True)

    def get_extra_context(self, queryset):
        village = self.request.GET.get("village", "").strip()
        agg = queryset.aggregate(n=Count("pk"), area=Sum("area_m2"))
        query = f"kind={self.kind}" + (f"&village={village}" if village else "")
        return {
            "kind": self.kind,
            "kind_label": Kind(self.kind).label,
            "colour": KIND_COLOUR[self.kind],
            "layer_total": agg["n"],
            "layer_mu": mu(agg["area"]),
            "show_map": 0 < agg["n"] <= MAP_LIMIT,
            "geojson_url": reverse("farmland-parcel-list") + f"?format=geojson&{query}",
            "other_kinds": Kind.choices,
            "village": village,
        }


class ParcelDetailView(ObjectDetailView):
    model = Parcel
    template_name = "farmland/parcel_detail.html"
    select_related = ("place", "place__parent", "project", "changed_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        p, user = self.object, self.request.user
        context.update(
            title=str(p),
            colour=KIND_COLOUR[p.kind],
            geojson=feature_collection([p]),
            versions=p.versions.all()[:20],
            plantings=Planting.objects.restrict(user).filter(parcel=p).order_by("-season")[:20],
            findings=Finding.objects.restrict(user).filter(parcel=p).select_related("rule", "case")[:20],
            rice_seasons=RiceSeason.objects.restrict(user).filter(parcel=p).select_related("variety")[:10],
            can_plant=has_perm(user, "farmland.planting.add"),
            can_patrol=has_perm(user, "farmland.patrolreport.add"),
        )
        return context


# --- plantings --------------------------------------------------------------------------------


class PlantingListView(ObjectListView):
    model = Planting
    filterset_class = PlantingFilterSet
    title = "种植记录"
    template_name = "farmland/planting_list.html"
    select_related = ("parcel", "parcel__place", "parcel__place__parent")
    create_url_name = "farmland:planting_new"
    create_permission = "farmland.planting.add"
    create_label = "登记种植"
    columns = [
        Column("图斑", "parcel.code", link=True),
        Column("图层", "parcel.get_kind_display"),
        Column("所在村", "parcel.place.name"),
        Column("季节", lambda p: season_label(p.season)),
        Column("作物", "get_crop_display"),
        Column("品种", "variety"),
        Column("面积（亩）", "area_mu"),
        Column("种植户", "grower_name"),
        Column("来源", "get_source_display"),
    ]

    detail_route = "farmland:parcel_detail"
    detail_field = "parcel_id"

    def get_extra_context(self, queryset):
        from shuxiang.farmland.choices import GRAIN_CROPS

        agg = queryset.aggregate(total=Sum("area_m2"))
        grain = queryset.filter(crop__in=GRAIN_CROPS).aggregate(total=Sum("area_m2"))
        by_crop = queryset.values("crop").annotate(area=Sum("area_m2")).order_by("-area")[:8]
        from shuxiang.farmland.choices import Crop

        return {
            "total_mu": mu(agg["total"]),
            "grain_mu": mu(grain["total"]),
            "by_crop": [(Crop(r["crop"]).label, mu(r["area"])) for r in by_crop],
            "can_import": has_perm(self.request.user, "farmland.planting.add"),
        }


def _parcel_for(user, data, perm):
    """The polygon a form names, inside the user's region (None: the service refuses it by field)."""
    qs = Parcel.objects.restrict(user).filter(
        code=(data.get("parcel") or "").strip(), retired_at__isnull=True
    )
    if data.get("kind"):
        qs = qs.filter(kind=data["kind"])
    found = list(qs.select_related("place")[:2])
    if len(found) > 1:
        raise ServiceError("ambiguous", "该编号在多个图层中存在，请选择图层", {"kind": ["请选择图层"]})
    if not found:
        raise ServiceError("invalid", "图斑不存在或不在您的管辖范围内", {"parcel": ["找不到该图斑"]})
    return found[0]


@requires("farmland.planting.add")
def planting_new(request):
    initial = {"parcel": request.GET.get("parcel", ""), "kind": request.GET.get("kind", "")}
    form = forms.PlantingForm(request.POST or None, initial=initial)

    def write(d):
        parcel = _parcel_for(request.user, d, "farmland.planting.add")
        return services.do_record_planting(
            actor=request.user,
            parcel=parcel,
            season=d["season"],
            crop=d["crop"],
            area_mu=d["area_mu"],
            variety=d["variety"],
            grower_name=d["grower_name"],
        )

    done, planting = submit_form(request, form, write, success="已登记种植")
    if done:
        return redirect("farmland:parcel_detail", pk=planting.parcel_id)
    return form_page(request, form, "登记种植", submit="登记")


@requires("farmland.planting.add")
def planting_import(request):
    form = forms.PlantingImportForm(request.POST or None, request.FILES or None)
    problems = []

    def write(d):
        upload = d["file"]
        return services.do_import_plantings(upload.read(), upload.name, actor=request.user)

    if request.method == "POST" and form.is_valid():
        from shuxiang.core.importers import ImportRejected

        try:
            created = write(form.cleaned_data)
        except ImportRejected as exc:
            problems = [p.as_text() for p in exc.problems]
            form.add_error(None, exc.message)
        except ServiceError as exc:
            form.apply_service_error(exc)
        else:
            messages.success(request, f"已导入 {len(created)} 条种植记录")
            return redirect("farmland:planting_list")
    return render(
        request, "farmland/import.html", {"title": "导入种植情况表", "form": form, "problems": problems}
    )


# --- findings and patrols ---------------------------------------------------------------------


class FindingListView(ObjectListView):
    model = Finding
    filterset_class = FindingFilterSet
    title = "非农化非粮化问题"
    template_name = "farmland/finding_list.html"
    select_related = ("parcel", "parcel__place", "parcel__place__parent", "rule", "case")
    create_url_name = "farmland:patrol_new"
    create_permission = "farmland.patrolreport.add"
    create_label = "巡查上报"
    columns = [
        Column("问题", "description", link=True, clip=True),
        Column("类型", "get_finding_type_display"),
        Column("乡镇", "parcel.place.parent.name"),
        Column("村", "parcel.place.name"),
        Column("图斑", "parcel.code"),
        Column("季节", lambda f: season_label(f.season)),
        Column("状态", "get_status_display"),
        Column("整改期限", "deadline"),
        Column("事件", lambda f: f.case.tracking_number if f.case_id else ""),
    ]

    detail_route = "farmland:finding_detail"

    def get_extra_context(self, queryset):
        open_ = queryset.filter(status="open")
        by_type = defaultdict(lambda: defaultdict(int))
        for township, kind, n in (
            open_.values_list("parcel__place__parent__name", "finding_type")
            .annotate(n=Count("pk"))
            .order_by()
        ):
            by_type[township][kind] += n
        return {
            "finding_types": FindingType.choices,
            "finding_rows": [(t, [by_type[t][k] for k in FindingType.values]) for t in sorted(by_type)],
            "open_count": open_.count(),
            "overdue_count": open_.filter(deadline__lt=timezone.localdate()).count(),
            "rectified_count": queryset.filter(status="rectified").count(),
            "map_url": reverse("farmland:finding_map") + "?" + self.request.GET.urlencode(),
        }


@requires("farmland.finding.view")
@require_GET
def finding_map(request):
    """The polygons of the open findings in scope (and the list's filters), for the findings map."""
    qs = Finding.objects.restrict(request.user).filter(status="open")
    filterset = FindingFilterSet(request.GET, queryset=qs, request=request)
    qs = filterset.qs if filterset.is_valid() else qs.none()
    features = []
    for f in qs.select_related("parcel__place")[:MAP_LIMIT]:
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "code": f.parcel.code,
                    "kind": f.parcel.kind,
                    "finding_type": f.finding_type,
                    "label": f"{f.get_finding_type_display()}：{f.description}",
                    "url": reverse("farmland:finding_detail", args=[f.pk]),
                    "area_mu": mu(f.parcel.area_m2),
                },
                "geometry": f.parcel.geometry,
            }
        )
    return JsonResponse({"type": "FeatureCollection", "features": features})


class FindingDetailView(ObjectDetailView):
    model = Finding
    template_name = "farmland/finding_detail.html"
    select_related = (
        "parcel",
        "parcel__place",
        "parcel__place__parent",
        "rule",
        "case",
        "planting",
        "patrol",
    )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        f = self.object
        context.update(
            title=f"{f.get_finding_type_display()} {f.parcel.code}",
            tag=FINDING_TAG[f.status],
            geojson=feature_collection([f.parcel]),
            colour="#dc2626",
            can_dismiss=f.status == "open" and has_perm(self.request.user, "farmland.finding.change", f),
            dismiss_form=forms.DismissForm(),
            overdue=f.status == "open" and f.deadline < timezone.localdate(),
        )
        return context


@requires("farmland.finding.change")
@object_view(Finding)
def finding_dismiss(request, pk):
    finding = object_or_404(Finding, request.user, pk=pk)
    form = forms.DismissForm(request.POST or None)
    done, _ = submit_form(
        request,
        form,
        lambda d: services.do_dismiss_finding(finding, actor=request.user, reason=d["reason"]),
        success="已记录核实结果",
    )
    if not done and request.method == "POST":
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
    return redirect("farmland:finding_detail", pk=pk)


@requires("farmland.patrolreport.add")
def patrol_new(request):
    initial = {"parcel": request.GET.get("parcel", ""), "kind": request.GET.get("kind", "")}
    form = forms.PatrolForm(request.POST or None, request.FILES or None, initial=initial)

    def write(d):
        parcel = _parcel_for(request.user, d, "farmland.patrolreport.add")
        return services.do_record_patrol(
            actor=request.user,
            parcel=parcel,
            season=d["season"],
            observed_use=d["observed_use"],
            latitude=d["latitude"],
            longitude=d["longitude"],
            note=d["note"],
            photo=d.get("photo"),
        )

    done, patrol = submit_form(request, form, write, success="巡查记录已上报")
    if done:
        finding = Finding.objects.filter(patrol=patrol).first()
        if finding is not None:
            messages.warning(request, f"已生成问题并转乡镇处置：{finding.description}")
            return redirect("farmland:finding_detail", pk=finding.pk)
        return redirect("farmland:parcel_detail", pk=patrol.parcel_id)
    return render(request, "farmland/patrol_form.html", {"title": "耕地巡查上报", "form": form})


# --- rice -------------------------------------------------------------------------------------


class RiceListView(ObjectListView):
    model = RiceSeason
    filterset_class = RiceSeasonFilterSet
    title = "全域水稻数字化管理"
    template_name = "farmland/rice_list.html"
    select_related = ("parcel", "parcel__place", "parcel__place__parent", "variety")
    create_url_name = "farmland:rice_new"
    create_permission = "farmland.riceseason.add"
    create_label = "登记水稻田"
    columns = [
        Column("田块", "parcel.code", link=True),
        Column("乡镇", "parcel.place.parent.name"),
        Column("村", "parcel.place.name"),
        Column("季节", lambda r: season_label(r.season)),
        Column("品种", "variety.name"),
        Column("面积（亩）", "area_mu"),
        Column("播种", "sowing_date"),
        Column("栽插", "get_transplant_display"),
        Column("生育期", "stage_now"),
    ]

    detail_route = "farmland:rice_field"

    def _thermal(self):
        """One set of daily temperatures for every row of the request (no query per field)."""
        if not hasattr(self, "thermal"):
            self.thermal = Thermal()
        return self.thermal

    def row(self, obj):
        obj.stage_now = rice.stage_of(obj, thermal=self._thermal())
        return super().row(obj)

    def export(self, qs, fmt):
        rows = list(qs[:EXPORT_LIMIT])
        for r in rows:
            r.stage_now = rice.stage_of(r, thermal=self._thermal())
        return super().export(rows, fmt)

    def get_extra_context(self, queryset):
        agg = queryset.aggregate(total=Sum("area_m2"))
        machine = queryset.filter(transplant="machine").aggregate(total=Sum("area_m2"))
        stages = defaultdict(float)
        for r in queryset.select_related("variety", "parcel__place")[:5000]:
            stages[rice.stage_of(r, thermal=self._thermal())] += r.area_m2
        return {
            "rice_mu": mu(agg["total"]),
            "machine_mu": mu(machine["total"]),
            "machine_share": round(100 * (machine["total"] or 0) / agg["total"], 1) if agg["total"] else None,
            "stages": sorted(((k, mu(v)) for k, v in stages.items()), key=lambda s: -s[1]),
            "can_warn": has_perm(self.request.user, "warnings.warning.add"),
        }


class RiceFieldView(ObjectDetailView):
    model = RiceSeason
    template_name = "farmland/rice_field.html"
    select_related = ("parcel", "parcel__place", "parcel__place__parent", "variety")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        r, today = self.object, timezone.localdate()
        from datetime import timedelta

        thermal = Thermal()
        stage, acc = rice.stage_info(r, today, thermal)
        reached = thermal.stage_dates(r, today) if acc.gdd is not None else {}
        context.update(
            title=f"水稻田 {r.parcel.code}",
            stage=stage,
            stage_source="人工修正" if r.stage_override else acc.source,
            gdd=acc.gdd,
            gdd_stages=[(s, g, reached.get(s)) for s, g in r.variety.stages_gdd],
            days=(today - r.sowing_date).days,
            calendar=[
                (r.sowing_date + timedelta(days=d), t, r.sowing_date + timedelta(days=d) < today)
                for d, t in r.variety.tasks
            ],
            stages=[(s, r.sowing_date + timedelta(days=d)) for s, d in r.variety.stages],
            geojson=feature_collection([r.parcel]),
            colour="#1d4ed8",
            can_change=has_perm(self.request.user, "farmland.riceseason.change", r),
            inputs=rice.inputs_of(r, self.request.user),
            can_add_input=not r.producer_id and has_perm(self.request.user, "farmland.riceinput.add", r),
            input_form=forms.RiceInputForm(),
            operations=machinery_link.operations_on(r.parcel, r.season, self.request.user),
            form=forms.RiceUpdateForm(
                stages=[s for s, _ in r.variety.stages],
                initial={
                    "stage_override": r.stage_override,
                    "transplant_date": r.transplant_date,
                    "yield_kg_per_mu": r.yield_kg_per_mu,
                },
            ),
        )
        return context


@requires("farmland.riceseason.change")
@object_view(RiceSeason)
def rice_update(request, pk):
    record = object_or_404(RiceSeason, request.user, pk=pk)
    form = forms.RiceUpdateForm(request.POST or None, stages=[s for s, _ in record.variety.stages])
    done, _ = submit_form(
        request,
        form,
        lambda d: services.do_update_rice_season(record, actor=request.user, **d),
        success="已更新",
    )
    if not done and request.method == "POST":
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
    return redirect("farmland:rice_field", pk=pk)


@requires("warnings.warning.add")
def rice_weather(request):
    """Stage-specific weather warnings: which villages have rice in the hazard's stages in the forecast's
    window (preview on GET), and the warning to exactly those villages (POST)."""
    from shuxiang.farmland import rice_weather as rw

    form = forms.StageWarningForm(request.POST or request.GET or None)
    if request.method == "POST":
        done, warning = submit_form(
            request, form, lambda d: rw.do_issue_stage_warning(actor=request.user, **d), success=None
        )
        if done:
            messages.success(request, f"已发布：{warning.headline}（{warning.areas.count()} 个村）")
            return redirect(reverse("warning_detail", args=[warning.pk]))
    rows = []
    advisories = RiceAdvisory.objects.restrict(request.user).select_related("source", "warning")
    drafts = list(advisories.filter(status=AdvisoryStatus.DRAFT))
    decided = list(advisories.exclude(status=AdvisoryStatus.DRAFT)[:10])
    if form.is_bound and all(form.data.get(k) for k in ("hazard", "start", "days")):
        form.is_valid()
        d = form.cleaned_data
        if d.get("hazard") in rw.HAZARDS and d.get("start") and d.get("days"):
            rows = rw.exposure(rw.HAZARDS[d["hazard"]], d["start"], d["days"], user=request.user)
    return render(
        request,
        "farmland/rice_weather.html",
        {
            "title": "水稻生育期气象提示",
            "form": form,
            "rows": rows,
            "total_mu": round(sum(r["area_mu"] for r in rows), 1),
            "hazards": rw.HAZARDS.values(),
            "drafts": drafts,
            "decided": decided,
            "dismiss_form": forms.AdvisoryDismissForm(),
            "can_decide": has_perm(request.user, "farmland.riceadvisory.change"),
        },
        status=400 if request.method == "POST" else 200,
    )


@requires("farmland.riceadvisory.change")
@object_view(RiceAdvisory)
def advisory_issue(request, pk):
    """Issue a drafted advisory as it stands, through the warnings engine (POST only)."""
    from shuxiang.farmland import rice_weather as rw

    advisory = object_or_404(RiceAdvisory, request.user, pk=pk)
    if request.method != "POST":
        return redirect("farmland:rice_weather")
    try:
        rw.do_issue_advisory(advisory, actor=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("farmland:rice_weather")
    messages.success(request, f"已发布：{advisory.warning.headline}（{len(advisory.villages)} 个村）")
    return redirect(reverse("warning_detail", args=[advisory.warning_id]))


@requires("farmland.riceadvisory.change")
@object_view(RiceAdvisory)
def advisory_dismiss(request, pk):
    """Set a drafted advisory aside, with the reason (POST only)."""
    from shuxiang.farmland import rice_weather as rw

    advisory = object_or_404(RiceAdvisory, request.user, pk=pk)
    if request.method == "POST":
        form = forms.AdvisoryDismissForm(request.POST)
        done, _ = submit_form(
            request,
            form,
            lambda d: rw.do_dismiss_advisory(advisory, actor=request.user, **d),
            success="已标记为不发布",
        )
        if not done:
            messages.error(
                request, "；".join(e for errs in form.errors.values() for e in errs) or "请说明原因"
            )
    return redirect("farmland:rice_weather")


@requires("farmland.riceinput.add")
@object_view(RiceSeason)
def rice_input(request, pk):
    record = object_or_404(RiceSeason, request.user, pk=pk)
    form = forms.RiceInputForm(request.POST or None)
    done, _ = submit_form(
        request,
        form,
        lambda d: rice.do_record_input(record, actor=request.user, **d),
        success="已记录投入品",
    )
    if not done and request.method == "POST":
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
    return redirect("farmland:rice_field", pk=pk)


@requires("farmland.riceseason.add")
def rice_new(request):
    form = forms.RiceSeasonForm(request.POST or None, initial={"parcel": request.GET.get("parcel", "")})

    def write(d):
        parcel = _parcel_for(request.user, d, "farmland.riceseason.add")
        return services.do_record_rice_season(
            actor=request.user,
            parcel=parcel,
            season=d["season"],
            variety=RiceVariety.objects.filter(pk=d["variety"]).first(),
            sowing_date=d["sowing_date"],
            transplant=d["transplant"],
            transplant_date=d["transplant_date"],
            area_mu=d["area_mu"],
            grower_name=d["grower_name"],
        )

    done, record = submit_form(request, form, write, success="已登记水稻田")
    if done:
        return redirect("farmland:rice_field", pk=record.pk)
    return form_page(request, form, "登记水稻田", submit="登记")


# --- seedlings --------------------------------------------------------------------------------


class SeedlingListView(ObjectListView):
    model = SeedlingBatch
    filterset_class = SeedlingBatchFilterSet
    title = "智能化育秧工厂"
    template_name = "farmland/seedlings.html"
    select_related = ("factory", "variety")
    columns = [
        Column("批次号", "code", link=True),
        Column("育秧工厂", "factory.name"),
        Column("品种", "variety.name"),
        Column("秧盘数", "trays"),
        Column("播种日期", "sowing_date"),
        Column("计划移栽", "target_transplant_date"),
        Column("状态", "get_status_display"),
        Column("成秧率（%）", "germination_rate"),
        Column("已交付（盘）", "delivered_trays"),
        Column("订购方", "customer"),
    ]

    detail_route = "farmland:batch_detail"

    def get_extra_context(self, queryset):
        from shuxiang.iot.models import Sensor

        year = timezone.localdate().year
        factories = []
        for f in SeedlingFactory.objects.restrict(self.request.user).select_related("place", "device"):
            load = services.season_load(f, year)
            sensors = list(Sensor.objects.filter(device_id=f.device_id)) if f.device_id else []
            factories.append(
                {
                    "factory": f,
                    "load": load,
                    "share": round(100 * load / f.capacity_trays, 1),
                    "sensors": sensors,
                }
            )
        return {"factories": factories, "year": year}


class BatchDetailView(ObjectDetailView):
    model = SeedlingBatch
    template_name = "farmland/batch_detail.html"
    select_related = ("factory", "factory__place", "variety")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        b = self.object
        context.update(
            title=f"育秧批次 {b.code}",
            fields=b.customer_parcels.restrict(self.request.user).select_related("place"),
            can_change=has_perm(self.request.user, "farmland.seedlingbatch.change", b),
            check_form=forms.BatchCheckForm(),
            deliver_form=forms.BatchDeliverForm(initial={"trays": b.trays - b.delivered_trays}),
        )
        return context


@requires("farmland.seedlingbatch.change")
@object_view(SeedlingBatch)
def batch_check(request, pk):
    batch = object_or_404(SeedlingBatch, request.user, pk=pk)
    form = forms.BatchCheckForm(request.POST or None)
    done, _ = submit_form(
        request,
        form,
        lambda d: services.do_check_batch(
            batch, actor=request.user, germination_rate=d["germination_rate"], note=d["note"]
        ),
        success="已记录质检结果",
    )
    if not done and request.method == "POST":
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
    return redirect("farmland:batch_detail", pk=pk)


@requires("farmland.seedlingbatch.change")
@object_view(SeedlingBatch)
def batch_deliver(request, pk):
    batch = object_or_404(SeedlingBatch, request.user, pk=pk)
    form = forms.BatchDeliverForm(request.POST or None)
    done, _ = submit_form(
        request,
        form,
        lambda d: services.do_deliver_batch(batch, actor=request.user, trays=d["trays"]),
        success="已记录交付",
    )
    if not done and request.method == "POST":
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
    return redirect("farmland:batch_detail", pk=pk)


# --- high-standard farmland O&M ---------------------------------------------------------------

FACILITY_COLOUR = {"normal": "#1d4ed8", "damaged": "#dc2626"}


def facility_features(facilities) -> dict:
    """Facilities as GeoJSON points (status colour) for the list and detail maps."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "code": f.code,
                    "label": f"{f.get_kind_display()} {f.name}（{f.get_status_display()}）",
                    "detail": f.project.name,
                    "colour": FACILITY_COLOUR.get(f.status, "#1d4ed8"),
                    "url": f.get_absolute_url(),
                },
                "geometry": {"type": "Point", "coordinates": [f.longitude, f.latitude]},
            }
            for f in facilities
        ],
    }


class FacilityListView(ObjectListView):
    model = Facility
    filterset_class = FacilityFilterSet
    title = "高标准农田管护"
    template_name = "farmland/facility_list.html"
    select_related = ("project", "place", "place__parent", "case")
    create_url_name = "farmland:facility_new"
    create_permission = "farmland.facility.add"
    create_label = "登记设施"
    columns = [
        Column("设施", "name", link=True),
        Column("编号", "code"),
        Column("类型", "get_kind_display"),
        Column("建设项目", "project.name"),
        Column("乡镇", "place.parent.name"),
        Column("村", "place.name"),
        Column("状态", "get_status_display"),
        Column("报修工单", lambda f: f.case.tracking_number if f.case_id else ""),
        Column("累计报修", "repairs"),
    ]

    @staticmethod
    def detail_url(obj):
        return obj.get_absolute_url()

    def get_extra_context(self, queryset):
        by_project = (
            queryset.values("project__code", "project__name", "project__year")
            .annotate(total=Count("pk"), damaged=Count("pk", filter=Q(status=FacilityStatus.DAMAGED)))
            .order_by("-project__year", "project__code")
        )
        return {
            "by_project": list(by_project),
            "damaged_count": queryset.filter(status=FacilityStatus.DAMAGED).count(),
            "total_count": queryset.count(),
            "map_data": facility_features(queryset.select_related("project")[:MAP_LIMIT]),
        }


class FacilityDetailView(ObjectDetailView):
    model = Facility
    template_name = "farmland/facility_detail.html"
    select_related = ("project", "place", "place__parent", "case", "device")

    def get_context_data(self, **kwargs):
        from shuxiang.cases.models import Case
        from shuxiang.iot.models import Sensor

        context = super().get_context_data(**kwargs)
        f, user = self.object, self.request.user
        context.update(
            title=str(f),
            map_data=facility_features([f]),
            sensors=list(Sensor.objects.filter(device_id=f.device_id)) if f.device_id else [],
            repairs=Case.objects.restrict(user)
            .filter(source_ref=f"farmland.facility:{f.pk}")
            .order_by("-created_at")[:20],
            can_report=has_perm(user, "farmland.facility.report", f),
            damage_form=forms.DamageForm(),
        )
        return context


def _facility_choices(user):
    from shuxiang.core.choices import PlaceLevel
    from shuxiang.farmland.models import Project

    projects = Project.objects.restrict(user).select_related("place")
    villages = (
        Place.objects.restrict(user)
        .filter(level=PlaceLevel.VILLAGE)
        .select_related("parent")
        .order_by("code")
    )
    return projects, villages


@requires("farmland.facility.add")
def facility_new(request):
    projects, villages = _facility_choices(request.user)
    form = forms.FacilityForm(request.POST or None, projects=projects, villages=villages)

    def write(d):
        return facilities.do_register_facility(
            actor=request.user,
            project=projects.get(pk=d["project"]),
            code=d["code"],
            kind=d["kind"],
            name=d["name"],
            place=villages.get(pk=d["village"]),
            latitude=d["latitude"],
            longitude=d["longitude"],
            size=d["size"],
            caretaker=d["caretaker"],
            device_code=d["device_code"] or None,
        )

    done, facility = submit_form(request, form, write, success="设施已登记")
    if done:
        return redirect(facility.get_absolute_url())
    return form_page(request, form, "登记高标准农田设施", submit="登记")


@requires("farmland.facility.report")
@object_view(Facility)
def facility_damage(request, pk):
    facility = object_or_404(Facility, request.user, pk=pk)
    form = forms.DamageForm(request.POST or None, request.FILES or None)
    done, case = submit_form(
        request,
        form,
        lambda d: facilities.do_report_damage(
            facility,
            actor=request.user,
            description=d["description"],
            photos=[d["photo"]] if d.get("photo") else (),
        ),
        success="已报修，工单已转乡镇处置",
    )
    if done:
        return redirect(facility.get_absolute_url())
    return form_page(request, form, f"报修：{facility.name}", submit="报修")
