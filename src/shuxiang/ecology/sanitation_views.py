"""/sanitation/: village garbage collection points, their emptying records, coverage per village."""

from datetime import timedelta

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from shuxiang.core import formats
from shuxiang.core.access import requires
from shuxiang.core.errors import ServiceError
from shuxiang.core.generic import Column, ObjectListView, form_page, object_or_404, object_view, submit_form
from shuxiang.core.permissions import has_perm
from shuxiang.ecology import forms, services, trucks
from shuxiang.ecology.filtersets import BeautyFilterSet, CollectionPointFilterSet, TruckFilterSet
from shuxiang.ecology.models import BeautyAssessment, BeautyItem, CollectionPoint, CollectionRecord, Truck


def _due(p, now=None):
    now = now or timezone.now()
    if p.last_collected_at is None:
        return "从未清运"
    late = now - (p.last_collected_at + timedelta(days=p.interval_days))
    if late.total_seconds() > 0:
        return f"超期 {late.days} 天" if late.days else "今日超期"
    return "按期"


def village_coverage(points, now=None) -> list[dict]:
    """Per village: collection points, those emptied within their interval, the share on schedule."""
    now = now or timezone.now()
    rows: dict[int, dict] = {}
    for p in points:
        row = rows.setdefault(
            p.place_id,
            {
                "village": p.place.name,
                "township": p.place.parent.name if p.place.parent_id else "",
                "total": 0,
                "ok": 0,
            },
        )
        row["total"] += 1
        if p.last_collected_at is not None and p.last_collected_at >= now - timedelta(days=p.interval_days):
            row["ok"] += 1
    out = sorted(rows.values(), key=lambda r: (r["ok"] / r["total"], r["township"], r["village"]))
    for r in out:
        r["share"] = round(100 * r["ok"] / r["total"])
    return out


class CollectionPointListView(ObjectListView):
    model = CollectionPoint
    filterset_class = CollectionPointFilterSet
    title = "农村生活垃圾收运"
    template_name = "ecology/sanitation_index.html"
    select_related = ("place", "place__parent")
    columns = [
        Column("收集点", "name", link=True),
        Column("所在乡镇", "place.parent.name"),
        Column("所在村", "place.name"),
        Column("垃圾桶", "bins"),
        Column("清运周期(天)", "interval_days"),
        Column("最近清运", lambda p: formats.when(p.last_collected_at)),
        Column("状态", _due),
    ]

    def get_queryset(self):
        return super().get_queryset().filter(is_active=True).order_by("last_collected_at", "code")

    detail_route = "sanitation:point_detail"

    def get_extra_context(self, queryset) -> dict:
        points = list(queryset.select_related("place", "place__parent"))
        coverage = village_coverage(points)
        week = timezone.now() - timedelta(days=7)
        weight = sum(
            CollectionRecord.objects.restrict(self.request.user)
            .filter(collected_at__gte=week)
            .values_list("weight_kg", flat=True)
        )
        return {
            "coverage": coverage,
            "overdue": sum(1 for p in points if _due(p) != "按期"),
            "villages_ok": sum(1 for r in coverage if r["ok"] == r["total"]),
            "week_tonnes": weight / 1000,
            "point_total": len(points),
            # records of the last 7 days whose truck's track never stopped at the point (轨迹核验)
            "unmatched": trucks.unmatched_count(self.request.user, week),
        }


@requires("ecology.collectionpoint.view", post="ecology.collectionrecord.add")
@object_view(CollectionPoint)
def point_detail(request, pk):
    user = request.user
    point = object_or_404(CollectionPoint, user, pk=pk)
    may_record = has_perm(user, "ecology.collectionrecord.add", point)
    form = forms.CollectionForm(request.POST or None) if may_record else None
    if form is not None:
        saved, _ = submit_form(
            request,
            form,
            lambda d: services.do_record_collection(point, actor=user, **d),
            success="清运已记录",
        )
        if saved:
            return redirect("sanitation:point_detail", pk=point.pk)
    records = list(
        CollectionRecord.objects.restrict(user)
        .filter(point=point)
        .select_related("recorded_by", "registered_truck", "point")[:30]
    )
    checks = trucks.check_records(records)
    for r in records:
        r.check = checks.get(r.pk, "")
    return render(
        request,
        "ecology/collection_point.html",
        {"object": point, "records": records, "form": form, "status": _due(point)},
    )


