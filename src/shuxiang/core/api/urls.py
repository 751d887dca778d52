from rest_framework.routers import DefaultRouter

from shuxiang.core.api import views

router = DefaultRouter(trailing_slash=True)
router.register("places", views.PlaceViewSet, basename="place")
router.register("units", views.UnitViewSet, basename="unit")
router.register("people", views.PersonViewSet, basename="person")
router.register("users", views.UserViewSet, basename="user")
router.register("audit", views.AuditViewSet, basename="audit")
router.register("me", views.MeView, basename="me")

urlpatterns = router.urls
