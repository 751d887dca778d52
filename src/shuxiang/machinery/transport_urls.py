from django.urls import path

from shuxiang.machinery import views

app_name = "transport"

urlpatterns = [
    path("", views.route_list, name="route_list"),
    path("<int:pk>/", views.route_detail, name="route_detail"),
    path("<int:pk>/timetable/", views.route_timetable, name="route_timetable"),
]
