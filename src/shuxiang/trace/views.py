"""Staff and producer pages: registers, a lot's timeline with the phone form for new events,
certificates and label sheets. Thin: parse, call a service, render.

Each view declares the permission its route needs (`requires`, outermost; list views derive
`<model>.view`); objects are looked up inside the user's grants and region (404 outside), and the
services check the rest (a producer's recorder acts only for its own producers)."""

import functools

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from shuxiang.core.access import requires
from shuxiang.core.errors import ServiceError
from shuxiang.core.generic import (
    Column,
    ObjectListView,
    form_page,
    object_or_404,
    object_view,
    submit_form,
)
from shuxiang.core.permissions import in_domain
from shuxiang.trace import forms, labels, proof, qr, services
from shuxiang.trace.filtersets import LotFilterSet, ProducerFilterSet
from shuxiang.trace.models import Base, Certificate, Lot, Plot, Producer, Product, TraceEvent
from shuxiang.trace.public import plot_sensors


def in_trace_domain(view):
    """Writes: bureau staff only in bureaus responsible for traceability (their unit's domains), as the
    services check; refused before the form is shown, not when it is sent."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not in_domain(request.user, services.DOMAIN):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _explain(form, exc):
    """Field messages beside the fields, and the whole explanation (product, dates) on top."""
    form.apply_service_error(exc)


# --- producers --------------------------------------------------------------------------------


class ProducerListView(ObjectListView):
    model = Producer
    filterset_class = ProducerFilterSet
    title = "经营主体"
    select_related = ("place",)
    create_url_name = "trace:producer_create"
    create_permission = "trace.producer.add"
    columns = [
        Column("名称", "name", link=True),
        Column("类型", "get_kind_display"),
        Column("统一社会信用代码", "credit_code"),
        Column("所在区划", "place.name"),
        Column("主要产品", "main_products"),
    ]

    detail_route = "trace:producer_detail"


def _producer_actions(user, producer) -> dict:
    """Which buttons of a producer's page the user may use."""
    return {
        "add_base": services.allowed(user, "trace.base.add")
        and services.allowed(user, "trace.producer.change"),
        "add_product": services.allowed(user, "trace.product.add")
        and services.allowed(user, "trace.producer.change"),
        "add_plot": services.allowed(user, "trace.plot.add")
        and services.allowed(user, "trace.producer.change"),
        "link_device": services.allowed(user, "trace.plot.change"),
        "add_lot": services.allowed(user, "trace.lot.add")
        and services.allowed(user, "trace.producer.record", producer),
        "test_environment": services.allowed(user, "trace.environmenttest.add")
        and services.allowed(user, "trace.producer.record", producer),
    }


@requires("trace.producer.view")
@object_view(Producer)
def producer_detail(request, pk):
    producer = object_or_404(Producer, request.user, pk=pk)
    user = request.user
    bases = (
        Base.objects.restrict(user)
        .filter(producer=producer)
        .prefetch_related("plots__environment_tests", "plots__device")
    )
    lots = (
        Lot.objects.restrict(user)
        .filter(product__producer=producer)
        .select_related("product", "origin__base")
    )
    return render(
        request,
        "trace/producer_detail.html",
        {
            "object": producer,
            "bases": bases,
            "products": Product.objects.restrict(user).filter(producer=producer),
            "lots": lots[:50],
            "may": _producer_actions(user, producer),
        },
    )


@requires("trace.producer.add")
@in_trace_domain
def producer_create(request):
    form = forms.ProducerForm(request.POST or None)
    saved, producer = submit_form(
        request,
        form,
        lambda d: services.do_create_producer(actor=request.user, **d),
        success="经营主体已登记",
    )
    if saved:
        return redirect("trace:producer_detail", pk=producer.pk)
    return form_page(request, form, "登记经营主体")


@requires("trace.base.add")
@in_trace_domain
@object_view(Producer)
def base_create(request, pk):
    producer = object_or_404(Producer, request.user, pk=pk)
    form = forms.BaseForm(request.POST or None, initial={"place": producer.place.code})
    saved, _ = submit_form(
        request,
        form,
        lambda d: services.do_create_base(producer, actor=request.user, **d),
        success="基地已添加",
    )
    if saved:
        return redirect("trace:producer_detail", pk=producer.pk)
    return form_page(request, form, f"{producer.name}：添加基地")


@requires("trace.plot.add")
@in_trace_domain
@object_view(Base)
def plot_create(request, pk):
    base = object_or_404(Base, request.user, pk=pk)
    form = forms.PlotForm(request.POST or None)
    saved, _ = submit_form(
        request, form, lambda d: services.do_create_plot(base, actor=request.user, **d), success="地块已添加"
    )
    if saved:
        return redirect("trace:producer_detail", pk=base.producer_id)
    return form_page(request, form, f"{base.name}：添加地块")


