from rest_framework.routers import DefaultRouter

from shuxiang.ecology import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("ecology/points", api.MonitoringPointViewSet, basename="ecology-point")
router.register("ecology/samples", api.SampleViewSet, basename="ecology-sample")
router.register("ecology/standards", api.StandardViewSet, basename="ecology-standard")
router.register("ecology/rivers", api.RiverViewSet, basename="ecology-river")
router.register("ecology/forests", api.ForestStandViewSet, basename="ecology-forest")
router.register("sanitation/collections", api.CollectionRecordViewSet, basename="sanitation-collection")

router.register("sanitation/trucks", api.TruckViewSet, basename="sanitation-truck")

urlpatterns = router.urls
