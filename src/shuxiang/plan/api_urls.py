from rest_framework.routers import SimpleRouter

from shuxiang.plan.api import LedgerEntryViewSet, TaskViewSet

router = SimpleRouter(trailing_slash=True)
router.register("plan/tasks", TaskViewSet, basename="plan-task")
router.register("plan/ledgers", LedgerEntryViewSet, basename="plan-ledger")

urlpatterns = router.urls
