from django.contrib import messages
from django.db.models import Count, Q, Sum
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from shuxiang.core.access import public_view, requires
from shuxiang.core.errors import ServiceError
from shuxiang.core.generic import (
    Column,
    ObjectDetailView,
    ObjectListView,
    form_page,
    object_or_404,
    object_view,
    submit_form,
)
from shuxiang.core.geometry import to_geojson
from shuxiang.core.permissions import has_perm
from shuxiang.machinery import services
from shuxiang.machinery.choices import OperationKind, RequestStatus, season_of
from shuxiang.machinery.filtersets import (
    FieldFilterSet,
    MachineFilterSet,
    OperationFilterSet,
    RoadFilterSet,
    SubsidyFilterSet,
)
from shuxiang.machinery.forms import OperationForm, RequestForm
from shuxiang.machinery.models import (
    BusRoute,
    Field,
    Machine,
    Operation,
    Road,
    ServiceRequest,
    SubsidyApplication,
)


def _mu(m2):
    return f"{(m2 or 0) * 15 / 10000:.1f}"


class MachineListView(ObjectListView):
    model = Machine
    create_url_name = "machinery:import"
    create_permission = "machinery.machine.add"
    create_label = "导入农机"
    filterset_class = MachineFilterSet
    title = "农机"
    template_name = "machinery/machine_list.html"
    select_related = ("place", "place__parent", "device")
    columns = [
        Column("名称", "name", link=True),
        Column("编号", "code"),
        Column("类型", "get_kind_display"),
        Column("牌证号", "plate"),
        Column("所有者", lambda m: f"{m.owner_name}（{m.get_owner_kind_display()}）"),
        Column("幅宽(m)", "implement_width_m"),
        Column("终端", lambda m: m.device.code if m.device_id else "未装"),
        Column("下次年检", "inspection_due_on"),
    ]

    detail_route = "machinery:machine_detail"

    def get_extra_context(self, queryset):
        today = timezone.localdate()
        season = season_of(today)
        figures = queryset.aggregate(
            total=Count("pk"),
            with_terminal=Count("pk", filter=Q(device__isnull=False)),
            inspection_due=Count("pk", filter=Q(inspection_due_on__lte=today + timezone.timedelta(days=30))),
        )
        worked = (
            Operation.objects.restrict(self.request.user)
            .filter(season=season)
            .aggregate(m2=Sum("net_m2"))["m2"]
        )
        figures.update(season=season, season_mu=_mu(worked))
        return {"kpis": figures}


class MachineDetailView(ObjectDetailView):
    model = Machine
    template_name = "machinery/machine_detail.html"
    select_related = ("place", "place__parent", "device", "operator")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        m = self.object
        context.update(
            operations=m.operations.restrict(self.request.user).select_related("place")[:20],
            requests=m.requests.restrict(self.request.user).select_related("place")[:10],
            today=timezone.localdate(),
        )
        return context


@requires("machinery.machine.view")
@require_GET
@object_view(Machine)
def machine_track(request, pk):
    """The map of a machine's track for a period, and the form that records it as an operation."""
    machine = object_or_404(Machine, request.user, pk=pk)
    try:
        start, end = services.parse_period(request.GET.get("start"), request.GET.get("end"))
        error = None
    except ServiceError as exc:
        start, end = services.parse_period(None, None)
        error = exc.message
    points = services.track_points(machine.device_id, start, end)
    context = {
        "object": machine,
        "start": timezone.localtime(start),
        "end": timezone.localtime(end),
        "error": error,
        "points": len(points),
        "data_url": reverse("machinery:track_json", args=[machine.pk])
        + f"?start={start.isoformat()}&end={end.isoformat()}".replace("+", "%2B"),
        "can_record": has_perm(request.user, "machinery.operation.add", machine) and bool(points),
        "form": OperationForm(initial={"kind": _default_kind(machine)}),
    }
    if points:
        preview = services.work.compute(points, machine.implement_width_m, _default_kind(machine))
        context["preview"] = preview
        fields = services.fields_near_track(request.user, machine, points)
        context["fields"] = fields
        try:
            field, heading = _plan_params(request, fields)
        except ServiceError as exc:
            field, heading = None, None
            context["plan_error"] = exc.message
        if field is not None:
            context.update(
                plan_field=field,
                plan_heading=heading,
                plan=services.compare_track_with_plan(machine, points, field, heading_deg=heading),
            )
            context["data_url"] += f"&field={field.pk}" + (
                f"&heading={heading:g}" if heading is not None else ""
            )
    return render(request, "machinery/track.html", context)


