from django import forms

from shuxiang.core.forms import ServiceFormMixin
from shuxiang.plan.choices import ServicePointKind

YES_NO = [("", "未调查"), ("true", "是"), ("false", "否")]


class RoundForm(ServiceFormMixin, forms.Form):
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    quarter = forms.TypedChoiceField(
        label="季度", coerce=int, choices=[(q, f"第{q}季度") for q in range(1, 5)]
    )
    deadline = forms.DateTimeField(
        label="报送截止",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class CoverageForm(ServiceFormMixin, forms.Form):
    place = forms.CharField(label="区划代码", max_length=14, help_text="乡镇、村或村民小组的区划代码")
    has_4g = forms.ChoiceField(label="4G覆盖", choices=YES_NO, required=False)
    has_5g = forms.ChoiceField(label="5G覆盖", choices=YES_NO, required=False)
    has_fibre = forms.ChoiceField(label="光纤通达", choices=YES_NO, required=False)
    has_cable_tv = forms.ChoiceField(label="有线电视连通", choices=YES_NO, required=False)
    bandwidth_mbps = forms.CharField(label="政务网带宽(Mbps)", required=False)
    surveyed_on = forms.CharField(
        label="调查日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label="备注", required=False, max_length=200)


class ServicePointForm(ServiceFormMixin, forms.Form):
    place = forms.CharField(label="区划代码", max_length=14, help_text="乡镇或村的区划代码")
    kind = forms.ChoiceField(label="类型", choices=ServicePointKind.choices)
    name = forms.CharField(label="名称", max_length=100)
    address = forms.CharField(label="地址", max_length=200, required=False)
    opened_on = forms.DateField(
        label="建成日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    is_active = forms.BooleanField(label="在用", required=False, initial=True)


class RegistryImportForm(forms.Form):
    kind = forms.ChoiceField(
        label="登记类型", choices=[("coverage", "网络覆盖登记"), ("service_points", "服务网点")]
    )
    file = forms.FileField(label="文件（.xlsx 或 .csv）")


class SchemeForm(ServiceFormMixin, forms.Form):
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    name = forms.CharField(label="名称", max_length=100, required=False)
    weight_kpi = forms.CharField(label="指标完成权重(%)", initial="50")
    weight_timeliness = forms.CharField(label="台账按时权重(%)", initial="20")
    weight_assignments = forms.CharField(label="交办办结权重(%)", initial="20")
    weight_manual = forms.CharField(label="评议权重(%)", initial="10")
    manual_default = forms.CharField(label="未评议时评议分", initial="80")
    commend_top = forms.CharField(label="每组表彰名额", initial="3")
    criticize_below = forms.CharField(label="通报批评分数线", initial="60")


class ManualScoreForm(ServiceFormMixin, forms.Form):
    subject = forms.ChoiceField(label="考核对象")
    score = forms.CharField(label="评议分(0–100)")
    reason = forms.CharField(label="理由", max_length=300)


class AssignmentForm(ServiceFormMixin, forms.Form):
    unit = forms.ModelChoiceField(label="承办单位", queryset=None)
    title = forms.CharField(label="事项", max_length=100)
    description = forms.CharField(label="问题和要求", widget=forms.Textarea)
    deadline = forms.DateTimeField(
        label="办理时限",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    task = forms.IntegerField(label="相关任务序号", required=False, min_value=1, max_value=99)
    major = forms.BooleanField(label="重大问题，提请区委、区政府研究", required=False)

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
