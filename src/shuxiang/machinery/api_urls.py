from rest_framework.routers import DefaultRouter

from shuxiang.machinery import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("machinery/machines", api.MachineViewSet, basename="machinery-machine")
router.register("machinery/operations", api.OperationViewSet, basename="machinery-operation")
router.register("machinery/requests", api.RequestViewSet, basename="machinery-request")
router.register("machinery/tracks", api.TrackViewSet, basename="machinery-track")
router.register("machinery/subsidies", api.SubsidyViewSet, basename="machinery-subsidy")
router.register("roads", api.RoadViewSet, basename="road")
router.register("transport/routes", api.BusRouteViewSet, basename="transport-route")

urlpatterns = router.urls
