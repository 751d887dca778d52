"""HTML routes. Each declares what it needs (core.access): a function routed twice, or once per
workflow verb, is declared here; the others carry their decorator in views.py."""

from django.urls import path

from shuxiang.core.access import requires
from shuxiang.warnings import views
from shuxiang.warnings.services import AUTHOR, EDIT, ENDPOINT_ADD, ENDPOINT_CHANGE


def _action(verb):
    return path(
        f"warnings/<int:pk>/{verb}/",
        requires(views.ACTION_PERMS[verb])(views.warning_action),
        {"verb": verb},
        name=f"warning_{verb}",
    )


urlpatterns = [
    path("warnings/", views.WarningListView.as_view(), name="warning_list"),
    path("warnings/feed.atom", views.feed, name="warning_feed"),
    path("warnings/new/", requires(AUTHOR)(views.warning_form), name="warning_create"),
    path("warnings/approvals/", views.approvals, name="warning_approvals"),
    path("warnings/stats/", views.statistics, name="warning_stats"),
    path("warnings/places.json", views.places_json, name="warning_places_json"),
    path("warnings/places/<str:code>/", views.place_children, name="warning_place_children"),
    path("warnings/endpoints/", views.EndpointListView.as_view(), name="endpoint_list"),
    path("warnings/endpoints/new/", requires(ENDPOINT_ADD)(views.endpoint_form), name="endpoint_create"),
    path("warnings/endpoints/<int:pk>/", views.endpoint_detail, name="endpoint_detail"),
    path(
        "warnings/endpoints/<int:pk>/edit/",
        requires(ENDPOINT_CHANGE)(views.endpoint_form),
        name="endpoint_edit",
    ),
    path("warnings/<int:pk>/", views.warning_detail, name="warning_detail"),
    path("warnings/<int:pk>/board/", views.warning_board, name="warning_board"),
    path("warnings/<int:pk>/edit/", requires(EDIT)(views.warning_form), name="warning_edit"),
    path("warnings/<int:pk>/update/", views.warning_update, name="warning_update"),
    *(_action(verb) for verb in views.ACTION_PERMS),
]
