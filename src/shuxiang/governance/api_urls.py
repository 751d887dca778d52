from rest_framework.routers import DefaultRouter

from shuxiang.governance import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
# patrols first: "grids/patrols/" must not be read as the grid with code "patrols"
router.register("grids/patrols", api.PatrolViewSet, basename="governance-patrol")
router.register("grids", api.GridViewSet, basename="governance-grid")
router.register("mediation/disputes", api.DisputeViewSet, basename="governance-dispute")
router.register("legal/advisers", api.AdviserViewSet, basename="governance-adviser")
router.register("legal/consultations", api.ConsultationViewSet, basename="governance-consultation")
router.register("affairs/meetings", api.MeetingViewSet, basename="governance-meeting")
router.register("affairs/decisions", api.DecisionViewSet, basename="governance-decision")
router.register("affairs/branches", api.BranchViewSet, basename="governance-branch")

urlpatterns = router.urls
