from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.urls import reverse

from shuxiang.core.choices import KINDS_BY_LEVEL, PlaceKind, Role, UnitKind
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import Place, Unit

DASHES = "---------"  # Django's empty choice, which reads as nothing to a county user


def chinese_empty_choices(form) -> None:
    """An empty choice says 请选择 (required) or 不指定 (optional) instead of "---------"."""
    for field in form.fields.values():
        label = "请选择" if field.required else "不指定"
        if isinstance(field, forms.ModelChoiceField) and field.empty_label == DASHES:
            field.empty_label = label
        elif isinstance(field, forms.ChoiceField) and not isinstance(field, forms.MultipleChoiceField):
            choices = list(field.choices)
            if choices and choices[0][0] in ("", None) and choices[0][1] == DASHES:
                field.choices = [("", label), *choices[1:]]


class ServiceFormMixin:
    """Puts a ServiceError's per-field messages on the form, the rest on top; empty choices in Chinese."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        chinese_empty_choices(self)

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
        "api_only": "该账号为接口账号，只能通过接口令牌访问，不能登录网页",
    }

    def confirm_login_allowed(self, user):
        """Client accounts (banks, gateways, data feeds) reach the platform by API token only."""
        super().confirm_login_allowed(user)
        from shuxiang.core.access import may_use_web

        if not may_use_web(user):
            raise forms.ValidationError(self.error_messages["api_only"], code="api_only")


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
    """A place's own fields. `creating` adds the code and the parent (identity, set once);
    `level` narrows the kinds to those of the place's level."""

    parent = PlaceCodeChoiceField(
        label="上级区划代码", required=False, help_text="新增乡镇、村、村民小组时必填；区县由平台运维导入"
    )
    code = forms.CharField(
        label="区划代码",
        max_length=14,
        help_text="统计用区划代码：乡镇、村12位，村民小组为村代码加2位组号",
    )
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

    EDITABLE = ("name", "kind", "valid_from", "valid_to", "latitude", "longitude")

    def __init__(self, *args, creating=False, level=None, **kwargs):
        super().__init__(*args, **kwargs)
        if not creating:
            del self.fields["parent"]
            del self.fields["code"]
        if level in KINDS_BY_LEVEL:
            self.fields["kind"].choices = [
                (k.value, k.label) for k in PlaceKind if k in KINDS_BY_LEVEL[level]
            ]

    def clean_code(self):
        return self.cleaned_data["code"].strip()


class PlaceMoveForm(ServiceFormMixin, forms.Form):
    parent = PlaceCodeChoiceField(
        label="新的上级区划代码",
        help_text="下级随之迁移；村、村民小组的代码须与新上级一致（代码变了请新增后停用旧的）",
    )


class PlaceRetireForm(ServiceFormMixin, forms.Form):
    valid_to = forms.DateField(
        label="停用日期",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="撤销、合并后的区划保留历史记录，不再算作现行区划；有在用的下级时不能停用",
    )


# The duties a unit may hold (Unit.domains), by the code the apps check with in_domain().
UNIT_DOMAINS = {
    "cases": "事件处置",
    "monitoring": "防返贫监测",
    "water": "水利",
    "iot": "物联网设备",
    "warnings": "预警发布",
    "trace": "农产品追溯",
    "plan": "规划与台账",
    "ecology": "生态环境",
}


class UnitForm(ServiceFormMixin, forms.Form):
    name = forms.CharField(label="名称", max_length=100)
    short_name = forms.CharField(label="简称", max_length=50, required=False)
    kind = forms.ChoiceField(label="类型", choices=UnitKind.choices)
    place = PlaceCodeChoiceField(label="所在区划代码")
    code = forms.CharField(label="统一社会信用代码", max_length=18, required=False)
    phone = forms.CharField(label="办公电话", max_length=20, required=False)
    domains = forms.MultipleChoiceField(
        label="负责领域",
        required=False,
        choices=UNIT_DOMAINS.items(),
        widget=forms.CheckboxSelectMultiple,
        help_text="部门用户只在本单位负责的领域内办理",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A domain stored by an app not listed here stays selectable (and kept) under its code.
        known = dict(UNIT_DOMAINS)
        for code in self.initial.get("domains") or []:
            known.setdefault(code, code)
        self.fields["domains"].choices = list(known.items())


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
