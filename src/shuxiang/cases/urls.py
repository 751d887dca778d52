"""Staff pages. Each workflow step has its own route, declared with the permission its row in
cases.choices.TRANSITIONS names; reverse them as {% url 'cases:transition' pk=… action=… %}."""

from django.urls import path

from shuxiang.cases import views
from shuxiang.cases.choices import STAFF_TRANSITIONS
from shuxiang.core.access import requires

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
    *[
        path(
            f"<int:pk>/{step.action}/",
            requires(step.perm)(views.transition),
            {"action": step.action},
            name="transition",
        )
        for step in STAFF_TRANSITIONS
    ],
]
