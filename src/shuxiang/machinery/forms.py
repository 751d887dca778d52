from django import forms

from shuxiang.core.forms import PlaceCodeChoiceField, ServiceFormMixin
from shuxiang.machinery.choices import MachineKind, OperationKind, RoadCondition


class RequestForm(ServiceFormMixin, forms.Form):
    place = PlaceCodeChoiceField(label="所在村")
    requester_name = forms.CharField(label="申请人", max_length=60)
    kind = forms.ChoiceField(label="作业类型", choices=OperationKind.choices)
    area_mu = forms.FloatField(label="预计面积（亩）", min_value=0.1)
    window_start = forms.DateField(label="期望开始", widget=forms.DateInput(attrs={"type": "date"}))
    window_end = forms.DateField(label="期望完成", widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label="说明", max_length=200, required=False)


class OperationForm(ServiceFormMixin, forms.Form):
    kind = forms.ChoiceField(label="作业类型", choices=OperationKind.choices)


class UploadForm(forms.Form):
    file = forms.FileField(label="文件（.xlsx 或 .csv）")


class SubsidyForm(ServiceFormMixin, forms.Form):
    place = PlaceCodeChoiceField(label="所在村")
    applicant_name = forms.CharField(label="申请人姓名", max_length=40)
    id_number = forms.CharField(label="身份证号", max_length=18)
    phone = forms.CharField(label="手机号", max_length=11, required=False)
    kind = forms.ChoiceField(label="机具类型", choices=MachineKind.choices)
    make = forms.CharField(label="生产厂家", max_length=60)
    model = forms.CharField(label="型号", max_length=60)
    serial_number = forms.CharField(label="出厂编号", max_length=40)
    implement_width_m = forms.FloatField(label="作业幅宽（m）", min_value=0.1, max_value=30)
    price = forms.DecimalField(label="购机价格（元）", min_value=0, max_digits=10, decimal_places=2)
    subsidy = forms.DecimalField(label="申请补贴额（元）", min_value=0, max_digits=10, decimal_places=2)
    invoice = forms.FileField(label="发票照片", required=False)


class InspectionForm(ServiceFormMixin, forms.Form):
    inspected_on = forms.DateField(label="巡查日期", widget=forms.DateInput(attrs={"type": "date"}))
    condition = forms.ChoiceField(label="技术状况", choices=RoadCondition.choices)
    damaged = forms.BooleanField(label="发现破损（生成处置事件）", required=False)
    note = forms.CharField(label="情况说明", max_length=300, required=False)
    latitude = forms.FloatField(label="纬度", required=False, min_value=-90, max_value=90)
    longitude = forms.FloatField(label="经度", required=False, min_value=-180, max_value=180)
    photo = forms.ImageField(label="照片", required=False)


class TimetableForm(ServiceFormMixin, forms.Form):
    offsets = forms.CharField(
        label="各站运行时分（分钟，按站序，首站 0）", max_length=400, help_text="如：0 12 25 40"
    )
    out_times = forms.CharField(
        label="去程发车时刻", max_length=400, required=False, help_text="如：06:30 09:00 14:30"
    )
    back_times = forms.CharField(label="返程发车时刻", max_length=400, required=False)
