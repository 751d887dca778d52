"""Pages of farms and pens (/livestock/), disease reports and outbreaks (/livestock/outbreaks/), ponds
(/fishery/) and cold stores (/coldchain/). Thin: look up in scope, call a service, render."""

from django import forms
from django.contrib import messages
from django.db.models import Count, Q, Sum
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shuxiang.core import formats
from shuxiang.core.access import requires
from shuxiang.core.errors import ServiceError
from shuxiang.core.forms import ServiceFormMixin
from shuxiang.core.generic import Column, ObjectDetailView, ObjectListView, object_or_404, object_view
from shuxiang.core.permissions import has_perm
from shuxiang.iot.models import Alarm, Sensor
from shuxiang.livestock import coldchain, disease, ponds, services, standards, telemetry
from shuxiang.livestock.choices import (
    STAGE_TAG,
    AnimalSpecies,
    ColdClass,
    DiseaseStage,
    EntryKind,
    ManureKind,
    PondRecordKind,
    Stage,
)
from shuxiang.livestock.filtersets import (
    ColdStoreFilterSet,
    ColdVehicleFilterSet,
    DiseaseReportFilterSet,
    FarmFilterSet,
    PondFilterSet,
)
from shuxiang.livestock.models import (
    ColdStore,
    ColdVehicle,
    DiseaseReport,
    Farm,
    HerdEntry,
    Pen,
    Pond,
    VehicleLoad,
)

# --- farms ----------------------------------------------------------------------------------


class FarmListView(ObjectListView):
    """Every farm in scope on the map and in a table: producer, scale, head count, manure facility."""

    model = Farm
    filterset_class = FarmFilterSet
    title = "养殖场"
    template_name = "livestock/farm_list.html"
    select_related = ("place", "place__parent", "producer")
    columns = [
        Column("名称", "name", link=True),
        Column("类型", "get_kind_display"),
        Column("经营主体", "producer.name"),
        Column("所在乡镇", "place.parent.name"),
        Column("存栏（头）/ 池塘", lambda f: f.heads if f.kind == "pig" else f"{f.pond_count} 口"),
        Column("粪污处理", "get_manure_type_display"),
        Column("防疫合格证", lambda f: f.licence_no or "未登记"),
    ]

    def get_queryset(self):
        qs = (
            super()
            .get_queryset()
            .annotate(heads=Sum("pens__head_count"), pond_count=Count("ponds", distinct=True))
        )
        return qs.order_by("code")

    @staticmethod
    def detail_url(obj):
        return obj.get_absolute_url()

    def get_extra_context(self, queryset):
        pens = Pen.objects.filter(farm__in=queryset.values("pk"))
        day_ago = timezone.now() - telemetry.DAY
        return {
            "kpis": {
                "farms": queryset.count(),
                "heads": pens.aggregate(n=Sum("head_count"))["n"] or 0,
                "fed": pens.filter(feeder__last_seen_at__gte=day_ago).aggregate(n=Sum("head_count"))["n"]
                or 0,
                "manure": queryset.filter(kind="pig", manure_capacity_m3__gt=0)
                .exclude(manure_type="none")
                .count(),
            }
        }


def _point(obj, colour, text):
    return {
        "name": obj.name,
        "lat": obj.latitude,
        "lng": obj.longitude,
        "colour": colour,
        "text": text,
        "url": obj.get_absolute_url(),
    }


@requires("livestock.farm.view")
@require_GET
def farm_map(request):
    rows = []
    for f in Farm.objects.restrict(request.user).annotate(heads=Sum("pens__head_count")):
        if f.latitude is None:
            continue
        text = f"{f.get_kind_display()} · 存栏 {f.heads or 0} 头" if f.kind == "pig" else f.get_kind_display()
        rows.append(_point(f, "#b45309" if f.kind == "pig" else "#2563eb", text))
    return JsonResponse({"points": rows, "circles": []})


