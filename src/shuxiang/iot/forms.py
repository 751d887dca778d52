import json

from django import forms

from shuxiang.core.forms import PlaceCodeChoiceField, ServiceFormMixin
from shuxiang.core.models import Unit
from shuxiang.iot.actions import available_actions
from shuxiang.iot.choices import Protocol, RuleKind, Severity
from shuxiang.iot.kinds import kind_choices


class DeviceForm(ServiceFormMixin, forms.Form):
    """A device as staff register it; the service checks the code, the SL 651 password and the scope."""

    code = forms.CharField(label="设备编码", max_length=40, help_text="SL 651 遥测站填 10 位测站地址")
    protocol = forms.ChoiceField(label="接入方式", choices=Protocol.choices)
    place = PlaceCodeChoiceField(label="所在区划代码")
    name = forms.CharField(label="名称", max_length=100, required=False, help_text="不填则用设备编码")
    owner_unit = forms.ModelChoiceField(label="管理单位", queryset=Unit.objects.none(), required=False)
    kind = forms.ChoiceField(
        label="设备类别",
        required=False,
        help_text="由使用设备的模块约定（如水库遥测站、泵站）",
    )
    sl651_password = forms.CharField(
        label="SL 651 密码",
        max_length=4,
        required=False,
        help_text="仅 SL 651 遥测站：4 位十六进制，空表示不校验",
    )
    hj212_password = forms.CharField(
        label="HJ 212 访问密码",
        max_length=16,
        required=False,
        help_text="仅 HJ 212 监测站（设备编码填其 MN）：监测站已配置的访问密码 PW；不填则生成 6 位数字密码",
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_unit"].queryset = Unit.objects.restrict(user).select_related("place")
        self.fields["kind"].choices = kind_choices(with_blank=True, extra=[self.initial.get("kind", "")])

    def clean(self):
        data = super().clean()
        if data.get("sl651_password") and data.get("protocol") != Protocol.SL651:
            self.add_error("sl651_password", "只有 SL 651 遥测站需要填写密码")
        if data.get("hj212_password") and data.get("protocol") != Protocol.HJ212:
            self.add_error("hj212_password", "只有 HJ 212 监测站需要填写访问密码")
        return data


class SensorForm(ServiceFormMixin, forms.Form):
    """A key the device may report, with what it measures and its valid range (values outside are refused)."""

    key = forms.CharField(
        label="要素名", max_length=40, help_text="设备上报时使用的键，如 SL 651 的 Z（水位）、VT（电源电压）"
    )
    name = forms.CharField(label="名称", max_length=60, required=False)
    unit = forms.CharField(label="单位", max_length=20, required=False)
    min_value = forms.FloatField(label="量程下限", required=False)
    max_value = forms.FloatField(label="量程上限", required=False)


class RotateMqttPasswordForm(forms.Form):
    """The explicit confirmation a password rotation needs: the device's current password stops working."""

    warning = "旧密码将立即失效"
    confirm = forms.BooleanField(label=f"{warning}（我已知晓）")
    # the credential the page was shown with (services.credential_stamp); absent from older clients
    stamp = forms.CharField(required=False, widget=forms.HiddenInput)


class RotateTokenForm(RotateMqttPasswordForm):
    warning = "旧令牌将立即失效"
    confirm = forms.BooleanField(label=f"{warning}（我已知晓）")


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
