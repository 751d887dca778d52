from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import RedirectView

from shuxiang.core import grant_views, map_views, metrics, views, views_two_factor
from shuxiang.core.access import public_view, requires

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", public_view(views_two_factor.SignInView.as_view()), name="login"),
    path("login/two-factor/", views_two_factor.two_factor_verify, name="two_factor_verify"),
    path("account/two-factor/", views_two_factor.two_factor_page, name="two_factor"),
    path("logout/", public_view(auth_views.LogoutView.as_view()), name="logout"),
    path("password/", views.password_change, name="password_change"),
    path("notifications/", views.notifications, name="notifications"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("favicon.ico", public_view(RedirectView.as_view(url="/static/core/favicon.svg", permanent=True))),
    path("places/", views.PlaceListView.as_view(), name="place_list"),
    path("places/suggest/", views.place_suggest, name="place_suggest"),
    path("places/add/", views.place_create, name="place_create"),
    path("places/<str:code>/", views.PlaceDetailView.as_view(), name="place_detail"),
    path("places/<str:code>/edit/", views.place_edit, name="place_edit"),
    path("places/<str:code>/boundaries.geojson", map_views.boundaries, name="place_boundaries"),
    path("places/<str:code>/move/", views.place_move, name="place_move"),
    path("places/<str:code>/retire/", views.place_retire, name="place_retire"),
    path("units/", views.UnitListView.as_view(), name="unit_list"),
    path("units/add/", requires("core.unit.add")(views.unit_form), name="unit_create"),
    path("units/<int:pk>/", views.UnitDetailView.as_view(), name="unit_detail"),
    path("units/<int:pk>/edit/", requires("core.unit.change")(views.unit_form), name="unit_edit"),
    path("people/", views.PersonListView.as_view(), name="person_list"),
    path("people/add/", requires("core.person.add")(views.person_form), name="person_create"),
    path("people/<int:pk>/", views.PersonDetailView.as_view(), name="person_detail"),
    path("people/<int:pk>/edit/", requires("core.person.change")(views.person_form), name="person_edit"),
    path("people/<int:pk>/reveal/", views.person_reveal, name="person_reveal"),
    path("users/", views.UserListView.as_view(), name="user_list"),
    path("users/add/", requires("core.user.add")(views.user_form), name="user_create"),
    path("users/<int:pk>/edit/", requires("core.user.change")(views.user_form), name="user_edit"),
    path("users/<str:username>/permissions/", grant_views.user_permissions, name="user_permissions"),
    path("grants/", grant_views.GrantListView.as_view(), name="grant_list"),
    path("grants/add/", grant_views.grant_form, name="grant_create"),
    path("grants/<int:pk>/edit/", grant_views.grant_form, name="grant_edit"),
    path("grants/<int:pk>/delete/", grant_views.grant_delete, name="grant_delete"),
    path("users/<int:pk>/unlock/", views.user_unlock, name="user_unlock"),
    path(
        "users/<int:pk>/two-factor/reset/",
        views_two_factor.user_two_factor_reset,
        name="user_two_factor_reset",
    ),
    path("audit/", views.AuditListView.as_view(), name="audit_list"),
    path("audit/<int:pk>/", views.AuditDetailView.as_view(), name="audit_detail"),
    path("import/", views.import_view, name="import"),
    path("attachments/<int:pk>", views.attachment, name="attachment"),
]