def _plan_params(request, fields):
    """The field (one of `fields`) and heading the track is compared with (None, None when not asked)."""
    raw = request.GET.get("field")
    if not raw:
        return None, None
    field = next((f for f in fields if str(f.pk) == raw), None)
    if field is None:
        raise ServiceError("invalid", "所选地块不在本轨迹附近或无权查看", {"field": ["地块无效"]})
    heading = None
    if request.GET.get("heading"):
        try:
            heading = float(request.GET["heading"]) % 360
        except ValueError:
            raise ServiceError("invalid", "方向应为 0–360 的度数", {"heading": ["方向无效"]}) from None
    return field, heading


def _default_kind(machine):
    return {
        "transplanter": OperationKind.TRANSPLANT,
        "seeder": OperationKind.SOW,
        "sprayer": OperationKind.SPRAY,
        "harvester": OperationKind.HARVEST,
        "subsoiler": OperationKind.SUBSOIL,
        "dryer": OperationKind.DRY,
    }.get(machine.kind, OperationKind.TILL)


@requires("machinery.machine.view")
@require_GET
@object_view(Machine)
def track_json(request, pk):
    """The track (simplified LineString) and the worked area of the period, for the map."""
    machine = object_or_404(Machine, request.user, pk=pk)
    try:
        start, end = services.parse_period(request.GET.get("start"), request.GET.get("end"))
    except ServiceError as exc:
        return JsonResponse({"code": exc.code, "message": exc.message, "fields": exc.fields}, status=400)
    points = services.track_points(machine.device_id, start, end)
    line = services.track_line(points)
    features = []
    if line is not None:
        features.append(
            {
                "type": "Feature",
                "properties": {"kind": "track", "points": len(points)},
                "geometry": to_geojson(line, decimals=6),
            }
        )
        result = services.work.compute(points, machine.implement_width_m, _default_kind(machine))
        if result.area is not None:
            features.append(
                {
                    "type": "Feature",
                    "properties": {"kind": "worked", "net_mu": round(result.net_mu, 2)},
                    "geometry": to_geojson(result.area, decimals=6),
                }
            )
        if request.GET.get("field"):
            fields = services.fields_near_track(request.user, machine, points)
            try:
                field, heading = _plan_params(request, fields)
            except ServiceError as exc:
                return JsonResponse(
                    {"code": exc.code, "message": exc.message, "fields": exc.fields}, status=400
                )
            plan = services.planned_path_of(field, machine.implement_width_m, heading_deg=heading)
            if plan is not None:
                features.append(
                    {
                        "type": "Feature",
                        "properties": {"kind": "planned", "field": field.pk},
                        "geometry": to_geojson(plan, decimals=7),
                    }
                )
                comparison = services.compare_track_with_plan(machine, points, field, heading_deg=heading)
                if comparison.missed is not None:
                    features.append(
                        {
                            "type": "Feature",
                            "properties": {"kind": "missed", "m2": comparison.missed_m2},
                            "geometry": to_geojson(comparison.missed, decimals=7),
                        }
                    )
    return JsonResponse({"type": "FeatureCollection", "features": features})


@requires("machinery.operation.add")
@require_POST
@object_view(Machine)
def record_operation(request, pk):
    machine = object_or_404(Machine, request.user, pk=pk)
    form = OperationForm(request.POST)
    try:
        start, end = services.parse_period(request.POST.get("start"), request.POST.get("end"))
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("machinery:machine_track", pk=pk)
    ok, op = submit_form(
        request,
        form,
        lambda d: services.do_record_operation(
            machine, actor=request.user, kind=d["kind"], start=start, end=end
        ),
        success="已按轨迹记录作业",
    )
    if ok:
        return redirect("machinery:operation_detail", pk=op.pk)
    messages.error(request, "；".join(str(e) for e in form.non_field_errors()) or "作业类型无效")
    return redirect(
        reverse("machinery:machine_track", args=[pk])
        + f"?start={start:%Y-%m-%dT%H:%M}&end={end:%Y-%m-%dT%H:%M}"
    )


