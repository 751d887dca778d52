"""The plan's machinery figures as computed indicators (machinery.indicators counts them)."""

from django.db import migrations

INDICATORS = [
    dict(code="machinery_operated_mu", name="农机作业面积", kind="number", unit="亩", factor=1,
         computed_by="machinery.operated_mu", period_aggregation="sum",
         description="由农机北斗终端轨迹计算的净作业面积（按作业开始时间计入期间），不由台账填报"),
    dict(code="machinery_rice_planted_share", name="水稻机插（机播）率", kind="ratio", unit="%", factor=100,
         numerator_label="机插（机播）水稻地块面积（亩）", denominator_label="登记水稻地块面积（亩）",
         computed_by="machinery.rice_machine_planted", period_aggregation="last",
         description="当年截至期末有插秧或播种作业轨迹落入的水稻地块面积占登记水稻地块面积的比例"),
    dict(code="machinery_rice_harvested_share", name="水稻机收率", kind="ratio", unit="%", factor=100,
         numerator_label="机收水稻地块面积（亩）", denominator_label="登记水稻地块面积（亩）",
         computed_by="machinery.rice_machine_harvested", period_aggregation="last",
         description="当年截至期末有收获作业轨迹落入的水稻地块面积占登记水稻地块面积的比例"),
    dict(code="machinery_terminal_share", name="农机北斗终端安装率", kind="ratio", unit="%", factor=100,
         numerator_label="装有终端的农机（台）", denominator_label="登记农机（台）",
         computed_by="machinery.with_terminal", period_aggregation="last",
         description="登记农机中装有 JT/T 808 北斗终端的比例"),
]


def forwards(apps, schema_editor):
    Indicator = apps.get_model("indicators", "Indicator")
    for i, spec in enumerate(INDICATORS):
        Indicator.objects.update_or_create(
            code=spec["code"], defaults={**spec, "source": "computed", "order": 900 + i, "decimals": 1}
        )


def backwards(apps, schema_editor):
    apps.get_model("indicators", "Indicator").objects.filter(code__in=[s["code"] for s in INDICATORS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("machinery", "0001_initial"),
        ("indicators", "0002_datavalue_reporting_unit"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
