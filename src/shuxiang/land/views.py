"""Staff pages of the land app: parcels (map, list, detail, import), transfers, the exchange's desk,
cooperatives (members, dividend runs) and village books. Public pages are in land.public."""

import json
import tempfile
from decimal import Decimal
from pathlib import Path

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from shuxiang.core import formats
from shuxiang.core.access import requires
from shuxiang.core.errors import ServiceError
from shuxiang.core.generic import (
    Column,
    ObjectDetailView,
    ObjectListView,
    form_page,
    object_or_404,
    object_view,
)
from shuxiang.core.models import Place
from shuxiang.core.permissions import has_perm
from shuxiang.land import coop, exchange, finance, parcels, services
from shuxiang.land.api import payout_file_response
from shuxiang.land.choices import DistributionStatus, ListingStatus, TransfereeKind
from shuxiang.land.filtersets import (
    ContractFilterSet,
    CooperativeFilterSet,
    FinanceEntryFilterSet,
    ListingFilterSet,
    ParcelFilterSet,
    TransferFilterSet,
)
from shuxiang.land.models import (
    Bidder,
    Contract,
    Contractor,
    Cooperative,
    Distribution,
    FinanceEntry,
    Listing,
    Parcel,
    TextMessage,
    Transfer,
)

MAP_LIMIT = 5000


def _refused(exc: ServiceError) -> None:
    """A refusal of the gate is a 403 (no permission) or 404 (outside the region), not a form message."""
    if exc.status == 403:
        raise PermissionDenied(exc.message)
    if exc.status == 404:
        raise Http404(exc.message)


def _mu(value):
    return "" if value is None else formats.number(value)


class ParcelListView(ObjectListView):
    """Parcels in scope on our own vector map and as a table: search by code, name, holder or village."""

    model = Parcel
    filterset_class = ParcelFilterSet
    title = "地块"
    template_name = "land/parcel_list.html"
    select_related = ("village", "village__parent")
    columns = [
        Column("地块编码", "code", link=True),
        Column("名称", "name"),
        Column("所在村", lambda p: f"{p.village.parent.name} {p.village.name}"),
        Column("类别", "get_kind_display"),
        Column("登记面积(亩)", lambda p: _mu(p.registered_mu)),
        Column("图形面积(亩)", lambda p: _mu(p.measured_mu)),
        Column("面积差异超限", "area_flagged"),
    ]

    @staticmethod
    def detail_url(obj):
        return obj.get_absolute_url()

    def get_extra_context(self, queryset):
        totals = queryset.aggregate(n=Count("pk"), area=Sum("registered_area_m2"))
        return {
            "kpi_count": totals["n"],
            "kpi_mu": _mu((totals["area"] or 0) / parcels.MU_M2) if totals["area"] else "0",
            "kpi_flagged": queryset.filter(area_flagged=True).count(),
            "map_query": self.request.GET.urlencode(),
            "may_import": has_perm(self.request.user, "land.parcel.add"),
        }


@requires("land.parcel.view")
@require_GET
def parcel_map(request):
    """The parcels of the list's filter as GeoJSON for the map (capped). Parcels are stored rounded to
    ~1 cm and are small: each geometry is sent as the database holds its JSON text, without decoding
    and re-encoding thousands of coordinate lists (the layer of a 3,000-parcel village)."""
    from django.db.models import TextField
    from django.db.models.functions import Cast

    qs = Parcel.objects.restrict(request.user).exclude(geometry=None)
    filterset = ParcelFilterSet(request.GET, queryset=qs, request=request)
    qs = filterset.qs if filterset.is_valid() else qs.none()
    rows = list(
        qs.order_by("code")
        .annotate(shape=Cast("geometry", TextField()))
        .values_list("code", "name", "area_flagged", "shape")[: MAP_LIMIT + 1]
    )
    detail = reverse("land:parcel_detail", args=["0"])[:-2]  # "/land/parcels/"
    features = ",".join(
        '{{"type":"Feature","geometry":{},"properties":{}}}'.format(
            shape,
            json.dumps(
                {"code": code, "name": name, "flagged": flagged, "url": f"{detail}{code}/"},
                ensure_ascii=False,
            ),
        )
        for code, name, flagged, shape in rows[:MAP_LIMIT]
    )
    body = '{{"type":"FeatureCollection","features":[{}],"truncated":{}}}'.format(
        features,
        "true" if len(rows) > MAP_LIMIT else "false",
    )
    return HttpResponse(body, content_type="application/json")


