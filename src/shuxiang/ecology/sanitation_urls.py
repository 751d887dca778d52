from django.urls import path

from shuxiang.ecology import sanitation_views as views

app_name = "sanitation"

urlpatterns = [
    path("", views.CollectionPointListView.as_view(), name="index"),
    path("points/<int:pk>/", views.point_detail, name="point_detail"),
    path("trucks/", views.TruckListView.as_view(), name="truck_list"),
    path("trucks/add/", views.truck_add, name="truck_add"),
    path("trucks/<int:pk>/", views.truck_detail, name="truck_detail"),
    path("trucks/<int:pk>/edit/", views.truck_edit, name="truck_edit"),
    path("trucks/<int:pk>/track.json", views.truck_track, name="truck_track"),
    path("beauty/", views.BeautyListView.as_view(), name="beauty_list"),
    path("beauty/add/", views.beauty_add, name="beauty_add"),
    path("beauty/items/", views.beauty_items, name="beauty_items"),
]
