from django.urls import path
from rest_framework.routers import DefaultRouter

from shuxiang.iot import api, ingest_http

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("iot/devices", api.DeviceViewSet, basename="iot-device")
router.register("iot/alarms", api.AlarmViewSet, basename="iot-alarm")
router.register("iot/rules", api.RuleViewSet, basename="iot-rule")

urlpatterns = [
    path("iot/telemetry", ingest_http.telemetry, name="iot-telemetry"),
    path("iot/telemetry/", ingest_http.telemetry),
    path("iot/readings/", api.ReadingListView.as_view(), name="iot-readings"),
    *router.urls,
]
