from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import RedirectView

from shuxiang.core import views
from shuxiang.core.forms import LoginForm

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="core/login.html", authentication_form=LoginForm),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.password_change, name="password_change"),
    path("notifications/", views.notifications, name="notifications"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", RedirectView.as_view(url="/static/core/favicon.svg", permanent=True)),
    path("places/", views.PlaceListView.as_view(), name="place_list"),
    path("places/suggest/", views.place_suggest, name="place_suggest"),
    path("places/<str:code>/", views.PlaceDetailView.as_view(), name="place_detail"),
    path("places/<str:code>/edit/", views.place_edit, name="place_edit"),
    path("units/", views.UnitListView.as_view(), name="unit_list"),
    path("units/add/", views.unit_form, name="unit_create"),
    path("units/<int:pk>/", views.UnitDetailView.as_view(), name="unit_detail"),
    path("units/<int:pk>/edit/", views.unit_form, name="unit_edit"),
    path("people/", views.PersonListView.as_view(), name="person_list"),
    path("people/add/", views.person_form, name="person_create"),
    path("people/<int:pk>/", views.PersonDetailView.as_view(), name="person_detail"),
    path("people/<int:pk>/edit/", views.person_form, name="person_edit"),
    path("people/<int:pk>/reveal/", views.person_reveal, name="person_reveal"),
    path("users/", views.UserListView.as_view(), name="user_list"),
    path("users/add/", views.user_form, name="user_create"),
    path("users/<int:pk>/edit/", views.user_form, name="user_edit"),
    path("users/<int:pk>/unlock/", views.user_unlock, name="user_unlock"),
    path("audit/", views.AuditListView.as_view(), name="audit_list"),
    path("audit/<int:pk>/", views.AuditDetailView.as_view(), name="audit_detail"),
    path("import/", views.import_view, name="import"),
    path("attachments/<int:pk>", views.attachment, name="attachment"),
]
