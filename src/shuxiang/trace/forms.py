from django import forms
from django.utils import timezone

from shuxiang.core.forms import PlaceCodeChoiceField, ServiceFormMixin
from shuxiang.trace.choices import BaseKind, BizStep, EnvKind, InputKind, ProducerKind, ProductCategory

DATE = {"type": "date"}
DATETIME = {"type": "datetime-local"}


class ProducerForm(ServiceFormMixin, forms.Form):
    name = forms.CharField(label="名称", max_length=100)
    kind = forms.ChoiceField(label="主体类型", choices=ProducerKind.choices)
    credit_code = forms.CharField(
        label="统一社会信用代码",
        max_length=18,
        required=False,
        help_text="企业、合作社、个体工商户必填（18位）",
    )
    place = PlaceCodeChoiceField(label="所在区划代码")
    address = forms.CharField(label="地址", max_length=200, required=False)
    contact_name = forms.CharField(label="负责人姓名", max_length=50, required=False)
    contact_id_number = forms.CharField(
        label="负责人身份证号", max_length=32, required=False, help_text="家庭农场、种养殖户必填；加密保存"
    )
    contact_phone = forms.CharField(
        label="联系电话", max_length=20, required=False, help_text="加密保存，对外脱敏显示"
    )
    registered_on = forms.DateField(label="登记日期", required=False, widget=forms.DateInput(attrs=DATE))
    main_products = forms.CharField(label="主要产品", max_length=200, required=False)


class BaseForm(ServiceFormMixin, forms.Form):
    name = forms.CharField(label="基地名称", max_length=100)
    kind = forms.ChoiceField(label="类型", choices=BaseKind.choices)
    place = PlaceCodeChoiceField(label="所在区划代码")
    area_mu = forms.DecimalField(label="面积(亩)", required=False, min_value=0)
    latitude = forms.FloatField(label="纬度", required=False, min_value=-90, max_value=90)
    longitude = forms.FloatField(label="经度", required=False, min_value=-180, max_value=180)


class PlotForm(ServiceFormMixin, forms.Form):
    name = forms.CharField(label="地块/圈舍/塘口名称", max_length=100)
    place = PlaceCodeChoiceField(label="所在区划代码", required=False, help_text="留空则与基地相同")
    area_mu = forms.DecimalField(label="面积(亩)", required=False, min_value=0)
    latitude = forms.FloatField(label="纬度", required=False, min_value=-90, max_value=90)
    longitude = forms.FloatField(label="经度", required=False, min_value=-180, max_value=180)


class PlotDeviceForm(ServiceFormMixin, forms.Form):
    device_code = forms.CharField(
        label="设备编码",
        max_length=40,
        required=False,
        help_text="物联网平台登记的设备编码；留空表示解除关联",
    )


class EnvironmentTestForm(ServiceFormMixin, forms.Form):
    kind = forms.ChoiceField(label="类型", choices=EnvKind.choices)
    tested_on = forms.DateField(label="检测日期", widget=forms.DateInput(attrs=DATE))
    agency = forms.CharField(label="检测机构", max_length=100)
    passed = forms.TypedChoiceField(
        label="结论", choices=[("true", "合格"), ("false", "不合格")], coerce=lambda v: v == "true"
    )
    summary = forms.CharField(
        label="主要指标", max_length=300, required=False, help_text="如：镉 0.21 mg/kg（限值 0.3）"
    )


class ProductForm(ServiceFormMixin, forms.Form):
    name = forms.CharField(label="产品名称", max_length=100)
    category = forms.ChoiceField(label="品类", choices=ProductCategory.choices)
    gtin = forms.CharField(
        label="商品条码(GTIN)",
        max_length=14,
        required=False,
        help_text="8/12/13/14位；没有条码留空，平台分配内部编码",
    )
    unit = forms.CharField(label="计量单位", max_length=10, initial="kg")


class LotForm(ServiceFormMixin, forms.Form):
    product = forms.TypedChoiceField(label="产品", coerce=int)
    origin = forms.TypedChoiceField(label="产地地块", coerce=int, required=False, empty_value=None)
    lot_number = forms.CharField(label="批次号", max_length=20, help_text="字母、数字或 . _ -，如 2025A01")
    quantity = forms.DecimalField(label="数量", min_value=0)

    def __init__(self, *args, producer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = [(p.pk, f"{p.name}（{p.gtin}）") for p in producer.products.all()]
        plots = [(p.pk, str(p)) for b in producer.bases.prefetch_related("plots") for p in b.plots.all()]
        self.fields["origin"].choices = [("", "请选择"), *plots]


class EventForm(ServiceFormMixin, forms.Form):
    biz_step = forms.ChoiceField(label="环节", choices=BizStep.choices)
    event_time = forms.DateTimeField(
        label="发生时间", widget=forms.DateTimeInput(attrs=DATETIME, format="%Y-%m-%dT%H:%M")
    )
    quantity = forms.DecimalField(label="数量", required=False, min_value=0)
    input_kind = forms.ChoiceField(
        label="投入品类别", choices=[("", "—"), *InputKind.choices], required=False
    )
    input_name = forms.CharField(label="投入品名称", max_length=100, required=False)
    input_dose = forms.CharField(label="用量", max_length=50, required=False, help_text="如：每亩 50 mL")
    interval_days = forms.IntegerField(
        label="安全间隔期/休药期(天)", required=False, min_value=0, max_value=365
    )
    test_item = forms.CharField(label="检测项目", max_length=100, required=False)
    test_agency = forms.CharField(label="检测机构", max_length=100, required=False)
    test_passed = forms.TypedChoiceField(
        label="检测结论",
        choices=[("", "—"), ("true", "合格"), ("false", "不合格")],
        coerce=lambda v: v == "true",
        required=False,
        empty_value=None,
    )
    report = forms.FileField(label="检测报告（PDF或图片）", required=False)
    counterparty = forms.CharField(label="收货方/发货方", max_length=100, required=False)
    note = forms.CharField(label="说明", max_length=300, required=False)
    corrects = forms.TypedChoiceField(label="更正哪条事件", coerce=int, required=False, empty_value=None)

    def __init__(self, *args, lot, **kwargs):
        kwargs.setdefault("initial", {}).setdefault(
            "event_time", timezone.localtime().strftime("%Y-%m-%dT%H:%M")
        )
        super().__init__(*args, **kwargs)
        self.fields["corrects"].choices = [("", "不是更正")] + [
            (e.pk, f"{timezone.localtime(e.event_time):%m-%d %H:%M} {e.get_biz_step_display()}")
            for e in lot.events.all()
        ]


class CertificateForm(ServiceFormMixin, forms.Form):
    quantity = forms.DecimalField(label="本证数量", required=False, min_value=0, help_text="留空为整批")
