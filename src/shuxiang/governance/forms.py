from django import forms
from django.utils import timezone

from shuxiang.core.forms import PlaceCodeChoiceField, ServiceFormMixin
from shuxiang.governance.choices import CHECKLIST, DISPUTE_KINDS, MEETING_KINDS, OUTCOMES

DATETIME = {"type": "datetime-local"}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*", "capture": "environment"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(PhotosField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


class PatrolForm(ServiceFormMixin, forms.Form):
    started_at = forms.DateTimeField(
        label="开始时间", widget=forms.DateTimeInput(attrs=DATETIME, format="%Y-%m-%dT%H:%M")
    )
    ended_at = forms.DateTimeField(
        label="结束时间", widget=forms.DateTimeInput(attrs=DATETIME, format="%Y-%m-%dT%H:%M")
    )
    checked = forms.MultipleChoiceField(
        label="巡查事项", choices=CHECKLIST, required=False, widget=forms.CheckboxSelectMultiple
    )
    seen = forms.CharField(label="巡查情况", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    photos = PhotosField(label="现场照片")
    event_category = forms.ChoiceField(label="发现问题上报（类别）", required=False)
    event_description = forms.CharField(
        label="问题描述",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="选了类别须描述问题；将生成事件",
    )
    route = forms.CharField(required=False, widget=forms.HiddenInput)
    submission_key = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["event_category"].choices = [("", "无")] + [
            (c.code, f"{c.group} · {c.name}") for c in categories
        ]
        now = timezone.localtime().replace(second=0, microsecond=0)
        self.initial.setdefault("ended_at", now.strftime("%Y-%m-%dT%H:%M"))
        self.initial.setdefault("started_at", (now - timezone.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))

    def clean_route(self):
        import json

        text = self.cleaned_data.get("route") or "[]"
        try:
            value = json.loads(text)
        except ValueError:
            raise forms.ValidationError("轨迹数据格式错误") from None
        return value if isinstance(value, list) else []

    def events(self) -> list[dict]:
        data = self.cleaned_data
        if not data.get("event_category"):
            return []
        return [{"category": data["event_category"], "description": data.get("event_description", "")}]


class DisputeForm(ServiceFormMixin, forms.Form):
    place = PlaceCodeChoiceField(label="发生地（村或村民小组代码）")
    kind = forms.ChoiceField(label="纠纷类型", choices=DISPUTE_KINDS)
    description = forms.CharField(label="纠纷情况", widget=forms.Textarea(attrs={"rows": 4}))
    applicant_name = forms.CharField(label="申请人姓名", max_length=50)
    applicant_id_number = forms.CharField(
        label="申请人身份证号", max_length=20, help_text="加密保存，页面只显示脱敏号码"
    )
    respondent_name = forms.CharField(label="被申请人姓名", max_length=50)
    respondent_id_number = forms.CharField(label="被申请人身份证号", max_length=20)

    def parties(self) -> list[dict]:
        d = self.cleaned_data
        return [
            {"name": d["applicant_name"], "id_number": d["applicant_id_number"], "side": "applicant"},
            {"name": d["respondent_name"], "id_number": d["respondent_id_number"], "side": "respondent"},
        ]

    def apply_service_error(self, error):
        # parties[0].id_number → applicant_id_number, parties[1].… → respondent_…
        mapped = {}
        for field, messages in error.fields.items():
            if field.startswith("parties[0]."):
                field = "applicant_" + field.split(".", 1)[1]
            elif field.startswith("parties[1]."):
                field = "respondent_" + field.split(".", 1)[1]
            mapped[field] = messages
        error.fields = mapped
        super().apply_service_error(error)


class SessionForm(ServiceFormMixin, forms.Form):
    held_on = forms.DateField(
        label="调解日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    location = forms.CharField(label="地点", max_length=100, required=False)
    note = forms.CharField(label="调解情况", widget=forms.Textarea(attrs={"rows": 3}))


class ConcludeForm(ServiceFormMixin, forms.Form):
    outcome = forms.ChoiceField(label="调解结果", choices=OUTCOMES)
    concluded_on = forms.DateField(
        label="办结日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    agreement_text = forms.CharField(
        label="协议内容",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="调解成功时必填，生成调解协议书PDF",
    )


class FollowUpForm(ServiceFormMixin, forms.Form):
    note = forms.CharField(label="回访情况", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class DecisionForm(ServiceFormMixin, forms.Form):
    village = PlaceCodeChoiceField(label="村（社区）代码")
    title = forms.CharField(label="事项", max_length=120)
    content = forms.CharField(label="内容", widget=forms.Textarea(attrs={"rows": 4}))
    proposed_on = forms.DateField(
        label="提议日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class AdvanceForm(ServiceFormMixin, forms.Form):
    on = forms.DateField(label="日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    votes_for = forms.IntegerField(label="赞成票", required=False, min_value=0)
    votes_against = forms.IntegerField(label="反对票", required=False, min_value=0)
    votes_abstain = forms.IntegerField(label="弃权票", required=False, min_value=0)
    result = forms.CharField(label="实施结果", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, step=None, **kwargs):
        super().__init__(*args, **kwargs)
        if step != "resolution":
            for name in ("votes_for", "votes_against", "votes_abstain"):
                del self.fields[name]
        if step != "result":
            del self.fields["result"]

    def votes(self):
        d = self.cleaned_data
        if "votes_for" not in d:
            return None
        values = (d.get("votes_for"), d.get("votes_against"), d.get("votes_abstain"))
        return None if None in values else values


class MeetingForm(ServiceFormMixin, forms.Form):
    village = PlaceCodeChoiceField(label="村（社区）代码")
    kind = forms.ChoiceField(label="类型", choices=MEETING_KINDS)
    held_on = forms.DateField(label="日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    topic = forms.CharField(label="主题", max_length=120)
    expected = forms.IntegerField(label="应到人数", min_value=1)
    attended = forms.IntegerField(label="实到人数", min_value=0)
    minutes = forms.CharField(
        label="会议记录（不公开）", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class AdviserForm(ServiceFormMixin, forms.Form):
    village = PlaceCodeChoiceField(label="村（社区）代码")
    name = forms.CharField(label="法律顾问姓名", max_length=50)
    id_number = forms.CharField(label="身份证号", max_length=20, help_text="加密保存")
    phone = forms.CharField(label="联系电话", max_length=20, required=False, help_text="加密保存，脱敏显示")
    firm = forms.CharField(label="律师事务所/法律服务所", max_length=80)
    since = forms.DateField(
        label="聘任日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    until = forms.DateField(
        label="聘期截止", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class ConsultationForm(ServiceFormMixin, forms.Form):
    village = PlaceCodeChoiceField(label="村（社区）代码")
    name = forms.CharField(label="咨询人姓名", max_length=50)
    id_number = forms.CharField(
        label="咨询人身份证号", max_length=20, help_text="加密保存，页面只显示脱敏号码"
    )
    topic = forms.CharField(label="咨询事项", max_length=100)
    question = forms.CharField(label="咨询内容", widget=forms.Textarea(attrs={"rows": 4}))
    mode = forms.ChoiceField(label="答复方式", choices=[("written", "书面答复"), ("appointment", "预约面谈")])
    appointment_at = forms.DateTimeField(
        label="预约时间", required=False, widget=forms.DateTimeInput(attrs=DATETIME, format="%Y-%m-%dT%H:%M")
    )

    def apply_service_error(self, error):
        error.fields = {k.removeprefix("asker_"): v for k, v in error.fields.items()}
        super().apply_service_error(error)


class AnswerForm(ServiceFormMixin, forms.Form):
    answer = forms.CharField(label="答复内容", widget=forms.Textarea(attrs={"rows": 4}))


class AwarenessNoticeForm(ServiceFormMixin, forms.Form):
    topic = forms.ChoiceField(label="类型", choices=[("anti_fraud", "反诈提示"), ("legal", "普法宣传")])
    headline = forms.CharField(label="标题", max_length=60, help_text="如“警惕冒充客服退款诈骗”")
    description = forms.CharField(label="广播内容", max_length=1000, widget=forms.Textarea(attrs={"rows": 5}))
    areas = forms.MultipleChoiceField(
        label="发布范围（乡镇或村）", widget=forms.SelectMultiple(attrs={"size": 8})
    )
    days = forms.IntegerField(label="有效天数", min_value=1, max_value=30, initial=7)

    def __init__(self, *args, user=None, **kwargs):

        from shuxiang.core.models import Place

        super().__init__(*args, **kwargs)
        places = Place.objects.restrict(user) if user is not None else Place.objects.all()
        rows = places.current().filter(level__in=(2, 3)).select_related("parent").order_by("code")
        self.fields["areas"].choices = [
            (p.code, f"{p.parent.name} · {p.name}" if p.level == 3 else p.name) for p in rows
        ]


class BranchForm(ServiceFormMixin, forms.Form):
    village = PlaceCodeChoiceField(label="村（社区）代码")
    name = forms.CharField(label="党组织名称", max_length=60, help_text="如“中共清水村支部委员会”")
    kind = forms.ChoiceField(
        label="类型", choices=[("branch", "党支部"), ("general", "党总支"), ("joint", "联合党支部")]
    )
    founded_on = forms.DateField(
        label="成立日期", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class MemberForm(ServiceFormMixin, forms.Form):
    name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(
        label="身份证号", max_length=20, help_text="校验后加密保存，页面只显示脱敏号码"
    )
    status = forms.ChoiceField(label="党员类别", choices=[("full", "正式党员"), ("probationary", "预备党员")])
    joined_on = forms.DateField(
        label="入党日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
