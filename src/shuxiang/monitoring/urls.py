"""Monitoring's pages. Each view declares its permission (views.page, or `permission` on the list
views); `declare/` and `notice/<token>/` are public pages for residents without an account."""

from django.urls import path

from shuxiang.monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("", views.worklist_view, name="worklist"),
    path("households/", views.HouseholdListView.as_view(), name="household_list"),
    path("households/export/", views.national_export, name="national_export"),
    path("households/<int:pk>/", views.household_detail, name="household_detail"),
    path("households/<int:pk>/visit/", views.screening_visit, name="visit"),
    path("households/<int:pk>/follow-up/", views.follow_up_visit, name="follow_up"),
    path("households/<int:pk>/income/", views.income_form, name="income"),
    path("households/<int:pk>/guarantees/", views.guarantee_form, name="guarantees"),
    path("households/<int:pk>/members/add/", views.member_add, name="member_add"),
    path("households/<int:pk>/measures/add/", views.measure_form, name="measure_add"),
    path("households/<int:pk>/procedures/start/", views.start_procedure, name="start_procedure"),
    path("members/<int:pk>/edit/", views.member_edit, name="member_edit"),
    path("clues/", views.ClueListView.as_view(), name="clue_list"),
    path("clues/<int:pk>/", views.clue_detail, name="clue_detail"),
    path("procedures/", views.ProcedureListView.as_view(), name="procedure_list"),
    path("procedures/<int:pk>/", views.procedure_detail, name="procedure_detail"),
    path("declare/", views.declare, name="declare"),
    path("notice/<str:token>/", views.notice, name="notice"),
    path("import/", views.import_view, name="import"),
    path("alerts/upload/", views.alert_upload, name="alert_upload"),
    path("config/", views.config_view, name="config"),
    path("config/rules/<int:pk>/", views.rule_edit, name="rule_edit"),
    path("stats/", views.stats, name="stats"),
]