class EntryForm(ServiceFormMixin, forms.Form):
    kind = forms.ChoiceField(
        label="类型",
        choices=[(k, v) for k, v in EntryKind.choices if k != EntryKind.MOVE_IN],
    )
    count = forms.IntegerField(label="头数", min_value=1)
    to_pen = forms.ModelChoiceField(label="转入栏舍（转栏时）", queryset=Pen.objects.none(), required=False)
    weight_kg = forms.FloatField(label="总重（kg，可选）", required=False, min_value=0)
    note = forms.CharField(label="备注", required=False, max_length=200)
    submission_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, pen=None, **kwargs):
        super().__init__(*args, **kwargs)
        if pen is not None:
            self.fields["to_pen"].queryset = Pen.objects.filter(farm_id=pen.farm_id).exclude(pk=pen.pk)


def pen_rows(farm, now=None):
    """Each pen with its last 24 h feed, per head, drop against its week, and feeder status."""
    now = now or timezone.now()
    pens = list(farm.pens.select_related("feeder").order_by("code"))
    by_pen = telemetry.intakes(pens, now)
    rows = []
    for pen in pens:
        intake = by_pen.get(pen.pk)
        fed = (
            pen.feeder_id is not None
            and pen.feeder.last_seen_at is not None
            and pen.feeder.last_seen_at >= now - telemetry.DAY
        )
        rows.append({"pen": pen, "intake": intake, "fed": fed, "stage_label": pen.get_stage_display()})
    return rows


class FarmDetailView(ObjectDetailView):
    model = Farm
    template_name = "livestock/farm_detail.html"
    select_related = ("place", "place__parent", "producer")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        farm, user = self.object, self.request.user
        devices = [d for p in farm.pens.all() for d in (p.feeder_id, p.environment_id) if d]
        devices += [farm.lagoon_id] if farm.lagoon_id else []
        devices += [p.device_id for p in farm.ponds.all() if p.device_id]
        context.update(
            pens=pen_rows(farm) if farm.kind == "pig" else [],
            ponds=farm.ponds.all(),
            heads=sum(p.head_count for p in farm.pens.all()),
            fcr=telemetry.feed_conversion(farm) if farm.kind == "pig" else None,
            entries=HerdEntry.objects.filter(pen__farm=farm).select_related("pen", "other_pen")[:20],
            alarms=Alarm.objects.restrict(user)
            .filter(sensor__device_id__in=devices)
            .select_related("rule", "sensor")[:10],
            reports=farm.reports.order_by("-reported_at")[:5],
            can_record=has_perm(user, "livestock.herdentry.add")
            and has_perm(user, "livestock.farm.record", farm),
            can_change=has_perm(user, "livestock.pen.change"),
            can_report=has_perm(user, "livestock.diseasereport.add"),
            form=EntryForm(initial={"submission_key": timezone.now().strftime("%Y%m%d%H%M%S%f")}),
            stage_standards=[
                (Stage(code).label if code in Stage.values else code, band)
                for code, band in standards.barn_stages().items()
            ],
            lagoon_level=_latest(farm.lagoon_id).get("LV", (None, None))[0],
            manure_records=farm.manure_records.all()[:10],
            can_record_manure=has_perm(user, "livestock.manurerecord.add"),
            manure_form=ManureForm(),
        )
        return context


class ManureForm(ServiceFormMixin, forms.Form):
    kind = forms.ChoiceField(label="类型", choices=ManureKind.choices)
    volume_m3 = forms.FloatField(label="数量（m³）", min_value=0)
    destination = forms.CharField(label="去向", required=False, max_length=100)


@requires("livestock.manurerecord.add")
@require_POST
@object_view(Farm)
def farm_manure(request, pk):
    farm = object_or_404(Farm, request.user, pk=pk)
    form = ManureForm(request.POST)
    if form.is_valid():
        try:
            services.do_record_manure(farm, actor=request.user, **form.cleaned_data)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "已记录清运")
    else:
        messages.error(request, "记录有误：" + "；".join(e for errs in form.errors.values() for e in errs))
    return redirect(farm.get_absolute_url())


