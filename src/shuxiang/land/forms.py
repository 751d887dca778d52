import re

from django import forms

from shuxiang.core.forms import ServiceFormMixin
from shuxiang.land.choices import (
    ContractMethod,
    EntryCategory,
    EntryKind,
    MemberBasis,
    RentKind,
    ShareKind,
    ShareManagement,
    TransfereeKind,
    TransferMode,
)

DATE = {"type": "date"}


class TransferForm(ServiceFormMixin, forms.Form):
    contractor = forms.CharField(
        label="流出方承包方编码（18位）", max_length=18, required=False, help_text="村集体自有土地留空"
    )
    parcels = forms.CharField(
        label="地块编码",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="19位地块编码，多个用空格、逗号或换行分隔",
    )
    transferee = forms.CharField(label="流入方", max_length=100)
    transferee_kind = forms.ChoiceField(label="流入方类型", choices=TransfereeKind.choices)
    mode = forms.ChoiceField(label="流转方式", choices=TransferMode.choices)
    start = forms.DateField(label="起始日期", widget=forms.DateInput(attrs=DATE))
    end = forms.DateField(label="终止日期", widget=forms.DateInput(attrs=DATE))
    rent_kind = forms.ChoiceField(label="租金形式", choices=RentKind.choices)
    annual_rent = forms.DecimalField(
        label="年租金（元）", max_digits=14, decimal_places=2, min_value=0, required=False
    )
    grain_kg_per_mu = forms.DecimalField(
        label="每亩稻谷（kg）", max_digits=8, decimal_places=2, min_value=0, required=False
    )
    grain_price = forms.DecimalField(
        label="稻谷折价（元/kg）", max_digits=8, decimal_places=2, min_value=0, required=False
    )
    contract_file = forms.FileField(label="合同扫描件（PDF或图片）", required=False)

    def clean_parcels(self):
        codes = [c for c in re.split(r"[\s,，、;；]+", self.cleaned_data["parcels"]) if c]
        if not codes:
            raise forms.ValidationError("至少一个地块编码")
        return codes


class FinanceEntryForm(ServiceFormMixin, forms.Form):
    village = forms.ChoiceField(label="村")
    kind = forms.ChoiceField(label="收支", choices=EntryKind.choices)
    category = forms.ChoiceField(label="科目", choices=EntryCategory.choices)
    amount = forms.CharField(label="金额（元）", max_length=20)
    occurred_on = forms.DateField(label="发生日期", widget=forms.DateInput(attrs=DATE))
    voucher_no = forms.CharField(label="凭证号", max_length=30)
    summary = forms.CharField(label="摘要", max_length=200)

    def __init__(self, *args, villages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].choices = [(v.code, f"{v.parent.name} {v.name}") for v in villages]


class DisclosureForm(ServiceFormMixin, forms.Form):
    village = forms.ChoiceField(label="村")
    period = forms.CharField(label="公开期间", max_length=10, help_text="月：2026-11；季度：2026-Q3")
    note = forms.CharField(
        label="说明", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, villages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].choices = [(v.code, f"{v.parent.name} {v.name}") for v in villages]


def split_codes(text: str) -> list[str]:
    return [c for c in re.split(r"[\s,，、;；]+", text or "") if c]


class ContractForm(ServiceFormMixin, forms.Form):
    """承包合同登记: the household (承包方), its parcels and term."""

    contractor = forms.CharField(label="承包方编码（18位）", max_length=18, min_length=18)
    method = forms.ChoiceField(label="承包方式", choices=ContractMethod.choices)
    parcels = forms.CharField(
        label="承包地块编码",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="19位地块编码，多个用空格、逗号或换行分隔",
    )
    start = forms.DateField(label="承包起始日期", widget=forms.DateInput(attrs=DATE))
    end = forms.DateField(label="承包终止日期", widget=forms.DateInput(attrs=DATE))
    certificate_no = forms.CharField(label="经营权证编码", max_length=30, required=False)

    def clean_parcels(self):
        codes = split_codes(self.cleaned_data["parcels"])
        if not codes:
            raise forms.ValidationError("至少一个地块编码")
        return codes


class ContractChangeForm(ServiceFormMixin, forms.Form):
    """Correct an active contract: term end, certificate number, parcels."""

    parcels = forms.CharField(
        label="承包地块编码",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="调地后的全部地块编码，多个用空格、逗号或换行分隔",
    )
    end = forms.DateField(label="承包终止日期", widget=forms.DateInput(attrs=DATE))
    certificate_no = forms.CharField(label="经营权证编码", max_length=30, required=False)

    def clean_parcels(self):
        codes = split_codes(self.cleaned_data["parcels"])
        if not codes:
            raise forms.ValidationError("至少一个地块编码")
        return codes


class ContractTerminateForm(ServiceFormMixin, forms.Form):
    ended_on = forms.DateField(label="终止日期", widget=forms.DateInput(attrs=DATE))
    end_reason = forms.ChoiceField(
        label="终止原因",
        choices=[
            ("", "请选择"),
            ("自愿交回承包地", "自愿交回承包地"),
            ("承包地被依法征收", "承包地被依法征收"),
            ("承包方家庭成员全部消亡", "承包方家庭成员全部消亡"),
            ("转为其他方式承包", "转为其他方式承包"),
            ("其他", "其他"),
        ],
    )
    note = forms.CharField(label="说明", max_length=150, required=False)


