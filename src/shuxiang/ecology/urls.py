from django.urls import path

from shuxiang.ecology import views

app_name = "ecology"

urlpatterns = [
    path("", views.PointListView.as_view(), name="index"),
    path("points/add/", views.point_add, name="point_add"),
    path("points/<int:pk>/", views.PointDetailView.as_view(), name="point_detail"),
    path("points/<int:pk>/commands/", views.point_command, name="point_command"),
    path("points/<int:pk>/sources.json", views.point_sources, name="point_sources"),
    path("samples/", views.SampleListView.as_view(), name="sample_list"),
    path("samples/add/", views.sample_add, name="sample_add"),
    path("samples/import/", views.sample_import, name="sample_import"),
    path("samples/<int:pk>/", views.SampleDetailView.as_view(), name="sample_detail"),
    path("map/", views.eco_map, name="map"),
    path("map.json", views.map_data, name="map_data"),
    path("sources/", views.SourceListView.as_view(), name="source_list"),
    path("rivers/", views.river_list, name="river_list"),
    path("forests/", views.ForestListView.as_view(), name="forest_list"),
    path("forests/import/", views.forest_import, name="forest_import"),
    path("forests/<int:pk>/", views.ForestDetailView.as_view(), name="forest_detail"),
    path("standards/", views.standard_list, name="standard_list"),
    path("standards/<int:pk>/limits/", views.limit_edit, name="limit_edit"),
]
