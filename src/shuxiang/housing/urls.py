from django.urls import path

from shuxiang.housing import views

app_name = "housing"

urlpatterns = [
    path("", views.HouseListView.as_view(), name="house_list"),
    path("map.json", views.house_map, name="house_map"),
    path("plates.pdf", views.plate_sheet, name="plates"),
    path("import/", views.import_view, name="import"),
    path("houses/new/", views.house_new, name="house_new"),
    path("houses/<str:code>/", views.house_detail, name="house_detail"),
    path("houses/<str:code>/edit/", views.house_edit, name="house_edit"),
    path("houses/<str:code>/appraise/", views.house_appraise, name="house_appraise"),
    path("houses/<str:code>/inspect/", views.house_inspect, name="house_inspect"),
    path("renovations/", views.RenovationListView.as_view(), name="renovation_list"),
    path("renovations/<int:pk>/", views.renovation_detail, name="renovation_detail"),
    path("business/", views.BusinessHouseListView.as_view(), name="business_list"),
    path("business/inspections/<int:pk>/", views.inspection_detail, name="inspection_detail"),
]
