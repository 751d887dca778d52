from django.urls import path

from shuxiang.cases import views

app_name = "cases"

urlpatterns = [
    path("", views.CaseListView.as_view(), name="list"),
    path("queue/", views.queue, name="queue"),
    path("escalated/", views.escalated, name="escalated"),
    path("new/", views.create, name="create"),
    path("stats/", views.statistics, name="stats"),
    path("categories/", views.categories, name="categories"),
    path("categories/<int:pk>/edit/", views.categories, name="category_edit"),
    path("calendar/", views.calendar_day, name="calendar"),
    path("routing/", views.routing, name="routing"),
    path("routing/<int:pk>/delete/", views.routing_delete, name="routing_delete"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/reveal/", views.reveal, name="reveal"),
    path("<int:pk>/<str:action>/", views.transition, name="transition"),
]
