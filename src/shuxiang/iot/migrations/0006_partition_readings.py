"""Readings partitioned by month on PostgreSQL (iot/partitions.py); nothing changes on SQLite.

Rewrites iot_reading: on a database with many readings this copies them all once (measured: about a
minute per 10 million rows here) while telemetry writes wait — run it in a maintenance window
(docs/operations.md, "Writing migrations")."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from shuxiang.iot import partitions

    partitions.convert_table(schema_editor)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from shuxiang.iot import partitions

    partitions.unconvert_table(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("iot", "0005_learning_pending_sensors_registry_version")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
