from rest_framework.routers import DefaultRouter

from shuxiang.livestock import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("livestock/farms", api.FarmViewSet, basename="livestock-farm")
router.register("livestock/pens", api.PenViewSet, basename="livestock-pen")
router.register("livestock/reports", api.ReportViewSet, basename="livestock-report")
router.register("fishery/ponds", api.PondViewSet, basename="fishery-pond")
router.register("fishery/monthly", api.FisheryMonthlyView, basename="fishery-monthly")
router.register("coldchain/stores", api.ColdStoreViewSet, basename="coldchain-store")
router.register("coldchain/vehicles", api.ColdVehicleViewSet, basename="coldchain-vehicle")
router.register("livestock/stage-standards", api.StageStandardViewSet, basename="livestock-stagestandard")

urlpatterns = router.urls
