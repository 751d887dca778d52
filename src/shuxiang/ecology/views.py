from django.contrib import messages
from django.db.models import Count, F, Q
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from shuxiang.core import formats
from shuxiang.core.access import requires
from shuxiang.core.errors import ServiceError
from shuxiang.core.generic import (
    Column,
    ObjectDetailView,
    ObjectListView,
    form_page,
    object_or_404,
    object_view,
    submit_form,
)
from shuxiang.core.permissions import has_perm
from shuxiang.ecology import api, forests, forms, hj212_commands, services, standards
from shuxiang.ecology.choices import (
    CLASS_COLOURS,
    CLASS_LABELS,
    FOREST_COLOURS,
    ExceedanceStatus,
    ForestType,
    grade_label,
)
from shuxiang.ecology.filtersets import (
    ForestStandFilterSet,
    MonitoringPointFilterSet,
    PollutionSourceFilterSet,
    SampleFilterSet,
)
from shuxiang.ecology.models import (
    Exceedance,
    ForestImport,
    ForestStand,
    MonitoringPoint,
    PollutionSource,
    Sample,
    Standard,
    StationCommand,
)


def _class_cell(p):
    if p.latest_class:
        return grade_label(p.latest_class)
    if p.latest_meets is None:
        return "未采样"
    return "达标" if p.latest_meets else "超标"


def _meets_cell(obj):
    value = obj.latest_meets if isinstance(obj, MonitoringPoint) else obj.meets
    return "—" if value is None else ("达标" if value else "超标")


class PointListView(ObjectListView):
    """/ecology/: every monitoring point in scope with its standard and its latest sample's verdict."""

    model = MonitoringPoint
    filterset_class = MonitoringPointFilterSet
    title = "水质监测点位"
    template_name = "ecology/index.html"
    select_related = ("place", "place__parent", "standard", "device")
    columns = [
        Column("名称", "name", link=True),
        Column("类型", "get_kind_display"),
        Column("所在乡镇", "place.parent.name"),
        Column(
            "执行标准",
            lambda p: f"{p.standard.code}-{p.standard.edition} {p.grade_label if p.grade else ''}".strip(),
        ),
        Column("最新类别", _class_cell),
        Column("结论", _meets_cell),
        Column("最新采样", lambda p: formats.when(p.latest_sampled_at) if p.latest_sampled_at else "—"),
        Column("在线监测", lambda p: p.device.code if p.device_id else "—"),
    ]

    def get_queryset(self):
        # exceeding points first, then those meeting their standard, then the ones never sampled
        return super().get_queryset().order_by(F("latest_meets").asc(nulls_last=True), "code")

    detail_route = "ecology:point_detail"

    def get_extra_context(self, queryset) -> dict:
        user = self.request.user
        return {"kpis": point_kpis(user), "may_add_point": has_perm(user, "ecology.monitoringpoint.add")}


def point_kpis(user) -> dict:
    points = MonitoringPoint.objects.restrict(user).filter(is_active=True)
    figures = points.aggregate(
        total=Count("pk"),
        sources=Count("pk", filter=Q(kind="drinking_source")),
        sources_ok=Count("pk", filter=Q(kind="drinking_source", latest_meets=True)),
        exceeding=Count("pk", filter=Q(latest_meets=False)),
        unsampled=Count("pk", filter=Q(latest_meets__isnull=True)),
    )
    figures["open_exceedances"] = (
        Exceedance.objects.restrict(user).filter(status=ExceedanceStatus.OPEN).count()
    )
    return figures