class ParcelDetailView(ObjectDetailView):
    model = Parcel
    lookup_field = "code"
    template_name = "land/parcel_detail.html"
    select_related = ("village", "village__parent", "issuer")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        p = self.object
        ctx["contracts"] = p.contracts.select_related("contractor__head")
        ctx["transfers"] = Transfer.objects.restrict(self.request.user).filter(parcels=p)
        ctx["difference"] = parcels.area_difference(p.registered_area_m2, p.measured_area_m2)
        ctx["tolerance"] = parcels.AREA_TOLERANCE
        return ctx


@requires("land.parcel.add")
def parcel_import(request):
    """Upload a survey file (zipped Shapefile with .prj, GeoPackage or GeoJSON) and an optional XLSX sheet."""
    result = problems = None
    villages = Place.objects.restrict(request.user).filter(level=3).order_by("code")[:500]
    if request.method == "POST":
        upload = request.FILES.get("file")
        sheet = request.FILES.get("attributes")
        village = None
        if request.POST.get("village"):
            village = villages.filter(code=request.POST["village"]).first()
        if upload is None:
            problems = ["请选择文件"]
        else:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / Path(upload.name).name
                path.write_bytes(upload.read())
                attrs = None
                if sheet is not None:
                    attrs = Path(tmp) / Path(sheet.name).name
                    attrs.write_bytes(sheet.read())
                try:
                    result = parcels.do_import_parcels(
                        path, actor=request.user, village=village, attributes=attrs
                    )
                    messages.success(request, f"已导入：新增 {result.created} 块，更新 {result.updated} 块")
                except ServiceError as exc:
                    _refused(exc)
                    problems = [exc.message, *exc.fields.get("rows", []), *exc.fields.get("file", [])]
    return render(
        request,
        "land/parcel_import.html",
        {"title": "导入地块", "result": result, "problems": problems, "villages": villages},
    )


class TransferListView(ObjectListView):
    """Transfers in scope with expiry reminders and the village's transferred share of contracted land."""

    model = Transfer
    filterset_class = TransferFilterSet
    title = "土地流转"
    template_name = "land/transfer_list.html"
    create_url_name = "land:transfer_create"
    create_permission = "land.transfer.add"
    create_label = "登记流转"
    select_related = ("village", "contractor__head")
    columns = [
        Column("合同编号", "code", link=True),
        Column("所在村", "village.name"),
        Column("流出方", lambda t: t.contractor.name if t.contractor else "村集体"),
        Column("流入方", "transferee"),
        Column("面积(亩)", lambda t: _mu(t.area_mu)),
        Column("年租金(元)", lambda t: formats.number(t.annual_rent)),
        Column("起止", lambda t: f"{formats.day(t.start)}—{formats.day(t.end)}"),
        Column("状态", "get_status_display"),
    ]

    @staticmethod
    def detail_url(obj):
        return obj.get_absolute_url()

    def get_extra_context(self, queryset):
        contracted, transferred, share = services.transfer_totals(
            Parcel.objects.restrict(self.request.user), Transfer.objects.restrict(self.request.user)
        )
        return {
            "contracted_mu": _mu(contracted / parcels.MU_M2),
            "transferred_mu": _mu(transferred / parcels.MU_M2),
            "share": f"{share * 100:.1f}%",
            "expiring": services.expiring(Transfer.objects.restrict(self.request.user)).count(),
        }


