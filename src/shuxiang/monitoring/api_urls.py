from django.urls import path
from rest_framework.routers import DefaultRouter

from shuxiang.monitoring import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("monitoring/households", api.HouseholdViewSet, basename="monitoring-household")
router.register("monitoring/clues", api.ClueViewSet, basename="monitoring-clue")
router.register("monitoring/thresholds", api.ThresholdViewSet, basename="monitoring-threshold")

urlpatterns = [
    path("monitoring/declarations/", api.DeclarationView.as_view(), name="monitoring-declaration"),
    path("monitoring/alerts/", api.AlertView.as_view(), name="monitoring-alert"),
    *router.urls,
]
