"""Forms are thin: they parse what a person typed; the services decide what is acceptable."""

import uuid

from django import forms

from shuxiang.cases.choices import DeadlineUnit, Priority
from shuxiang.cases.models import CaseCategory
from shuxiang.core.choices import PlaceLevel
from shuxiang.core.forms import PlaceCodeChoiceField, ServiceFormMixin
from shuxiang.core.models import Place, Unit


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos from one <input type=file multiple>; each is checked by content in core.files."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*", "multiple": True}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


def village_choices():
    """Villages grouped by township, for the "pick your village" list."""
    groups: dict[str, list] = {}
    townships = dict(Place.objects.filter(level=PlaceLevel.TOWNSHIP).values_list("pk", "name"))
    for code, name, parent in Place.objects.filter(level=PlaceLevel.VILLAGE).values_list(
        "code", "name", "parent_id"
    ):
        groups.setdefault(townships.get(parent, ""), []).append((code, name))
    return [("", "（请选择所在村/社区）"), *sorted(groups.items())]


class ReportForm(ServiceFormMixin, forms.Form):
    """What a resident fills in on the phone page."""

    category = forms.ChoiceField(label="问题类别")
    description = forms.CharField(
        label="问题描述",
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": "请描述问题和具体位置，例如：村口桥头垃圾堆放三天无人清理"}
        ),
    )
    photos = PhotosField(label="现场照片（可多张，每张不超过10MB）")
    village = forms.ChoiceField(label="所在村/社区", required=False)
    latitude = forms.FloatField(required=False, widget=forms.HiddenInput)
    longitude = forms.FloatField(required=False, widget=forms.HiddenInput)
    address = forms.CharField(label="详细位置（可选）", max_length=200, required=False)
    reporter_name = forms.CharField(label="称呼（可选）", max_length=50, required=False)
    phone = forms.CharField(
        label="手机号（可选，仅办理人员可见）",
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    submission_key = forms.CharField(widget=forms.HiddenInput, max_length=80)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "（请选择）")] + [
            (c.code, c.name) for c in CaseCategory.objects.filter(is_active=True, is_public=True)
        ]
        self.fields["village"].choices = village_choices()
        if not self.is_bound:
            self.initial["submission_key"] = uuid.uuid4().hex


class InfoForm(ServiceFormMixin, forms.Form):
    note = forms.CharField(label="补充内容", widget=forms.Textarea(attrs={"rows": 3}))
    photos = PhotosField(label="补充照片")


class ReasonForm(ServiceFormMixin, forms.Form):
    reason = forms.CharField(label="原因", widget=forms.Textarea(attrs={"rows": 2}))


class RateForm(ServiceFormMixin, forms.Form):
    rating = forms.TypedChoiceField(
        label="满意度",
        coerce=int,
        choices=[(5, "5 非常满意"), (4, "4 满意"), (3, "3 基本满意"), (2, "2 不满意"), (1, "1 非常不满意")],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(label="意见（可选）", max_length=300, required=False)


class StaffCaseForm(ServiceFormMixin, forms.Form):
    """A case registered by staff (a phone call, a walk-round)."""

    category = forms.ModelChoiceField(
        label="类别", queryset=CaseCategory.objects.filter(is_active=True), to_field_name="code"
    )
    title = forms.CharField(label="标题（可选）", max_length=100, required=False)
    description = forms.CharField(label="问题描述", widget=forms.Textarea(attrs={"rows": 4}))
    place = PlaceCodeChoiceField(label="所在区划代码")
    address = forms.CharField(label="详细位置", max_length=200, required=False)
    reporter_name = forms.CharField(label="反映人", max_length=50, required=False)
    phone = forms.CharField(label="联系电话", max_length=20, required=False)
    priority = forms.ChoiceField(label="紧急程度", choices=Priority.choices, initial=Priority.NORMAL)
    photos = PhotosField(label="照片")


class DispatchForm(ServiceFormMixin, forms.Form):
    unit = forms.ModelChoiceField(
        label="承办单位", queryset=Unit.objects.filter(is_active=True), required=False
    )
    # Picked from the people who may handle the case (cases.assignment.dispatch_people, set by the
    # page); the service checks the choice again, so the field itself takes any username.
    assignee = forms.CharField(label="承办人", max_length=150, required=False, widget=forms.Select)
    note = forms.CharField(label="派单说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def offer_people(self, people) -> None:
        self.fields["assignee"].widget.choices = [("", "不指定（由承办单位安排）")] + [
            (u.username, f"{u}（{u.get_role_display()}·{u.place.name if u.place else '—'}）") for u in people
        ]


class NoteForm(ServiceFormMixin, forms.Form):
    """A staff step with an optional note (受理, 开始处置, 关闭, 代为确认)."""

    note = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    is_public = forms.BooleanField(label="对反映人公开", required=False)


class RecordForm(NoteForm):
    """办理记录: a note with photos, internal unless marked for the reporter."""

    note = forms.CharField(label="办理记录", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    photos = PhotosField(label="照片")


class EvidenceForm(ServiceFormMixin, forms.Form):
    """办结: what was done and photos of the result; the reporter sees both."""

    note = forms.CharField(label="办理结果", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    photos = PhotosField(label="照片")


class CategoryForm(ServiceFormMixin, forms.Form):
    code = forms.SlugField(label="代码", max_length=40)
    name = forms.CharField(label="名称", max_length=50)
    group = forms.CharField(label="分组", max_length=30, required=False)
    description = forms.CharField(label="说明", max_length=200, required=False)
    deadline_amount = forms.IntegerField(label="办理时限", min_value=1)
    deadline_unit = forms.ChoiceField(label="时限单位", choices=DeadlineUnit.choices)
    accept_hours = forms.IntegerField(label="受理时限（小时）", min_value=0)
    is_public = forms.BooleanField(label="群众可报", required=False)
    is_sensitive = forms.BooleanField(label="敏感（不公开）", required=False)
    is_active = forms.BooleanField(label="启用", required=False, initial=True)


class RoutingRuleForm(ServiceFormMixin, forms.Form):
    place = PlaceCodeChoiceField(label="区划代码（含下级）")
    category = forms.ModelChoiceField(
        label="类别（空为全部类别）",
        queryset=CaseCategory.objects.filter(is_active=True),
        to_field_name="code",
        required=False,
    )
    unit = forms.ModelChoiceField(label="责任单位（可为企业）", queryset=Unit.objects.filter(is_active=True))
    notify_grid = forms.BooleanField(label="同时派给村网格员", required=False, initial=True)
    note = forms.CharField(label="备注", max_length=200, required=False)


class CalendarDayForm(ServiceFormMixin, forms.Form):
    date = forms.DateField(label="日期", widget=forms.DateInput(attrs={"type": "date"}))
    is_workday = forms.TypedChoiceField(
        label="当天", coerce=lambda v: v == "1", choices=[("0", "休息（节假日）"), ("1", "上班（调休）")]
    )
    name = forms.CharField(label="说明", max_length=50, required=False)