@requires("land.transfer.add")
def transfer_create(request):
    """Record a transfer contract (流转合同) with its scanned copy."""
    from shuxiang.core.generic import submit_form
    from shuxiang.land.forms import TransferForm
    from shuxiang.land.models import Contractor

    form = TransferForm(request.POST or None, request.FILES or None)

    def write(d):
        codes = d.pop("parcels")
        found = list(Parcel.objects.restrict(request.user).filter(code__in=codes).select_related("village"))
        missing = sorted(set(codes) - {p.code for p in found})
        if missing:
            raise ServiceError("invalid", "地块不存在或不在您的管辖范围内", {"parcels": [", ".join(missing)]})
        contractor = None
        if d.pop("contractor"):
            contractor = (
                Contractor.objects.restrict(request.user).filter(code=form.cleaned_data["contractor"]).first()
            )
            if contractor is None:
                raise ServiceError("invalid", "承包方不存在或不在您的管辖范围内", {"contractor": ["不存在"]})
        return services.do_record_transfer(actor=request.user, parcels=found, contractor=contractor, **d)

    saved, transfer = submit_form(request, form, write, success="流转合同已登记")
    if saved:
        return redirect(transfer.get_absolute_url())
    return form_page(request, form, "登记土地流转", submit="保存")


class TransferDetailView(ObjectDetailView):
    model = Transfer
    template_name = "land/transfer_detail.html"
    select_related = ("village", "contractor__head")


class ListingListView(ObjectListView):
    model = Listing
    filterset_class = ListingFilterSet
    title = "产权交易挂牌"
    select_related = ("village",)
    columns = [
        Column("挂牌编号", "code", link=True),
        Column("项目", "title", clip=True),
        Column("出让方", "village.name"),
        Column("底价(元/年)", lambda x: formats.number(x.reserve_price)),
        Column("年限", "term_years"),
        Column("竞价方式", "get_mode_display"),
        Column("截止", "publish_until"),
        Column("状态", "get_status_display"),
    ]

    detail_route = "land:listing_desk"
    detail_field = "code"


@object_view(Listing, "code")
@requires("land.listing.view", post="land.listing.view")
def listing_desk(request, code):
    """The exchange desk for one listing: terms, bids, deal, objections; publish and close."""
    listing = object_or_404(Listing, request.user, code=code)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "bid":
                with transaction.atomic():  # a refused bid keeps no newly registered bidder
                    bidder = (
                        Bidder.objects.restrict(request.user)
                        .filter(pk=request.POST.get("bidder") or 0)
                        .first()
                    )
                    if bidder is None and request.POST.get("bidder_name"):
                        bidder = exchange.do_register_bidder(
                            actor=request.user,
                            name=request.POST["bidder_name"],
                            kind=request.POST.get("bidder_kind", ""),
                            place=listing.village.parent,
                            certificate_no=request.POST.get("certificate_no", ""),
                            phone=request.POST.get("phone", ""),
                        )
                    if bidder is None:
                        raise ServiceError("invalid", "请选择或登记竞买人", {"bidder": ["必填"]})
                    exchange.do_place_bid(
                        listing, actor=request.user, bidder=bidder, amount=request.POST.get("amount", "")
                    )
                messages.success(request, "报价已记录")
            elif request.POST.get("action") == "publish":
                exchange.do_publish_listing(
                    listing, actor=request.user, days=int(request.POST.get("days") or 10)
                )
                messages.success(request, "已挂牌")
            elif request.POST.get("action") == "close":
                deal = exchange.do_close_listing(listing, actor=request.user)
                messages.success(request, "已成交，进入公示" if deal else "无有效报价，流拍")
        except (ServiceError, ValueError) as exc:
            if isinstance(exc, ServiceError):
                _refused(exc)
            messages.error(request, getattr(exc, "message", "输入有误"))
        return redirect("land:listing_desk", code=code)
    deal = (
        getattr(listing, "deal", None)
        if listing.status in (ListingStatus.DEAL, ListingStatus.CONTRACTED)
        else None
    )
    return render(
        request,
        "land/listing_desk.html",
        {
            "title": listing.title,
            "listing": listing,
            "bids": listing.bids.select_related("bidder"),
            "deal": deal,
            "objections": deal.objections.all() if deal else [],
            "may_change": has_perm(request.user, "land.listing.change"),
            "may_bid": listing.status == ListingStatus.PUBLISHED and has_perm(request.user, "land.bid.add"),
            "bidders": Bidder.objects.restrict(request.user).order_by("name")[:200],
            "bidder_kinds": TransfereeKind.choices,
        },
    )


