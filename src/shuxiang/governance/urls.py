from django.urls import path, re_path

from shuxiang.governance import views

app_name = "governance"

urlpatterns = [
    path("grids/", views.GridListView.as_view(), name="grid_list"),
    path("mediation/", views.DisputeListView.as_view(), name="dispute_list"),
    path("mediation/new/", views.dispute_new, name="dispute_new"),
    path("mediation/<int:pk>/", views.dispute_detail, name="dispute_detail"),
    path("affairs/", views.DecisionListView.as_view(), name="decision_list"),
    path("affairs/decisions/new/", views.decision_new, name="decision_new"),
    path("affairs/decisions/<int:pk>/", views.decision_detail, name="decision_detail"),
    path("affairs/meetings/new/", views.meeting_new, name="meeting_new"),
    path("affairs/branches/", views.BranchListView.as_view(), name="branch_list"),
    path("affairs/branches/new/", views.branch_new, name="branch_new"),
    path("affairs/branches/<int:pk>/", views.branch_detail, name="branch_detail"),
    re_path(r"^affairs/(?P<code>\d{12})/$", views.affairs_public, name="affairs_public"),
    path("legal/", views.ConsultationListView.as_view(), name="consultation_list"),
    path("legal/new/", views.consultation_new, name="consultation_new"),
    path("legal/advisers/new/", views.adviser_new, name="adviser_new"),
    path("legal/<int:pk>/", views.consultation_detail, name="consultation_detail"),
    path("awareness/", views.awareness_notice, name="awareness_notice"),
    path("grids/<str:code>/", views.grid_detail, name="grid_detail"),
    path("grids/<str:code>/patrol/", views.patrol_new, name="patrol_new"),
]
