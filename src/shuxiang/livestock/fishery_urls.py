from django.urls import path

from shuxiang.livestock import views

app_name = "fishery"

urlpatterns = [
    path("", views.PondListView.as_view(), name="pond_list"),
    path("map.json", views.pond_map, name="pond_map"),
    path("monthly/", views.fishery_monthly, name="monthly"),
    path("ponds/<int:pk>/", views.PondDetailView.as_view(), name="pond_detail"),
    path("ponds/<int:pk>/records/", views.pond_record, name="pond_record"),
]