class PointDetailView(ObjectDetailView):
    """/ecology/points/{id}/: the point, its standard's limits, samples, exceedances, online station and
    the pollution sources around it."""

    model = MonitoringPoint
    template_name = "ecology/point_detail.html"
    select_related = ("place", "place__parent", "standard", "device", "responsible_unit", "owner")

    def get_context_data(self, **kwargs):
        from shuxiang.iot.models import FlaggedReading, Sensor

        context = super().get_context_data(**kwargs)
        p, user = self.object, self.request.user
        table = standards.limits_of(p.standard, p.lake)
        grade = p.grade or ("III" if p.standard.classifies else "")
        limits = []
        for by_grade in table.values():
            limit = by_grade.get(grade) or by_grade.get("")
            any_limit = next(iter(by_grade.values()))
            limits.append((any_limit.factor, limit, by_grade if p.standard.classifies else None))
        limits.sort(key=lambda row: row[0].order)
        device = p.device
        kept, left_out = services.tracing(p, user)
        context.update(
            limits=limits,
            classes=list(CLASS_LABELS.items())[:5],
            samples=Sample.objects.restrict(user).filter(point=p).prefetch_related("values__factor")[:20],
            exceedances=Exceedance.objects.restrict(user)
            .filter(point=p)
            .select_related("case", "sample")[:10],
            sensors=Sensor.objects.filter(device=device).order_by("key") if device else [],
            flagged=FlaggedReading.objects.filter(device=device)[:20] if device else [],
            sources=kept,
            sources_left_out=left_out,
            may_sample=has_perm(user, "ecology.sample.add", p),
            commands=StationCommand.objects.restrict(user).filter(device=device)[:10] if device else [],
            command_choices=hj212_commands.command_choices()
            if device and has_perm(user, "ecology.stationcommand.add", p)
            else [],
            colour=CLASS_COLOURS.get(p.latest_class, "#9ca3af"),
        )
        return context


class SampleListView(ObjectListView):
    model = Sample
    filterset_class = SampleFilterSet
    title = "水质样品"
    select_related = ("point", "point__place", "standard")
    create_url_name = "ecology:sample_add"
    create_permission = "ecology.sample.add"
    create_label = "录入样品"
    template_name = "ecology/sample_list.html"
    columns = [
        Column("点位", "point.name", link=True),
        Column("采样时间", lambda s: formats.when(s.taken_at)),
        Column("采样人", "sampler"),
        Column("检测机构", "lab"),
        Column("水质类别", "class_label"),
        Column("水质指数", lambda s: "—" if s.wqi is None else f"{s.wqi:.2f}"),
        Column("结论", _meets_cell),
        Column("超标因子", "exceeded", clip=True),
    ]

    detail_route = "ecology:sample_detail"


class SampleDetailView(ObjectDetailView):
    model = Sample
    template_name = "ecology/sample_detail.html"
    select_related = ("point", "point__place", "standard", "created_by")


@requires("ecology.sample.add")
def sample_add(request):
    """Pick a point (?point=id), then the form with a box per factor of its standard."""
    user = request.user
    points = MonitoringPoint.objects.restrict(user).filter(is_active=True).select_related("place", "standard")
    pk = request.GET.get("point") or request.POST.get("point")
    point = object_or_404(MonitoringPoint, user, pk=pk) if pk and str(pk).isdigit() else None
    if point is None:
        return render(request, "ecology/sample_pick.html", {"points": points, "title": "录入水质样品"})
    factors = [f for f, _limit, _ in _factors_of(point)]
    form = forms.SampleForm(request.POST or None, request.FILES or None, factors=factors)
    saved, sample = submit_form(
        request,
        form,
        lambda d: services.do_record_sample(point, actor=user, **form.service_values()),
        success="样品已录入并完成评价",
    )
    if saved:
        return redirect("ecology:sample_detail", pk=sample.pk)
    return render(
        request,
        "ecology/sample_form.html",
        {"form": form, "point": point, "title": f"{point.name}：录入样品"},
    )


def _factors_of(point):
    table = standards.limits_of(point.standard, point.lake)
    rows = []
    for by_grade in table.values():
        limit = next(iter(by_grade.values()))
        rows.append((limit.factor, limit, by_grade))
    rows.sort(key=lambda r: r[0].order)
    return rows


