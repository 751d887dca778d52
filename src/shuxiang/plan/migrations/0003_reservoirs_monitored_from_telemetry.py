"""The plan's "小型水库监测管理系统覆盖数" is counted from telemetry (water.reservoirs_reporting), no
longer typed into task 6's ledger: databases loaded from the earlier plan file get the definition the
file now gives, and lose the rule that asked for the figure beside the reservoir total. Figures
reported for past quarters stay until those quarters are recounted."""

from django.db import migrations

CODE = "reservoirs_monitored"
SOURCE = "water.reservoirs_reporting"
DESCRIPTION = "由遥测数据计算：统计时点前24小时内遥测站有数据上报的小型水库数（当季为当前时刻，往季为季末），不由台账填报"


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
    ValidationRule.objects.filter(code="reservoirs_pair").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("indicators", "0002_datavalue_reporting_unit"),
        ("plan", "0002_attribute_values_to_units"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
