"""Thin forms for the phone pages; every rule lives in the services."""

from django import forms

from shuxiang.core.forms import ServiceFormMixin
from shuxiang.core.models import Place, Unit, User
from shuxiang.monitoring import choices as c

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*", "capture": "environment"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


class DeclarationForm(ServiceFormMixin, forms.Form):
    place = forms.ChoiceField(label="所在村（社区）")
    name = forms.CharField(label="申报人姓名", max_length=50)
    id_number = forms.CharField(
        label="身份证号",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    phone = forms.CharField(
        label="联系电话", max_length=20, required=False, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    description = forms.CharField(
        label="遇到的困难",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="如家人患大病、受灾、失业、子女上学负担重等",
    )
    risk_types = forms.MultipleChoiceField(
        label="困难类型（可多选）",
        choices=c.RiskType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    consent = forms.BooleanField(
        label="我同意村、乡镇工作人员核查我家的收入、支出和困难情况，用于防止返贫监测帮扶",
        required=False,
    )

    def __init__(self, *args, places=None, **kwargs):
        super().__init__(*args, **kwargs)
        groups: dict[str, list] = {}
        for village in places if places is not None else ():
            groups.setdefault(village.parent.name, []).append((village.code, village.name))
        self.fields["place"].choices = [("", "请选择")] + list(groups.items())


class VisitForm(ServiceFormMixin, forms.Form):
    """A screening visit or a follow-up: the route says which (they need different permissions)."""

    visited_on = forms.DateField(label="走访日期", widget=DATE)
    notes = forms.CharField(label="走访情况", widget=forms.Textarea(attrs={"rows": 4}))
    income_estimate = forms.DecimalField(
        label="人均纯收入测算（元/年，回访填写）", required=False, min_value=0
    )
    concern = forms.BooleanField(label="发现返贫致贫风险（将生成风险线索）", required=False)
    risk_types = forms.MultipleChoiceField(
        label="可能的风险类型",
        choices=c.RiskType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class IncomeForm(ServiceFormMixin, forms.Form):
    year = forms.IntegerField(label="年度")
    wage = forms.DecimalField(label="工资性收入（元）", required=False)
    production = forms.DecimalField(label="生产经营性收入（元）", required=False)
    property_income = forms.DecimalField(label="财产性收入（元）", required=False)
    transfer = forms.DecimalField(label="转移性收入（元）", required=False)
    expenses = forms.DecimalField(
        label="合规自付支出（元）", required=False, help_text="医疗、教育等刚性支出中自付的合规部分"
    )


class GuaranteeForm(ServiceFormMixin, forms.Form):
    category = forms.ChoiceField(label="农户类别", choices=c.Category.choices)
    lifted_year = forms.IntegerField(label="脱贫年度", required=False)
    housing_grade = forms.ChoiceField(
        label="住房安全等级", choices=[("", "未鉴定"), *c.HousingGrade.choices], required=False
    )
    water_safe = forms.BooleanField(label="饮水安全达标", required=False)


class MemberForm(ServiceFormMixin, forms.Form):
    relation = forms.ChoiceField(label="与户主关系", choices=c.Relation.choices)
    labour = forms.ChoiceField(label="劳动能力", choices=c.Labour.choices)
    health = forms.ChoiceField(label="健康状况", choices=c.Health.choices)
    disability_grade = forms.IntegerField(label="残疾等级（1–4，无则空）", required=False)
    schooling = forms.ChoiceField(label="在校情况", choices=c.Schooling.choices)
    medical_insured = forms.BooleanField(label="参加城乡居民医保", required=False)


class NewMemberForm(MemberForm):
    name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(label="身份证号", max_length=20)
    phone = forms.CharField(label="电话", max_length=20, required=False)

    field_order = ["name", "id_number", "phone"]


class MeasureForm(ServiceFormMixin, forms.Form):
    kind = forms.ChoiceField(label="措施类型", choices=c.MeasureKind.choices)
    description = forms.CharField(label="帮扶内容", max_length=200)
    cadre = forms.ModelChoiceField(label="责任干部", queryset=User.objects.none())
    unit = forms.ModelChoiceField(label="责任单位", queryset=Unit.objects.none())
    start_on = forms.DateField(label="开始日期", widget=DATE)
    end_on = forms.DateField(label="结束日期", widget=DATE, required=False)
    amount = forms.DecimalField(label="金额（元）", required=False)

    def __init__(self, *args, user=None, household=None, **kwargs):
        super().__init__(*args, **kwargs)
        path = household.place.path
        ancestors = [p for p in path.split("/") if p]
        self.fields["cadre"].queryset = (
            User.objects.restrict(user)
            .filter(is_active=True, place__code__in=ancestors)
            .exclude(role="client")
        )
        self.fields["unit"].queryset = Unit.objects.restrict(user).filter(
            is_active=True, place__code__in=ancestors
        )


class LinkClueForm(ServiceFormMixin, forms.Form):
    number = forms.CharField(label="户编号", max_length=32)


class DismissForm(ServiceFormMixin, forms.Form):
    note = forms.CharField(label="排除理由", widget=forms.Textarea(attrs={"rows": 3}))


class HomeVisitForm(ServiceFormMixin, forms.Form):
    visited_on = forms.DateField(label="核实日期", widget=DATE)
    notes = forms.CharField(label="核实情况", widget=forms.Textarea(attrs={"rows": 4}))
    consent_signed = forms.BooleanField(label="农户已签署授权承诺书", required=False)
    photos = MultipleFileField(label="照片（入户照片、签字的授权承诺书）", required=False)
    proposed_type = forms.ChoiceField(
        label="拟认定类型", choices=[("", "请选择"), *c.MonitoredType.choices], required=False
    )
    risk_types = forms.MultipleChoiceField(
        label="风险类型（可多选）",
        choices=c.RiskType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    primary_risk = forms.ChoiceField(
        label="主要风险类型", choices=[("", "请选择"), *c.RiskType.choices], required=False
    )

    def __init__(self, *args, elimination=False, **kwargs):
        super().__init__(*args, **kwargs)
        if elimination:
            for name in ("proposed_type", "risk_types", "primary_risk"):
                del self.fields[name]


class VillageReviewForm(ServiceFormMixin, forms.Form):
    notes = forms.CharField(label="民主评议意见", widget=forms.Textarea(attrs={"rows": 3}))
    notice_from = forms.DateField(label="公示开始日期", widget=DATE)
    notice_to = forms.DateField(label="公示结束日期（不少于5天）", widget=DATE)


class DecisionForm(ServiceFormMixin, forms.Form):
    approve = forms.TypedChoiceField(
        label="结论",
        choices=[("1", "通过"), ("0", "不通过")],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    notes = forms.CharField(label="意见", widget=forms.Textarea(attrs={"rows": 3}))


class ThresholdForm(ServiceFormMixin, forms.Form):
    province = forms.CharField(label="省级区划代码", max_length=2, initial="43")
    province_name = forms.CharField(label="省份", max_length=20, initial="湖南省")
    year = forms.IntegerField(label="年度")
    amount = forms.DecimalField(label="监测收入标准（元/人/年）")
    document = forms.CharField(label="依据文件", max_length=200, required=False)


class RuleForm(ServiceFormMixin, forms.Form):
    name = forms.CharField(label="名称", max_length=100)
    parameter = forms.DecimalField(label="参数（%）", required=False)
    valid_from_year = forms.IntegerField(label="起始年度")
    valid_to_year = forms.IntegerField(label="截止年度", required=False)
    is_active = forms.BooleanField(label="启用", required=False)


class UploadForm(forms.Form):
    file = forms.FileField(label="文件（.xlsx 或 .csv）")


class AlertUploadForm(UploadForm):
    kind = forms.ChoiceField(label="预警类型", choices=c.AlertKind.choices)


def village_choices():
    return Place.objects.filter(level=3).select_related("parent").order_by("code")
