from rest_framework.routers import DefaultRouter

from shuxiang.trace import api

router = DefaultRouter(trailing_slash=True)
router.register("trace/producers", api.ProducerViewSet, basename="trace-producer")
router.register("trace/products", api.ProductViewSet, basename="trace-product")
router.register("trace/plots", api.PlotViewSet, basename="trace-plot")
router.register("trace/lots", api.LotViewSet, basename="trace-lot")
router.register("trace/directory", api.DirectoryViewSet, basename="trace-directory")

urlpatterns = router.urls