class CooperativeForm(ServiceFormMixin, forms.Form):
    """Set up a village's 股份经济合作社 (集体经济组织)."""

    village = forms.ChoiceField(label="行政村")
    name = forms.CharField(
        label="名称", max_length=100, help_text="如：××村股份经济合作社；留空按村名生成", required=False
    )
    credit_code = forms.CharField(label="统一社会信用代码", max_length=18, required=False)
    cutoff_date = forms.DateField(label="成员界定基准日", widget=forms.DateInput(attrs=DATE))
    management = forms.ChoiceField(label="股权管理方式", choices=ShareManagement.choices)
    reserve_percent = forms.DecimalField(
        label="公积公益金提取比例（%）",
        max_digits=6,
        decimal_places=2,
        min_value=0,
        max_value=99,
        initial=30,
        help_text="从每期收益中提留的比例，其余按股分红",
    )

    def __init__(self, *args, villages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].choices = [("", "请选择")] + [
            (v.code, f"{v.parent.name} {v.name}") for v in villages
        ]


class MemberForm(ServiceFormMixin, forms.Form):
    """成员身份确认, first step: propose a person as a member, with the basis."""

    name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(label="身份证号", max_length=18, min_length=18)
    phone = forms.CharField(label="手机号", max_length=20, required=False, help_text="用于接收查询码短信")
    household = forms.CharField(
        label="所在农户（承包方编码）", max_length=18, required=False, help_text="户内共享股份；可留空"
    )
    basis = forms.ChoiceField(label="成员身份依据", choices=MemberBasis.choices)
    basis_note = forms.CharField(label="依据说明", max_length=200, required=False)
    bank_name = forms.CharField(label="开户行", max_length=60, required=False)
    bank_account = forms.CharField(label="收款账号", max_length=30, required=False)


class ShareForm(ServiceFormMixin, forms.Form):
    """股权量化/配股: shares of one kind to one member, to every confirmed member without that kind, or
    the cooperative's own 集体股."""

    TARGETS = [
        ("member", "一位成员"),
        ("all", "全部已确认、尚未持有该类股份的成员"),
        ("collective", "集体股（合作社持有）"),
    ]
    target = forms.ChoiceField(label="配给", choices=TARGETS, initial="member")
    member = forms.ChoiceField(label="成员", required=False)
    kind = forms.ChoiceField(label="股份类型", choices=ShareKind.choices)
    shares = forms.DecimalField(
        label="股数",
        max_digits=14,
        decimal_places=4,
        min_value=0,
        help_text="最多四位小数；对“一位成员”是设定值",
    )
    basis = forms.CharField(
        label="配股依据", max_length=100, required=False, help_text="如：成员大会决议 2024-3 号"
    )

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = [("", "请选择")] + [
            (m.code, f"{m.code} {m.person.name}") for m in members
        ]

    def clean(self):
        data = super().clean()
        if data.get("target") == "member" and not data.get("member"):
            self.add_error("member", "请选择成员")
        if data.get("target") == "collective" and data.get("kind") not in (None, ShareKind.COLLECTIVE):
            self.add_error("kind", "集体股的股份类型应为“集体股”")
        if data.get("target") != "collective" and data.get("kind") == ShareKind.COLLECTIVE:
            self.add_error("kind", "集体股由合作社持有，成员不能持有集体股")
        return data


class ContractorForm(ServiceFormMixin, forms.Form):
    """承包方登记: a contracting household, its head and other members."""

    code = forms.CharField(
        label="承包方编码（18位）", max_length=18, min_length=18, help_text="发包方编码14位 + 户序号4位"
    )
    head_name = forms.CharField(label="户主（承包方代表）姓名", max_length=50)
    head_id_number = forms.CharField(label="户主身份证号", max_length=18, required=False)
    head_phone = forms.CharField(label="户主手机号", max_length=20, required=False)
    members = forms.CharField(
        label="其他家庭成员",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="每行一人：姓名 身份证号（身份证号可省略）",
    )

    def clean_members(self):
        rows = []
        for line in (self.cleaned_data.get("members") or "").splitlines():
            parts = line.split()
            if not parts:
                continue
            if len(parts) > 2:
                raise forms.ValidationError(f"「{line.strip()}」应为：姓名 身份证号")
            rows.append((parts[0], parts[1] if len(parts) == 2 else ""))
        return rows


class ShareTransferForm(ServiceFormMixin, forms.Form):
    """户内转让: shares of one kind from one member to another of the same household."""

    from_member = forms.ChoiceField(label="转出成员")
    to_member = forms.ChoiceField(label="受让成员（同一农户）")
    kind = forms.ChoiceField(
        label="股份类型", choices=[c for c in ShareKind.choices if c[0] != ShareKind.COLLECTIVE]
    )
    shares = forms.DecimalField(label="股数", max_digits=14, decimal_places=4, min_value=0)

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "请选择")] + [
            (m.code, f"{m.code} {m.person.name}（{m.household.name if m.household_id else '无农户'}）")
            for m in members
        ]
        self.fields["from_member"].choices = choices
        self.fields["to_member"].choices = choices


class InheritanceForm(ServiceFormMixin, forms.Form):
    """继承: a deceased member's shares pass to heirs in the household in exact fractions summing to 1."""

    deceased = forms.ChoiceField(label="已故成员")
    heirs = forms.CharField(
        label="继承人及份额",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="每行一人：成员编号 份额（分数，如 1/2、1/3），合计应正好为 1",
    )

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deceased"].choices = [("", "请选择")] + [
            (m.code, f"{m.code} {m.person.name}") for m in members
        ]

    def clean_heirs(self):
        rows = []
        for line in self.cleaned_data["heirs"].splitlines():
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2:
                raise forms.ValidationError(f"「{line.strip()}」应为：成员编号 份额")
            rows.append((parts[0], parts[1]))
        if not rows:
            raise forms.ValidationError("至少一位继承人")
        return rows