class OperationListView(ObjectListView):
    model = Operation
    filterset_class = OperationFilterSet
    title = "作业记录"
    select_related = ("machine", "place", "place__parent")
    columns = [
        Column("农机", "machine.name", link=True),
        Column("作业", "get_kind_display"),
        Column("农季", "season"),
        Column("开始", "started_at"),
        Column("地点", lambda o: f"{o.place.parent.name if o.place.parent_id else ''} {o.place.name}"),
        Column("净面积(亩)", lambda o: f"{o.net_mu:.1f}"),
        Column("重叠率(%)", "overlap_pct"),
        Column("耕深合格率(%)", lambda o: "—" if o.qualified_depth_pct is None else o.qualified_depth_pct),
        Column("异常", lambda o: "；".join(o.flags) or "—", clip=True),
    ]

    detail_route = "machinery:operation_detail"


class OperationDetailView(ObjectDetailView):
    model = Operation
    template_name = "machinery/operation_detail.html"
    select_related = ("machine", "place", "place__parent")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        op = self.object
        context["shares"] = op.shares.select_related("field", "field__place")
        context["data_url"] = reverse("machinery:track_json", args=[op.machine_id]) + "?" + _period_query(op)
        return context


def _period_query(op):
    from urllib.parse import urlencode

    return urlencode({"start": op.started_at.isoformat(), "end": op.ended_at.isoformat()})


class FieldListView(ObjectListView):
    model = Field
    filterset_class = FieldFilterSet
    title = "作业地块"
    select_related = ("place", "place__parent")
    columns = [
        Column("地块", "name", link=True),
        Column("所在村", lambda f: f"{f.place.parent.name if f.place.parent_id else ''} {f.place.name}"),
        Column("作物", "crop"),
        Column("面积(亩)", lambda f: f"{f.area_mu:.1f}"),
    ]

    detail_route = "machinery:field_share"
    detail_field = "share_token"


@public_view
@require_GET
def field_share(request, token):
    """What was done on a field, when, by which machine, how much: the page its farmer opens on a phone
    (a link the village hands out; no name, ID or phone of anyone is shown)."""
    field = Field.objects.select_related("place", "place__parent").filter(share_token=token).first()
    if field is None:
        raise Http404
    shares = field.shares.select_related("operation", "operation__machine").order_by(
        "-operation__started_at"
    )[:50]
    return render(request, "machinery/field_share.html", {"field": field, "shares": shares})


# --- dispatch --------------------------------------------------------------------------------------


@requires("machinery.servicerequest.view", post="machinery.servicerequest.add")
def dispatch_board(request):
    """The service centre's board: open requests, jobs under way, free machines; and a new request."""
    user = request.user
    form = RequestForm(request.POST or None)
    ok, req = submit_form(
        request,
        form,
        lambda d: services.do_create_request(actor=user, **d),
        success="已登记作业需求",
    )
    if ok:
        return redirect("machinery:dispatch")
    requests = ServiceRequest.objects.restrict(user).select_related("place", "place__parent", "machine")
    busy = requests.filter(status__in=[RequestStatus.ASSIGNED, RequestStatus.STARTED]).values("machine_id")
    machines = Machine.objects.restrict(user).select_related("place")
    free = machines.exclude(pk__in=busy)
    context = {
        "form": form,
        "open": requests.filter(status=RequestStatus.OPEN).order_by("window_start")[:50],
        "active": requests.filter(status__in=[RequestStatus.ASSIGNED, RequestStatus.STARTED]).order_by(
            "window_start"
        )[:50],
        "done": requests.filter(status=RequestStatus.DONE).order_by("-finished_at")[:20],
        "free": free[:100],
        "can_assign": has_perm(user, "machinery.servicerequest.assign"),
        "can_change": has_perm(user, "machinery.servicerequest.change"),
        "can_add": has_perm(user, "machinery.servicerequest.add"),
    }
    return render(request, "machinery/dispatch.html", context)


def _request_action(request, pk, perm_ok, action):
    req = object_or_404(ServiceRequest, request.user, pk=pk)
    try:
        action(req)
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("machinery:dispatch")


@requires("machinery.servicerequest.assign")
@require_POST
@object_view(ServiceRequest)
def assign_request(request, pk):
    def act(req):
        machine = object_or_404(Machine, request.user, pk=request.POST.get("machine") or 0)
        services.do_assign_request(
            req, actor=request.user, machine=machine, price_per_mu=request.POST.get("price") or None
        )
        messages.success(request, f"已派单给 {machine.name}")

    return _request_action(request, pk, True, act)


