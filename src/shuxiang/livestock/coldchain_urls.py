from django.urls import path

from shuxiang.livestock import views

app_name = "coldchain"

urlpatterns = [
    path("", views.ColdStoreListView.as_view(), name="store_list"),
    path("stores/<int:pk>/", views.ColdStoreDetailView.as_view(), name="store_detail"),
    path("vehicles/", views.ColdVehicleListView.as_view(), name="vehicle_list"),
    path("vehicles/new/", views.vehicle_new, name="vehicle_new"),
    path("vehicles/<int:pk>/", views.ColdVehicleDetailView.as_view(), name="vehicle_detail"),
    path("vehicles/<int:pk>/loads/", views.vehicle_load, name="vehicle_load"),
    path("loads/<int:pk>/unload/", views.vehicle_unload, name="vehicle_unload"),
]
