from django.urls import path

from shuxiang.machinery import views

app_name = "roads"

urlpatterns = [
    path("", views.RoadListView.as_view(), name="road_list"),
    path("<int:pk>/", views.RoadDetailView.as_view(), name="road_detail"),
    path("<int:pk>/inspections/", views.road_inspect, name="road_inspect"),
]
