import json

from django import forms

from shuxiang.core.forms import PlaceCodeChoiceField, ServiceFormMixin
from shuxiang.iot.actions import available_actions
from shuxiang.iot.choices import RuleKind, Severity


class RuleForm(ServiceFormMixin, forms.Form):
    """An alarm rule as staff edit it; the service validates (and refuses unregistered actions)."""

    name = forms.CharField(label="规则名称", max_length=100)
    device = forms.CharField(
        label="设备编码", max_length=40, required=False, help_text="填写则只对该设备生效"
    )
    place = PlaceCodeChoiceField(
        label="适用区划", required=False, help_text="不填设备时，对该区划下所有设备生效"
    )
    key = forms.CharField(label="要素", max_length=40, help_text="如 Z（水位）、VT（电压）")
    kind = forms.ChoiceField(label="条件", choices=RuleKind.choices)
    threshold = forms.FloatField(label="阈值", required=False)
    duration_minutes = forms.IntegerField(label="持续分钟", min_value=0, initial=0)
    severity = forms.ChoiceField(label="级别", choices=Severity.choices, initial=Severity.MAJOR)
    escalate_after_minutes = forms.IntegerField(label="未确认升级（分钟）", min_value=1, required=False)
    auto_clear = forms.BooleanField(label="恢复正常时自动解除", required=False, initial=True)
    actions = forms.MultipleChoiceField(
        label="联动动作", required=False, widget=forms.CheckboxSelectMultiple, choices=()
    )
    action_config = forms.CharField(
        label="联动参数（JSON）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": '{"colour": "orange", "immediate": false}'}),
    )
    is_active = forms.BooleanField(label="启用", required=False, initial=True)

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["actions"].choices = [(a.code, a.label) for a in available_actions()]
        if editing:
            del self.fields["device"]
            del self.fields["place"]

    def clean_action_config(self):
        raw = (self.cleaned_data.get("action_config") or "").strip()
        if not raw:
            return {}
        try:
            value = json.loads(raw)
        except ValueError:
            raise forms.ValidationError('联动参数应为 JSON 对象，如 {"colour": "orange"}') from None
        if not isinstance(value, dict):
            raise forms.ValidationError("联动参数应为 JSON 对象")
        return value
