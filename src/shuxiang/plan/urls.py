from django.urls import path

from shuxiang.plan import views

urlpatterns = [
    path("", views.plan_home, name="plan_home"),
    path("tasks/<int:number>/", views.task_detail, name="plan_task_detail"),
    path("ledgers/", views.LedgerListView.as_view(), name="plan_ledgers"),
    path("ledgers/<int:pk>/", views.ledger_detail, name="plan_ledger_detail"),
    path("rounds/", views.round_list, name="plan_rounds"),
    path("rounds/<int:pk>/bulletin.pdf", views.bulletin_file, {"fmt": "pdf"}, name="plan_bulletin_pdf"),
    path("rounds/<int:pk>/bulletin.xlsx", views.bulletin_file, {"fmt": "xlsx"}, name="plan_bulletin_xlsx"),
    path("coverage/", views.CoverageListView.as_view(), name="plan_coverage"),
    path("coverage/add/", views.coverage_add, name="plan_coverage_add"),
    path("coverage/<int:pk>/edit/", views.coverage_edit, name="plan_coverage_edit"),
    path("service-points/", views.ServicePointListView.as_view(), name="plan_service_points"),
    path("service-points/add/", views.service_point_add, name="plan_service_point_add"),
    path("service-points/<int:pk>/edit/", views.service_point_edit, name="plan_service_point_edit"),
    path("registries/import/", views.registry_import, name="plan_registry_import"),
    path("assessment/", views.assessment, name="plan_assessment"),
    path("assignments/", views.assignment_list, name="plan_assignments"),
    path("dashboard/", views.dashboard_view, name="plan_dashboard"),
]
