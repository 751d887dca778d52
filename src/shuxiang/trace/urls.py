from django.urls import path, re_path

from shuxiang.trace import complaints, public, views

app_name = "trace"

urlpatterns = [
    # public: GS1 Digital Link (AI 01 GTIN-14, AI 10 lot) on the county's domain, and the short form
    re_path(
        r"^01/(?P<gtin>\d{14})/10/(?P<lot_number>[A-Za-z0-9._-]{1,20})$", public.lookup, name="public_lot"
    ),
    path("t/<str:code>", public.short_code, name="short_code"),
    path("t/<str:code>/scan", public.scan, name="scan"),
    path("t/<str:code>/12315", complaints.complaint, name="complaint"),
    path("t/<str:code>/proof.json", public.proof_download, name="proof"),
    # staff and producers
    path("trace/producers/", views.ProducerListView.as_view(), name="producer_list"),
    path("trace/producers/add/", views.producer_create, name="producer_create"),
    path("trace/producers/<int:pk>/", views.producer_detail, name="producer_detail"),
    path("trace/producers/<int:pk>/bases/add/", views.base_create, name="base_create"),
    path("trace/producers/<int:pk>/products/add/", views.product_create, name="product_create"),
    path("trace/producers/<int:pk>/lots/add/", views.lot_create, name="lot_create"),
    path("trace/bases/<int:pk>/plots/add/", views.plot_create, name="plot_create"),
    path(
        "trace/plots/<int:pk>/environment/add/", views.environment_test_create, name="environment_test_create"
    ),
    path("trace/plots/<int:pk>/device/", views.plot_device, name="plot_device"),
    path("trace/lots/", views.LotListView.as_view(), name="lot_list"),
    path("trace/lots/<int:pk>/", views.lot_detail, name="lot_detail"),
    path("trace/lots/<int:pk>/events/add/", views.event_create, name="event_create"),
    path("trace/lots/<int:pk>/certificates/add/", views.certificate_create, name="certificate_create"),
    path("trace/lots/<int:pk>/labels.pdf", views.lot_labels, name="lot_labels"),
    path("trace/lots/<int:pk>/clear-warning/", views.lot_clear_warning, name="lot_clear_warning"),
    path(
        "trace/lots/<int:pk>/confirm-counterfeit/",
        views.lot_confirm_counterfeit,
        name="lot_confirm_counterfeit",
    ),
    path("trace/lots/<int:pk>/dismiss-clue/", views.lot_dismiss_clue, name="lot_dismiss_clue"),
    path("trace/certificates/<int:pk>/", views.certificate_detail, name="certificate_detail"),
]
