from django import forms
from django.utils import timezone

from shuxiang.core.forms import ServiceFormMixin
from shuxiang.farmland.choices import (
    Crop,
    FacilityKind,
    Kind,
    LandUse,
    RiceInputKind,
    Transplant,
    current_season,
    season_choices,
)

DATE = {"type": "date"}
KIND_CHOICES = [("", "自动（编号唯一时）"), *Kind.choices]


def _seasons():
    return season_choices(timezone.localdate())


class ParcelCodeMixin(forms.Form):
    parcel = forms.CharField(label="图斑编号", max_length=40, help_text="图斑编号见图斑详情页或地图弹窗")
    kind = forms.ChoiceField(label="图层", choices=KIND_CHOICES, required=False)


class PlantingForm(ServiceFormMixin, ParcelCodeMixin):
    season = forms.ChoiceField(label="季节", choices=_seasons)
    crop = forms.ChoiceField(label="作物", choices=Crop.choices)
    variety = forms.CharField(label="品种", max_length=60, required=False)
    area_mu = forms.DecimalField(label="种植面积（亩）", min_value=0.01, max_digits=10, decimal_places=2)
    grower_name = forms.CharField(label="种植户/经营主体", max_length=100, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["season"].initial = current_season(timezone.localdate())


class PlantingImportForm(ServiceFormMixin, forms.Form):
    file = forms.FileField(
        label="种植情况表（XLSX/CSV）",
        help_text="列：图斑编号、图层（可空）、季节（如 2026年早季）、作物、品种、面积（亩）、种植户；任一行有错则全部不写入",
    )


class PatrolForm(ServiceFormMixin, ParcelCodeMixin):
    season = forms.ChoiceField(label="季节", choices=_seasons)
    observed_use = forms.ChoiceField(label="现场情况", choices=LandUse.choices)
    latitude = forms.FloatField(
        label="纬度", min_value=-90, max_value=90, help_text="点“定位”自动填写，须在图斑内"
    )
    longitude = forms.FloatField(label="经度", min_value=-180, max_value=180)
    note = forms.CharField(
        label="情况说明", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    photo = forms.ImageField(label="现场照片", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["season"].initial = current_season(timezone.localdate())


class DismissForm(ServiceFormMixin, forms.Form):
    reason = forms.CharField(label="核实情况", max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class RiceUpdateForm(ServiceFormMixin, forms.Form):
    stage_override = forms.ChoiceField(label="生育期（人工修正）", required=False)
    transplant_date = forms.DateField(label="移栽日期", required=False, widget=forms.DateInput(attrs=DATE))
    yield_kg_per_mu = forms.FloatField(label="亩产（kg）", required=False, min_value=0, max_value=1500)

    def __init__(self, *args, stages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage_override"].choices = [("", "按日期推算"), *[(s, s) for s in stages]]


class RiceSeasonForm(ServiceFormMixin, ParcelCodeMixin):
    season = forms.ChoiceField(label="季节", choices=_seasons)
    variety = forms.ChoiceField(label="品种")
    sowing_date = forms.DateField(label="播种日期", widget=forms.DateInput(attrs=DATE))
    transplant = forms.ChoiceField(label="栽插方式", choices=Transplant.choices)
    transplant_date = forms.DateField(label="移栽日期", required=False, widget=forms.DateInput(attrs=DATE))
    area_mu = forms.DecimalField(
        label="面积（亩）", required=False, min_value=0.01, help_text="留空为整个田块"
    )
    grower_name = forms.CharField(label="种植户/经营主体", max_length=100, required=False)

    def __init__(self, *args, **kwargs):
        from shuxiang.farmland.models import RiceVariety

        super().__init__(*args, **kwargs)
        self.fields["variety"].choices = [
            (v.pk, f"{v.name}（{v.get_rice_type_display()}）") for v in RiceVariety.objects.all()
        ]
        self.fields["season"].initial = current_season(timezone.localdate())


class BatchCheckForm(ServiceFormMixin, forms.Form):
    germination_rate = forms.FloatField(label="成秧率（%）", min_value=0, max_value=100)
    note = forms.CharField(label="质检说明", max_length=200, required=False)


class BatchDeliverForm(ServiceFormMixin, forms.Form):
    trays = forms.IntegerField(label="交付秧盘数", min_value=1)


class FacilityForm(ServiceFormMixin, forms.Form):
    project = forms.ChoiceField(label="建设项目")
    code = forms.CharField(label="设施编号", max_length=40)
    kind = forms.ChoiceField(label="设施类型", choices=FacilityKind.choices)
    name = forms.CharField(label="名称", max_length=60)
    village = forms.ChoiceField(label="所在村")
    latitude = forms.FloatField(label="纬度", min_value=-90, max_value=90)
    longitude = forms.FloatField(label="经度", min_value=-180, max_value=180)
    size = forms.CharField(label="规模（长度、功率等）", max_length=60, required=False)
    caretaker = forms.CharField(label="管护责任人/单位", max_length=60, required=False)
    device_code = forms.CharField(
        label="监测设备编码",
        max_length=40,
        required=False,
        help_text="田间监测设施填写，登记后设备即可上报数据",
    )

    def __init__(self, *args, projects=(), villages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].choices = [(p.pk, f"{p.name}（{p.year}）") for p in projects]
        self.fields["village"].choices = [
            (v.pk, f"{v.parent.name if v.parent_id else ''}{v.name}") for v in villages
        ]


class DamageForm(ServiceFormMixin, forms.Form):
    description = forms.CharField(
        label="损坏情况",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="如：渠道垮塌约3米",
    )
    photo = forms.ImageField(label="现场照片", required=False)


class RiceInputForm(ServiceFormMixin, forms.Form):
    kind = forms.ChoiceField(label="类别", choices=RiceInputKind.choices)
    name = forms.CharField(label="投入品名称", max_length=100)
    dose = forms.CharField(label="用量", max_length=50, help_text="如 每亩 10 kg")
    applied_on = forms.DateField(label="施用日期", widget=forms.DateInput(attrs=DATE))
    interval_days = forms.IntegerField(label="安全间隔期（天）", required=False, min_value=0, max_value=365)


class StageWarningForm(ServiceFormMixin, forms.Form):
    hazard = forms.ChoiceField(label="灾害")
    start = forms.DateField(label="开始日期", widget=forms.DateInput(attrs=DATE))
    days = forms.IntegerField(label="影响天数", min_value=1, max_value=10, initial=3)
    colour = forms.ChoiceField(label="颜色", choices=[("yellow", "黄色"), ("blue", "蓝色")])
    forecast = forms.CharField(
        label="气象台预报",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="如：9月20日至23日受冷空气影响，日平均气温18～20℃",
    )

    def __init__(self, *args, **kwargs):
        from shuxiang.farmland.rice_weather import HAZARDS

        super().__init__(*args, **kwargs)
        self.fields["hazard"].choices = [(h.code, h.name) for h in HAZARDS.values()]
        self.fields["start"].initial = timezone.localdate() + timezone.timedelta(days=1)


class AdvisoryDismissForm(ServiceFormMixin, forms.Form):
    note = forms.CharField(label="不发布的原因", max_length=200, help_text="如：本次降温对晚稻影响不大")
