from rest_framework.routers import DefaultRouter

from shuxiang.water import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("water/reservoirs", api.ReservoirViewSet, basename="water-reservoir")
router.register("water/pump-stations", api.PumpStationViewSet, basename="water-pump-station")

urlpatterns = router.urls
