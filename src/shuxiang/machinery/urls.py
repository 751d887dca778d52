from django.urls import path

from shuxiang.machinery import views

app_name = "machinery"

urlpatterns = [
    path("", views.MachineListView.as_view(), name="machine_list"),
    path("machines/import/", views.import_machines, name="import"),
    path("machines/<int:pk>/", views.MachineDetailView.as_view(), name="machine_detail"),
    path("machines/<int:pk>/track/", views.machine_track, name="machine_track"),
    path("machines/<int:pk>/track.json", views.track_json, name="track_json"),
    path("machines/<int:pk>/operations/", views.record_operation, name="record_operation"),
    path("operations/", views.OperationListView.as_view(), name="operation_list"),
    path("operations/<int:pk>/", views.OperationDetailView.as_view(), name="operation_detail"),
    path("fields/", views.FieldListView.as_view(), name="field_list"),
    path("fields/<int:pk>/path.geojson", views.field_path, name="field_path"),
    path("f/<str:token>/", views.field_share, name="field_share"),
    path("subsidies/", views.SubsidyListView.as_view(), name="subsidy_list"),
    path("subsidies/new/", views.subsidy_new, name="subsidy_new"),
    path("subsidies/<int:pk>/", views.SubsidyDetailView.as_view(), name="subsidy_detail"),
    path("subsidies/<int:pk>/check/", views.subsidy_step, {"step": "check"}, name="subsidy_check"),
    path("subsidies/<int:pk>/approve/", views.subsidy_step, {"step": "approve"}, name="subsidy_approve"),
    path("subsidies/<int:pk>/return/", views.subsidy_step, {"step": "return"}, name="subsidy_return"),
    path("subsidies/<int:pk>/pay/", views.subsidy_step, {"step": "pay"}, name="subsidy_pay"),
    path("s/<str:token>/", views.subsidy_status, name="subsidy_status"),
    path("dispatch/", views.dispatch_board, name="dispatch"),
    path("dispatch/<int:pk>/assign/", views.assign_request, name="assign_request"),
    path("dispatch/<int:pk>/start/", views.request_step, {"step": "start"}, name="request_start"),
    path("dispatch/<int:pk>/finish/", views.request_step, {"step": "finish"}, name="request_finish"),
    path("dispatch/<int:pk>/cancel/", views.request_step, {"step": "cancel"}, name="request_cancel"),
]
