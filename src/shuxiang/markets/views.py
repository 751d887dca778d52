"""HTML pages: price monitoring and warnings, the bulletin and back-test, grain, e-commerce, and the
directory. Thin: parse, call a service, render."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Q, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from shuxiang.core import formats
from shuxiang.core.access import public_view, requires
from shuxiang.core.errors import ServiceError
from shuxiang.core.generic import Column, ObjectListView, form_page, object_or_404, object_view, submit_form
from shuxiang.core.importers import read_rows
from shuxiang.core.models import Place
from shuxiang.core.permissions import has_perm
from shuxiang.core.scope import user_scope_path
from shuxiang.markets import (
    backtest,
    brands,
    bulletin,
    commerce,
    directory,
    grain,
    insurance,
    monitor,
    public_warning,
    services,
)
from shuxiang.markets.choices import (
    LEVEL_RANK,
    LEVEL_TAG,
    InsuranceKind,
    Level,
    Source,
    StationKind,
    StationStatus,
)
from shuxiang.markets.filtersets import (
    BrandFilterSet,
    InsurancePolicyFilterSet,
    LiveSessionFilterSet,
    LookupFilterSet,
    PointFilterSet,
    PriceFilterSet,
    ProductFilterSet,
    PurchaseFilterSet,
    SalesFilterSet,
    SellerFilterSet,
    StationFilterSet,
    StockFilterSet,
    WarningFilterSet,
)
from shuxiang.markets.forms import (
    BacktestForm,
    BrandForm,
    BrandProducerForm,
    ConsentForm,
    DirectoryClientForm,
    InsurancePolicyForm,
    LiveSessionForm,
    PriceForm,
    PublicWarningForm,
    PurchaseForm,
    SellerForm,
    StationForm,
    StationStatusForm,
    UploadForm,
)
from shuxiang.markets.models import (
    Brand,
    CollectionPoint,
    CommerceStation,
    DirectoryConsent,
    DirectoryLookup,
    GrainPurchase,
    GrainStock,
    InsurancePolicy,
    LiveSession,
    Method,
    PriceObservation,
    Product,
    PublicPriceWarning,
    SalesReport,
    Seller,
    WarningLevel,
)
from shuxiang.trace.models import DirectoryEntry

ONLINE_SALES_TARGET_YI = 6


def _townships(user):
    return Place.objects.restrict(user).filter(level=2).order_by("code")


def _current_levels(user):
    """{(product id, place id): (worst level, [WarningLevel…])} of the current levels in scope."""
    out = {}
    for w in WarningLevel.objects.restrict(user).filter(is_current=True).select_related("method"):
        worst, items = out.get((w.product_id, w.place_id), ("normal", []))
        items.append(w)
        if LEVEL_RANK[w.level] > LEVEL_RANK[worst]:
            worst = w.level
        out[(w.product_id, w.place_id)] = (worst, items)
    return out


# --- price monitoring ---------------------------------------------------------------------------


@requires("markets.priceobservation.view")
def home(request):
    """The markets dashboard: this week's prices of key products in the district with their change
    and current level, the number of product × township warnings by level, and what to do next."""
    user = request.user
    place = (
        Place.objects.filter(path=user_scope_path(user) or "-").first()
        or Place.objects.filter(level=1).first()
    )
    levels = _current_levels(user)
    counts = dict.fromkeys(Level.values, 0)
    for worst, _items in levels.values():
        counts[worst] += 1
    rows = []
    for product in Product.objects.filter(is_key=True):
        # 54 weeks: enough for the newest week's year-on-year change
        since = monitor.week_start(timezone.localdate()) - timedelta(weeks=54)
        series = monitor.series_for(user, product, place, since=since) if place else []
        last = series[-1] if series else None
        worst = levels.get((product.pk, place.pk), ("normal", []))[0] if place else "normal"
        rows.append({"product": product, "last": last, "level": Level(worst).label, "tag": LEVEL_TAG[worst]})
    week = bulletin.week_label(monitor.week_start(timezone.localdate() - timedelta(days=7)))
    context = {
        "rows": rows,
        "counts": counts,
        "points": CollectionPoint.objects.restrict(user).filter(is_active=True).count(),
        "products": Product.objects.count(),
        "questioned": PriceObservation.objects.restrict(user).filter(questioned=True).count(),
        "week": week,
        "may_record": has_perm(user, "markets.priceobservation.add"),
        "may_recompute": has_perm(user, "markets.warninglevel.add"),
        "place": place,
    }
    return render(request, "markets/home.html", context)


@requires("markets.priceobservation.view")
def prices(request):
    """`?product=&township=`: the weekly series of a product (district or one township) with a chart,
    week-on-week and year-on-year, and the history of its warning levels there."""
    user = request.user
    products = Product.objects.all()
    townships = _townships(user)
    product = (
        products.filter(code=request.GET.get("product", "")).first() or products.filter(is_key=True).first()
    )
    code = request.GET.get("township", "")
    place = townships.filter(code=code).first() if code else None
    if code and place is None:
        raise Http404
    if place is None:
        place = (
            Place.objects.filter(path=user_scope_path(user) or "-").first()
            or Place.objects.filter(level=1).first()
        )
    series = monitor.series_for(user, product, place) if product and place else []
    history = (
        WarningLevel.objects.restrict(user)
        .filter(product=product, place=place)
        .select_related("method")
        .order_by("-period_start", "method__order")[:60]
        if product and place
        else []
    )
    chart = {
        "x": [p.period.isoformat() for p in series],
        "y": [p.price for p in series],
        "unit": product.unit if product else "",
    }
    return render(
        request,
        "markets/prices.html",
        {
            "products": products,
            "townships": townships,
            "product": product,
            "place": place,
            "series": series[-12:][::-1],
            "last": series[-1] if series else None,
            "chart": chart,
            "history": history,
            "tags": LEVEL_TAG,
        },
    )


@requires("markets.priceobservation.add")
def price_new(request):
    """A collector's phone form: one price; a price 3× off the point's last asks to be confirmed."""
    form = PriceForm(request.POST or None, user=request.user)

    def write(data):
        return services.do_record_price(
            actor=request.user,
            item=services.PriceInput(
                point=data["point"],
                product=data["product"],
                observed_on=data["observed_on"],
                price=data["price"],
                confirm=data["confirm"],
                note=data["note"],
            ),
            source=Source.PHONE,
        )

    done, obs = submit_form(request, form, write, success="价格已上报")
    if done:
        if obs.questioned:
            messages.warning(request, "该价格已标记为异常待核")
        return redirect(reverse("markets:price_new"))
    return form_page(request, form, "价格采集", submit="上报")


@requires("markets.priceobservation.add")
def price_import(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    problems = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            items = services.parse_price_rows(read_rows(upload.read(), upload.name))
            outcome = services.do_import_prices(actor=request.user, items=items)
        except ServiceError as exc:
            form.add_error(None, exc.message)
            problems = exc.fields.get("rows", [])
        else:
            messages.success(
                request, f"导入完成：{outcome.created} 条价格（其中 {outcome.questioned} 条异常已核实）"
            )
            return redirect("markets:prices")
    return render(
        request,
        "markets/import.html",
        {
            "form": form,
            "problems": problems,
            "title": "导入价格",
            "columns": "采集点编码、品种代码、日期、价格、单位、已核实（填“是”表示异常价格已核实）",
        },
    )


@requires("markets.warninglevel.add")
@require_POST
def recompute(request):
    result = monitor.do_recompute_warnings(actor=request.user)
    messages.success(request, f"已重算 {result.levels} 条预警级别，{len(result.raised)} 项升至警戒或危机")
    return redirect("markets:warnings")


def _level_label(w):
    return w.get_level_display()


class WarningListView(ObjectListView):
    """Current levels (newest period of each method) per product × township, worst first."""

    model = WarningLevel
    filterset_class = WarningFilterSet
    title = "价格预警"
    template_name = "markets/warnings.html"
    select_related = ("product", "place", "method")
    columns = [
        Column("品种", "product.name"),
        Column("区域", "place.name"),
        Column("方法", "method.name"),
        Column("期间", "period_start"),
        Column("指标值", lambda w: f"{w.value:g}"),
        Column("级别", _level_label),
        Column("公众预警", lambda w: "", link=True),
    ]

    def row(self, obj):
        """The last cell: 已发布 (to the public warning), 发布 (to the form) for alert and crisis."""
        cells = super().row(obj)
        published = self._published().get((obj.product_id, obj.place_id, obj.period_start))
        if published is not None:
            cells[-1] = ("已发布", reverse("warning_detail", args=[published]), False)
        elif obj.level in public_warning.COLOUR_OF and self._may_publish():
            cells[-1] = ("发布", reverse("markets:publish", args=[obj.pk]), False)
        return cells

    def _published(self):
        if not hasattr(self, "_published_cache"):
            self._published_cache = {
                (p.product_id, p.place_id, p.period_start): p.warning_id
                for p in PublicPriceWarning.objects.restrict(self.request.user)
            }
        return self._published_cache

    def _may_publish(self):
        return has_perm(self.request.user, "markets.publicpricewarning.add")

    def get_queryset(self):
        from django.db.models import Case, IntegerField, Value, When

        rank = Case(
            *[When(level=k, then=Value(v)) for k, v in LEVEL_RANK.items()], output_field=IntegerField()
        )
        return (
            super()
            .get_queryset()
            .filter(is_current=True)
            .annotate(rank=rank)
            .order_by("-rank", "product__code", "place__code")
        )

    def get_extra_context(self, queryset):
        return {
            "methods": Method.objects.filter(is_active=True),
            "may_recompute": has_perm(self.request.user, "markets.warninglevel.add"),
        }


@requires("markets.publicpricewarning.add")
@object_view(WarningLevel)
def publish_warning(request, pk):
    """A current alert or crisis level issued to the public as a 农产品价格预警 through the warnings
    engine (blue for 警戒, yellow for 危机: no second approver), with the text the level suggests."""
    level = object_or_404(WarningLevel, request.user, pk=pk)
    headline, text = public_warning.default_text(level)
    form = PublicWarningForm(request.POST or None, initial={"headline": headline, "description": text})

    def write(data):
        return public_warning.do_issue_price_warning(level, actor=request.user, **data)

    done, link = submit_form(request, form, write, success=None)
    if done:
        messages.success(request, f"已发布：{link.warning.headline}")
        return redirect(reverse("warning_detail", args=[link.warning_id]))
    return render(
        request,
        "markets/publish.html",
        {
            "form": form,
            "level": level,
            "existing": public_warning.current_public(level),
            "colour": public_warning.COLOUR_OF.get(level.level),
            "title": "发布农产品价格预警",
        },
        status=400 if form.errors else 200,
    )


@requires("markets.warninglevel.view")
def bulletin_view(request, code):
    """The weekly bulletin of ISO week `code` ("2026-W49"): page, ?format=pdf or ?format=xlsx."""
    week = code
    monday = bulletin.parse_week(week)
    if monday is None:
        raise Http404
    b = bulletin.build(request.user, monday)
    fmt = request.GET.get("format", "")
    if fmt in ("pdf", "xlsx"):
        from shuxiang.core import audit

        body = bulletin.to_pdf(b) if fmt == "pdf" else bulletin.to_xlsx(b)
        audit.record(
            request.user,
            "export",
            object_type="markets.warninglevel",
            object_repr=f"价格周报 {week}（{fmt}）",
            changes={"week": week, "format": fmt},
        )
        content_type = (
            "application/pdf"
            if fmt == "pdf"
            else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response = HttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="price-bulletin-{week}.{fmt}"'
        return response
    previous = bulletin.week_label(monday - timedelta(days=7))
    following = bulletin.week_label(monday + timedelta(days=7))
    return render(
        request,
        "markets/bulletin.html",
        {"b": b, "week": week, "previous": previous, "following": following, "tags": LEVEL_TAG},
    )


@requires("markets.warninglevel.view")
def backtest_view(request):
    form = BacktestForm(request.GET or None)
    form.fields["method"].choices = [(m.code, m.name) for m in Method.objects.all()]
    form.fields["township"].queryset = _townships(request.user)
    rows = fired = []
    method = None
    if form.is_bound and form.is_valid():
        method = Method.objects.get(code=form.cleaned_data["method"])
        place = form.cleaned_data["township"]
        rows = backtest.run(method, form.cleaned_data["product"], place)
        fired = backtest.fired(rows)
    return render(
        request,
        "markets/backtest.html",
        {"form": form, "rows": rows[::-1][:120], "fired": fired, "method": method, "tags": LEVEL_TAG},
    )


class PriceListView(ObjectListView):
    model = PriceObservation
    filterset_class = PriceFilterSet
    title = "价格记录"
    select_related = ("point", "product")
    create_url_name = "markets:price_new"
    create_permission = "markets.priceobservation.add"
    create_label = "采价"
    columns = [
        Column("日期", "observed_on"),
        Column("采集点", "point.name"),
        Column("品种", "product.name"),
        Column("价格", lambda o: f"{o.price} {o.product.unit}"),
        Column("来源", "get_source_display"),
        Column("异常待核", "questioned"),
    ]


class ProductListView(ObjectListView):
    model = Product
    filterset_class = ProductFilterSet
    title = "监测品种目录"
    columns = [
        Column("代码", "code"),
        Column("品名", "name"),
        Column("类别", "get_category_display"),
        Column("计价单位", "unit"),
        Column("规格等级", "grade"),
        Column("合理区间", lambda p: f"{p.min_price}–{p.max_price}"),
        Column("重点品种", "is_key"),
    ]

    def get_queryset(self):
        return Product.objects.all()


class PointListView(ObjectListView):
    model = CollectionPoint
    filterset_class = PointFilterSet
    title = "价格采集点"
    select_related = ("place", "township")
    columns = [
        Column("编码", "code"),
        Column("名称", "name"),
        Column("类型", "get_kind_display"),
        Column("乡镇", "township.name"),
        Column("所在区划", "place.name"),
        Column("在用", "is_active"),
    ]


# --- grain --------------------------------------------------------------------------------------


class PurchaseListView(ObjectListView):
    model = GrainPurchase
    filterset_class = PurchaseFilterSet
    title = "粮食购销"
    create_url_name = "grain:purchase_new"
    create_permission = "markets.grainpurchase.add"
    create_label = "登记收购"
    template_name = "markets/grain.html"
    select_related = ("buyer", "farmer")
    columns = [
        Column("日期", "purchased_on"),
        Column("收购主体", "buyer.name"),
        Column("农户", "farmer.name"),
        Column("品种", "get_variety_display"),
        Column("等级", "get_grade_display"),
        Column("重量(公斤)", "weight_kg"),
        Column("价格(元/公斤)", "price"),
        Column("低于最低收购价", "below_minimum"),
        Column("按期付款", lambda p: {True: "是", False: "否", None: "未到期"}[p.paid_on_time]),
    ]

    def get_extra_context(self, queryset):
        today = timezone.localdate()
        due = queryset.filter(due_on__lt=today)
        figures = due.aggregate(
            n=Count("pk"), paid=Count("pk", filter=Q(paid_on__isnull=False, paid_on__lte=F("due_on")))
        )
        stocks = GrainStock.objects.restrict(self.request.user)
        return {
            "due": figures["n"],
            "paid_rate": None if not figures["n"] else round(figures["paid"] * 100 / figures["n"], 1),
            "below": queryset.filter(below_minimum=True).count(),
            "weight_t": (queryset.aggregate(s=Sum("weight_kg"))["s"] or 0) / 1000,
            "stock_anomalies": stocks.exclude(anomaly="").count(),
        }


@requires("markets.grainpurchase.add")
def purchase_new(request):
    """A grain purchase on a phone; below the minimum purchase price it is stored and a case opened."""
    form = PurchaseForm(request.POST or None, user=request.user)

    def write(data):
        return grain.do_record_purchase(actor=request.user, **data)

    done, purchase = submit_form(request, form, write, success="收购记录已登记")
    if done:
        if purchase.below_minimum:
            messages.warning(request, "收购价低于最低收购价，已生成核查工单交发展和改革局")
        return redirect("grain:home")
    return form_page(request, form, "登记粮食收购", submit="登记")


class StockListView(ObjectListView):
    model = GrainStock
    filterset_class = StockFilterSet
    title = "粮食库存月报"
    select_related = ("depot",)
    columns = [
        Column("月份", lambda s: f"{s.month:%Y-%m}"),
        Column("粮库", "depot.name"),
        Column("品种", "get_variety_display"),
        Column("期初(吨)", "opening_t"),
        Column("收购(吨)", "purchased_t"),
        Column("出库(吨)", "sold_t"),
        Column("期末(吨)", "closing_t"),
        Column("异常", "anomaly", clip=True),
    ]


# --- e-commerce and logistics -------------------------------------------------------------------


def _coverage(user):
    villages = Place.objects.restrict(user).filter(level=3, kind="village")
    served = CommerceStation.objects.restrict(user).filter(
        kind__in=[StationKind.VILLAGE, StationKind.PICKUP], status=StationStatus.OPEN
    )
    paths = list(served.values_list("place__path", flat=True))
    covered = sum(1 for v in villages.only("path") if any(p.startswith(v.path) for p in paths))
    total = villages.count()
    return covered, total


@requires("markets.salesreport.view")
def commerce_home(request):
    """Online sales this year summed from the monthly reports (against the plan's 6 亿元), by month,
    platform and township; the network's village coverage."""
    user = request.user
    year = timezone.localdate().year
    reports = SalesReport.objects.restrict(user)
    this_year = reports.filter(month__year=year)
    total = this_year.aggregate(s=Sum("amount"), o=Sum("orders"))
    by_month = list(this_year.values("month").annotate(s=Sum("amount")).order_by("month"))
    last_year = reports.filter(month__year=year - 1).aggregate(s=Sum("amount"))["s"]
    by_platform = list(this_year.values("platform").annotate(s=Sum("amount")).order_by("-s"))
    labels = dict(SalesReport._meta.get_field("platform").choices)
    by_township = {}
    for r in this_year.values("place__path").annotate(s=Sum("amount")).order_by():
        codes = [c for c in r["place__path"].split("/") if c]
        if len(codes) >= 2:
            by_township[codes[1]] = by_township.get(codes[1], 0) + r["s"]
    names = dict(Place.objects.filter(code__in=by_township).values_list("code", "name"))
    covered, villages = _coverage(user)
    return render(
        request,
        "markets/commerce.html",
        {
            "year": year,
            "total_yi": (total["s"] or 0) / 100_000_000,
            "last_year_yi": (last_year or 0) / 100_000_000,
            "orders": total["o"] or 0,
            "target": ONLINE_SALES_TARGET_YI,
            "chart": {
                "x": [f"{r['month']:%m月}" for r in by_month],
                "y": [round(float(r["s"]) / 10_000, 1) for r in by_month],
            },
            "platforms": [(labels.get(r["platform"], r["platform"]), r["s"] / 10_000) for r in by_platform],
            "townships": sorted(
                ((names.get(c, c), s / 10_000) for c, s in by_township.items()), key=lambda x: -x[1]
            ),
            "covered": covered,
            "villages": villages,
            "coverage": round(covered * 100 / villages, 1) if villages else None,
            "stations": CommerceStation.objects.restrict(user)
            .values("kind")
            .annotate(n=Count("pk"))
            .order_by("kind"),
            "kinds": dict(StationKind.choices),
            "may_report": has_perm(user, "markets.salesreport.add"),
        },
    )


class StationListView(ObjectListView):
    model = CommerceStation
    filterset_class = StationFilterSet
    title = "电商服务站点（区、乡、村三级）"
    select_related = ("place",)
    create_url_name = "commerce:station_new"
    create_permission = "markets.commercestation.add"
    create_label = "新增站点"
    detail_route = "commerce:station_status"
    columns = [
        Column("编码", "code", link=True),
        Column("名称", "name"),
        Column("类型", "get_kind_display"),
        Column("所在区划", "place.name"),
        Column("状态", "get_status_display"),
        Column("开业日期", "opened_on"),
        Column("合作快递", "carriers", clip=True),
    ]

    def get_extra_context(self, queryset):
        covered, villages = _coverage(self.request.user)
        return {
            "covered": covered,
            "villages": villages,
            "coverage": round(covered * 100 / villages, 1) if villages else None,
        }


@requires("markets.commercestation.add")
def station_new(request):
    form = StationForm(request.POST or None, user=request.user)

    def write(data):
        return commerce.do_create_station(actor=request.user, **data)

    done, station = submit_form(request, form, write, success=None)
    if done:
        messages.success(request, f"已登记站点：{station.name}")
        return redirect("commerce:stations")
    return form_page(request, form, "新增电商服务站点", submit="登记")


@requires("markets.commercestation.change")
@object_view(CommerceStation)
def station_status(request, pk):
    """Open, under construction or closed: the village coverage follows at once."""
    station = object_or_404(CommerceStation, request.user, pk=pk)
    form = StationStatusForm(request.POST or None, initial={"status": station.status})

    def write(data):
        return commerce.do_set_station_status(station, actor=request.user, status=data["status"])

    done, _ = submit_form(request, form, write, success=f"{station.name}状态已更新")
    if done:
        return redirect("commerce:stations")
    return form_page(
        request, form, f"{station.name}（{station.get_kind_display()}）· 运营状态", submit="保存"
    )


class SellerListView(ObjectListView):
    model = Seller
    filterset_class = SellerFilterSet
    title = "网销主体"
    select_related = ("place", "producer")
    create_url_name = "commerce:seller_new"
    create_permission = "markets.seller.add"
    create_label = "登记网销主体"
    columns = [
        Column("名称", "name"),
        Column("所在区划", "place.name", wrap=True),
        Column("店铺/账号", "shop", clip=True),
        Column("主营产品", "main_products", clip=True),
        Column("经营主体", "producer.name"),
    ]


@requires("markets.seller.add")
def seller_new(request):
    form = SellerForm(request.POST or None, user=request.user)

    def write(data):
        return commerce.do_create_seller(actor=request.user, **data)

    done, seller = submit_form(request, form, write, success=None)
    if done:
        messages.success(request, f"已登记网销主体：{seller.name}")
        return redirect("commerce:sellers")
    return form_page(request, form, "登记网销主体", submit="登记")


class LiveSessionListView(ObjectListView):
    model = LiveSession
    filterset_class = LiveSessionFilterSet
    title = "直播带货场次"
    select_related = ("seller__place",)
    create_url_name = "commerce:session_new"
    create_permission = "markets.livesession.add"
    create_label = "登记直播场次"
    columns = [
        Column("日期", "held_on"),
        Column("主播", "host"),
        Column("网销主体", "seller.name"),
        Column("平台", "get_platform_display"),
        Column("观看人次", "viewers"),
        Column("订单数", "orders"),
        Column("销售额(元)", lambda s: formats.number(s.amount)),
    ]


@requires("markets.livesession.add")
def session_new(request):
    form = LiveSessionForm(request.POST or None, user=request.user)

    def write(data):
        return commerce.do_record_live_session(actor=request.user, **data)

    done, _ = submit_form(request, form, write, success="直播场次已登记")
    if done:
        return redirect("commerce:sessions")
    return form_page(request, form, "登记直播带货场次", submit="登记")


class SalesListView(ObjectListView):
    model = SalesReport
    filterset_class = SalesFilterSet
    title = "网络销售月报"
    select_related = ("station", "seller", "place")
    columns = [
        Column("月份", lambda r: f"{r.month:%Y-%m}"),
        Column("填报主体", lambda r: r.station.name if r.station_id else r.seller.name),
        Column("所在区划", "place.name"),
        Column("平台", "get_platform_display"),
        Column("产品", "product"),
        Column("销售额(元)", lambda r: formats.number(r.amount)),
        Column("订单数", "orders"),
    ]


@requires("markets.salesreport.add")
def sales_import(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    problems = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            rows = commerce.sales_rows_from_file(read_rows(upload.read(), upload.name))
            reports = commerce.do_report_sales(actor=request.user, rows=rows, source=Source.IMPORT)
        except ServiceError as exc:
            form.add_error(None, exc.message)
            problems = [f"{k}：{'；'.join(v)}" for k, v in exc.fields.items()]
        else:
            messages.success(request, f"导入完成：{len(reports)} 条月报")
            return redirect("commerce:home")
    return render(
        request,
        "markets/import.html",
        {
            "form": form,
            "problems": problems,
            "title": "导入网络销售月报",
            "columns": "月份（如 2026-11）、站点编码或网销主体、平台、产品、销售额（元）、订单数",
        },
    )


# --- brands (一镇一品) -----------------------------------------------------------------------------


class BrandListView(ObjectListView):
    model = Brand
    filterset_class = BrandFilterSet
    title = "品牌（一镇一品）"
    select_related = ("place",)
    create_url_name = "commerce:brand_new"
    create_permission = "markets.brand.add"
    create_label = "登记品牌"
    detail_route = "commerce:brand"
    columns = [
        Column("品牌", "name", link=True),
        Column("类型", "get_kind_display"),
        Column("所属区划", "place.name"),
        Column("品牌产品", "products", clip=True),
        Column("授权主体", lambda b: b.n_members),
        Column("认证/标志", "certification", clip=True),
    ]

    def get_queryset(self):
        return super().get_queryset().annotate(n_members=Count("members")).order_by("place__code", "name")


@requires("markets.brand.add")
def brand_new(request):
    form = BrandForm(request.POST or None, user=request.user)

    def write(data):
        return brands.do_create_brand(actor=request.user, **data)

    done, brand = submit_form(request, form, write, success=None)
    if done:
        messages.success(request, f"已登记品牌：{brand.name}")
        return redirect("commerce:brand", pk=brand.pk)
    return form_page(request, form, "登记品牌（一镇一品）", submit="登记")


@requires("markets.brand.view", post="markets.brandproducer.add")
@object_view(Brand)
def brand_detail(request, pk):
    """A brand for staff: its producers and lots as the public page shows them, and the form that
    authorises one more registered entity of the brand's area."""
    brand = object_or_404(Brand, request.user, pk=pk)
    may_add = has_perm(request.user, "markets.brandproducer.add")
    form = BrandProducerForm(request.POST or None, user=request.user, brand=brand) if may_add else None

    def write(data):
        return brands.do_authorise_producer(brand, actor=request.user, **data)

    if form is not None:
        done, member = submit_form(request, form, write, success=None)
        if done:
            messages.success(request, f"已授权：{member.producer.name}")
            return redirect("commerce:brand", pk=brand.pk)
    return render(
        request,
        "markets/brand.html",
        {"brand": brand, "members": brands.public_members(brand), "form": form, "staff": True},
        status=400 if form is not None and form.errors else 200,
    )


@public_view
@require_safe
def public_brands(request):
    """The public list of brands: 一镇一品 by township, regional brands."""
    listed = Brand.objects.filter(is_public=True).select_related("place").annotate(n=Count("members"))
    return render(request, "markets/brands_public.html", {"brands": listed})


@public_view
@require_safe
def public_brand(request, pk):
    """A brand's public page: products, the authorised producers and their lots' one-code pages."""
    brand = Brand.objects.filter(is_public=True, pk=pk).select_related("place").first()
    if brand is None:
        raise Http404
    return render(
        request,
        "markets/brand.html",
        {"brand": brand, "members": brands.public_members(brand), "staff": False},
    )


# --- the directory ------------------------------------------------------------------------------


class DirectoryListView(ObjectListView):
    """Staff with the directory grant: every entity in region, with its consent and lookups."""

    model = DirectoryEntry
    template_name = "markets/directory.html"
    filterset_class = None
    title = "新型农业经营主体名录"
    select_related = ("place",)
    columns = [
        Column("名称", "name", link=True),
        Column("类型", "get_kind_display"),
        Column("统一社会信用代码", "credit_code"),
        Column("所在区划", "place.name"),
        Column("主要产品", "main_products", clip=True),
        Column("名录授权", lambda e: "已同意" if e.consenting else "未同意"),
        Column("被查询次数", "n_lookups"),
    ]

    def get(self, request, *args, **kwargs):
        from shuxiang.trace.filtersets import ProducerFilterSet

        self.filterset_class = ProducerFilterSet
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        from django.db.models import Exists, OuterRef

        return (
            super()
            .get_queryset()
            .annotate(
                consenting=Exists(DirectoryConsent.objects.filter(producer=OuterRef("pk"), status="given")),
                n_lookups=Count("directory_lookups", distinct=True),
            )
            .order_by(
                "place__code", "name", "pk"
            )  # a GROUP BY query ignores Meta.ordering: pages would shuffle
        )

    detail_route = "directory:detail"

    def get_extra_context(self, queryset):
        return {"may_view_policies": has_perm(self.request.user, "markets.insurancepolicy.view")}


@requires("trace.directoryentry.view")
@object_view(DirectoryEntry)
def directory_detail(request, pk):
    entity = object_or_404(DirectoryEntry, request.user, pk=pk)
    consent = DirectoryConsent.objects.filter(producer=entity).first()
    lookups = DirectoryLookup.objects.restrict(request.user).filter(producer=entity)[:50]
    policies = list(InsurancePolicy.objects.restrict(request.user).filter(producer=entity))
    directory.attach_figures([entity])
    return render(
        request,
        "markets/directory_detail.html",
        {
            "entity": entity,
            "consent": consent,
            "lookups": lookups,
            "form": ConsentForm(
                initial={"given": "false" if consent and consent.status == "given" else "true"}
            ),
            "may_change": has_perm(request.user, "markets.directoryconsent.change")
            or has_perm(request.user, "markets.directoryconsent.add"),
            "policies": policies,
            "may_view_policies": has_perm(request.user, "markets.insurancepolicy.view"),
            "may_add_policy": has_perm(request.user, "markets.insurancepolicy.add"),
            "may_change_policy": has_perm(request.user, "markets.insurancepolicy.change"),
            "insurance_kinds": "、".join(InsuranceKind(k).label for k in entity.insurance["kinds"]),
        },
    )


@requires("markets.directoryconsent.change")
@require_POST
@object_view(DirectoryEntry)
def directory_consent(request, pk):
    from shuxiang.trace.models import Producer

    producer = object_or_404(Producer, request.user, pk=pk)
    form = ConsentForm(request.POST)
    if not form.is_valid():
        raise PermissionDenied
    try:
        directory.do_set_consent(producer, actor=request.user, given=form.cleaned_data["given"] == "true")
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "名录授权已更新")
    return redirect("directory:detail", pk=pk)


@requires("markets.directoryclient.view")
def directory_clients(request):
    """Banks' and insurers' API accounts: their field sets, rates and recent lookups (administrator)."""
    from shuxiang.markets.models import DirectoryClient

    since = timezone.now() - timedelta(days=30)
    clients = list(DirectoryClient.objects.select_related("user").order_by("institution"))
    recent = dict(
        DirectoryLookup.objects.filter(at__gte=since, client_id__in=[c.user_id for c in clients])
        .values("client_id")
        .annotate(n=Count("id"))
        .values_list("client_id", "n")
    )
    for c in clients:
        c.field_labels = [directory.FIELD_LABELS.get(f, f) for f in c.fields]
        c.recent = recent.get(c.user_id, 0)
    return render(
        request,
        "markets/directory_clients.html",
        {
            "clients": clients,
            "may_add": has_perm(request.user, "markets.directoryclient.add"),
            "may_change": has_perm(request.user, "markets.directoryclient.change"),
        },
    )


def _client_page(request, client=None):
    form = DirectoryClientForm(request.POST or None, client=client)

    def write(data):
        return directory.do_configure_client(
            actor=request.user,
            user=client.user if client else data["user"],
            institution=data["institution"],
            fields=data["fields"],
            rate=data["rate"].strip(),
            kind=data["kind"] or "bank",
        )

    done, saved = submit_form(request, form, write, success=None)
    if done:
        messages.success(request, f"已保存名录查询机构：{saved.institution}")
        return redirect("directory:clients")
    return form_page(request, form, "修改名录查询机构" if client else "新增名录查询机构", submit="保存")


@requires("markets.directoryclient.add")
def directory_client_new(request):
    return _client_page(request)


@requires("markets.directoryclient.change")
def directory_client(request, pk):
    from shuxiang.markets.models import DirectoryClient

    client = DirectoryClient.objects.select_related("user").filter(pk=pk).first()
    if client is None:
        raise Http404
    return _client_page(request, client)


class LookupListView(ObjectListView):
    """Who looked entities up: staff in region; a producer's recorder for its own entity."""

    model = DirectoryLookup
    filterset_class = LookupFilterSet
    title = "名录查询记录"
    select_related = ("producer",)
    columns = [
        Column("时间", "at"),
        Column("机构", "institution"),
        Column("经营主体", "producer.name"),
        Column("接口", "get_route_display"),
        Column("结果", "get_outcome_display"),
    ]


# --- insurance policies -------------------------------------------------------------------------


class InsuranceListView(ObjectListView):
    """The policies of the entities in region (township and up): kind, township, in force today."""

    model = InsurancePolicy
    filterset_class = InsurancePolicyFilterSet
    title = "农业保险保单"
    template_name = "markets/insurance.html"
    select_related = ("producer__place",)
    create_url_name = "directory:insurance_new"
    create_permission = "markets.insurancepolicy.add"
    create_label = "登记保单"
    detail_route = "directory:insurance_edit"
    columns = [
        Column("保单号", "number", link=True),
        Column("经营主体", "producer.name", wrap=True),
        Column("险种", "get_kind_display"),
        Column("承保机构", "insurer", clip=True),
        Column("保险数量", lambda p: f"{formats.number(p.quantity)}{p.get_unit_display()}"),
        Column("保险金额（元）", lambda p: formats.number(p.sum_insured)),
        Column("保险期间", lambda p: f"{formats.day(p.starts_on)}至{formats.day(p.ends_on)}", wrap=True),
        Column(
            "状态",
            lambda p: (
                "在保" if p.in_force() else ("已到期" if p.ends_on < timezone.localdate() else "未起保")
            ),
        ),
        Column("已决赔款（元）", lambda p: formats.number(p.claims_paid)),
    ]

    def get_extra_context(self, queryset):
        today = timezone.localdate()
        live = queryset.filter(starts_on__lte=today, ends_on__gte=today).aggregate(
            n=Count("pk"),
            insured=Sum("sum_insured"),
            claims=Sum("claims_paid"),
            entities=Count("producer", distinct=True),
        )
        return {"live": live, "may_import": has_perm(self.request.user, "markets.insurancepolicy.add")}


def _policy_page(request, policy=None):
    initial = (
        {"producer": request.GET.get("producer")} if policy is None and request.GET.get("producer") else None
    )
    form = InsurancePolicyForm(request.POST or None, user=request.user, policy=policy, initial=initial)

    def write(data):
        values = {k: v for k, v in data.items() if k != "producer"}
        if policy is not None:
            return insurance.do_update_policy(policy, actor=request.user, **values)
        return insurance.do_record_policy(
            actor=request.user, producer=data["producer"], source=Source.PHONE, **values
        )

    done, saved = submit_form(request, form, write, success=None)
    if done:
        messages.success(request, f"已保存保单：{saved.insurer} {saved.number}")
        return redirect("directory:insurance")
    title = f"更正保单 {policy.number}" if policy else "登记农业保险保单"
    return form_page(request, form, title, submit="保存")


@requires("markets.insurancepolicy.add")
def insurance_new(request):
    return _policy_page(request)


@requires("markets.insurancepolicy.add")
def insurance_import(request):
    """A file of policies (XLSX or CSV), all or nothing; every bad row listed."""
    from shuxiang.core.importers import import_upload

    form = UploadForm(request.POST or None, request.FILES or None)
    created, problems = import_upload(
        request,
        form,
        lambda data, name: insurance.do_import_policies(actor=request.user, rows=read_rows(data, name)),
    )
    if created is not None:
        messages.success(request, f"导入完成：{created} 份保单")
        return redirect("directory:insurance")
    return render(
        request,
        "markets/import.html",
        {
            "form": form,
            "problems": problems,
            "title": "导入农业保险保单",
            "columns": "、".join(insurance.IMPORT_COLUMNS)
            + "（险种、单位可填中文名称；日期如 2026-03-01；财政补贴保费、已决赔款可空）",
        },
        status=400 if form.errors else 200,
    )


@requires("markets.insurancepolicy.change")
@object_view(InsurancePolicy)
def insurance_edit(request, pk):
    policy = object_or_404(InsurancePolicy, request.user, pk=pk)
    return _policy_page(request, policy)
