from django.urls import path

from shuxiang.farmland import views

app_name = "farmland"

urlpatterns = [
    path("farmland/", views.home, name="home"),
    path("farmland/layers/", views.layer_index, name="layer_index"),
    path("farmland/layers/<str:kind>/", views.LayerView.as_view(), name="layer"),
    path("farmland/parcels/<int:pk>/", views.ParcelDetailView.as_view(), name="parcel_detail"),
    path("farmland/plantings/", views.PlantingListView.as_view(), name="planting_list"),
    path("farmland/plantings/new/", views.planting_new, name="planting_new"),
    path("farmland/plantings/import/", views.planting_import, name="planting_import"),
    path("farmland/findings/", views.FindingListView.as_view(), name="finding_list"),
    path("farmland/findings/map.json", views.finding_map, name="finding_map"),
    path("farmland/findings/<int:pk>/", views.FindingDetailView.as_view(), name="finding_detail"),
    path("farmland/findings/<int:pk>/dismiss/", views.finding_dismiss, name="finding_dismiss"),
    path("farmland/patrol/", views.patrol_new, name="patrol_new"),
    path("farmland/facilities/", views.FacilityListView.as_view(), name="facility_list"),
    path("farmland/facilities/new/", views.facility_new, name="facility_new"),
    path("farmland/facilities/<int:pk>/", views.FacilityDetailView.as_view(), name="facility_detail"),
    path("farmland/facilities/<int:pk>/damage/", views.facility_damage, name="facility_damage"),
    path("rice/", views.RiceListView.as_view(), name="rice_home"),
    path("rice/new/", views.rice_new, name="rice_new"),
    path("rice/weather/", views.rice_weather, name="rice_weather"),
    path("rice/advisories/<int:pk>/issue/", views.advisory_issue, name="advisory_issue"),
    path("rice/advisories/<int:pk>/dismiss/", views.advisory_dismiss, name="advisory_dismiss"),
    path("rice/fields/<int:pk>/", views.RiceFieldView.as_view(), name="rice_field"),
    path("rice/fields/<int:pk>/update/", views.rice_update, name="rice_update"),
    path("rice/fields/<int:pk>/inputs/", views.rice_input, name="rice_input"),
    path("seedlings/", views.SeedlingListView.as_view(), name="seedling_home"),
    path("seedlings/batches/<int:pk>/", views.BatchDetailView.as_view(), name="batch_detail"),
    path("seedlings/batches/<int:pk>/check/", views.batch_check, name="batch_check"),
    path("seedlings/batches/<int:pk>/deliver/", views.batch_deliver, name="batch_deliver"),
]