@requires("ecology.stationcommand.add")
@require_POST
def point_command(request, pk):
    """Staff send a command to the point's online station; `hj212 serve` sends it while it is connected."""
    point = object_or_404(MonitoringPoint, request.user, pk=pk)
    try:
        command = hj212_commands.do_request_hj212_command(
            point, actor=request.user, cn=request.POST.get("cn", ""), value=request.POST.get("value", "")
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已登记命令：{command.label}，监测站在线时发出")
    return redirect(reverse("ecology:point_detail", args=[pk]) + "#commands")


@requires("ecology.monitoringpoint.add")
def point_add(request):
    form = forms.PointForm(request.POST or None, user=request.user)
    saved, point = submit_form(
        request,
        form,
        lambda d: services.do_create_point(actor=request.user, **{**d, "grade": d.get("grade") or ""}),
        success="监测点位已登记",
    )
    if saved:
        return redirect("ecology:point_detail", pk=point.pk)
    return form_page(request, form, "登记监测点位", submit="登记")


@requires("ecology.standard.view")
@require_GET
def standard_list(request):
    """Every standard with its edition and limits (data an administrator keeps up to date)."""
    rows = Standard.objects.prefetch_related("limits__factor").order_by("code", "-edition")
    return render(
        request,
        "ecology/standard_list.html",
        {
            "standards": rows,
            "title": "水质标准",
            "may_change": has_perm(request.user, "ecology.standard.change"),
        },
    )


@requires("ecology.standard.change")
@object_view(Standard)
def limit_edit(request, pk):
    standard = Standard.objects.filter(pk=pk).first()
    if standard is None:
        from django.http import Http404

        raise Http404
    form = forms.LimitForm(request.POST or None)
    saved, _ = submit_form(
        request,
        form,
        lambda d: services.do_set_limit(standard, actor=request.user, **{**d, "grade": d.get("grade") or ""}),
        success="限值已保存",
    )
    if saved:
        return redirect("ecology:standard_list")
    return form_page(request, form, f"{standard.code}-{standard.edition}：设置限值", submit="保存")


@requires("ecology.sample.add")
def sample_import(request):
    """A lab's XLSX/CSV: every row checked and judged; one bad row and nothing is written."""
    from django.contrib import messages

    from shuxiang.core.importers import import_upload, read_rows
    from shuxiang.ecology import importers

    form = forms.SampleImportForm(request.POST or None, request.FILES or None)
    result, problems = import_upload(
        request,
        form,
        lambda content, name: importers.import_samples(read_rows(content, name), actor=request.user),
    )
    if result is not None:
        messages.success(request, f"导入完成：{result.created} 个样品已评价入库")
        return redirect("ecology:sample_list")
    return render(
        request,
        "ecology/sample_import.html",
        {"form": form, "problems": problems, "title": "导入实验室检测报告", "fixed": importers.FIXED},
    )


@requires("ecology.monitoringpoint.view")
@require_GET
def eco_map(request):
    forest_types = [(label, FOREST_COLOURS[value]) for value, label in ForestType.choices]
    return render(
        request,
        "ecology/map.html",
        {
            "title": "生态环境一张图",
            "classes": CLASS_LABELS,
            "colours": CLASS_COLOURS,
            "forest_types": forest_types,
            # the forest layer is read from the API (bounding box of the view) when its box is ticked
            "forests_url": reverse("ecology-forest-list") + "?format=geojson"
            if has_perm(request.user, "ecology.foreststand.view")
            else "",
        },
    )


@requires("ecology.monitoringpoint.view")
@require_GET
def map_data(request):
    """The map's layers: points coloured by latest class, protection zones, pollution sources."""
    user = request.user
    points = []
    zones = []
    for p in MonitoringPoint.objects.restrict(user).filter(is_active=True).select_related("standard"):
        if p.latitude is not None:
            points.append(
                {
                    "name": p.name,
                    "kind": p.get_kind_display(),
                    "lat": p.latitude,
                    "lng": p.longitude,
                    "class": p.latest_class,
                    "class_label": _class_cell(p),
                    "colour": CLASS_COLOURS.get(p.latest_class)
                    or (
                        "#9ca3af" if p.latest_meets is None else ("#16a34a" if p.latest_meets else "#dc2626")
                    ),
                    "meets": p.latest_meets,
                    "url": reverse("ecology:point_detail", args=[p.pk]),
                }
            )
        for feature in (p.protection_zones or {}).get("features", []):
            zones.append(
                {
                    "type": "Feature",
                    "geometry": feature.get("geometry"),
                    "properties": {
                        "zone": (feature.get("properties") or {}).get("zone", ""),
                        "point": p.name,
                    },
                }
            )
    sources = [
        {
            "name": s.name,
            "kind": s.get_kind_display(),
            "lat": s.latitude,
            "lng": s.longitude,
            "scale": s.scale,
        }
        for s in PollutionSource.objects.restrict(user)
    ]
    return JsonResponse(
        {"points": points, "zones": {"type": "FeatureCollection", "features": zones}, "sources": sources}
    )


class SourceListView(ObjectListView):
    model = PollutionSource
    filterset_class = PollutionSourceFilterSet
    title = "农业农村污染源"
    select_related = ("place", "place__parent", "outfall")
    columns = [
        Column("编号", "code"),
        Column("名称", "name"),
        Column("类型", "get_kind_display"),
        Column("所在乡镇", "place.parent.name"),
        Column("所在村", "place.name"),
        Column("规模", "scale"),
        Column("排污口监测点", lambda s: s.outfall.name if s.outfall_id else "—"),
        Column("调查年度", "survey_year"),
        Column(
            "受纳水体", lambda s: f"{s.river} {s.river_km:g} km" if s.river_km is not None else s.river or "—"
        ),
    ]


@requires("ecology.pollutionsource.view")
@require_GET
@object_view(MonitoringPoint)
def point_sources(request, pk):
    """Tracing: the sources within ?km= (default 5) of a point, ranked, as JSON."""
    point = object_or_404(MonitoringPoint, request.user, pk=pk)
    try:
        radius = min(max(float(request.GET.get("km", 5)), 0.1), 50)
    except ValueError:
        radius = 5.0
    kept, left_out = services.tracing(point, request.user, radius)

    def row(s):
        return {
            "code": s.code,
            "name": s.name,
            "kind": s.get_kind_display(),
            "distance_km": s.distance_km,
            "score": s.score,
            "own_outfall": s.outfall_id == point.pk,
            "relation": s.relation,
            "relation_display": s.relation_label,
            "river": s.river,
            "river_km": s.river_km,
        }

    return JsonResponse(
        {
            "point": point.code,
            "river": point.river,
            "river_km": point.river_km,
            "radius_km": radius,
            "at": timezone.now().isoformat(),
            "sources": [row(s) for s in kept],
            "left_out": [row(s) for s in left_out],
        }
    )


@requires("ecology.river.view", post="ecology.river.change")
def river_list(request):
    """/ecology/rivers/: the county's river network (水系) that tracing uses to tell upstream from
    downstream; the district loads it from a CSV/XLSX file — one bad row and nothing changes."""
    from shuxiang.core.importers import import_upload, read_rows
    from shuxiang.ecology import importers
    from shuxiang.ecology.models import River

    form = forms.RiversForm(request.POST or None, request.FILES or None)
    result, problems = import_upload(
        request,
        form,
        lambda content, name: importers.import_rivers(
            read_rows(content, name), actor=request.user, source=name
        ),
    )
    if result is not None:
        messages.success(request, f"水系表已导入：新增 {result.created} 条河流，更新 {result.updated} 条")
        return redirect("ecology:river_list")
    rivers = list(River.objects.select_related("flows_into").annotate(tributary_count=Count("tributaries")))
    counts = dict(
        MonitoringPoint.objects.restrict(request.user)
        .exclude(river="")
        .values_list("river")
        .annotate(n=Count("id"))
    )
    for r in rivers:
        r.point_count = counts.get(r.name, 0)
    return render(
        request,
        "ecology/river_list.html",
        {
            "title": "水系表",
            "rivers": rivers,
            "form": form if has_perm(request.user, "ecology.river.change") else None,
            "problems": problems,
        },
    )


# --- the forest-resource layer (林业资源数据库) -------------------------------------------------------


class ForestListView(ObjectListView):
    """/ecology/forests/: the stands of the user's region with filters, and their totals by type and by
    township for what the filters keep (the totals change with the filters, the table under them)."""

    model = ForestStand
    filterset_class = ForestStandFilterSet
    title = "林地小班"
    template_name = "ecology/forest_list.html"
    partial_template = "ecology/_forest_table.html"
    select_related = ("place", "place__parent")
    columns = [
        Column("小班编号", "code", link=True),
        Column("所在乡镇", lambda s: s.place.name if s.place.level == 2 else s.place.parent.name),
        Column("所在村", lambda s: s.place.name if s.place.level == 3 else "—"),
        Column("林地类型", "get_forest_type_display"),
        Column("森林类别", lambda s: s.get_category_display() or "—"),
        Column("起源", lambda s: s.get_origin_display() or "—"),
        Column("优势树种", lambda s: s.species or "—"),
        Column("面积（亩）", "area_mu"),
        Column("申报面积（亩）", lambda s: "—" if s.declared_area_mu is None else s.declared_area_mu),
        Column("版本", "version"),
    ]

    def get_queryset(self):
        return forests.current(super().get_queryset()).order_by("code")

    @staticmethod
    def detail_url(obj):
        return obj.get_absolute_url()

    def get_extra_context(self, queryset) -> dict:
        user = self.request.user
        return {
            "totals": forests.totals(queryset),
            "may_import": has_perm(user, "ecology.foreststand.import"),
            "last_import": ForestImport.objects.restrict(user).first(),
        }


class ForestDetailView(ObjectDetailView):
    """/ecology/forests/{id}/: one stand with its shape on our own map, measured and declared area, the
    file and layer version it came from, and the file's own attributes."""

    model = ForestStand
    template_name = "ecology/forest_detail.html"
    select_related = ("place", "place__parent")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        stand = self.object
        context.update(
            feature={"type": "FeatureCollection", "features": [api.forest_feature(stand)]},
            colour=FOREST_COLOURS.get(stand.forest_type, "#166534"),
            record=ForestImport.objects.filter(version=stand.version).first(),
            difference=""
            if stand.area_difference is None
            else f"{'多' if stand.area_difference >= 0 else '少'} {abs(stand.area_difference) * 100:.1f}%",
        )
        return context


@requires("ecology.foreststand.import")
def forest_import(request):
    """The district loads the forestry bureau's stand file: every stand checked (code, place, type,
    shape inside the county, no overlaps); one bad stand and nothing is written, every problem named."""
    from shuxiang.core.importers import import_upload

    form = forms.ForestImportForm(request.POST or None, request.FILES or None)
    result, problems = import_upload(
        request,
        form,
        lambda content, name: forests.import_upload(
            content, name, actor=request.user, crs=form.cleaned_data.get("crs") or None
        ),
    )
    if result is not None:
        messages.success(
            request,
            f"林地图层第{result.record.version}版已导入：新增 {result.added} 个小班，变更 {result.changed} 个，"
            f"未变 {result.unchanged} 个，停用 {result.retired} 个（原坐标系：{result.crs}"
            + (f"；申报面积单位：{result.record.area_unit}" if result.record.area_unit else "")
            + "）",
        )
        return redirect("ecology:forest_list")
    return render(
        request,
        "ecology/forest_import.html",
        {
            "form": form,
            "problems": problems,
            "title": "导入林地小班图层",
            "imports": ForestImport.objects.restrict(request.user)[:10],
            "columns": forests.COLUMN_HELP,
        },
    )
