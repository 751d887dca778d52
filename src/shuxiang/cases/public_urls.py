"""The resident's pages: every view here is declared `@public_view` and shows no names, phones or
internal notes (cases/tests/test_views.py proves what each hides)."""

from django.urls import path

from shuxiang.cases import views

app_name = "cases_public"

urlpatterns = [
    path("report/", views.report, name="report"),
    path("report/places.json", views.places_json, name="places_json"),
    path("report/track/", views.track_lookup, name="track_lookup"),
    path("report/track/<str:number>/", views.track, name="track"),
    path("report/track/<str:number>/photos/<int:pk>/", views.track_photo, name="track_photo"),
    path("report/track/<str:number>/<str:action>/", views.track_action, name="track_action"),
    path("public/cases/", views.public_list, name="list"),
    path("public/cases/map/", views.public_map, name="map"),
    path("public/cases/map.json", views.public_map_json, name="map_json"),
]
