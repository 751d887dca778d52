from django.urls import path
from rest_framework.routers import DefaultRouter

from shuxiang.warnings import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("warnings/endpoints", api.EndpointViewSet, basename="warning-endpoint")
router.register("warnings/signal-types", api.SignalTypeViewSet, basename="warning-signal-type")
router.register("warnings", api.WarningViewSet, basename="warning")

urlpatterns = [
    path("warnings/cap", api.CapImportView.as_view(), name="warning-cap-import"),
    path("warnings/<int:pk>.cap", api.CapExportView.as_view(), name="warning-cap"),
    path("warnings/receipts/", api.ReceiptView.as_view(), name="warning-receipt"),
    *router.urls,
]