@requires("trace.environmenttest.add")
@in_trace_domain
@object_view(Plot)
def environment_test_create(request, pk):
    plot = object_or_404(Plot, request.user, pk=pk)
    form = forms.EnvironmentTestForm(request.POST or None)
    saved, _ = submit_form(
        request,
        form,
        lambda d: services.do_record_environment_test(plot, actor=request.user, **d),
        success="产地环境检测已记录",
    )
    if saved:
        return redirect("trace:producer_detail", pk=plot.base.producer_id)
    return form_page(request, form, f"{plot}：产地环境检测")


@requires("trace.plot.change")
@in_trace_domain
@object_view(Plot)
def plot_device(request, pk):
    plot = object_or_404(Plot, request.user, pk=pk)
    form = forms.PlotDeviceForm(
        request.POST or None, initial={"device_code": plot.device.code if plot.device else ""}
    )
    saved, _ = submit_form(
        request,
        form,
        lambda d: services.do_link_device(plot, actor=request.user, **d),
        success="已更新产地监测设备",
    )
    if saved:
        return redirect("trace:producer_detail", pk=plot.base.producer_id)
    return form_page(request, form, f"{plot}：产地监测设备")


@requires("trace.product.add")
@in_trace_domain
@object_view(Producer)
def product_create(request, pk):
    producer = object_or_404(Producer, request.user, pk=pk)
    form = forms.ProductForm(request.POST or None)
    saved, _ = submit_form(
        request,
        form,
        lambda d: services.do_create_product(producer, actor=request.user, **d),
        success="产品已添加",
    )
    if saved:
        return redirect("trace:producer_detail", pk=producer.pk)
    return form_page(request, form, f"{producer.name}：添加产品")


@requires("trace.lot.add")
@in_trace_domain
@object_view(Producer)
def lot_create(request, pk):
    producer = object_or_404(Producer, request.user, pk=pk)
    form = forms.LotForm(request.POST or None, producer=producer)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        product = producer.products.get(pk=data["product"])
        origin = (
            Plot.objects.filter(base__producer=producer, pk=data["origin"]).first()
            if data["origin"]
            else None
        )
        try:
            lot = services.do_create_lot(
                product,
                actor=request.user,
                lot_number=data["lot_number"],
                origin=origin,
                quantity=data["quantity"],
            )
        except ServiceError as exc:
            form.apply_service_error(exc)
        else:
            messages.success(request, f"批次已建立，追溯码 {lot.short_code}")
            return redirect("trace:lot_detail", pk=lot.pk)
    return form_page(request, form, f"{producer.name}：新建批次")


# --- lots ------------------------------------------------------------------------------------


class LotListView(ObjectListView):
    model = Lot
    filterset_class = LotFilterSet
    title = "批次"
    select_related = ("origin__place",)
    columns = [
        Column("产品", "product.name", link=True),
        Column("批次号", "lot_number"),
        Column("经营主体", "product.producer.name"),
        Column("产地", "origin.place.name"),
        Column("数量", "quantity"),
        Column("状态", "get_stage_display"),
        Column("扫码次数", "scan_count"),
        Column("疑似假冒", "suspicious"),
    ]

    def get_queryset(self):
        # Newest first by id, which grows with created_at (set on insert): the primary key's index
        # serves the order, where created_at (no index) sorted every lot of the county per page.
        # Products and producers come by id for the page's rows (two small queries): joined in, the
        # page query cost PostgreSQL ~3 ms of planning for 25 rows.
        return super().get_queryset().prefetch_related("product__producer").order_by("-pk")

    detail_route = "trace:lot_detail"


def scan_stats(lot):
    """Scans of the lot's code: all time, the last 24 hours, and from how many networks and places."""
    from django.db.models import Count
    from django.utils import timezone

    recent = lot.scans.filter(at__gte=timezone.now() - services.SCAN_WINDOW)
    day = recent.aggregate(
        n=Count("id"),
        networks=Count("network", distinct=True),
        agents=Count("agent", distinct=True),
        located=Count("latitude"),
    )
    return {"total": lot.scan_count, **day}