class BeautyListView(ObjectListView):
    """美丽屋场 "六个一": each village's quarterly score."""

    model = BeautyAssessment
    filterset_class = BeautyFilterSet
    title = "美丽屋场评分"
    select_related = ("place", "place__parent")
    create_url_name = "sanitation:beauty_add"
    create_permission = "ecology.beautyassessment.add"
    create_label = "评分"
    columns = [
        Column("季度", "period"),
        Column("乡镇", "place.parent.name"),
        Column("村", "place.name"),
        Column("总分", lambda a: f"{a.total:g} / {a.max_total:g}"),
        Column("得分率", lambda a: f"{100 * a.total / a.max_total:.0f}%" if a.max_total else "—"),
        Column("说明", "note", clip=True),
    ]


@requires("ecology.beautyassessment.add")
def beauty_add(request):
    items = list(BeautyItem.objects.filter(is_active=True))
    if request.method == "GET" and any(i.placeholder for i in items):
        from django.contrib import messages

        messages.warning(request, "现行评分细则是平台占位示例，不是本区正式细则：请区里在“评分细则”页导入")
    form = forms.BeautyForm(request.POST or None, request.FILES or None, items=items)
    saved, _ = submit_form(
        request,
        form,
        lambda d: services.do_assess_village(actor=request.user, **form.service_values()),
        success="评分已保存",
    )
    if saved:
        return redirect("sanitation:beauty_list")
    return form_page(request, form, "美丽屋场“六个一”评分", submit="保存")


@requires("ecology.beautyitem.view", post="ecology.beautyitem.change")
def beauty_items(request):
    """/sanitation/beauty/items/: the 美丽屋场 checklist in force (placeholders marked as such); the
    district loads the county's own from a CSV/XLSX file — one bad row and nothing changes."""
    from django.contrib import messages

    from shuxiang.core.importers import import_upload, read_rows
    from shuxiang.core.permissions import has_perm
    from shuxiang.ecology import importers

    form = forms.BeautyItemsForm(request.POST or None, request.FILES or None)
    result, problems = import_upload(
        request,
        form,
        lambda content, name: importers.import_beauty_items(
            read_rows(content, name), actor=request.user, source=name
        ),
    )
    if result is not None:
        messages.success(request, f"评分细则已导入：新增 {result.created} 项，更新 {result.updated} 项")
        return redirect("sanitation:beauty_items")
    items = list(BeautyItem.objects.filter(is_active=True))
    return render(
        request,
        "ecology/beauty_items.html",
        {
            "title": "美丽屋场“六个一”评分细则",
            "items": items,
            "total": sum(i.max_score for i in items),
            "placeholder": any(i.placeholder for i in items),
            "form": form if has_perm(request.user, "ecology.beautyitem.change") else None,
            "problems": problems,
        },
    )


# --- garbage trucks ----------------------------------------------------------------------------------


def _terminal_status(t):
    if t.terminal_id is None:
        return "无终端"
    seen = formats.when(t.terminal.last_seen_at) if t.terminal.last_seen_at else "从未上线"
    return f"{'在线' if t.terminal.is_online else '离线'} · {seen}"


class TruckListView(ObjectListView):
    """/sanitation/trucks/: the garbage trucks of the user's region and whether their terminals report."""

    model = Truck
    filterset_class = TruckFilterSet
    title = "垃圾清运车辆"
    select_related = ("place", "terminal")
    create_url_name = "sanitation:truck_add"
    create_permission = "ecology.truck.add"
    create_label = "登记车辆"
    columns = [
        Column("车牌号", lambda t: f"{t.plate}{'（演示）' if t.synthetic else ''}", link=True),
        Column("运营单位", "unit"),
        Column("所属", "place.name"),
        Column("载重(吨)", lambda t: f"{t.capacity_t:g}" if t.capacity_t is not None else "—"),
        Column("终端", _terminal_status),
        Column("状态", lambda t: "在用" if t.is_active else "停用"),
    ]

    detail_route = "sanitation:truck_detail"


