from django.urls import path

from shuxiang.ecology import sanitation_views as views

app_name = "sanitation"

urlpatterns = [
    path("", views.CollectionPointListView.as_view(), name="index"),
    path("points/<int:pk>/", views.point_detail, name="point_detail"),
    path("beauty/", views.BeautyListView.as_view(), name="beauty_list"),
    path("beauty/add/", views.beauty_add, name="beauty_add"),
    path("beauty/items/", views.beauty_items, name="beauty_items"),
]
