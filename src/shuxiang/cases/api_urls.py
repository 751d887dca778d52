from rest_framework.routers import DefaultRouter

from shuxiang.cases import api

router = DefaultRouter(trailing_slash=True)
router.register("cases/categories", api.CategoryViewSet, basename="case-category")
router.register("cases/statistics", api.StatisticsView, basename="case-statistics")
router.register("cases", api.CaseViewSet, basename="case")

urlpatterns = router.urls
