"""Root URLs. Each app contributes its HTML urls and its API urls under /api/v1/."""

from django.conf import settings
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

api_v1 = [
    path("", include("shuxiang.core.api.urls")),
    path("", include("shuxiang.monitoring.api_urls")),
    path("", include("shuxiang.warnings.api_urls")),
    path("", include("shuxiang.cases.api_urls")),
    path("", include("shuxiang.iot.api_urls")),
    path("", include("shuxiang.water.api_urls")),
    path("", include("shuxiang.indicators.api_urls")),
    path("", include("shuxiang.plan.api_urls")),
    path("", include("shuxiang.ledger.api_urls")),
    path("", include("shuxiang.trace.api_urls")),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("open311/v2/", include("shuxiang.cases.open311_urls")),
    path("cases/", include("shuxiang.cases.urls")),
    path("", include("shuxiang.cases.public_urls")),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api_docs"),
    path("", include("shuxiang.indicators.urls")),
    path("iot/", include("shuxiang.iot.urls")),
    path("water/", include("shuxiang.water.urls")),
    path("", include("shuxiang.warnings.urls")),
    path("", include("shuxiang.trace.urls")),
    path("monitoring/", include("shuxiang.monitoring.urls")),
    path("plan/", include("shuxiang.plan.urls")),
    path("", include("shuxiang.core.urls")),
]

if settings.BENCH_VIEWS:
    from django.http import JsonResponse

    def bare(request):
        return JsonResponse({"ok": True})

    urlpatterns.insert(0, path("__bench__/bare", bare))

handler404 = "shuxiang.core.errorviews.not_found"
handler403 = "shuxiang.core.errorviews.forbidden"
handler500 = "shuxiang.core.errorviews.server_error"