@requires("machinery.servicerequest.change")
@require_POST
@object_view(ServiceRequest)
def request_step(request, pk, step):
    def act(req):
        if step == "start":
            services.do_start_request(req, actor=request.user)
            messages.success(request, "已开始作业")
        elif step == "finish":
            services.do_finish_request(req, actor=request.user)
            messages.success(request, f"作业完成：{req.operation.net_mu:.1f} 亩，结算 {req.amount} 元")
        elif step == "cancel":
            services.do_cancel_request(req, actor=request.user)
            messages.success(request, "已取消")
        else:
            raise Http404

    return _request_action(request, pk, True, act)


@requires("machinery.machine.add")
def import_machines(request):
    """Upload an XLSX/CSV of machines: all rows are registered, or none and every problem is listed."""
    from shuxiang.core.importers import import_upload, read_rows
    from shuxiang.machinery import importers
    from shuxiang.machinery.forms import UploadForm

    form = UploadForm(request.POST or None, request.FILES or None)
    result, problems = import_upload(
        request,
        form,
        lambda content, name: importers.import_machines(read_rows(content, name), actor=request.user),
    )
    if result is not None:
        messages.success(request, f"导入完成：新增农机 {result.created} 台")
        return redirect("machinery:machine_list")
    return render(
        request,
        "machinery/import.html",
        {"form": form, "problems": problems, "columns": list(importers.COLUMNS)},
    )


