"""/sanitation/: village garbage collection points, their emptying records, coverage per village."""

from datetime import timedelta

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from shuxiang.core import formats
from shuxiang.core.access import requires
from shuxiang.core.generic import Column, ObjectListView, object_or_404, object_view, submit_form
from shuxiang.core.permissions import has_perm
from shuxiang.ecology import forms, services
from shuxiang.ecology.filtersets import BeautyFilterSet, CollectionPointFilterSet
from shuxiang.ecology.models import BeautyAssessment, BeautyItem, CollectionPoint, CollectionRecord


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

    @staticmethod
    def detail_url(obj):
        return reverse("sanitation:point_detail", args=[obj.pk])

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
    records = CollectionRecord.objects.restrict(user).filter(point=point).select_related("recorded_by")[:30]
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
    return render(
        request, "core/form.html", {"form": form, "title": "美丽屋场“六个一”评分", "submit": "保存"}
    )


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
