from django.urls import path

from shuxiang.indicators import views

urlpatterns = [
    path("indicators/", views.indicator_list, name="indicator_list"),
    path("indicators/<slug:code>/", views.indicator_detail, name="indicator_detail"),
]
