from django import forms

from shuxiang.core.forms import ServiceFormMixin
from shuxiang.core.models import Place
from shuxiang.villager.choices import (
    Category,
    Condition,
    EmploymentStatus,
    Group,
    HeritageCategory,
    HeritageKind,
    HeritageLevel,
    PosterKind,
    PostingKind,
    ReportReason,
    Sector,
    SiteKind,
)
from shuxiang.villager.market import DEFAULT_DAYS, MAX_DAYS


def township_choices():
    return [("", "全部乡镇"), *Place.objects.township_choices()]


def village_choices():
    rows = Place.objects.current().filter(level=3).select_related("parent").order_by("code")
    return [("", "请选择所在村（社区）")] + [(p.code, f"{p.parent.name} · {p.name}") for p in rows]


class PostingForm(ServiceFormMixin, forms.Form):
    kind = forms.ChoiceField(label="类别", choices=PostingKind.choices)
    category = forms.ChoiceField(label="细类", choices=Category.choices)
    title = forms.CharField(
        label="标题", max_length=40, help_text="4–40字，如“招采茶工10名”“出租50马力拖拉机”"
    )
    body = forms.CharField(label="详细说明", max_length=1000, widget=forms.Textarea(attrs={"rows": 5}))
    price = forms.CharField(label="报酬/价格", max_length=40, required=False, help_text="如“150元/天”“面议”")
    place = forms.ChoiceField(label="所在村（社区）")
    contact_name = forms.CharField(label="联系人称呼", max_length=20, help_text="如“李师傅”“王女士”")
    phone = forms.CharField(
        label="联系电话",
        max_length=20,
        help_text="只用于平台转达和核实，不公开显示",
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    days = forms.TypedChoiceField(
        label="有效期",
        coerce=int,
        initial=DEFAULT_DAYS,
        choices=[(7, "7天"), (15, "15天"), (30, "30天"), (60, "60天"), (MAX_DAYS, f"{MAX_DAYS}天")],
    )

    def __init__(self, *args, staff=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = village_choices()
        if staff:
            self.fields["poster_kind"] = forms.ChoiceField(
                label="发布人身份", choices=PosterKind.choices, initial=PosterKind.VILLAGER
            )
            self.fields["verified_note"] = forms.CharField(
                label="核实说明",
                max_length=100,
                required=False,
                help_text="如“清水村村委核实”“市场主体名录：XX合作社”",
            )


class InquiryForm(ServiceFormMixin, forms.Form):
    name = forms.CharField(label="您的称呼", max_length=20)
    phone = forms.CharField(
        label="您的电话",
        max_length=20,
        help_text="只转给发布人，不公开",
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    message = forms.CharField(label="留言", max_length=300, widget=forms.Textarea(attrs={"rows": 3}))


class ReportForm(ServiceFormMixin, forms.Form):
    reason = forms.ChoiceField(label="举报原因", choices=ReportReason.choices)
    note = forms.CharField(label="说明", max_length=200, required=False)


class ModerationForm(ServiceFormMixin, forms.Form):
    approve = forms.TypedChoiceField(
        label="审核结果", coerce=lambda v: v == "yes", choices=[("yes", "通过，发布"), ("no", "不通过")]
    )
    poster_kind = forms.ChoiceField(label="发布人身份", choices=PosterKind.choices)
    verified_note = forms.CharField(label="核实说明", max_length=100, required=False)
    note = forms.CharField(label="审核意见", max_length=200, required=False)


class EmploymentForm(ServiceFormMixin, forms.Form):
    group = forms.ChoiceField(label="监测群体", choices=Group.choices)
    year = forms.IntegerField(label="年度", min_value=2020, max_value=2100)
    quarter = forms.TypedChoiceField(
        label="季度", coerce=int, choices=[(q, f"第{q}季度") for q in (1, 2, 3, 4)]
    )
    status = forms.ChoiceField(label="就业状态", choices=EmploymentStatus.choices)
    sector = forms.ChoiceField(label="行业", choices=[("", "—"), *Sector.choices], required=False)
    employer = forms.CharField(label="就业单位/地点", max_length=60, required=False)
    wanted_sector = forms.ChoiceField(label="求职意向", choices=[("", "—"), *Sector.choices], required=False)


class ImportForm(forms.Form):
    file = forms.FileField(label="人社局就业台账（XLSX 或 CSV）")


def place_choices(levels=(2, 3), user=None):
    """Townships and villages as choices; with `user`, only those in the user's region."""
    places = Place.objects.restrict(user) if user is not None else Place.objects.all()
    rows = places.current().filter(level__in=levels).select_related("parent").order_by("code")
    return [("", "请选择")] + [
        (p.code, f"{p.parent.name} · {p.name}" if p.level == 3 else p.name) for p in rows
    ]


class HeritageItemForm(ServiceFormMixin, forms.Form):
    kind = forms.ChoiceField(label="类别", choices=HeritageKind.choices)
    category = forms.ChoiceField(label="门类", choices=HeritageCategory.choices)
    name = forms.CharField(label="名称", max_length=60)
    place = forms.ChoiceField(label="所在地")
    level = forms.ChoiceField(label="级别", choices=HeritageLevel.choices)
    inheritors = forms.CharField(label="代表性传承人", max_length=200, required=False)
    description = forms.CharField(label="简介", max_length=4000, widget=forms.Textarea(attrs={"rows": 6}))
    latitude = forms.FloatField(label="纬度", required=False, min_value=-90, max_value=90)
    longitude = forms.FloatField(label="经度", required=False, min_value=-180, max_value=180)
    is_published = forms.BooleanField(label="公开展览", required=False, initial=True)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = place_choices(user=user)  # only the user's region


class MediaForm(forms.Form):
    file = forms.FileField(
        label="图片、音频或视频", help_text="JPG/PNG/WebP ≤10MB，MP3/M4A/WAV/OGG ≤20MB，MP4/MOV/WebM ≤100MB"
    )


class InspectionForm(ServiceFormMixin, forms.Form):
    inspected_on = forms.DateField(label="巡查日期", widget=forms.DateInput(attrs={"type": "date"}))
    condition = forms.ChoiceField(label="保存状况", choices=Condition.choices)
    note = forms.CharField(
        label="情况说明", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    photo = forms.FileField(label="现场照片", required=False)


class SiteForm(ServiceFormMixin, forms.Form):
    kind = forms.ChoiceField(label="类型", choices=SiteKind.choices)
    name = forms.CharField(label="名称", max_length=60)
    place = forms.ChoiceField(label="所在地")
    grade = forms.CharField(label="等级", max_length=20, required=False)
    licence_no = forms.CharField(label="经营许可证号", max_length=40, required=False)
    licence_valid_until = forms.DateField(
        label="许可有效期至", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    rating = forms.DecimalField(label="游客评分", required=False, min_value=1, max_value=5, decimal_places=1)
    capacity = forms.IntegerField(label="日最大承载量（人次）", min_value=1, max_value=1_000_000)
    description = forms.CharField(
        label="简介", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    latitude = forms.FloatField(label="纬度", required=False, min_value=-90, max_value=90)
    longitude = forms.FloatField(label="经度", required=False, min_value=-180, max_value=180)
    is_published = forms.BooleanField(label="公开", required=False, initial=True)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = place_choices(user=user)  # only the user's region


class VisitForm(ServiceFormMixin, forms.Form):
    day = forms.DateField(label="日期", widget=forms.DateInput(attrs={"type": "date"}))
    count = forms.IntegerField(label="游客人次", min_value=0, max_value=1_000_000)


class ComplaintForm(ServiceFormMixin, forms.Form):
    description = forms.CharField(
        label="投诉内容", min_length=5, max_length=1000, widget=forms.Textarea(attrs={"rows": 4})
    )
    reporter_name = forms.CharField(label="您的称呼", max_length=20, required=False)
    phone = forms.CharField(label="联系电话（选填，不公开）", max_length=20, required=False)


class RescueForm(ServiceFormMixin, forms.Form):
    description = forms.CharField(
        label="遇到什么情况、在哪个位置",
        min_length=4,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    reporter_name = forms.CharField(label="您的称呼", max_length=20, required=False)
    phone = forms.CharField(
        label="联系电话", max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )


class HealthNoticeForm(ServiceFormMixin, forms.Form):
    topic = forms.ChoiceField(
        label="类型", choices=[("vaccination", "疫苗接种通知"), ("prevention", "疾病预防提示")]
    )
    headline = forms.CharField(label="标题", max_length=60, help_text="如“12月10日流感疫苗接种日”")
    description = forms.CharField(label="广播内容", max_length=1000, widget=forms.Textarea(attrs={"rows": 5}))
    areas = forms.MultipleChoiceField(
        label="发布范围（乡镇或村）", widget=forms.SelectMultiple(attrs={"size": 8})
    )
    days = forms.IntegerField(label="有效天数", min_value=1, max_value=30, initial=7)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["areas"].choices = place_choices(user=user)[1:]


class ExchangeForm(ServiceFormMixin, forms.Form):
    """A land-rental need to the property-rights exchange: the holder's consent, parcels and terms."""

    consent = forms.CharField(
        label="出租方同意情况",
        max_length=100,
        help_text="如“户主签字同意书已存村委（12月5日）”“电话确认同意挂牌”",
    )
    parcels = forms.CharField(
        label="地块编码",
        widget=forms.Textarea(attrs={"rows": 3, "inputmode": "numeric"}),
        help_text="19位地块编码，多个用空格、逗号或换行分开（在“土地与集体经济 › 地块”中可查）",
    )
    reserve_price = forms.DecimalField(
        label="底价（元/年）",
        max_digits=14,
        decimal_places=2,
        min_value=0,
        help_text="整宗地块每年的租金底价",
    )
    term_years = forms.IntegerField(label="流转年限（年）", min_value=1, max_value=30, initial=5)
    mode = forms.ChoiceField(
        label="竞价方式", choices=[("open", "公开竞价（递增）"), ("sealed", "密封报价")], initial="open"
    )
    conditions = forms.CharField(
        label="受让条件",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="如“不得改变农业用途”",
    )

    def clean_parcels(self):
        import re

        return [c for c in re.split(r"[\s,，;；、]+", self.cleaned_data["parcels"]) if c]
