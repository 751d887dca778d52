from django.urls import path

from shuxiang.water import views

app_name = "water"

urlpatterns = [
    path("reservoirs/", views.ReservoirListView.as_view(), name="reservoir_list"),
    path("reservoirs/map.json", views.reservoir_map, name="reservoir_map"),
    path("reservoirs/<int:pk>/", views.ReservoirDetailView.as_view(), name="reservoir_detail"),
    path("pumps/", views.PumpStationListView.as_view(), name="pump_list"),
    path("pumps/<int:pk>/", views.PumpStationDetailView.as_view(), name="pump_detail"),
    path("pumps/<int:pk>/maintenance/", views.pump_maintenance, name="pump_maintenance"),
]