@requires("livestock.herdentry.add")
@require_http_methods(["GET", "POST"])
@object_view(Pen)
def pen_entry(request, pk):
    """The phone form of one pen: a birth, purchase, move, sale or death."""
    pen = object_or_404(Pen, request.user, pk=pk)
    form = EntryForm(request.POST or None, pen=pen)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.do_record_entry(
                pen,
                actor=request.user,
                kind=d["kind"],
                count=d["count"],
                to_pen=d["to_pen"],
                weight_kg=d["weight_kg"],
                note=d["note"],
                submission_key=d["submission_key"],
            )
        except ServiceError as exc:
            form.apply_service_error(exc)
        else:
            messages.success(request, "已记录存栏变动")
            return redirect("livestock:farm_detail", pk=pen.farm_id)
    if not form.is_bound:
        form = EntryForm(initial={"submission_key": timezone.now().strftime("%Y%m%d%H%M%S%f")}, pen=pen)
    status = 400 if request.method == "POST" else 200
    return render(request, "livestock/pen_entry.html", {"pen": pen, "form": form}, status=status)


@requires("livestock.pen.change")
@require_POST
@object_view(Pen)
def pen_apply_rules(request, pk):
    pen = object_or_404(Pen, request.user, pk=pk)
    try:
        n = services.do_apply_barn_rules(pen, actor=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"已按{pen.get_stage_display()}标准新建 {n} 条环境告警规则" if n else "规则已齐全"
        )
    return redirect("livestock:farm_detail", pk=pen.farm_id)


# --- disease reports and outbreaks ------------------------------------------------------------


class OutbreakListView(ObjectListView):
    """Reports and outbreaks in scope, most recent first; confirmed ones with their zones on the map."""

    model = DiseaseReport
    filterset_class = DiseaseReportFilterSet
    title = "疫病报告与疫情"
    template_name = "livestock/outbreak_list.html"
    select_related = ("place", "place__parent", "farm")
    create_url_name = "livestock:report_new"
    create_permission = "livestock.diseasereport.add"
    create_label = "报告疑似疫情"
    columns = [
        Column(
            "地点", lambda r: f"{r.place.parent.name if r.place.parent_id else ''}{r.place.name}", link=True
        ),
        Column("养殖场", lambda r: r.farm.name if r.farm_id else "散养/未登记"),
        Column("畜种", "get_species_display"),
        Column("疑似病种", "disease"),
        Column("发病/死亡", lambda r: f"{r.sick}/{r.deaths}"),
        Column("阶段", "get_stage_display"),
        Column("报告时间", "reported_at"),
    ]

    @staticmethod
    def detail_url(obj):
        return obj.get_absolute_url()

    def get_extra_context(self, queryset):
        zones = standards.zones().values()
        return {"zones_text": "、".join(f"{z['label']} {z['radius_km']} km" for z in zones)}


@requires("livestock.diseasereport.view")
@require_GET
def outbreak_map(request):
    points, circles = [], []
    zones = standards.zones()
    colours = {"infected": "#dc2626", "threatened": "#f59e0b"}
    open_stages = [DiseaseStage.SUSPICIOUS, DiseaseStage.SUSPECTED, DiseaseStage.CONFIRMED]
    for r in (
        DiseaseReport.objects.restrict(request.user).filter(stage__in=open_stages).select_related("place")
    ):
        colour = "#dc2626" if r.is_outbreak else "#f59e0b"
        points.append(
            {
                "name": str(r),
                "lat": r.latitude,
                "lng": r.longitude,
                "colour": colour,
                "text": f"发病 {r.sick}，死亡 {r.deaths}",
                "url": r.get_absolute_url(),
            }
        )
        if r.is_outbreak:
            for code, zone in zones.items():
                circles.append(
                    {
                        "lat": r.latitude,
                        "lng": r.longitude,
                        "radius_m": zone["radius_km"] * 1000,
                        "colour": colours.get(code, "#6b7280"),
                        "label": f"{zone['label']}（{zone['radius_km']} km）",
                    }
                )
    return JsonResponse({"points": points, "circles": circles})