@requires("ecology.truck.add")
def truck_add(request):
    form = forms.TruckForm(request.POST or None, user=request.user)
    saved, truck = submit_form(
        request,
        form,
        lambda d: trucks.do_register_truck(actor=request.user, **d),
        success="清运车已登记",
    )
    if saved:
        return redirect("sanitation:truck_detail", pk=truck.pk)
    return form_page(request, form, "登记垃圾清运车", submit="登记")


@requires("ecology.truck.change")
@object_view(Truck)
def truck_edit(request, pk):
    truck = object_or_404(Truck, request.user, pk=pk)
    initial = {
        "unit": truck.unit,
        "place": truck.place.code,
        "capacity_t": truck.capacity_t,
        "terminal_code": truck.terminal.code if truck.terminal_id else "",
        "is_active": truck.is_active,
    }
    form = forms.TruckForm(request.POST or None, initial=initial, user=request.user, editing=True)
    saved, _ = submit_form(
        request,
        form,
        lambda d: trucks.do_update_truck(truck, actor=request.user, **d),
        success="已保存",
    )
    if saved:
        return redirect("sanitation:truck_detail", pk=truck.pk)
    return form_page(request, form, f"修改清运车 {truck.plate}", submit="保存")


@requires("ecology.truck.view")
@object_view(Truck)
def truck_detail(request, pk):
    """A truck's day: its track on the map, the collection points it stopped at, its records checked
    against the track. Without a terminal (or without machinery) only its manual records."""
    user = request.user
    truck = object_or_404(Truck, user, pk=pk)
    error = None
    try:
        day = trucks.parse_day(request.GET.get("date"))
    except ServiceError as exc:
        day, error = timezone.localdate(), exc.message
    track, visits = trucks.visits_of_day(truck, day, user)
    start, end = trucks.day_bounds(day)
    records = list(
        CollectionRecord.objects.restrict(user)
        .filter(registered_truck=truck, collected_at__gte=start, collected_at__lt=end)
        .select_related("point", "point__place", "registered_truck")
    )
    checks = trucks.check_records(records)
    for r in records:
        r.check = checks.get(r.pk, "")
    return render(
        request,
        "ecology/truck_detail.html",
        {
            "object": truck,
            "day": day,
            "error": error,
            "track": track,
            "visits": visits,
            "records": records,
            "data_url": reverse("sanitation:truck_track", args=[truck.pk]) + f"?date={day.isoformat()}",
            "may_change": has_perm(user, "ecology.truck.change", truck),
            "radius": int(trucks.VISIT_RADIUS_M),
            "stay": int(trucks.VISIT_MIN_STAY.total_seconds() // 60),
        },
    )


@requires("ecology.truck.view")
@object_view(Truck)
def truck_track(request, pk):
    """The day's track (a LineString) and the visited points, GeoJSON for the map."""
    from django.http import JsonResponse

    truck = object_or_404(Truck, request.user, pk=pk)
    try:
        day = trucks.parse_day(request.GET.get("date"))
    except ServiceError as exc:
        return JsonResponse({"code": exc.code, "message": exc.message, "fields": exc.fields}, status=400)
    track, visits = trucks.visits_of_day(truck, day, request.user)
    features = []
    if track and len(track) >= 2:
        from shuxiang.core.geometry import to_geojson
        from shuxiang.machinery.services import track_line

        line = track_line(track)
        if line is not None:
            features.append(
                {
                    "type": "Feature",
                    "properties": {"kind": "track", "points": len(track)},
                    "geometry": to_geojson(line, decimals=6),
                }
            )
    for v in visits:
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "kind": "visit",
                    "name": v.point.name,
                    "arrived": timezone.localtime(v.arrived).strftime("%H:%M"),
                    "minutes": v.minutes,
                },
                "geometry": {"type": "Point", "coordinates": [v.point.longitude, v.point.latitude]},
            }
        )
    return JsonResponse({"type": "FeatureCollection", "features": features})
