from django.http import Http404
from django.shortcuts import get_object_or_404, render

from shuxiang.core.access import requires
from shuxiang.core.errors import ServiceError
from shuxiang.indicators.filtersets import IndicatorFilterSet
from shuxiang.indicators.models import Indicator
from shuxiang.indicators.reading import values_json


@requires("indicators.indicator.view")
def indicator_list(request):
    """Definitions are district-wide reference data (declared unscoped): staff roles read them all."""
    filterset = IndicatorFilterSet(request.GET, queryset=Indicator.objects.filter(is_active=True))
    indicators = filterset.qs if filterset.is_valid() else Indicator.objects.none()
    return render(
        request, "indicators/list.html", {"filterset": filterset, "indicators": indicators, "title": "指标"}
    )


@requires("indicators.datavalue.view")
def indicator_detail(request, code):
    """An indicator's values rolled up at a place of the user's region (404 outside it)."""
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
        request, "indicators/detail.html", {"indicator": indicator, "data": data, "title": indicator.name}
    )
