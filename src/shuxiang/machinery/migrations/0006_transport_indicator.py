"""城乡客运：the plan's village bus service as a computed indicator (machinery.indicators)."""

from django.db import migrations

SPEC = dict(
    code="transport_villages_served_daily",
    name="通客车村当日到站率",
    kind="ratio",
    unit="%",
    factor=100,
    numerator_label="当日有班车到站的村",
    denominator_label="设有客运站点的村",
    computed_by="machinery.villages_bus_served",
    period_aggregation="last",
    description="按客运车辆北斗终端轨迹：期末日（当期为昨日）有车辆进入站点150米范围的村占设站村的比例，不由台账填报",
)


def forwards(apps, schema_editor):
    apps.get_model("indicators", "Indicator").objects.update_or_create(
        code=SPEC["code"], defaults={**SPEC, "source": "computed", "order": 910, "decimals": 1}
    )


def backwards(apps, schema_editor):
    apps.get_model("indicators", "Indicator").objects.filter(code=SPEC["code"]).delete()


class Migration(migrations.Migration):
    dependencies = [("machinery", "0005_transport"), ("indicators", "0002_datavalue_reporting_unit")]

    operations = [migrations.RunPython(forwards, backwards)]
