from datetime import timedelta

from django import forms
from django.utils import timezone

from shuxiang.core.forms import ServiceFormMixin
from shuxiang.warnings.choices import Adapter, Certainty, Colour, Urgency
from shuxiang.warnings.models import SignalType

LOCAL_INPUT = "%Y-%m-%dT%H:%M"


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format=LOCAL_INPUT, **kwargs)


class AreaCodesField(forms.Field):
    """Division codes ticked on the place tree (several inputs named "areas")."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        return [v.strip() for v in (value or []) if v and v.strip()]

    def validate(self, value):
        if self.required and not value:
            raise forms.ValidationError("请至少选择一个乡镇或村")


class WarningForm(ServiceFormMixin, forms.Form):
    signal_type = forms.ChoiceField(label="信号类型")
    colour = forms.ChoiceField(label="颜色（级别）", choices=Colour.choices)
    headline = forms.CharField(label="标题", max_length=200)
    description = forms.CharField(label="预警内容", widget=forms.Textarea(attrs={"rows": 4}))
    instruction = forms.CharField(
        label="防御指南",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="留空则使用该信号类型和颜色的防御指南模板",
    )
    effective = forms.DateTimeField(
        label="生效时间", required=False, widget=LocalDateTimeInput(), input_formats=[LOCAL_INPUT]
    )
    expires = forms.DateTimeField(label="失效时间", widget=LocalDateTimeInput(), input_formats=[LOCAL_INPUT])
    urgency = forms.ChoiceField(label="紧迫程度", choices=Urgency.choices, initial=Urgency.EXPECTED)
    certainty = forms.ChoiceField(label="确定程度", choices=Certainty.choices, initial=Certainty.LIKELY)
    areas = AreaCodesField(label="目标区域")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        types = SignalType.objects.filter(is_active=True)
        self.fields["signal_type"].choices = [(t.code, t.name) for t in types]
        self.fields["signal_type"].widget.attrs["data-signal-types"] = "1"
        self.fields["colour"].widget.attrs["data-colour"] = "1"
        self.fields["instruction"].widget.attrs["data-instruction"] = "1"
        if not self.is_bound and "expires" not in self.initial:
            self.initial["expires"] = timezone.localtime() + timedelta(hours=24)

    def service_kwargs(self):
        data = dict(self.cleaned_data)
        if not data.get("instruction"):
            data["instruction"] = None
        return data


class UpdateForm(WarningForm):
    """An Update keeps the signal type of the warning it updates."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["signal_type"]


class CancelForm(forms.Form):
    reason = forms.CharField(label="解除说明", max_length=200, required=False)


class EndpointForm(ServiceFormMixin, forms.Form):
    name = forms.CharField(label="名称", max_length=100)
    place = forms.CharField(
        label="所在区划代码", max_length=14, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )
    adapter = forms.ChoiceField(label="接入方式", choices=Adapter.choices)
    url = forms.CharField(label="推送地址（HTTP）", max_length=300, required=False)
    topic = forms.CharField(label="MQTT 主题", max_length=200, required=False)
    directory = forms.CharField(label="投递目录（文件）", max_length=200, required=False)
    note = forms.CharField(label="备注", max_length=200, required=False)
    is_active = forms.BooleanField(label="启用", required=False, initial=True)


class StatsForm(forms.Form):
    start = forms.DateField(label="起始日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    township = forms.ChoiceField(label="乡镇", required=False)

    def __init__(self, *args, townships=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["township"].choices = [("", "全部")] + [(t.code, t.name) for t in townships]