class CooperativeListView(ObjectListView):
    model = Cooperative
    filterset_class = CooperativeFilterSet
    title = "股份经济合作社"
    create_url_name = "land:coop_create"
    create_permission = "land.cooperative.add"
    create_label = "设立合作社"
    select_related = ("village", "village__parent")
    columns = [
        Column("名称", "name", link=True),
        Column("乡镇", "village.parent.name"),
        Column("股权管理", "get_management_display"),
        Column("成员界定基准日", "cutoff_date"),
    ]

    @staticmethod
    def detail_url(obj):
        return reverse("land:coop_members", args=[obj.village.code])


def _coop(request, village_code):
    return object_or_404(Cooperative, request.user, village__code=village_code)


@object_view(Cooperative, "code")
@requires("land.member.view", post="land.member.view")
def coop_members(request, code):
    """The member register (成员名册) and share register (股东名册) of one village's cooperative.

    POST `member` with `action=code`: issue that member a one-time code for their phone page (shown once,
    here); with `action=approve`: the next approval step (village, then township). Each service checks
    its own permission."""
    cooperative = _coop(request, code)
    if request.method == "POST":
        member = (
            cooperative.members.filter(code=request.POST.get("member", "")).select_related("person").first()
        )
        if member is None:
            messages.error(request, "成员不存在")
        else:
            try:
                if request.POST.get("action") == "approve":
                    coop.do_approve_member(member, actor=request.user)
                    messages.success(request, f"{member.person.name}：{member.get_status_display()}")
                else:
                    issued = finance.do_issue_member_code(member, actor=request.user)
                    messages.success(
                        request,
                        f"{member.person.name}的查询码：{issued}（24小时内有效，只能使用一次；请当面告知本人）",
                    )
            except ServiceError as exc:
                _refused(exc)
                messages.error(request, exc.message)
        return redirect("land:coop_members", code=code)
    members = list(
        cooperative.members.select_related("person", "household__head")
        .prefetch_related("holdings")
        .order_by("code")
    )
    kinds = coop.ShareKind
    for m in members:
        by_kind = {h.kind: h.shares for h in m.holdings.all()}
        m.share_cells = [by_kind.get(k) for k in kinds.values]
        m.total_shares = sum(by_kind.values())
    collective = cooperative.holdings.filter(member__isnull=True).first()
    total = sum((m.total_shares for m in members if m.status == "confirmed"), 0) + (
        collective.shares if collective else 0
    )
    return render(
        request,
        "land/coop_members.html",
        {
            "title": f"{cooperative.name} 成员与股权",
            "coop": cooperative,
            "members": members,
            "kinds": kinds,
            "collective": collective,
            "total": total,
            "may_issue": has_perm(request.user, "land.membercode.add"),
            "may_add": has_perm(request.user, "land.member.add"),
            "outbox": (
                TextMessage.objects.filter(
                    member__cooperative=cooperative, created_at__gt=timezone.now() - finance.CODE_TTL
                ).select_related("member__person")[:50]
                if has_perm(request.user, "land.membercode.add")
                else []
            ),
            "may_approve": has_perm(request.user, "land.member.approve")
            or has_perm(request.user, "land.member.confirm"),
        },
    )


@object_view(Cooperative, "code")
@requires("land.member.view")
@require_GET
def coop_certificates(request, code):
    """Share certificates (股权证) of every household of the cooperative, one page each (PDF)."""
    from django.http import HttpResponse

    from shuxiang.land import certificates

    cooperative = _coop(request, code)
    members = cooperative.members.filter(status="confirmed").select_related("person", "household__head")
    groups: dict = {}
    for m in members.prefetch_related("holdings").order_by("household__code", "code"):
        title = f"{m.household.name}（{m.household.code}）" if m.household_id else f"{m.person.name}（个人）"
        groups.setdefault(title, []).append(m)
    pdf = certificates.household_pages(cooperative, list(groups.items()))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="certificates-{cooperative.village.code}.pdf"'
    return response


