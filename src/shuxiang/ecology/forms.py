from django import forms
from django.utils import timezone

from shuxiang.core.forms import PlaceCodeChoiceField, ServiceFormMixin
from shuxiang.core.models import Unit
from shuxiang.ecology.choices import CLASS_LABELS, CROPS, PointKind
from shuxiang.ecology.models import Factor, Standard

DATETIME = {"type": "datetime-local"}
# A grade may be typed by its Chinese name (水田作物, Ⅲ类) as well as by its code (paddy, III).
GRADE_BY_LABEL = {label: code for code, label in (*CLASS_LABELS.items(), *CROPS.items())}


def grade_code(text: str) -> str:
    text = (text or "").strip()
    return GRADE_BY_LABEL.get(text, text)


class SampleForm(ServiceFormMixin, forms.Form):
    """A sample at one point: who, when, which lab, the report, and one box per factor of the point's
    standard (boxes left empty are factors not measured)."""

    taken_at = forms.DateTimeField(
        label="采样时间",
        widget=forms.DateTimeInput(attrs=DATETIME, format="%Y-%m-%dT%H:%M"),
        initial=timezone.localtime,
    )
    sampler = forms.CharField(label="采样人", max_length=50)
    lab = forms.CharField(label="检测机构", max_length=100, required=False)
    report_number = forms.CharField(label="报告编号", max_length=50, required=False)
    report = forms.FileField(label="检测报告（PDF）", required=False)

    def __init__(self, *args, factors=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.factor_codes = []
        for factor in factors:
            name = f"f_{factor.code}"
            unit = f"（{factor.unit}）" if factor.unit else ""
            self.fields[name] = forms.FloatField(
                label=f"{factor.name}{unit}",
                required=False,
                widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
            )
            self.factor_codes.append(factor.code)

    def clean_report(self):
        report = self.cleaned_data.get("report")
        if report and not report.name.lower().endswith(".pdf"):
            raise forms.ValidationError("检测报告应为 PDF 文件")
        return report

    def service_values(self) -> dict:
        d = self.cleaned_data
        values = [
            {"factor": code, "value": d[f"f_{code}"]}
            for code in self.factor_codes
            if d.get(f"f_{code}") is not None
        ]
        return {
            "taken_at": d["taken_at"],
            "sampler": d["sampler"],
            "lab": d["lab"],
            "report_number": d["report_number"],
            "report": d.get("report") or None,
            "values": values,
        }


class CollectionForm(ServiceFormMixin, forms.Form):
    collected_at = forms.DateTimeField(
        label="清运时间",
        widget=forms.DateTimeInput(attrs=DATETIME, format="%Y-%m-%dT%H:%M"),
        initial=timezone.localtime,
    )
    weight_kg = forms.FloatField(label="重量（kg）", min_value=0, max_value=50000)
    truck = forms.CharField(label="车辆（车牌号）", max_length=20, required=False)
    transfer_station = forms.CharField(label="转运站", max_length=60)


class SampleImportForm(forms.Form):
    file = forms.FileField(label="实验室报告（.xlsx 或 .csv）")


class BeautyItemsForm(forms.Form):
    file = forms.FileField(label="本区评分细则（.xlsx 或 .csv）")


class RiversForm(forms.Form):
    file = forms.FileField(label="本区水系表（.xlsx 或 .csv）")


class PointForm(ServiceFormMixin, forms.Form):
    """A monitoring point and the standard it is judged by; the service checks the grade against it."""

    code = forms.CharField(label="点位编码", max_length=30)
    name = forms.CharField(label="名称", max_length=100)
    kind = forms.ChoiceField(label="类型", choices=PointKind.choices)
    place = PlaceCodeChoiceField(label="所在区划代码")
    standard = forms.ModelChoiceField(label="执行标准", queryset=Standard.objects.none())
    grade = forms.CharField(
        label="目标等级",
        max_length=12,
        required=False,
        help_text="GB 3838 填目标水质类别 Ⅰ类–Ⅴ类；GB 5084 填 水田作物 / 旱地作物 / 蔬菜；GB 18918 填 1A / 1B；其余留空",
    )
    lake = forms.BooleanField(label="湖泊水库", required=False)
    river = forms.CharField(label="所在水体", max_length=60, required=False)
    river_km = forms.FloatField(
        label="河道里程（公里）",
        required=False,
        min_value=0,
        help_text="自河源起的公里数（桩号）；溯源据此排除下游的污染源",
    )
    responsible_unit = forms.ModelChoiceField(label="责任单位", queryset=Unit.objects.none(), required=False)
    latitude = forms.FloatField(label="纬度", required=False, min_value=-90, max_value=90)
    longitude = forms.FloatField(label="经度", required=False, min_value=-180, max_value=180)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["standard"].queryset = Standard.objects.filter(is_active=True)
        self.fields["responsible_unit"].queryset = Unit.objects.restrict(user).filter(is_active=True)

    def clean_grade(self):
        return grade_code(self.cleaned_data["grade"])


class LimitForm(ServiceFormMixin, forms.Form):
    """One limit of a standard: a new edition's figure, a permit's limit."""

    factor = forms.ModelChoiceField(label="监测因子", queryset=Factor.objects.all())
    grade = forms.CharField(
        label="等级", max_length=12, required=False, help_text="该标准的等级之一；不分等级留空"
    )
    lake = forms.BooleanField(label="湖库限值", required=False)
    min_value = forms.FloatField(label="下限", required=False)
    max_value = forms.FloatField(label="上限", required=False)

    def clean_grade(self):
        return grade_code(self.cleaned_data["grade"])


class BeautyForm(ServiceFormMixin, forms.Form):
    """A village's 美丽屋场 scores for a quarter: one box per checklist item (0 … its weight)."""

    place = PlaceCodeChoiceField(label="村（区划代码）")
    period = forms.CharField(label="季度", max_length=6, help_text="如 2026Q4")
    note = forms.CharField(label="说明", max_length=300, required=False)
    photo = forms.ImageField(label="现场照片", required=False)

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.item_codes = []
        for item in items:
            self.fields[f"s_{item.code}"] = forms.FloatField(
                label=f"{item.name}（满分 {item.max_score}）",
                min_value=0,
                max_value=item.max_score,
                widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
            )
            self.item_codes.append(item.code)

    def service_values(self) -> dict:
        d = self.cleaned_data
        return {
            "place": d["place"],
            "period": d["period"],
            "note": d["note"],
            "photo": d.get("photo") or None,
            "scores": {code: d[f"s_{code}"] for code in self.item_codes},
        }


class ForestImportForm(forms.Form):
    file = forms.FileField(
        label="林地小班图层（GeoJSON、打包的 Shapefile .zip 或 GeoPackage .gpkg）",
        help_text="每个要素一个小班：小班编号（或 林班 + 小班）、村代码（或 乡镇代码）、林地类型，可有森林类别、起源、优势树种、面积",
    )
    crs = forms.CharField(
        label="坐标系（文件缺少坐标系说明时填写）",
        max_length=40,
        required=False,
        help_text="如 EPSG:4525（CGCS2000 3度带第37带）；有 .prj 或为经纬度时留空",
    )


class TruckForm(ServiceFormMixin, forms.Form):
    """A garbage truck; its terminal is picked from the JT/T 808 devices of the user's region."""

    plate = forms.CharField(label="车牌号", max_length=20, help_text="如 湘H·D1234")
    unit = forms.CharField(label="运营单位", max_length=60)
    place = PlaceCodeChoiceField(label="所属乡镇或区（区划代码）")
    capacity_t = forms.FloatField(label="载重（吨）", required=False, min_value=0.1, max_value=100)
    terminal_code = forms.ChoiceField(label="北斗终端（JT/T 808）", required=False)
    is_active = forms.BooleanField(label="在用", required=False, initial=True)

    def __init__(self, *args, user=None, editing=False, **kwargs):
        from shuxiang.iot.models import Device

        super().__init__(*args, **kwargs)
        devices = Device.objects.restrict(user).filter(protocol="jt808").order_by("code")
        self.fields["terminal_code"].choices = [("", "无终端（人工记录）")] + [
            (d.code, f"{d.code} {d.name}") for d in devices
        ]
        if editing:
            del self.fields["plate"]
