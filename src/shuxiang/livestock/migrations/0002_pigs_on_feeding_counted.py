"""The plan's "数字化饲喂系统覆盖生猪" is counted from the registry (livestock.pigs_on_digital_feeding:
head count of pens whose feeders reported in the last 24 hours), no longer typed into task 8's ledger.
Databases loaded from the earlier plan file get the definition the file now gives and lose the rule
that asked for the figure together with the pig stock. Past quarters' reported figures stay until
recounted."""

from django.db import migrations

CODE = "digital_feeding_pigs"
SOURCE = "livestock.pigs_on_digital_feeding"
DESCRIPTION = (
    "由养殖场登记与饲喂器数据计算：统计时点前24小时内饲喂器有数据上报的栏舍存栏（万头；当季为当前时刻，"
    "往季为季末），不由台账填报"
)


def forwards(apps, schema_editor):
    Indicator = apps.get_model("indicators", "Indicator")
    ValidationRule = apps.get_model("indicators", "ValidationRule")
    Indicator.objects.filter(code=CODE, source="reported").update(
        source="computed",
        computed_by=SOURCE,
        description=DESCRIPTION,
        entry_level=None,
        unit_aggregation="sum",
        designated_unit=None,
    )
    ValidationRule.objects.filter(code="pigs_pair").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("livestock", "0001_initial"),
        ("indicators", "0002_datavalue_reporting_unit"),
        ("plan", "0003_reservoirs_monitored_from_telemetry"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