@object_view(Cooperative, "code")
@requires("land.distribution.view", post="land.distribution.add")
def coop_dividends(request, code):
    """Dividend runs of a cooperative; compute a run for a period."""
    cooperative = _coop(request, code)
    if request.method == "POST":
        try:
            amount = coop.fixed_amount(request.POST["amount"]) if request.POST.get("amount") else None
            dist = coop.do_compute_distribution(
                cooperative, actor=request.user, period=request.POST.get("period", "").strip(), amount=amount
            )
            messages.success(request, "已测算")
            return redirect(dist.get_absolute_url())
        except ServiceError as exc:
            _refused(exc)
            messages.error(request, exc.message)
    runs = cooperative.distributions.all()
    return render(
        request,
        "land/coop_dividends.html",
        {
            "title": f"{cooperative.name} 收益分配",
            "coop": cooperative,
            "runs": runs,
            "may_compute": has_perm(request.user, "land.distribution.add"),
        },
    )


@object_view(Distribution, "pk")
@requires("land.distribution.view", post="land.distribution.view")
def distribution_detail(request, pk):
    dist = object_or_404(Distribution, request.user, pk=pk)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "approve":
                coop.do_approve_distribution(dist, actor=request.user)
                messages.success(request, "已审批")
            elif request.POST.get("action") == "paid":
                coop.do_mark_paid(dist, actor=request.user)
                messages.success(request, "已标记发放")
        except ServiceError as exc:
            _refused(exc)
            messages.error(request, exc.message)
        return redirect(dist.get_absolute_url())
    if request.GET.get("file") in ("csv", "xlsx"):
        try:
            coop.require_payable(dist, request.user)
        except ServiceError as exc:
            _refused(exc)
            messages.error(request, exc.message)
            return redirect(dist.get_absolute_url())
        return payout_file_response(dist, request.user, request.GET["file"])
    payouts = dist.payouts.select_related("member__person").order_by("member__code")
    return render(
        request,
        "land/distribution_detail.html",
        {
            "title": str(dist),
            "dist": dist,
            "payouts": payouts,
            "sum": sum(p.amount for p in payouts),
            "payable": dist.status in (DistributionStatus.TOWNSHIP_APPROVED, DistributionStatus.PAID)
            and has_perm(request.user, "land.distribution.pay"),
        },
    )


class FinanceEntryListView(ObjectListView):
    model = FinanceEntry
    filterset_class = FinanceEntryFilterSet
    title = "村集体收支"
    create_url_name = "land:finance_add"
    create_permission = "land.financeentry.add"
    create_label = "记账"
    select_related = ("village",)
    columns = [
        Column("日期", "occurred_on"),
        Column("村", "village.name"),
        Column("凭证号", "voucher_no"),
        Column("收支", "get_kind_display"),
        Column("科目", "get_category_display"),
        Column("金额(元)", lambda e: formats.number(e.amount)),
        Column("摘要", "summary", clip=True),
    ]


def _villages(user, perm):
    from shuxiang.core.models import Place
    from shuxiang.core.scope import user_scope_path

    path = user_scope_path(user)
    if path is None or not has_perm(user, perm):
        return Place.objects.none()
    return (
        Place.objects.filter(level=3, path__startswith=path).select_related("parent").order_by("code")[:500]
    )


@requires("land.financeentry.add")
def finance_entry_create(request):
    """Book an income or expenditure line with its voucher number."""
    from shuxiang.core.generic import submit_form
    from shuxiang.land.forms import FinanceEntryForm

    villages = list(_villages(request.user, "land.financeentry.add"))
    form = FinanceEntryForm(request.POST or None, villages=villages)

    def write(d):
        village = next(v for v in villages if v.code == d.pop("village"))
        return finance.do_book_entry(actor=request.user, village=village, **d)

    saved, _ = submit_form(request, form, write, success="已记账")
    if saved:
        return redirect("land:finance_list")
    return form_page(request, form, "登记村集体收支", submit="保存")


@requires("land.disclosure.add")
def disclosure_create(request):
    """Publish a month's or quarter's finances on the village's public 三务公开 page."""
    from shuxiang.core.generic import submit_form
    from shuxiang.land.forms import DisclosureForm

    villages = list(_villages(request.user, "land.disclosure.add"))
    form = DisclosureForm(request.POST or None, villages=villages)

    def write(d):
        village = next(v for v in villages if v.code == d["village"])
        return finance.do_publish_disclosure(
            actor=request.user, village=village, period=d["period"].strip(), note=d["note"]
        )

    saved, disclosure = submit_form(request, form, write, success="已公开")
    if saved:
        return redirect("land:open", code=disclosure.village.code)
    return form_page(request, form, "发布财务公开", submit="公开")


