"""Root URLs. Each app contributes its HTML urls and its API urls under /api/v1/."""

from django.conf import settings
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from shuxiang.core.access import PUBLIC, public_view


class SchemaView(SpectacularAPIView):
    """The OpenAPI document: public, like the API's own documentation."""

    access = PUBLIC


class SwaggerView(SpectacularSwaggerView):
    access = PUBLIC


api_v1 = [
    # First: the public market list is the API's busiest anonymous route (issue 22 bench); Django tries
    # patterns in order (see core.resolvers for what a late route used to cost).
    path("", include("shuxiang.villager.api_urls")),
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
    path("", include("shuxiang.machinery.api_urls")),
    path("", include("shuxiang.ecology.api_urls")),
    path("", include("shuxiang.livestock.api_urls")),
    path("", include("shuxiang.housing.api_urls")),
    path("", include("shuxiang.governance.api_urls")),
    path("", include("shuxiang.markets.api_urls")),
    path("", include("shuxiang.farmland.api_urls")),
    path("", include("shuxiang.land.api_urls")),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("open311/v2/", include("shuxiang.cases.open311_urls")),
    path("cases/", include("shuxiang.cases.urls")),
    path("", include("shuxiang.cases.public_urls")),
    path("api/docs/", SwaggerView.as_view(url_name="schema"), name="api_docs"),
    path("", include("shuxiang.indicators.urls")),
    path("iot/", include("shuxiang.iot.urls")),
    path("water/", include("shuxiang.water.urls")),
    path("machinery/", include("shuxiang.machinery.urls")),
    path("roads/", include("shuxiang.machinery.road_urls")),
    path("transport/", include("shuxiang.machinery.transport_urls")),
    path("", include("shuxiang.villager.urls")),
    path("", include("shuxiang.warnings.urls")),
    path("", include("shuxiang.trace.urls")),
    path("", include("shuxiang.markets.urls")),
    path("", include("shuxiang.ledger.urls")),
    path("monitoring/", include("shuxiang.monitoring.urls")),
    path("plan/", include("shuxiang.plan.urls")),
    path("ecology/", include("shuxiang.ecology.urls")),
    path("sanitation/", include("shuxiang.ecology.sanitation_urls")),
    path("livestock/", include("shuxiang.livestock.urls")),
    path("fishery/", include("shuxiang.livestock.fishery_urls")),
    path("coldchain/", include("shuxiang.livestock.coldchain_urls")),
    path("housing/", include("shuxiang.housing.urls")),
    path("", include("shuxiang.governance.urls")),
    path("", include("shuxiang.farmland.urls")),
    path("", include("shuxiang.land.urls")),
    path("", include("shuxiang.core.urls")),
]

if settings.BENCH_VIEWS:
    from django.http import JsonResponse
    from django.shortcuts import render

    from shuxiang.core.access import signed_in

    @public_view
    def bare(request):
        return JsonResponse({"ok": True})

    @signed_in
    def frame(request):
        """A staff page with nothing on it: session, user, second factor, access check, menu and the
        base template — what every signed-in page costs before its own work (a list's reference)."""
        return render(request, "core/bench_frame.html", {"title": "空页面"})

    urlpatterns.insert(0, path("__bench__/bare", bare))
    urlpatterns.insert(0, path("__bench__/frame", frame))

if not settings.DEBUG:
    from shuxiang.core.resolvers import quiet

    quiet(urlpatterns)

handler404 = "shuxiang.core.errorviews.not_found"
handler403 = "shuxiang.core.errorviews.forbidden"
handler500 = "shuxiang.core.errorviews.server_error"