@requires("machinery.field.view")
@require_GET
@object_view(Field)
def field_path(request, pk):
    """A/B lines across the field at an implement width, as GeoJSON for an unmanned machine's
    controller (`?width=2.5&heading=` in metres and degrees from north; default: along the longer side)."""
    from shuxiang.core.geometry import from_geojson
    from shuxiang.machinery import work

    field = object_or_404(Field, request.user, pk=pk)
    errors = {}
    try:
        width = float(request.GET.get("width") or 2.5)
        if not 0.5 <= width <= 30:
            raise ValueError
    except ValueError:
        errors["width"] = ["作业幅宽应为 0.5–30 m 的数字"]
    heading = None
    if request.GET.get("heading"):
        try:
            heading = float(request.GET["heading"]) % 360
        except ValueError:
            errors["heading"] = ["方向应为 0–360 的度数"]
    if errors:
        return JsonResponse({"code": "invalid", "message": "参数有误", "fields": errors}, status=400)
    path = work.planned_path(from_geojson(field.boundary), width, heading_deg=heading)
    feature = {
        "type": "Feature",
        "properties": {"field": field.pk, "name": field.name, "width_m": width, "heading": heading},
        "geometry": to_geojson(path, decimals=7) if path is not None else None,
    }
    response = JsonResponse(feature, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/geo+json"
    response["Content-Disposition"] = f'attachment; filename="field-{field.pk}-path.geojson"'
    return response


# --- subsidies ------------------------------------------------------------------------------------


class SubsidyListView(ObjectListView):
    model = SubsidyApplication
    filterset_class = SubsidyFilterSet
    title = "农机购置补贴"
    select_related = ("place", "place__parent", "applicant")
    create_url_name = "machinery:subsidy_new"
    create_permission = "machinery.subsidyapplication.add"
    create_label = "申请补贴"
    columns = [
        Column("申请编号", "number", link=True),
        Column("申请人", lambda a: a.applicant.name),
        Column("所在村", lambda a: f"{a.place.parent.name if a.place.parent_id else ''} {a.place.name}"),
        Column("机具", lambda a: f"{a.get_kind_display()} {a.make} {a.model}"),
        Column("出厂编号", "serial_number"),
        Column("补贴额(元)", "subsidy"),
        Column("状态", "get_status_display"),
        Column("申请时间", "created_at"),
    ]

    detail_route = "machinery:subsidy_detail"


class SubsidyDetailView(ObjectDetailView):
    model = SubsidyApplication
    template_name = "machinery/subsidy_detail.html"
    select_related = ("place", "place__parent", "applicant", "machine")

    def get_context_data(self, **kwargs):
        from shuxiang.core.files import attachments_of

        context = super().get_context_data(**kwargs)
        a, user = self.object, self.request.user
        context.update(
            attachments=attachments_of(a),
            can_check=has_perm(user, "machinery.subsidyapplication.check", a),
            can_approve=has_perm(user, "machinery.subsidyapplication.approve", a),
            can_pay=has_perm(user, "machinery.subsidyapplication.pay", a),
            today=timezone.localdate(),
            status_url=request_absolute(
                self.request, reverse("machinery:subsidy_status", args=[a.status_token])
            ),
        )
        return context


def request_absolute(request, path):
    return request.build_absolute_uri(path)


@requires("machinery.subsidyapplication.add")
def subsidy_new(request):
    from shuxiang.machinery.forms import SubsidyForm

    form = SubsidyForm(request.POST or None, request.FILES or None)

    def write(d):
        d = dict(d)
        return services.do_apply_subsidy(actor=request.user, invoice=d.pop("invoice", None), **d)

    ok, app = submit_form(request, form, write, success="已提交补贴申请")
    if ok:
        return redirect("machinery:subsidy_detail", pk=app.pk)
    return form_page(request, form, "农机购置补贴申请", multipart=True)


@requires("machinery.subsidyapplication.view")
@require_POST
@object_view(SubsidyApplication)
def subsidy_step(request, pk, step):
    from datetime import date as _date

    app = object_or_404(SubsidyApplication, request.user, pk=pk)
    try:
        if step == "check":
            services.do_check_subsidy(app, actor=request.user)
        elif step == "approve":
            services.do_approve_subsidy(app, actor=request.user)
        elif step == "return":
            services.do_return_subsidy(app, actor=request.user, reason=request.POST.get("reason", ""))
        elif step == "pay":
            try:
                paid_on = _date.fromisoformat(request.POST.get("paid_on") or "")
            except ValueError:
                paid_on = None
            services.do_pay_subsidy(
                app, actor=request.user, amount=request.POST.get("amount"), paid_on=paid_on
            )
        else:
            raise Http404
    except ServiceError as exc:
        messages.error(request, exc.message + "".join(f"：{'、'.join(v)}" for v in exc.fields.values()))
    else:
        messages.success(request, f"已更新：{app.get_status_display()}")
    return redirect("machinery:subsidy_detail", pk=pk)


@public_view
@require_GET
def subsidy_status(request, token):
    """The applicant's own link: the status of the claim at any time (no ID, name masked)."""
    from shuxiang.core.pii import mask_name

    app = SubsidyApplication.objects.select_related("applicant").filter(status_token=token).first()
    if app is None:
        raise Http404
    return render(
        request, "machinery/subsidy_status.html", {"app": app, "applicant": mask_name(app.applicant.name)}
    )


# --- roads ---------------------------------------------------------------------------------------


class RoadListView(ObjectListView):
    model = Road
    filterset_class = RoadFilterSet
    title = "农村公路"
    template_name = "machinery/road_list.html"
    select_related = ("place", "place__parent")
    columns = [
        Column("路线", "name", link=True),
        Column("编码", "code"),
        Column("等级", "get_grade_display"),
        Column(
            "所在地",
            lambda r: (
                f"{r.place.parent.name if r.place.parent_id and r.place.level > 2 else ''} {r.place.name}"
            ),
        ),
        Column("里程(km)", "length_km"),
        Column("路面", "surface"),
        Column("技术状况", "get_condition_display"),
    ]

    detail_route = "roads:road_detail"

    def get_extra_context(self, queryset):
        from django.db.models import Sum

        by_grade = {
            row["grade"]: row
            for row in queryset.order_by().values("grade").annotate(n=Count("pk"), km=Sum("length_km"))
        }
        from shuxiang.machinery.choices import RoadGrade

        return {
            "grades": [
                (label, by_grade.get(value, {}).get("n", 0), round(by_grade.get(value, {}).get("km") or 0, 1))
                for value, label in RoadGrade.choices
            ],
            "poor": queryset.filter(condition__in=["poor", "bad"]).count(),
        }


class RoadDetailView(ObjectDetailView):
    model = Road
    template_name = "machinery/road_detail.html"
    select_related = ("place", "place__parent")

    def get_context_data(self, **kwargs):
        from shuxiang.machinery.forms import InspectionForm

        context = super().get_context_data(**kwargs)
        road = self.object
        context.update(
            inspections=road.inspections.all()[:30],
            can_inspect=has_perm(self.request.user, "machinery.roadinspection.add", road),
            form=InspectionForm(initial={"inspected_on": timezone.localdate(), "condition": road.condition}),
        )
        return context


@requires("machinery.roadinspection.add")
@require_POST
@object_view(Road)
def road_inspect(request, pk):
    from shuxiang.machinery.forms import InspectionForm

    road = object_or_404(Road, request.user, pk=pk)
    form = InspectionForm(request.POST, request.FILES)

    def write(d):
        photos = [d["photo"]] if d.get("photo") else []
        return services.do_record_inspection(
            road,
            actor=request.user,
            inspected_on=d["inspected_on"],
            condition=d["condition"],
            damaged=d["damaged"],
            note=d["note"],
            latitude=d.get("latitude"),
            longitude=d.get("longitude"),
            photos=photos,
        )

    ok, inspection = submit_form(request, form, write, success="已记录巡查")
    if ok and inspection.case_id:
        messages.info(request, "已按“道路破损”生成处置事件")
    if not ok:
        messages.error(request, "；".join(str(e) for e in form.non_field_errors()) or "巡查记录有误")
    return redirect("roads:road_detail", pk=pk)


# --- passenger transport -------------------------------------------------------------------------


@requires("machinery.busroute.view")
@require_GET
def route_list(request):
    """Every route in scope with its stops: served yesterday and today (from the buses' tracks), trips."""
    from datetime import datetime, time, timedelta

    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    day_start = timezone.make_aware(datetime.combine(today, time.min), tz)
    yesterday = day_start - timedelta(days=1)
    routes = []
    for route in (
        BusRoute.objects.restrict(request.user)
        .select_related("place")
        .prefetch_related("stops__place", "devices")
    ):
        served_y = services.stops_served(route, yesterday, day_start)
        served_t = services.stops_served(route, day_start, timezone.now())
        stops = [(s, served_y.get(s.pk, 0), served_t.get(s.pk, 0)) for s in route.stops.all()]
        routes.append(
            {
                "route": route,
                "stops": stops,
                "punctuality": services.punctuality(route, today - timedelta(days=1)),
                "trips_yesterday": services.trips(route, yesterday, day_start),
                "served_share": round(100 * sum(1 for _s, y, _t in stops if y) / len(stops)) if stops else 0,
            }
        )
    villages = {s.place_id for r in routes for s, y, _t in r["stops"]}
    served = {s.place_id for r in routes for s, y, _t in r["stops"] if y}
    return render(
        request,
        "machinery/routes.html",
        {
            "routes": routes,
            "villages": len(villages),
            "villages_served": len(served),
            "radius": services.STOP_RADIUS_M,
        },
    )


@requires("machinery.busroute.view")
@require_GET
@object_view(BusRoute)
def route_detail(request, pk):
    """A route's timetable and, for a day (`?date=`, default yesterday), every timetabled call against
    the buses' tracks: on time, early, late or missed; keepers set the timetable here."""
    from shuxiang.machinery.forms import TimetableForm

    route = object_or_404(BusRoute, request.user, pk=pk)
    departures = list(route.departures.all())
    initial = {
        "offsets": " ".join(
            "" if s.offset_min is None else str(s.offset_min) for s in route.stops.all()
        ).strip(),
        "out_times": " ".join(f"{d.departs_at:%H:%M}" for d in departures if d.direction == "out"),
        "back_times": " ".join(f"{d.departs_at:%H:%M}" for d in departures if d.direction == "back"),
    }
    return _route_page(request, route, TimetableForm(initial=initial))


@requires("machinery.busroute.change")
@require_POST
@object_view(BusRoute)
def route_timetable(request, pk):
    from shuxiang.machinery.forms import TimetableForm

    route = object_or_404(BusRoute, request.user, pk=pk)
    form = TimetableForm(request.POST)
    ok, _ = submit_form(
        request,
        form,
        lambda d: services.do_set_timetable(
            route,
            actor=request.user,
            offsets=d["offsets"],
            out_times=d["out_times"],
            back_times=d["back_times"],
        ),
        success="已保存时刻表",
    )
    if ok:
        return redirect("transport:route_detail", pk=route.pk)
    return _route_page(request, route, form, status=400)


def _route_page(request, route, form, status=200):
    from datetime import date, timedelta

    today = timezone.localdate()
    day, error = today - timedelta(days=1), None
    if request.GET.get("date"):
        try:
            day = date.fromisoformat(request.GET["date"])
            if day > today:
                raise ValueError
        except ValueError:
            day, error = today - timedelta(days=1), "日期应为 YYYY-MM-DD，且不晚于今天"
    return render(
        request,
        "machinery/route_detail.html",
        {
            "object": route,
            "stops": list(route.stops.order_by("sequence").select_related("place")),
            "punctuality": services.punctuality(route, day),
            "day": day,
            "error": error,
            "form": form,
            "can_edit": has_perm(request.user, "machinery.busroute.change", route),
            "early": services.EARLY_MIN,
            "late": services.LATE_MIN,
        },
        status=status,
    )
