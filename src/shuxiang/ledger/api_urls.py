from django.urls import path

from shuxiang.ledger.api import VerifyView

urlpatterns = [path("ledger/verify/", VerifyView.as_view(), name="ledger_verify")]