def _lot_context(request, lot, form=None, certificate_form=None):
    user = request.user
    events = list(TraceEvent.objects.restrict(user).filter(lot=lot).select_related("place", "corrects"))
    corrected = {e.corrects_id for e in events if e.corrects_id}
    check = proof.check_lot(lot, events=events)
    for e in events:
        e.fact = check.fact(e)
    allowed, reason = services.harvest_allowed_on(lot)
    return {
        "object": lot,
        "events": events,
        "corrected": corrected,
        "certificates": Certificate.objects.restrict(user).filter(lot=lot),
        "environment_tests": lot.origin.environment_tests.all()[:10],
        "sensors": plot_sensors(lot.origin),
        "harvest_allowed_on": allowed,
        "harvest_reason": reason,
        "can_record": services.allowed(user, "trace.traceevent.add")
        and services.allowed(user, "trace.producer.record", lot.product.producer),
        "can_issue": services.allowed(user, "trace.certificate.add")
        and services.allowed(user, "trace.producer.record", lot.product.producer),
        "can_clear": services.allowed(user, "trace.lot.change", lot),
        "form": form or forms.EventForm(lot=lot),
        "certificate_form": certificate_form or forms.CertificateForm(),
        "recent_scans": lot.scans.all()[:10],
        "scan_stats": scan_stats(lot),
        "qr_svg": qr.svg(lot.digital_link),
        "check": check,
    }


@requires("trace.lot.view")
@object_view(Lot)
def lot_detail(request, pk):
    lot = object_or_404(Lot, request.user, pk=pk)
    return render(request, "trace/lot_detail.html", _lot_context(request, lot))


@requires("trace.traceevent.add")
@in_trace_domain
@require_POST
@object_view(Lot)
def event_create(request, pk):
    lot = object_or_404(Lot, request.user, pk=pk)
    form = forms.EventForm(request.POST, request.FILES, lot=lot)
    if form.is_valid():
        data = dict(form.cleaned_data)
        corrects = data.pop("corrects")
        corrected = lot.events.filter(pk=corrects).first() if corrects else None
        try:
            services.do_record_event(lot, actor=request.user, corrects=corrected, **data)
        except ServiceError as exc:
            _explain(form, exc)
        else:
            messages.success(request, "已记录，并写入可信账本")
            return redirect("trace:lot_detail", pk=lot.pk)
    return render(request, "trace/lot_detail.html", _lot_context(request, lot, form=form), status=400)


@requires("trace.certificate.add")
@in_trace_domain
@require_POST
@object_view(Lot)
def certificate_create(request, pk):
    lot = object_or_404(Lot, request.user, pk=pk)
    form = forms.CertificateForm(request.POST)
    if form.is_valid():
        try:
            certificate = services.do_issue_certificate(lot, actor=request.user, **form.cleaned_data)
        except ServiceError as exc:
            _explain(form, exc)
        else:
            messages.success(request, f"合格证 {certificate.number} 已开具")
            return redirect("trace:certificate_detail", pk=certificate.pk)
    return render(
        request, "trace/lot_detail.html", _lot_context(request, lot, certificate_form=form), status=400
    )


@requires("trace.certificate.view")
@object_view(Certificate)
def certificate_detail(request, pk):
    certificate = object_or_404(Certificate, request.user, pk=pk)
    lot = certificate.lot
    return render(
        request,
        "trace/certificate.html",
        {
            "certificate": certificate,
            "lot": lot,
            "producer": lot.product.producer,
            "qr_svg": qr.svg(lot.digital_link),
        },
    )


@requires("trace.lot.view")
@object_view(Lot)
def lot_labels(request, pk):
    """A printable A4 sheet of QR labels for the lot (PDF)."""
    lot = object_or_404(Lot, request.user, pk=pk)
    try:
        count = min(max(int(request.GET.get("count", labels.PER_PAGE)), 1), 20 * labels.PER_PAGE)
    except ValueError:
        count = labels.PER_PAGE
    pdf = labels.label_sheet(lot, count)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="labels-{lot.short_code}.pdf"'
    return response


@requires("trace.lot.change")
@in_trace_domain
@require_POST
@object_view(Lot)
def lot_clear_warning(request, pk):
    lot = object_or_404(Lot, request.user, pk=pk)
    try:
        services.do_clear_warning(lot, actor=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已解除假冒预警")
    return redirect("trace:lot_detail", pk=lot.pk)


@requires("trace.lot.change")
@in_trace_domain
@require_POST
@object_view(Lot)
def lot_confirm_counterfeit(request, pk):
    """After checking the market: the clue is confirmed and the public page starts to warn."""
    lot = object_or_404(Lot, request.user, pk=pk)
    try:
        services.do_confirm_counterfeit(lot, actor=request.user, note=request.POST.get("note", ""))
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已确认仿冒，一码查页面将提示消费者")
    return redirect("trace:lot_detail", pk=lot.pk)


@requires("trace.lot.change")
@in_trace_domain
@require_POST
@object_view(Lot)
def lot_dismiss_clue(request, pk):
    lot = object_or_404(Lot, request.user, pk=pk)
    try:
        services.do_dismiss_clue(lot, actor=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已排除仿冒线索")
    return redirect("trace:lot_detail", pk=lot.pk)