# --- contracts (承包合同) ------------------------------------------------------------------------


def _parcels_in_scope(user, codes):
    found = list(Parcel.objects.restrict(user).filter(code__in=codes))
    missing = sorted(set(codes) - {p.code for p in found})
    if missing:
        raise ServiceError("invalid", "地块不存在或不在您的管辖范围内", {"parcels": [", ".join(missing)]})
    return found


class ContractListView(ObjectListView):
    """The contract register (承包合同) in scope: search by contract code or the household head."""

    model = Contract
    filterset_class = ContractFilterSet
    title = "承包合同"
    template_name = "land/contract_list.html"
    create_url_name = "land:contract_create"
    create_permission = "land.contract.add"
    create_label = "登记承包合同"
    select_related = ("contractor__head", "contractor__village")
    columns = [
        Column("合同编码", "code", link=True),
        Column("承包方", "contractor.name"),
        Column("所在村", "contractor.village.name"),
        Column("承包方式", "get_method_display"),
        Column("起止", lambda c: f"{formats.day(c.start)}—{formats.day(c.end)}"),
        Column("经营权证", "certificate_no"),
        Column("状态", "get_status_display"),
    ]

    @staticmethod
    def detail_url(obj):
        return obj.get_absolute_url()

    def get_extra_context(self, queryset):
        counts = dict(queryset.order_by().values_list("status").annotate(n=Count("pk")))
        return {
            "active": counts.get("active", 0),
            "ended": counts.get("ended", 0),
            "may_add_household": has_perm(self.request.user, "land.contractor.add"),
        }


class ContractDetailView(ObjectDetailView):
    model = Contract
    lookup_field = "code"
    template_name = "land/contract_detail.html"
    select_related = ("contractor__head", "contractor__village", "contractor__issuer")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        c = self.object
        ctx["parcels"] = c.parcels.all().order_by("code")
        ctx["area_mu"] = _mu(sum((p.registered_area_m2 or 0 for p in ctx["parcels"]), 0) / parcels.MU_M2)
        from shuxiang.core.models import AuditEntry

        labels = {
            f.name: str(f.verbose_name) for f in Contract._meta.get_fields() if hasattr(f, "verbose_name")
        }
        entries = AuditEntry.objects.filter(object_type="land.contract", object_id=str(c.pk)).order_by("-at")
        ctx["history"] = [
            (e, [(labels.get(k, k), *(list(v) + [None, None])[:2]) for k, v in (e.changes or {}).items()])
            for e in entries[:50]
        ]
        ctx["may_change"] = c.status == "active" and has_perm(self.request.user, "land.contract.change")
        return ctx


@requires("land.contract.add")
def contract_create(request):
    """Register a land contract (承包合同) of a household for its parcels."""
    from shuxiang.core.generic import submit_form
    from shuxiang.land.forms import ContractForm

    form = ContractForm(request.POST or None, initial={"contractor": request.GET.get("contractor", "")})

    def write(d):
        contractor = Contractor.objects.restrict(request.user).filter(code=d["contractor"]).first()
        if contractor is None:
            raise ServiceError(
                "invalid", "承包方不存在或不在您的管辖范围内", {"contractor": ["未登记的承包方编码"]}
            )
        return services.do_create_contract(
            actor=request.user,
            contractor=contractor,
            parcels=_parcels_in_scope(request.user, d["parcels"]),
            start=d["start"],
            end=d["end"],
            method=d["method"],
            certificate_no=d["certificate_no"].strip(),
        )

    saved, contract = submit_form(request, form, write, success="承包合同已登记")
    if saved:
        return redirect(contract.get_absolute_url())
    return form_page(request, form, "登记承包合同", submit="保存")


