from django.urls import path

from shuxiang.livestock import views

app_name = "livestock"

urlpatterns = [
    path("", views.FarmListView.as_view(), name="farm_list"),
    path("map.json", views.farm_map, name="farm_map"),
    path("farms/<int:pk>/", views.FarmDetailView.as_view(), name="farm_detail"),
    path("farms/<int:pk>/manure/", views.farm_manure, name="farm_manure"),
    path("pens/<int:pk>/entries/", views.pen_entry, name="pen_entry"),
    path("pens/<int:pk>/rules/", views.pen_apply_rules, name="pen_apply_rules"),
    path("standards/", views.stage_standards, name="standards"),
    path("standards/<str:stage>/", views.stage_standard_edit, name="standard_edit"),
    path("outbreaks/", views.OutbreakListView.as_view(), name="outbreak_list"),
    path("outbreaks/map.json", views.outbreak_map, name="outbreak_map"),
    path("outbreaks/new/", views.report_new, name="report_new"),
    path("outbreaks/<int:pk>/", views.OutbreakDetailView.as_view(), name="outbreak_detail"),
    path("outbreaks/<int:pk>/advance/", views.outbreak_advance, name="outbreak_advance"),
    path("outbreaks/<int:pk>/warning/", views.outbreak_warning, name="outbreak_warning"),
]
