from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from shuxiang.core.errors import ServiceError
from shuxiang.core.generic import Column, ObjectListView
from shuxiang.indicators.filtersets import IndicatorFilterSet
from shuxiang.indicators.models import Indicator
from shuxiang.indicators.reading import values_json


class IndicatorListView(ObjectListView):
    model = Indicator
    filterset_class = IndicatorFilterSet
    title = "指标"
    columns = [
        Column("指标", "name", link=True),
        Column("代码", "code"),
        Column("类型", "get_kind_display"),
        Column("单位", "unit"),
        Column("来源", "get_source_display"),
        Column("年度汇总", "get_period_aggregation_display"),
    ]

    def get_queryset(self):
        # Definitions are district-wide reference data (declared unscoped): every signed-in user reads them.
        return Indicator.objects.filter(is_active=True)

    @staticmethod
    def detail_url(obj):
        return reverse("indicator_detail", args=[obj.code])


@login_required
def indicator_detail(request, code):
    indicator = get_object_or_404(Indicator, code=code, is_active=True)
    try:
        data = values_json(
            indicator, request.user, place=request.GET.get("place"), period=request.GET.get("period")
        )
    except ServiceError as exc:
        if exc.status == 404:
            raise Http404 from None
        return render(
            request, "indicators/detail.html", {"indicator": indicator, "error": exc.message}, status=400
        )
    return render(
        request,
        "indicators/detail.html",
        {"indicator": indicator, "data": data, "title": indicator.name},
    )
