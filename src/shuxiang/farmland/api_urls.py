from rest_framework.routers import DefaultRouter

from shuxiang.farmland import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("farmland/parcels", api.ParcelViewSet, basename="farmland-parcel")
router.register("farmland/plantings", api.PlantingViewSet, basename="farmland-planting")
router.register("farmland/facilities", api.FacilityViewSet, basename="farmland-facility")
router.register("farmland/findings", api.FindingViewSet, basename="farmland-finding")
router.register("rice/fields", api.RiceFieldViewSet, basename="rice-field")
router.register("rice/advisories", api.RiceAdvisoryViewSet, basename="rice-advisory")
router.register("seedlings/batches", api.SeedlingBatchViewSet, basename="seedling-batch")

urlpatterns = router.urls
