from django.urls import path

from shuxiang.ledger import views

app_name = "ledger"

urlpatterns = [
    path("ledger/public-key", views.public_key, name="public_key"),
    path("ledger/public-key.json", views.public_key, name="public_key_json"),
    path("ledger/checkpoints.json", views.checkpoints_json, name="checkpoints_json"),
    path("ledger/checkpoints.atom", views.checkpoints_atom, name="checkpoints_atom"),
]
