from rest_framework.routers import DefaultRouter

from shuxiang.villager import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("market/postings", api.PostingViewSet, basename="market-posting")
router.register("market/postings", api.PostingExchangeViewSet, basename="market-posting-exchange")
router.register("employment/records", api.EmploymentRecordViewSet, basename="employment-record")
router.register("culture/items", api.HeritageItemViewSet, basename="culture-item")
router.register("tourism/sites", api.TouristSiteViewSet, basename="tourism-site")
router.register("tourism/visits", api.VisitCountViewSet, basename="tourism-visit")

urlpatterns = router.urls
