"""Mediation's and village affairs' figures, computed from the disputes: 矛盾纠纷调解成功率 (agreements / disputes concluded in
the year up to the day counted), registered with the indicators engine."""

from shuxiang.governance import affairs, legal, mediation
from shuxiang.indicators.registry import register_source

SUCCESS = "governance.mediation_success"
register_source(SUCCESS, "矛盾纠纷调解成功率（基层治理·调解台账）", mediation.success_rate)
ON_TIME = "governance.decisions_disclosed_on_time"
register_source(ON_TIME, "村级决议按时公开比例（基层治理·四议两公开）", affairs.disclosed_on_time)
ADVISERS = "governance.villages_with_adviser"
register_source(ADVISERS, "有法律顾问的村（社区）比例（基层治理·法律顾问）", legal.villages_with_adviser)

INDICATORS = [
    {
        "code": "governance_mediation_success",
        "name": "矛盾纠纷调解成功率",
        "description": "由调解台账计算：当年截至统计日办结的纠纷中达成调解协议的比例",
        "kind": "ratio",
        "unit": "%",
        "factor": 100,
        "numerator_label": "调解成功",
        "denominator_label": "办结纠纷",
        "source": "computed",
        "computed_by": SUCCESS,
        "max_value": 100,
        "order": 63,
    },
    {
        "code": "governance_decisions_on_time",
        "name": "村级重大事项决议按时公开率",
        "description": "由四议两公开台账计算：当年截至统计日作出的决议中，7日内公开的比例",
        "kind": "ratio",
        "unit": "%",
        "factor": 100,
        "numerator_label": "按时公开",
        "denominator_label": "决议",
        "source": "computed",
        "computed_by": ON_TIME,
        "max_value": 100,
        "order": 64,
    },
    {
        "code": "governance_villages_with_adviser",
        "name": "村（社区）法律顾问覆盖率",
        "description": "由法律顾问聘任台账计算：统计日有在聘法律顾问的村（社区） / 村（社区）总数",
        "kind": "ratio",
        "unit": "%",
        "factor": 100,
        "numerator_label": "有法律顾问的村（社区）",
        "denominator_label": "村（社区）",
        "source": "computed",
        "computed_by": ADVISERS,
        "max_value": 100,
        "order": 65,
    },
]


def ensure_indicators(sender=None, using="default", **kwargs):
    from shuxiang.indicators.models import Indicator

    for spec in INDICATORS:
        spec = dict(spec)
        Indicator.objects.using(using).get_or_create(code=spec.pop("code"), defaults=spec)
