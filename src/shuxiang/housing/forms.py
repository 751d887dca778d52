from django import forms
from django.utils import timezone

from shuxiang.core.forms import PlaceCodeChoiceField, ServiceFormMixin
from shuxiang.housing import choices as c

DATE = {"type": "date"}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos from the phone's camera or album (checked and stored by core.files)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*", "capture": "environment"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(PhotosField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


def _blank(choices):
    return [("", "—"), *choices]


class HouseForm(ServiceFormMixin, forms.Form):
    place = PlaceCodeChoiceField(label="村民小组代码", help_text="房屋所在的村民小组（自然村）")
    address = forms.CharField(label="门牌地址", max_length=120, required=False)
    owner_name = forms.CharField(label="户主姓名", max_length=50, required=False)
    owner_id_number = forms.CharField(
        label="户主身份证号", max_length=20, required=False, help_text="加密保存，页面只显示脱敏号码"
    )
    structure = forms.ChoiceField(label="结构类型", choices=c.Structure.choices)
    floors = forms.IntegerField(label="层数", min_value=1, max_value=12)
    year_built = forms.IntegerField(label="建成年份", required=False)
    floor_area = forms.DecimalField(label="建筑面积（m²）", required=False, max_digits=8, decimal_places=1)
    use = forms.ChoiceField(label="用途", choices=c.Use.choices)
    business_kind = forms.ChoiceField(
        label="经营类型", choices=_blank(c.BusinessKind.choices), required=False
    )
    business_name = forms.CharField(label="经营名称", max_length=60, required=False)
    key_group = forms.ChoiceField(
        label="重点对象类别",
        choices=_blank(c.KeyGroup.choices),
        required=False,
        help_text="留空时按户主所在农户的监测状态、低保特困帮扶措施自动判断",
    )
    latitude = forms.FloatField(label="纬度", required=False)
    longitude = forms.FloatField(label="经度", required=False)
    photos = PhotosField(label="房屋照片")


class HouseEditForm(ServiceFormMixin, forms.Form):
    address = forms.CharField(label="门牌地址", max_length=120, required=False)
    structure = forms.ChoiceField(label="结构类型", choices=c.Structure.choices)
    floors = forms.IntegerField(label="层数", min_value=1, max_value=12)
    year_built = forms.IntegerField(label="建成年份", required=False)
    floor_area = forms.DecimalField(label="建筑面积（m²）", required=False, max_digits=8, decimal_places=1)
    use = forms.ChoiceField(label="用途", choices=c.Use.choices)
    business_kind = forms.ChoiceField(
        label="经营类型", choices=_blank(c.BusinessKind.choices), required=False
    )
    business_name = forms.CharField(label="经营名称", max_length=60, required=False)
    key_group = forms.ChoiceField(label="重点对象类别", choices=_blank(c.KeyGroup.choices), required=False)
    latitude = forms.FloatField(label="纬度", required=False)
    longitude = forms.FloatField(label="经度", required=False)
    photos = PhotosField(label="补充照片")


class AppraisalForm(ServiceFormMixin, forms.Form):
    """The phone form: grade, one line per part (foundation and load-bearing structure required)."""

    grade = forms.ChoiceField(label="鉴定等级", choices=c.Grade.choices, widget=forms.RadioSelect)
    appraised_on = forms.DateField(label="鉴定日期", widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))
    appraiser_name = forms.CharField(label="鉴定人", max_length=50)
    appraiser_org = forms.CharField(label="鉴定单位", max_length=80, required=False)
    conclusion = forms.CharField(label="鉴定意见", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    photos = PhotosField(label="现场照片", help_text="C、D级须上传危险部位照片")
    latitude = forms.FloatField(required=False, widget=forms.HiddenInput)
    longitude = forms.FloatField(required=False, widget=forms.HiddenInput)
    submission_key = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for part in c.Part:
            required = part in c.REQUIRED_PARTS
            self.fields[f"level_{part.value}"] = forms.ChoiceField(
                label=part.label,
                choices=c.Finding.choices if required else _blank(c.Finding.choices),
                required=required,
            )
            self.fields[f"note_{part.value}"] = forms.CharField(
                label=f"{part.label}说明", max_length=300, required=False
            )
        self.initial.setdefault("appraised_on", timezone.localdate())

    def findings(self) -> list[dict]:
        data = self.cleaned_data
        return [
            {"part": p.value, "level": data.get(f"level_{p.value}"), "note": data.get(f"note_{p.value}", "")}
            for p in c.Part
            if data.get(f"level_{p.value}")
        ]

    @property
    def part_rows(self):
        return [(self[f"level_{p.value}"], self[f"note_{p.value}"]) for p in c.Part]


class RenovationForm(ServiceFormMixin, forms.Form):
    kind = forms.ChoiceField(label="改造方式", choices=c.RenovationKind.choices)
    subsidy = forms.DecimalField(label="补助资金（元）", required=False, max_digits=10, decimal_places=2)
    contractor = forms.CharField(label="施工单位/工匠", max_length=80, required=False)
    started_on = forms.DateField(
        label="开工日期", required=False, widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d")
    )
    deadline = forms.DateField(label="完成时限", widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))
    note = forms.CharField(label="备注", max_length=300, required=False)


class AcceptanceForm(AppraisalForm):
    """竣工验收: the same part-by-part form, a safe grade and photos of the finished house."""

    grade = forms.ChoiceField(
        label="验收后等级", choices=[("A", "A级（安全）"), ("B", "B级（基本安全）")], widget=forms.RadioSelect
    )
    photos = PhotosField(label="改造后照片", help_text="必须上传")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("latitude", "longitude", "submission_key", "appraiser_org"):
            del self.fields[name]
        self.fields["appraised_on"].label = "验收日期"
        self.fields["appraiser_name"].label = "验收人"
        self.fields["conclusion"].label = "验收意见"


class InspectionForm(ServiceFormMixin, forms.Form):
    inspected_on = forms.DateField(label="排查日期", widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))
    hazards = forms.MultipleChoiceField(
        label="发现的隐患",
        choices=c.Hazard.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="结构安全、经营安全、建设合法性逐项核查；未勾选表示未发现隐患",
    )
    deadline = forms.DateField(
        label="整改时限",
        required=False,
        widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"),
        help_text="留空为30天",
    )
    note = forms.CharField(
        label="说明", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    photos = PhotosField(label="现场照片", help_text="发现隐患须上传")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("inspected_on", timezone.localdate())


class RectifyForm(ServiceFormMixin, forms.Form):
    rectified_on = forms.DateField(label="销号日期", widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))
    note = forms.CharField(label="整改情况", max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    photos = PhotosField(label="整改后照片", help_text="必须上传")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("rectified_on", timezone.localdate())


class UploadForm(ServiceFormMixin, forms.Form):
    file = forms.FileField(label="XLSX 或 CSV 文件")
