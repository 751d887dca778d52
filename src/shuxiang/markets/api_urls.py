from rest_framework.routers import DefaultRouter

from shuxiang.markets import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("markets/prices", api.PriceViewSet, basename="markets-price")
router.register("markets/warnings", api.PriceWarningViewSet, basename="markets-warning")
router.register("grain/purchases", api.PurchaseViewSet, basename="grain-purchase")
router.register("commerce/sales", api.SalesViewSet, basename="commerce-sales")
router.register("commerce/sessions", api.LiveSessionViewSet, basename="commerce-session")
router.register("directory/entities", api.EntityViewSet, basename="directory-entity")
router.register("directory/insurance", api.InsurancePolicyViewSet, basename="directory-insurance")

urlpatterns = router.urls
