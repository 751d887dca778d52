from django.urls import path

from shuxiang.core.access import requires
from shuxiang.iot import views

app_name = "iot"

urlpatterns = [
    path("devices/", views.DeviceListView.as_view(), name="device_list"),
    path("devices/add/", views.device_create, name="device_create"),
    path("devices/<str:code>/", views.DeviceDetailView.as_view(), name="device_detail"),
    path("devices/<str:code>/series.json", views.sensor_series, name="sensor_series"),
    path("alarms/", views.AlarmListView.as_view(), name="alarm_list"),
    path("alarms/<int:pk>/", views.AlarmDetailView.as_view(), name="alarm_detail"),
    path("alarms/<int:pk>/acknowledge/", views.alarm_acknowledge, name="alarm_acknowledge"),
    path("alarms/<int:pk>/clear/", views.alarm_clear, name="alarm_clear"),
    path("rules/", views.RuleListView.as_view(), name="rule_list"),
    path("rules/add/", requires("iot.alarmrule.add")(views.rule_form), name="rule_create"),
    path("rules/<int:pk>/edit/", requires("iot.alarmrule.change")(views.rule_form), name="rule_edit"),
    path("devices/<str:code>/sl651-query/", views.device_sl651_query, name="device_sl651_query"),
    path("devices/<str:code>/rotate-token/", views.device_rotate_token, name="device_rotate_token"),
    path("devices/<str:code>/active/", views.device_set_active, name="device_set_active"),
    path("devices/<str:code>/sensors/", views.device_define_sensor, name="device_define_sensor"),
    path("devices/<str:code>/learning/", views.device_set_learning, name="device_set_learning"),
    path("devices/<str:code>/sensors/approve/", views.device_approve_sensor, name="device_approve_sensor"),
    path("devices/<str:code>/sensors/reject/", views.device_reject_sensor, name="device_reject_sensor"),
    path(
        "devices/<str:code>/rotate-mqtt-password/",
        views.device_rotate_mqtt_password,
        name="device_rotate_mqtt_password",
    ),
]
