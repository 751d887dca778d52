"""The four platform rules the issue names, as editable rows.

Parameters are starting values an administrator changes on the rules page;
the income line itself is never here (it comes from the threshold table, per
province and year). Missing rows are recreated after every migrate/flush
(post_migrate); existing rows — and an administrator's changes — are left alone.
"""

DEFAULT_RULES = [
    (
        "income-below-threshold",
        "人均纯收入低于监测收入标准",
        "income_below_threshold",
        "100",
        "人均纯收入低于本省当年监测收入标准（参数为标准的百分比，100即标准本身）",
    ),
    ("income-drop", "人均纯收入大幅下降", "income_drop", "30", "人均纯收入比上年下降超过参数百分比"),
    (
        "rigid-expense",
        "刚性支出超过收入",
        "rigid_expense",
        "50",
        "合规自付支出（医疗、教育等刚性支出）超过家庭总收入的参数百分比",
    ),
    (
        "guarantee-failing",
        "三保障或饮水安全未达标",
        "guarantee_failing",
        None,
        "义务教育有失学辍学、有成员未参加基本医保、住房为C/D级危房或饮水不安全",
    ),
]


def ensure_default_rules(sender=None, using="default", **kwargs):
    from shuxiang.monitoring.models import Rule

    for code, name, kind, parameter, description in DEFAULT_RULES:
        Rule.objects.using(using).get_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "parameter": parameter,
                "valid_from_year": 2021,
                "description": description,
            },
        )
