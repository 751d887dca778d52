"""Load the national signal types and the county's emergency kinds (data/signal_types.py)."""

from django.db import migrations


def load(apps, schema_editor):
    from shuxiang.warnings.data.signal_types import SIGNAL_TYPES

    SignalType = apps.get_model("warnings", "SignalType")
    for order, row in enumerate(SIGNAL_TYPES, start=1):
        SignalType.objects.update_or_create(code=row["code"], defaults={**row, "order": order * 10})


def unload(apps, schema_editor):
    from shuxiang.warnings.data.signal_types import SIGNAL_TYPES

    apps.get_model("warnings", "SignalType").objects.filter(code__in=[r["code"] for r in SIGNAL_TYPES]).delete()


class Migration(migrations.Migration):
    dependencies = [("warnings", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
