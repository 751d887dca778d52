from rest_framework.routers import DefaultRouter

from shuxiang.land import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("land/parcels", api.ParcelViewSet, basename="land-parcel")
router.register("land/contracts", api.ContractViewSet, basename="land-contract")
router.register("land/transfers", api.TransferViewSet, basename="land-transfer")
router.register("land/listings", api.ListingViewSet, basename="land-listing")
router.register("land/members", api.MemberViewSet, basename="land-member")
router.register("land/cooperatives", api.CooperativeViewSet, basename="land-cooperative")
router.register("land/distributions", api.DistributionViewSet, basename="land-distribution")

urlpatterns = router.urls
