from rest_framework.routers import DefaultRouter

from shuxiang.housing import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("housing/houses", api.HouseViewSet, basename="housing-house")
router.register("housing/appraisals", api.AppraisalViewSet, basename="housing-appraisal")

urlpatterns = router.urls
