from django.urls import path

from shuxiang.villager import culture_views, employment_views, market_views, tourism_views

app_name = "villager"

urlpatterns = [
    path("market/", market_views.market_home, name="market"),
    path("market/post/", market_views.market_post, name="market_post"),
    path("market/<int:pk>/", market_views.posting_public, name="posting_public"),
    path("market/<int:pk>/contact/", market_views.posting_contact, name="posting_contact"),
    path("market/<int:pk>/report/", market_views.posting_report, name="posting_report"),
    path("market/mine/<str:token>/", market_views.posting_mine, name="posting_mine"),
    path("market/queue/", market_views.queue, name="queue"),
    path("market/queue/<int:pk>/", market_views.moderate, name="moderate"),
    path("market/postings/", market_views.PostingListView.as_view(), name="posting_list"),
    path("market/postings/<int:pk>/exchange/", market_views.posting_exchange, name="posting_exchange"),
    path("employment/", employment_views.employment_home, name="employment"),
    path(
        "employment/records/", employment_views.EmploymentRecordListView.as_view(), name="employment_records"
    ),
    path(
        "employment/records/<int:pk>/",
        employment_views.EmploymentRecordDetailView.as_view(),
        name="employment_record",
    ),
    path("employment/records/<int:pk>/update/", employment_views.employment_update, name="employment_update"),
    path("employment/import/", employment_views.employment_import, name="employment_import"),
    path("employment/courses/", employment_views.CourseListView.as_view(), name="course_list"),
    path("employment/courses/<int:pk>/", employment_views.CourseDetailView.as_view(), name="course_detail"),
    path("employment/courses/<int:pk>/enrol/", employment_views.course_enrol, name="course_enrol"),
    path("culture/", culture_views.culture_home, name="culture"),
    path("culture/items/<int:pk>/", culture_views.culture_item, name="culture_item"),
    path("culture/townships/<str:code>/", culture_views.culture_township, name="culture_township"),
    path("culture/manage/", culture_views.HeritageListView.as_view(), name="culture_manage"),
    path("culture/manage/new/", culture_views.culture_create, name="culture_create"),
    path("culture/manage/<int:pk>/", culture_views.HeritageDetailView.as_view(), name="culture_detail"),
    path("culture/manage/<int:pk>/edit/", culture_views.culture_edit, name="culture_edit"),
    path("culture/manage/<int:pk>/media/", culture_views.culture_media, name="culture_media"),
    path("culture/manage/<int:pk>/inspect/", culture_views.culture_inspect, name="culture_inspect"),
    path("tourism/", tourism_views.tourism_home, name="tourism"),
    path("tourism/sites/<int:pk>/", tourism_views.tourism_site, name="tourism_site"),
    path("tourism/sites/<int:pk>/complaint/", tourism_views.tourism_complaint, name="tourism_complaint"),
    path("tourism/sites/<int:pk>/rescue/", tourism_views.tourism_rescue, name="tourism_rescue"),
    path("tourism/manage/", tourism_views.SiteListView.as_view(), name="tourism_manage"),
    path("tourism/manage/new/", tourism_views.tourism_create, name="tourism_create"),
    path("tourism/manage/<int:pk>/", tourism_views.SiteDetailView.as_view(), name="tourism_detail"),
    path("tourism/manage/<int:pk>/edit/", tourism_views.tourism_edit, name="tourism_edit"),
    path("tourism/manage/<int:pk>/visits/", tourism_views.tourism_visits, name="tourism_visits"),
    path("tourism/manage/<int:pk>/counter/", tourism_views.tourism_counter, name="tourism_counter"),
    path("health/notices/", tourism_views.health_notice, name="health_notice"),
]
