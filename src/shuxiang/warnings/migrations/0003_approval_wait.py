"""Warnings remember when they entered the approval queue and when their wait was escalated; those
already waiting count from their last change."""

from django.db import migrations, models


def waiting_since_last_change(apps, schema_editor):
    Warning = apps.get_model("warnings", "Warning")
    Warning.objects.filter(status="pending", submitted_at__isnull=True).update(submitted_at=models.F("updated_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("warnings", "0002_signal_types"),
    ]

    operations = [
        migrations.AddField(
            model_name="warning",
            name="escalated_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="审批超时升级时间"),
        ),
        migrations.AddField(
            model_name="warning",
            name="submitted_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="提交审批时间"),
        ),
        migrations.RunPython(waiting_since_last_change, migrations.RunPython.noop),
    ]
