from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.urls import reverse

from shuxiang.core.choices import PlaceKind, Role, UnitKind
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import Place, Unit


class ServiceFormMixin:
    """Puts a ServiceError's per-field messages on the form, the rest on top."""

    def apply_service_error(self, error: ServiceError):
        """The summary goes on top (it may name things no single field shows), details by field."""
        self.add_error(None, error.message)
        for field, messages in error.fields.items():
            target = field if field in self.fields else None
            for message in messages:
                if target is not None or message != error.message:
                    self.add_error(target, message)


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "用户名或密码错误（连续5次错误将锁定账号30分钟）",
        "inactive": "该账号已停用",
    }


class PlaceCodeInput(forms.TextInput):
    """A division-code box that suggests places as one types a name or the first digits of a code
    (nobody knows 12-digit codes by heart): HTMX fills its datalist from /places/suggest/."""

    template_name = "core/widgets/place_code.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        widget["list_id"] = f"places-{widget['attrs'].get('id') or name}"
        widget["attrs"].update(
            {
                "list": widget["list_id"],
                "autocomplete": "off",
                "placeholder": "输入名称或区划代码",
                "hx-get": f"{reverse('place_suggest')}?field={name}",
                "hx-trigger": "input changed delay:250ms, focus once",
                "hx-target": f"#{widget['list_id']}",
                "hx-swap": "innerHTML",
            }
        )
        return context


class PlaceCodeChoiceField(forms.CharField):
    """A division code typed or picked; the service resolves it, so out-of-scope codes are refused there."""

    widget = PlaceCodeInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 14)
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        try:
            return Place.objects.get(code=value.strip())
        except Place.DoesNotExist:
            raise forms.ValidationError(f"区划代码 {value} 不存在") from None


class PlaceForm(ServiceFormMixin, forms.Form):
    name = forms.CharField(label="名称", max_length=100)
    kind = forms.ChoiceField(label="类型", choices=PlaceKind.choices)
    valid_from = forms.DateField(
        label="启用日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_to = forms.DateField(
        label="停用日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    latitude = forms.FloatField(label="纬度", required=False)
    longitude = forms.FloatField(label="经度", required=False)


class UnitForm(ServiceFormMixin, forms.Form):
    name = forms.CharField(label="名称", max_length=100)
    short_name = forms.CharField(label="简称", max_length=50, required=False)
    kind = forms.ChoiceField(label="类型", choices=UnitKind.choices)
    place = PlaceCodeChoiceField(label="所在区划代码")
    code = forms.CharField(label="统一社会信用代码", max_length=18, required=False)
    phone = forms.CharField(label="办公电话", max_length=20, required=False)
    domains = forms.CharField(
        label="负责领域", required=False, help_text="模块代号，用逗号分隔，如 cases,monitoring"
    )

    def clean_domains(self):
        return [d.strip() for d in self.cleaned_data["domains"].split(",") if d.strip()]


class PersonForm(ServiceFormMixin, forms.Form):
    name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(label="身份证号", max_length=32, required=False)
    phone = forms.CharField(label="电话", max_length=20, required=False)
    place = PlaceCodeChoiceField(label="居住地区划代码")

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            # The stored values are never put back into the form: blank keeps them.
            self.fields["id_number"].help_text = "留空表示不修改"
            self.fields["phone"].help_text = "留空表示不修改"


class UserForm(ServiceFormMixin, forms.Form):
    username = forms.CharField(label="用户名", max_length=150)
    display_name = forms.CharField(label="姓名", max_length=50, required=False)
    role = forms.ChoiceField(label="角色", choices=Role.choices)
    place = PlaceCodeChoiceField(label="所属区划代码")
    unit = forms.ModelChoiceField(label="所属单位", queryset=Unit.objects.none(), required=False)
    can_reveal_pii = forms.BooleanField(label="可查看完整敏感信息", required=False)
    is_active = forms.BooleanField(label="启用", required=False, initial=True)
    password = forms.CharField(
        label="初始密码",
        widget=forms.PasswordInput,
        required=False,
        help_text="至少8位，含大写、小写、数字、符号中的3类",
    )

    def __init__(self, *args, user=None, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.restrict(user).select_related("place")
        if editing:
            self.fields["username"].disabled = True
            self.fields["password"].label = "重置密码"
            self.fields["password"].help_text = "留空表示不修改"
        else:
            self.fields["password"].required = True


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label="导入内容", choices=[("places", "区划"), ("units", "单位"), ("users", "用户")]
    )
    file = forms.FileField(label="文件（XLSX 或 CSV）")
