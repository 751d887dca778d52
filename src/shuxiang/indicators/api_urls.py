from rest_framework.routers import SimpleRouter

from shuxiang.indicators.api import IndicatorViewSet

router = SimpleRouter(trailing_slash=True)
router.register("indicators", IndicatorViewSet, basename="indicator")

urlpatterns = router.urls