@requires("land.contractor.add")
def contractor_create(request):
    """Register a contracting household (承包方): code, head and members; then its contract."""
    from shuxiang.core.generic import submit_form
    from shuxiang.land.forms import ContractorForm

    form = ContractorForm(request.POST or None)

    def write(d):
        return services.do_register_household(
            actor=request.user,
            code=d["code"],
            head_name=d["head_name"],
            head_id_number=d["head_id_number"].strip(),
            head_phone=d["head_phone"].strip(),
            members=d["members"],
        )

    saved, household = submit_form(request, form, write, success="承包方已登记，请登记其承包合同")
    if saved:
        return redirect(f"{reverse('land:contract_create')}?contractor={household.code}")
    return form_page(request, form, "登记承包方（农户）", submit="保存")


@object_view(Contract, "code")
@requires("land.contract.change")
def contract_edit(request, code):
    """Correct an active contract: term end (延包), certificate number, parcels (调地)."""
    from shuxiang.core.generic import submit_form
    from shuxiang.land.forms import ContractChangeForm

    contract = object_or_404(Contract, request.user, code=code)
    initial = {
        "parcels": "\n".join(contract.parcels.order_by("code").values_list("code", flat=True)),
        "end": contract.end,
        "certificate_no": contract.certificate_no,
    }
    form = ContractChangeForm(request.POST or None, initial=initial)

    def write(d):
        return services.do_change_contract(
            contract,
            actor=request.user,
            end=d["end"],
            certificate_no=d["certificate_no"],
            parcels=_parcels_in_scope(request.user, d["parcels"]),
        )

    saved, _ = submit_form(request, form, write, success="承包合同已修改")
    if saved:
        return redirect(contract.get_absolute_url())
    return form_page(request, form, f"修改承包合同 {contract.code}", submit="保存")


@object_view(Contract, "code")
@requires("land.contract.change")
def contract_terminate(request, code):
    """End a contract early (交回、征收、户消亡…), with the date and reason."""
    from shuxiang.core.generic import submit_form
    from shuxiang.land.forms import ContractTerminateForm

    contract = object_or_404(Contract, request.user, code=code)
    form = ContractTerminateForm(request.POST or None)

    def write(d):
        reason = d["end_reason"] + (f"：{d['note'].strip()}" if d["note"].strip() else "")
        return services.do_terminate_contract(contract, actor=request.user, on=d["ended_on"], reason=reason)

    saved, _ = submit_form(request, form, write, success="承包合同已终止")
    if saved:
        return redirect(contract.get_absolute_url())
    return form_page(request, form, f"终止承包合同 {contract.code}", submit="终止合同")


# --- setting up a cooperative, members and shares -----------------------------------------------


@requires("land.cooperative.add")
def coop_create(request):
    """Set up a village's 股份经济合作社 (one per administrative village)."""
    from shuxiang.core.generic import submit_form
    from shuxiang.land.forms import CooperativeForm

    villages = [
        v
        for v in _villages(request.user, "land.cooperative.add")
        if not Cooperative.objects.filter(village=v).exists()
    ]
    form = CooperativeForm(request.POST or None, villages=villages)

    def write(d):
        village = next((v for v in villages if v.code == d["village"]), None)
        if village is None:
            raise ServiceError("invalid", "该村不在您的管辖范围内或已有合作社", {"village": ["不可选"]})
        return coop.do_create_cooperative(
            actor=request.user,
            village=village,
            name=(d["name"] or "").strip() or f"{village.name}股份经济合作社",
            cutoff_date=d["cutoff_date"],
            management=d["management"],
            credit_code=d["credit_code"],
            reserve_rate=(d["reserve_percent"] / 100).quantize(Decimal("0.0001")),
        )

    saved, cooperative = submit_form(request, form, write, success="股份经济合作社已设立")
    if saved:
        return redirect("land:coop_members", code=cooperative.village.code)
    return form_page(request, form, "设立股份经济合作社", submit="设立")


@object_view(Cooperative, "code")
@requires("land.member.add")
def coop_member_add(request, code):
    """成员身份确认, first step: propose a person with the basis (then village and township approve)."""
    from shuxiang.core.generic import submit_form
    from shuxiang.land.forms import MemberForm

    cooperative = _coop(request, code)
    form = MemberForm(request.POST or None)

    def write(d):
        return coop.do_propose_member_by_id(cooperative, actor=request.user, **d)

    saved, member = submit_form(request, form, write, success="已提交成员身份确认，待村审核")
    if saved:
        return redirect("land:coop_members", code=code)
    return form_page(request, form, f"{cooperative.name} · 新增成员", submit="提交审核")


