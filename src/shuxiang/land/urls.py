from django.urls import path

from shuxiang.land import public, views

app_name = "land"

urlpatterns = [
    path("land/parcels/", views.ParcelListView.as_view(), name="parcel_list"),
    path("land/parcels/map.geojson", views.parcel_map, name="parcel_map"),
    path("land/parcels/import/", views.parcel_import, name="parcel_import"),
    path("land/parcels/<str:code>/", views.ParcelDetailView.as_view(), name="parcel_detail"),
    path("land/contracts/", views.ContractListView.as_view(), name="contract_list"),
    path("land/contracts/add/", views.contract_create, name="contract_create"),
    path("land/contracts/household/", views.contractor_create, name="contractor_create"),
    path("land/contracts/<str:code>/", views.ContractDetailView.as_view(), name="contract_detail"),
    path("land/contracts/<str:code>/edit/", views.contract_edit, name="contract_edit"),
    path("land/contracts/<str:code>/terminate/", views.contract_terminate, name="contract_terminate"),
    path("land/transfers/", views.TransferListView.as_view(), name="transfer_list"),
    path("land/transfers/add/", views.transfer_create, name="transfer_create"),
    path("land/transfers/<int:pk>/", views.TransferDetailView.as_view(), name="transfer_detail"),
    path("land/listings/", views.ListingListView.as_view(), name="listing_list"),
    path("land/listings/<str:code>/", views.listing_desk, name="listing_desk"),
    path("land/coop/", views.CooperativeListView.as_view(), name="coop_list"),
    path("land/coop/add/", views.coop_create, name="coop_create"),
    path("land/coop/<str:code>/members/", views.coop_members, name="coop_members"),
    path("land/coop/<str:code>/members/add/", views.coop_member_add, name="coop_member_add"),
    path("land/coop/<str:code>/shares/", views.coop_shares, name="coop_shares"),
    path("land/coop/<str:code>/shares/transfer/", views.coop_share_transfer, name="coop_share_transfer"),
    path("land/coop/<str:code>/shares/inherit/", views.coop_inheritance, name="coop_inheritance"),
    path("land/coop/<str:code>/certificates.pdf", views.coop_certificates, name="coop_certificates"),
    path("land/coop/<str:code>/dividends/", views.coop_dividends, name="coop_dividends"),
    path("land/distributions/<int:pk>/", views.distribution_detail, name="distribution_detail"),
    path("land/finance/", views.FinanceEntryListView.as_view(), name="finance_list"),
    path("land/finance/add/", views.finance_entry_create, name="finance_add"),
    path("land/finance/disclose/", views.disclosure_create, name="disclose"),
    # public
    path("land/exchange/", public.exchange_index, name="exchange"),
    path("land/exchange/<str:code>/", public.exchange_listing, name="listing_detail"),
    path("land/my/", public.my_shares, name="my"),
    path("open/<str:code>/", public.open_village, name="open"),
]