class ReportForm(ServiceFormMixin, forms.Form):
    farm = forms.ModelChoiceField(label="养殖场（已登记的）", queryset=Farm.objects.none(), required=False)
    place = forms.CharField(label="所在村（区划代码，未登记养殖场时填写）", required=False)
    species = forms.ChoiceField(
        label="畜种", choices=[("", "请选择"), *AnimalSpecies.choices], required=False
    )
    disease = forms.CharField(label="疑似病种", initial="非洲猪瘟", max_length=40)
    symptoms = forms.CharField(label="症状", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    sick = forms.IntegerField(label="发病数", min_value=0, initial=0)
    deaths = forms.IntegerField(label="死亡数", min_value=0, initial=0)
    latitude = forms.FloatField(label="纬度（可选）", required=False, widget=forms.HiddenInput)
    longitude = forms.FloatField(label="经度（可选）", required=False, widget=forms.HiddenInput)
    photos = forms.FileField(
        label="照片", required=False, widget=forms.ClearableFileInput(attrs={"accept": "image/*"})
    )
    submission_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.fields["farm"].queryset = Farm.objects.restrict(user).order_by("name")


@requires("livestock.diseasereport.add")
@require_http_methods(["GET", "POST"])
def report_new(request):
    """The phone form: farm or village, species, symptoms, numbers, photos."""
    form = ReportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            report = disease.do_report_suspicion(
                actor=request.user,
                farm=d["farm"],
                place=d["place"] or None,
                species=d["species"],
                disease=d["disease"],
                symptoms=d["symptoms"],
                sick=d["sick"] or 0,
                deaths=d["deaths"] or 0,
                latitude=d["latitude"],
                longitude=d["longitude"],
                photos=request.FILES.getlist("photos"),
                submission_key=d["submission_key"],
            )
        except ServiceError as exc:
            form.apply_service_error(exc)
        else:
            messages.success(request, "疫情报告已提交，区动物卫生监督机构将尽快研判")
            return redirect(report.get_absolute_url())
    if not form.is_bound:
        form = ReportForm(
            initial={"submission_key": timezone.now().strftime("%Y%m%d%H%M%S%f")}, user=request.user
        )
    status = 400 if request.method == "POST" else 200
    return render(
        request, "livestock/report_form.html", {"form": form, "title": "报告疑似动物疫情"}, status=status
    )


class OutbreakDetailView(ObjectDetailView):
    model = DiseaseReport
    template_name = "livestock/outbreak_detail.html"
    select_related = ("place", "place__parent", "farm", "reported_by")

    def get_context_data(self, **kwargs):
        from shuxiang.core.files import attachments_of

        context = super().get_context_data(**kwargs)
        r, user = self.object, self.request.user
        zones = standards.zones()
        inside = disease.farms_in_zones(r, Farm.objects.restrict(user)) if r.is_outbreak else []
        order = standards.disease_stages()
        following = order[order.index(r.stage) + 1] if r.stage in order[:-1] else None
        context.update(
            stage_tag=STAGE_TAG[r.stage],
            farms=[{"farm": f, "zone": zones[z]["label"], "km": km} for f, z, km in inside],
            moves=disease.flagged_moves(r)[:50] if r.is_outbreak else [],
            can_confirm=has_perm(user, "livestock.diseasereport.confirm", r),
            next_stage=DiseaseStage(following) if following else None,
            can_rule_out=r.stage in order[:-1],
            photos=attachments_of(r),
            zones=zones,
        )
        return context


@requires("livestock.diseasereport.confirm")
@require_POST
@object_view(DiseaseReport)
def outbreak_advance(request, pk):
    report = object_or_404(DiseaseReport, request.user, pk=pk)
    try:
        disease.do_advance_report(report, actor=request.user, to=request.POST.get("to", ""))
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已更新研判阶段")
    return redirect(report.get_absolute_url())


@requires("livestock.diseasereport.confirm")
@require_POST
@object_view(DiseaseReport)
def outbreak_warning(request, pk):
    report = object_or_404(DiseaseReport, request.user, pk=pk)
    try:
        warning = disease.do_issue_outbreak_warning(report, actor=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已起草动物疫情预警（编号 {warning.pk}），待审批后发布")
    return redirect(report.get_absolute_url())


# --- fishery --------------------------------------------------------------------------------


def _latest(device_id) -> dict:
    if not device_id:
        return {}
    return {
        k: (v, ts)
        for k, v, ts in Sensor.objects.filter(device_id=device_id).values_list("key", "last_value", "last_ts")
    }


class PondListView(ObjectListView):
    model = Pond
    filterset_class = PondFilterSet
    title = "养殖池塘"
    template_name = "livestock/pond_list.html"
    select_related = ("place", "place__parent", "farm", "device")
    columns = [
        Column("名称", "name", link=True),
        Column("养殖场", "farm.name"),
        Column("所在乡镇", "place.parent.name"),
        Column("主养品种", "get_species_display"),
        Column("水面（亩）", lambda p: formats.number(p.area_mu)),
        Column("溶解氧 mg/L", lambda p: formats.number(p.do)),
        Column("预测黎明溶氧", lambda p: formats.number(p.dof)),
    ]

    def get_queryset(self):
        from django.db.models import OuterRef, Subquery

        def latest(key):
            return Subquery(
                Sensor.objects.filter(device=OuterRef("device"), key=key).values("last_value")[:1]
            )

        return super().get_queryset().annotate(do=latest("DO"), dof=latest("DOF"))

    @staticmethod
    def detail_url(obj):
        return obj.get_absolute_url()


@requires("livestock.pond.view")
@require_GET
def pond_map(request):
    rows = []
    for p in Pond.objects.restrict(request.user):
        if p.latitude is None:
            continue
        do = _latest(p.device_id).get("DO", (None, None))[0]
        threshold = standards.species(p.species)["critical"]
        colour = "#9ca3af" if do is None else ("#dc2626" if do < threshold else "#16a34a")
        text = f"{p.get_species_display()} · 溶氧 {'无数据' if do is None else f'{do:g} mg/L'}"
        rows.append(_point(p, colour, text))
    return JsonResponse({"points": rows, "circles": []})


class PondRecordForm(ServiceFormMixin, forms.Form):
    kind = forms.ChoiceField(label="类型", choices=PondRecordKind.choices)
    on = forms.DateField(label="日期", widget=forms.DateInput(attrs={"type": "date"}))
    count = forms.IntegerField(label="数量（尾）", min_value=0, initial=0)
    weight_kg = forms.FloatField(label="重量（kg）", min_value=0, initial=0)
    note = forms.CharField(label="备注", required=False, max_length=200)


class PondDetailView(ObjectDetailView):
    model = Pond
    template_name = "livestock/pond_detail.html"
    select_related = ("place", "place__parent", "farm__producer", "device")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        p, user = self.object, self.request.user
        latest = _latest(p.device_id)
        figures = standards.species(p.species)
        forecast, dawn = telemetry.forecast_dawn(p) if p.device_id else (None, None)
        context.update(
            latest={k: v for k, (v, _) in latest.items()},
            updated=max((ts for _, ts in latest.values() if ts), default=None),
            figures=figures,
            forecast=forecast,
            dawn=dawn,
            records=p.records.all()[:20],
            alarms=Alarm.objects.restrict(user)
            .filter(sensor__device_id=p.device_id)
            .select_related("rule")[:10]
            if p.device_id
            else [],
            can_record=has_perm(user, "livestock.pondrecord.add"),
            form=PondRecordForm(initial={"on": timezone.localdate()}),
            chart_keys=["DO", "DOF", "WT", "PH"],
        )
        return context


@requires("livestock.pondrecord.add")
@require_POST
@object_view(Pond)
def pond_record(request, pk):
    pond = object_or_404(Pond, request.user, pk=pk)
    form = PondRecordForm(request.POST)
    if form.is_valid():
        try:
            ponds.do_record_pond(pond, actor=request.user, **form.cleaned_data)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "已记录")
    else:
        messages.error(request, "记录有误：" + "；".join(e for errs in form.errors.values() for e in errs))
    return redirect(pond.get_absolute_url())


# --- cold chain -----------------------------------------------------------------------------


class ColdStoreListView(ObjectListView):
    model = ColdStore
    filterset_class = ColdStoreFilterSet
    title = "冷库"
    template_name = "livestock/store_list.html"
    select_related = ("place", "place__parent", "producer")
    columns = [
        Column("名称", "name", link=True),
        Column("经营主体", "producer.name"),
        Column("所在乡镇", "place.parent.name"),
        Column("温区", "get_temp_class_display"),
        Column("库容（吨）", lambda s: formats.number(s.capacity_t)),
        Column("在库率", lambda s: f"{s.occupancy_percent:g}%"),
        Column("库温 ℃", lambda s: formats.number(s.temp)),
        Column("近30天超标", "excursions_30d"),
    ]

    def get_queryset(self):
        from django.db.models import OuterRef, Subquery

        since = timezone.now() - timezone.timedelta(days=30)
        t = Subquery(Sensor.objects.filter(device=OuterRef("device"), key="T").values("last_value")[:1])
        return (
            super()
            .get_queryset()
            .annotate(temp=t, excursions_30d=Count("excursions", filter=Q(excursions__started_at__gte=since)))
            .order_by("code")
        )

    @staticmethod
    def detail_url(obj):
        return obj.get_absolute_url()

    def get_extra_context(self, queryset):
        from shuxiang.core.models import Place

        # The pilot townships are named in data/standards.yaml (赫山区's plan); only those within the
        # user's region are named or summed, so another county's admin sees no 赫山区 names here.
        names = standards.load()["cold_pilot_townships"]
        pilots = list(
            Place.objects.restrict(self.request.user)
            .filter(level=2, name__in=names)
            .order_by("code")
            .values_list("name", flat=True)
        )
        totals = queryset.aggregate(cap=Sum("capacity_t"), used=Sum("occupied_t"))
        pilot = queryset.filter(place__parent__name__in=pilots).aggregate(cap=Sum("capacity_t"))["cap"]
        return {
            "kpis": {
                "stores": queryset.count(),
                "capacity": totals["cap"] or 0,
                "used": totals["used"] or 0,
                "pilot": pilot or 0,
                "pilots": "、".join(pilots),
            }
        }


class ColdStoreDetailView(ObjectDetailView):
    model = ColdStore
    template_name = "livestock/store_detail.html"
    select_related = ("place", "place__parent", "producer", "device")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        s = self.object
        context.update(
            latest={k: v for k, (v, _) in _latest(s.device_id).items()},
            limit=standards.cold_class(s.temp_class),
            lots=s.lots.select_related("lot__product").filter(removed_at__isnull=True),
            excursions=s.excursions.prefetch_related("lots__product")[:20],
            alarms=Alarm.objects.restrict(self.request.user)
            .filter(sensor__device_id=s.device_id)
            .select_related("rule")[:10]
            if s.device_id
            else [],
        )
        return context


@requires("livestock.pond.view")
@require_GET
def fishery_monthly(request):
    """The fishery authority's monthly figures per township and species (CSV/Excel with `export`)."""
    from shuxiang.core.exports import export_response
    from shuxiang.livestock import fishery

    raw = request.GET.get("month") or fishery.current_month().strftime("%Y-%m")
    try:
        month = fishery.parse_month(raw)
    except ServiceError as exc:
        messages.error(request, exc.message)
        month = fishery.current_month()
    rows = fishery.monthly(Pond.objects.restrict(request.user), month)
    export = request.GET.get("export")
    if export in ("csv", "xlsx"):
        if not has_perm(request.user, "livestock.pond.export"):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        return export_response(
            (fishery.row_cells(r) for r in rows),
            fishery.HEADERS,
            fmt=export,
            filename=f"fishery-{month:%Y%m}",
            sheet_title="渔业月报",
            actor=request.user,
            object_type="livestock.pond",
            description=f"导出渔业月报 {month:%Y-%m}（{export}）",
            filters={"month": [f"{month:%Y-%m}"]},
        )
    return render(
        request,
        "livestock/fishery_monthly.html",
        {
            "rows": rows,
            "month": month,
            "headers": fishery.HEADERS,
            "cells": [fishery.row_cells(r) for r in rows],
        },
    )


# --- refrigerated vehicles (冷藏车) ------------------------------------------------------------


class ColdVehicleListView(ObjectListView):
    model = ColdVehicle
    filterset_class = ColdVehicleFilterSet
    title = "冷藏车"
    template_name = "livestock/vehicle_list.html"
    select_related = ("place", "place__parent", "producer", "device")
    columns = [
        Column("车牌号", "plate", link=True),
        Column("名称", "name"),
        Column("经营主体", "producer.name"),
        Column("所在乡镇", "place.parent.name"),
        Column("温区", "get_temp_class_display"),
        Column("载重（吨）", lambda v: formats.number(v.capacity_t)),
        Column("车厢温度 ℃", lambda v: formats.number(v.temp)),
        Column("在途批次", "on_board"),
        Column("近30天超标", "excursions_30d"),
    ]

    def get_queryset(self):
        from django.db.models import OuterRef, Subquery

        since = timezone.now() - timezone.timedelta(days=30)
        t = Subquery(
            Sensor.objects.filter(device=OuterRef("device"), key=coldchain.VEHICLE_TEMP_KEY).values(
                "last_value"
            )[:1]
        )
        return (
            super()
            .get_queryset()
            .annotate(
                temp=t,
                on_board=Count("loads", filter=Q(loads__unloaded_at__isnull=True), distinct=True),
                excursions_30d=Count(
                    "excursions", filter=Q(excursions__started_at__gte=since), distinct=True
                ),
            )
            .order_by("plate")
        )

    @staticmethod
    def detail_url(obj):
        return obj.get_absolute_url()

    def get_extra_context(self, queryset):
        return {"can_add": has_perm(self.request.user, "livestock.coldvehicle.add")}


class LoadForm(ServiceFormMixin, forms.Form):
    lot = forms.CharField(label="追溯批次号", max_length=40)
    quantity_t = forms.FloatField(label="数量（吨）", min_value=0)
    destination = forms.CharField(label="目的地", required=False, max_length=100)


class ColdVehicleDetailView(ObjectDetailView):
    model = ColdVehicle
    template_name = "livestock/vehicle_detail.html"
    select_related = ("place", "place__parent", "producer", "device")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        v, user = self.object, self.request.user
        context.update(
            latest={k: v for k, (v, _) in _latest(v.device_id).items()},
            temp_key=coldchain.VEHICLE_TEMP_KEY,
            limit=standards.cold_class(v.temp_class),
            loads=v.loads.select_related("lot__product").filter(unloaded_at__isnull=True),
            past_loads=v.loads.select_related("lot__product").filter(unloaded_at__isnull=False)[:10],
            excursions=v.excursions.prefetch_related("lots__product")[:20],
            alarms=Alarm.objects.restrict(user)
            .filter(sensor__device_id=v.device_id)
            .select_related("rule")[:10]
            if v.device_id
            else [],
            can_change=has_perm(user, "livestock.coldvehicle.change", v),
            load_form=LoadForm(),
        )
        return context


class VehicleForm(ServiceFormMixin, forms.Form):
    plate = forms.CharField(label="车牌号", max_length=16)
    name = forms.CharField(label="名称", max_length=100)
    producer = forms.ModelChoiceField(label="经营主体", queryset=None)
    place = forms.ModelChoiceField(label="所属村", queryset=None)
    temp_class = forms.ChoiceField(label="温区", choices=ColdClass.choices)
    capacity_t = forms.FloatField(label="载重（吨）", min_value=0)
    terminal = forms.CharField(
        label="车载终端手机号（JT/T 808，2013 版 12 位、2019 版 20 位，可空）", max_length=20, required=False
    )

    def __init__(self, *args, user=None, **kwargs):
        from shuxiang.core.models import Place
        from shuxiang.trace.models import Producer

        super().__init__(*args, **kwargs)
        self.fields["producer"].queryset = Producer.objects.restrict(user).order_by("name")
        self.fields["place"].queryset = Place.objects.restrict(user).filter(level=3).order_by("code")


@requires("livestock.coldvehicle.add")
@require_http_methods(["GET", "POST"])
def vehicle_new(request):
    form = VehicleForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            vehicle = coldchain.do_register_vehicle(actor=request.user, **form.cleaned_data)
        except ServiceError as exc:
            form.apply_service_error(exc)
        else:
            messages.success(request, f"已登记冷藏车 {vehicle.plate}")
            return redirect(vehicle.get_absolute_url())
    status = 400 if request.method == "POST" else 200
    return render(request, "livestock/vehicle_form.html", {"form": form}, status=status)


@requires("livestock.coldvehicle.change")
@require_POST
@object_view(ColdVehicle)
def vehicle_load(request, pk):
    vehicle = object_or_404(ColdVehicle, request.user, pk=pk)
    form = LoadForm(request.POST)
    if form.is_valid():
        try:
            coldchain.do_load_lot(vehicle, actor=request.user, **form.cleaned_data)
        except ServiceError as exc:
            messages.error(
                request, exc.message + "：" + "；".join(e for errs in exc.fields.values() for e in errs)
            )
        else:
            messages.success(request, "已装车")
    else:
        messages.error(
            request, "装车信息有误：" + "；".join(e for errs in form.errors.values() for e in errs)
        )
    return redirect(vehicle.get_absolute_url())


@requires("livestock.coldvehicle.change")
@require_POST
@object_view(VehicleLoad)
def vehicle_unload(request, pk):
    load = object_or_404(VehicleLoad, request.user, pk=pk)
    try:
        coldchain.do_unload_lot(load, actor=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"批次 {load.lot.lot_number} 已卸车")
    return redirect(load.vehicle.get_absolute_url())


# --- barn environment standards by stage (栏舍环境标准) ------------------------------------------


@requires("livestock.farm.view")
@require_GET
def stage_standards(request):
    from shuxiang.core.models import AuditEntry

    bands = standards.barn_stages()
    rows = [(code, Stage(code).label, bands[code]) for code in Stage.values if code in bands]
    from shuxiang.livestock.stage_standards import LIMITS

    history = []
    for h in AuditEntry.objects.filter(object_type="livestock.stagestandard").order_by("-pk")[:20]:
        parts = [
            f"{LIMITS[f][0]} {pair[0]:g}→{pair[1]:g}"
            for f, pair in (h.changes or {}).items()
            if f in LIMITS and isinstance(pair, list) and len(pair) == 2 and None not in pair
        ]
        history.append({"at": h.at, "who": h.actor_label, "what": h.object_repr, "changes": "；".join(parts)})
    return render(
        request,
        "livestock/stage_standards.html",
        {
            "rows": rows,
            "can_edit": has_perm(request.user, "livestock.stagestandard.change"),
            "history": history if has_perm(request.user, "livestock.stagestandard.change") else [],
        },
    )


class StageStandardForm(ServiceFormMixin, forms.Form):
    t_min = forms.FloatField(label="最低温度（℃）")
    t_max = forms.FloatField(label="最高温度（℃）")
    nh3 = forms.FloatField(label="氨气上限（mg/m³）")
    h2s = forms.FloatField(label="硫化氢上限（mg/m³）")
    co2 = forms.FloatField(label="二氧化碳上限（ppm）")
    minutes = forms.IntegerField(label="超标持续多少分钟告警")
    update_rules = forms.BooleanField(
        label="同时更新已应用到该阶段栏舍、仍为原标准值的告警规则", required=False, initial=True
    )


@requires("livestock.stagestandard.change")
@require_http_methods(["GET", "POST"])
def stage_standard_edit(request, stage):
    from django.http import Http404

    from shuxiang.livestock import stage_standards as editing

    if stage not in Stage.values:
        raise Http404
    band = standards.barn_stage(stage)
    form = StageStandardForm(request.POST or None, initial={**band, "update_rules": True})
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        update_rules = values.pop("update_rules")
        try:
            _row, followed = editing.do_update_stage_standard(
                stage, actor=request.user, update_rules=update_rules, **values
            )
        except ServiceError as exc:
            form.apply_service_error(exc)
        else:
            messages.success(
                request,
                f"已保存{Stage(stage).label}环境标准"
                + (f"，{followed} 条已应用的规则随之更新" if followed else ""),
            )
            return redirect("livestock:standards")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "livestock/stage_standard_form.html",
        {"form": form, "stage": stage, "stage_label": Stage(stage).label},
        status=status,
    )
