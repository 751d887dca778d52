from django.urls import include, path

from shuxiang.markets import views

markets = [
    path("", views.home, name="home"),
    path("prices/", views.prices, name="prices"),
    path("prices/new/", views.price_new, name="price_new"),
    path("prices/import/", views.price_import, name="price_import"),
    path("prices/records/", views.PriceListView.as_view(), name="price_list"),
    path("products/", views.ProductListView.as_view(), name="product_list"),
    path("points/", views.PointListView.as_view(), name="point_list"),
    path("warnings/", views.WarningListView.as_view(), name="warnings"),
    path("warnings/recompute/", views.recompute, name="recompute"),
    path("warnings/<int:pk>/publish/", views.publish_warning, name="publish"),
    path("bulletin/<str:code>/", views.bulletin_view, name="bulletin"),  # code: an ISO week, 2026-W49
    path("backtest/", views.backtest_view, name="backtest"),
]
grain = [
    path("", views.PurchaseListView.as_view(), name="home"),
    path("purchases/new/", views.purchase_new, name="purchase_new"),
    path("stocks/", views.StockListView.as_view(), name="stocks"),
]
commerce = [
    path("", views.commerce_home, name="home"),
    path("stations/", views.StationListView.as_view(), name="stations"),
    path("stations/new/", views.station_new, name="station_new"),
    path("stations/<int:pk>/status/", views.station_status, name="station_status"),
    path("sellers/", views.SellerListView.as_view(), name="sellers"),
    path("sellers/new/", views.seller_new, name="seller_new"),
    path("sessions/", views.LiveSessionListView.as_view(), name="sessions"),
    path("sessions/new/", views.session_new, name="session_new"),
    path("brands/", views.BrandListView.as_view(), name="brands"),
    path("brands/new/", views.brand_new, name="brand_new"),
    path("brands/<int:pk>/", views.brand_detail, name="brand"),
    path("sales/", views.SalesListView.as_view(), name="sales"),
    path("sales/import/", views.sales_import, name="sales_import"),
]
directory = [
    path("", views.DirectoryListView.as_view(), name="home"),
    path("lookups/", views.LookupListView.as_view(), name="lookups"),
    path("insurance/", views.InsuranceListView.as_view(), name="insurance"),
    path("insurance/new/", views.insurance_new, name="insurance_new"),
    path("insurance/import/", views.insurance_import, name="insurance_import"),
    path("insurance/<int:pk>/", views.insurance_edit, name="insurance_edit"),
    path("clients/", views.directory_clients, name="clients"),
    path("clients/new/", views.directory_client_new, name="client_new"),
    path("clients/<int:pk>/", views.directory_client, name="client"),
    path("<int:pk>/", views.directory_detail, name="detail"),
    path("<int:pk>/consent/", views.directory_consent, name="consent"),
]

brands = [
    path("", views.public_brands, name="list"),
    path("<int:pk>/", views.public_brand, name="detail"),
]

urlpatterns = [
    path("markets/", include((markets, "markets"))),
    path("grain/", include((grain, "grain"))),
    path("commerce/", include((commerce, "commerce"))),
    path("directory/", include((directory, "directory"))),
    path("brands/", include((brands, "brands"))),
]
