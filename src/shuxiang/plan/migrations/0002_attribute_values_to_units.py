"""Each indicator value written by a ledger form goes to that form's reporting unit; figures another
unit's save overwrote are recovered from the audit log (the rules: plan/attribution.py)."""

from django.db import migrations

from shuxiang.plan.attribution import attribute_values, collapse_values


def forwards(apps, schema_editor):
    attribute_values(
        apps.get_model("indicators", "DataValue"),
        apps.get_model("plan", "LedgerEntry"),
        apps.get_model("core", "AuditEntry"),
    )


def backwards(apps, schema_editor):
    collapse_values(apps.get_model("indicators", "DataValue"))


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("indicators", "0002_datavalue_reporting_unit"),
        ("plan", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