@object_view(Cooperative, "code")
@requires("land.member.add")
def coop_shares(request, code):
    """股权量化/配股: shares of a kind to one member, to all confirmed members without it, or 集体股."""
    from shuxiang.core.generic import submit_form
    from shuxiang.land.forms import ShareForm

    cooperative = _coop(request, code)
    confirmed = list(
        cooperative.members.filter(status="confirmed").select_related("person").order_by("code")[:2000]
    )
    form = ShareForm(request.POST or None, members=confirmed)

    def write(d):
        if d["target"] == "collective":
            return [
                coop.do_set_holding(
                    None,
                    actor=request.user,
                    coop=cooperative,
                    kind="collective",
                    shares=d["shares"],
                    basis=d["basis"],
                )
            ]
        if d["target"] == "all":
            return coop.do_allocate_shares(
                cooperative, actor=request.user, kind=d["kind"], shares=d["shares"], basis=d["basis"]
            )
        member = next((m for m in confirmed if m.code == d["member"]), None)
        if member is None:
            raise ServiceError("not_confirmed", "成员不存在或未经确认", {"member": ["未确认"]})
        return [
            coop.do_set_holding(
                member, actor=request.user, kind=d["kind"], shares=d["shares"], basis=d["basis"]
            )
        ]

    saved, lines = submit_form(request, form, write, success=None)
    if saved:
        messages.success(request, f"已配股：{len(lines)} 条股份记录")
        return redirect("land:coop_members", code=code)
    return form_page(request, form, f"{cooperative.name} · 股权量化（配股）", submit="保存")


def _household_members(cooperative):
    return list(
        cooperative.members.filter(status="confirmed")
        .select_related("person", "household__head")
        .order_by("household__code", "code")[:2000]
    )


@object_view(Cooperative, "code")
@requires("land.member.add")
def coop_share_transfer(request, code):
    """户内转让 (户内共享): shares of one kind from one member to another of the same household."""
    from shuxiang.core.generic import submit_form
    from shuxiang.land.forms import ShareTransferForm

    cooperative = _coop(request, code)
    members = _household_members(cooperative)
    by_code = {m.code: m for m in members}
    form = ShareTransferForm(request.POST or None, members=members)

    def write(d):
        if d["from_member"] == d["to_member"]:
            raise ServiceError("invalid", "转出和受让应为两位成员", {"to_member": ["与转出成员相同"]})
        return coop.do_transfer_shares(
            by_code[d["from_member"]],
            by_code[d["to_member"]],
            actor=request.user,
            kind=d["kind"],
            shares=d["shares"],
        )

    saved, _ = submit_form(request, form, write, success="股份已在户内转让")
    if saved:
        return redirect("land:coop_members", code=code)
    return form_page(request, form, f"{cooperative.name} · 户内股份转让", submit="转让")


@object_view(Cooperative, "code")
@requires("land.member.add")
def coop_inheritance(request, code):
    """继承: a deceased member's shares to heirs of the household in exact fractions (the member leaves)."""
    from shuxiang.core.generic import submit_form
    from shuxiang.land.forms import InheritanceForm

    cooperative = _coop(request, code)
    members = _household_members(cooperative)
    by_code = {m.code: m for m in members}
    form = InheritanceForm(request.POST or None, members=members)

    def write(d):
        unknown = [c for c, _ in d["heirs"] if c not in by_code]
        if unknown:
            raise ServiceError(
                "invalid", f"不是本社已确认的成员：{'、'.join(unknown)}", {"heirs": ["成员编号有误"]}
            )
        return coop.do_inherit_shares(
            by_code[d["deceased"]], actor=request.user, heirs={by_code[c]: f for c, f in d["heirs"]}
        )

    saved, _ = submit_form(request, form, write, success="已按份额继承，已故成员已退出")
    if saved:
        return redirect("land:coop_members", code=code)
    return form_page(request, form, f"{cooperative.name} · 股份继承", submit="继承")
