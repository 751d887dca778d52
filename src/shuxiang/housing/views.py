"""Housing pages: the registry (list, map, detail, plates, import), the phone appraisal, renovations
to zero and self-built business houses. Thin: parse, call a service, render."""

from collections import Counter

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from shuxiang.core.access import requires
from shuxiang.core.errors import ServiceError
from shuxiang.core.files import attachments_of
from shuxiang.core.generic import Column, ObjectListView, form_page, object_or_404, object_view, submit_form
from shuxiang.core.importers import ImportRejected, read_rows
from shuxiang.core.models import Place
from shuxiang.core.navigation import PendingItem
from shuxiang.core.permissions import has_perm
from shuxiang.housing import choices as c
from shuxiang.housing import forms, importers, indicators, plates, services
from shuxiang.housing.filtersets import HouseFilterSet, RenovationFilterSet
from shuxiang.housing.models import BusinessInspection, House, Renovation

MAP_LIMIT = 5000


def _township(house_or_place):
    place = getattr(house_or_place, "place", house_or_place)
    village = place.parent
    return village.parent.name if village is not None and village.parent_id else ""


def house_kpis(qs) -> dict:
    today = timezone.localdate()
    figures = qs.aggregate(
        total=Count("pk"),
        appraised=Count("pk", filter=~Q(grade="")),
        dangerous=Count("pk", filter=Q(grade__in=c.DANGEROUS)),
        business=Count("pk", filter=~Q(use=c.Use.LIVING)),
    )
    figures["key_open"] = indicators.key_dangerous_open_on(today, qs).count()
    return figures


class HouseListView(ObjectListView):
    """Every house in scope: filters by place, grade, use and key group; the map of what is filtered."""

    model = House
    filterset_class = HouseFilterSet
    title = "农房台账"
    template_name = "housing/house_list.html"
    select_related = ("place", "place__parent", "place__parent__parent", "owner")
    create_url_name = "housing:house_new"
    create_permission = "housing.house.add"
    create_label = "登记房屋"
    columns = [
        Column("房屋编码", "code", link=True),
        Column("乡镇", lambda h: _township(h)),
        Column("村组", lambda h: f"{h.place.parent.name}{h.place.name.removeprefix(h.place.parent.name)}"),
        Column("户主", lambda h: h.owner.name if h.owner_id else ""),
        Column("结构", "get_structure_display"),
        Column("层数", "floors"),
        Column("用途", "get_use_display"),
        Column("重点对象", "get_key_group_display"),
        Column("安全等级", lambda h: h.grade or "未鉴定"),
        Column("最近鉴定", "appraised_on"),
    ]

    detail_route = "housing:house_detail"
    detail_field = "code"

    def get_extra_context(self, queryset):
        return {"kpis": house_kpis(queryset), "map_query": self.request.GET.urlencode()}


@requires("housing.house.view")
@require_GET
def house_map(request):
    """Points for the Leaflet map: the filtered houses in scope (at most MAP_LIMIT, dangerous first)."""
    base = House.objects.restrict(request.user)
    filterset = HouseFilterSet(request.GET, queryset=base, request=request)
    qs = filterset.qs if filterset.is_valid() else base.none()
    rows = []
    for h in (
        qs.exclude(latitude=None)
        .order_by("-grade", "code")
        .values("code", "latitude", "longitude", "grade", "use", "key_group", "address")[:MAP_LIMIT]
    ):
        rows.append(
            {
                "code": h["code"],
                "lat": h["latitude"],
                "lng": h["longitude"],
                "grade": h["grade"],
                "business": h["use"] != c.Use.LIVING,
                "key": bool(h["key_group"]),
                "address": h["address"],
                "url": reverse("housing:house_detail", args=[h["code"]]),
            }
        )
    return JsonResponse({"houses": rows, "limit": MAP_LIMIT})


@requires("housing.house.view")
@object_view(House, "code")
def house_detail(request, code):
    user = request.user
    house = (
        House.objects.restrict(user)
        .select_related("place", "place__parent", "place__parent__parent", "owner", "household")
        .filter(code=code)
        .first()
    )
    if house is None:
        raise Http404
    appraisals = list(
        house.appraisals.restrict(user).select_related("appraiser").prefetch_related("findings")
    )
    photos = {}
    for a in appraisals:
        photos[a.pk] = list(attachments_of(a))
    for a in appraisals:
        a.photos = photos[a.pk]
    context = {
        "object": house,
        "qr": plates.svg(house.code),
        "appraisals": appraisals,
        "house_photos": list(attachments_of(house)),
        "renovations": list(house.renovations.restrict(user).select_related("case")),
        "inspections": list(house.business_inspections.restrict(user).select_related("case")),
        "township": _township(house),
        "can_appraise": has_perm(user, "housing.appraisal.add", house),
        "can_edit": has_perm(user, "housing.house.change", house),
        "can_inspect": house.is_business and has_perm(user, "housing.businessinspection.add", house),
        "household_visible": house.household_id
        and has_perm(user, "monitoring.household.view", house.household),
    }
    return render(request, "housing/house_detail.html", context)


def _owner_fields(data):
    return {"owner_name": data.pop("owner_name", ""), "owner_id_number": data.pop("owner_id_number", "")}


@requires("housing.house.add")
def house_new(request):
    form = forms.HouseForm(request.POST or None, request.FILES or None)

    def write(data):
        data = dict(data)
        return services.do_register_house(actor=request.user, **_owner_fields(data), **data)

    done, house = submit_form(request, form, write, success="已登记")
    if done:
        return redirect("housing:house_detail", code=house.code)
    return form_page(request, form, "登记农房", submit="登记")


@requires("housing.house.change")
@object_view(House, "code")
def house_edit(request, code):
    house = object_or_404(House, request.user, code=code)
    initial = {f: getattr(house, f) for f in forms.HouseEditForm.base_fields if f != "photos"}
    form = forms.HouseEditForm(request.POST or None, request.FILES or None, initial=initial)
    done, _ = submit_form(request, form, lambda d: services.do_update_house(house, actor=request.user, **d))
    if done:
        return redirect("housing:house_detail", code=house.code)
    return form_page(request, form, f"修改 {house.code}")


@requires("housing.appraisal.add")
@object_view(House, "code")
def house_appraise(request, code):
    """The phone form: grade, findings part by part, photos; the position when the phone allows."""
    house = object_or_404(House, request.user, code=code)
    form = forms.AppraisalForm(request.POST or None, request.FILES or None)

    def write(data):
        return services.do_record_appraisal(
            house,
            actor=request.user,
            grade=data["grade"],
            appraised_on=data["appraised_on"],
            appraiser_name=data["appraiser_name"],
            appraiser_org=data["appraiser_org"],
            conclusion=data["conclusion"],
            findings=form.findings(),
            photos=data["photos"],
            latitude=data["latitude"],
            longitude=data["longitude"],
            submission_key=data["submission_key"] or None,
        )

    done, appraisal = submit_form(request, form, write, success=None)
    if done:
        house.refresh_from_db()
        opened = house.renovations.filter(appraisal=appraisal).exists()
        messages.success(request, "鉴定已保存" + ("，已自动纳入危房改造" if opened else ""))
        return redirect("housing:house_detail", code=house.code)
    return render(
        request, "housing/appraisal_form.html", {"form": form, "house": house, "title": "房屋安全鉴定"}
    )


@requires("housing.businessinspection.add")
@object_view(House, "code")
def house_inspect(request, code):
    house = object_or_404(House, request.user, code=code)
    form = forms.InspectionForm(request.POST or None, request.FILES or None)
    done, inspection = submit_form(
        request,
        form,
        lambda d: services.do_record_inspection(house, actor=request.user, **d),
        success="排查已保存",
    )
    if done:
        return redirect("housing:inspection_detail", pk=inspection.pk)
    return render(
        request, "housing/inspection_form.html", {"form": form, "house": house, "title": "经营性自建房排查"}
    )


@requires("housing.house.view")
@require_GET
def plate_sheet(request):
    """Printable A4 sheets of QR plates for the houses of a village (or hamlet), as filtered."""
    code = (request.GET.get("place") or "").strip()
    place = Place.objects.restrict(request.user).filter(code=code, level__gte=3).first()
    if place is None:
        return render(
            request,
            "housing/plates.html",
            {
                "title": "打印门牌二维码",
                "villages": _villages(request.user),
                "error": "请选择辖区内的村或村民小组" if code else "",
            },
            status=400 if code else 200,
        )
    houses = list(
        House.objects.restrict(request.user)
        .filter(place__path__startswith=place.path)
        .select_related("place", "place__parent")
        .order_by("code")[: plates.MAX_PLATES]
    )
    pdf = plates.plate_sheet(houses, f"{place.name}农房门牌二维码")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="plates-{place.code}.pdf"'
    return response


def _villages(user):
    return Place.objects.restrict(user).filter(level=3).select_related("parent").order_by("code")


@requires("housing.house.add")
def import_view(request):
    form = forms.UploadForm(request.POST or None, request.FILES or None)
    problems = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = importers.import_houses(read_rows(upload.read(), upload.name), actor=request.user)
        except ImportRejected as exc:
            problems = [p.as_text() for p in exc.problems]
            form.add_error(None, exc.message)
        except ServiceError as exc:
            form.add_error("file", exc.message)
        else:
            messages.success(
                request,
                f"导入完成：新增 {result.created} 处，更新 {result.updated} 处，新登记户主 {result.owners} 人",
            )
            return redirect("housing:house_list")
    return render(
        request,
        "housing/import.html",
        {
            "form": form,
            "problems": problems,
            "columns": [*(k for k in importers.COLUMNS if not k.isascii()), "纬度", "经度"],
            "title": "农房导入",
        },
    )


# --- renovation ---------------------------------------------------------------------------------


def _days_open(r, today):
    since = r.house.dangerous_since or (r.appraisal.appraised_on if r.appraisal_id else None)
    return (today - since).days if since and r.is_open else ""


class RenovationListView(ObjectListView):
    """Key households' C/D houses and their renovation, oldest deadline first; how long each is open."""

    model = Renovation
    filterset_class = RenovationFilterSet
    title = "危房改造"
    template_name = "housing/renovation_list.html"
    select_related = (
        "house",
        "house__place",
        "house__place__parent",
        "house__place__parent__parent",
        "house__owner",
        "appraisal",
    )
    columns = [
        Column("房屋", "house.code", link=True),
        Column("乡镇", lambda r: _township(r.house)),
        Column("户主", lambda r: r.house.owner.name if r.house.owner_id else ""),
        Column("重点对象", "house.get_key_group_display"),
        Column("认定等级", lambda r: r.appraisal.grade if r.appraisal_id else ""),
        Column("改造方式", "get_kind_display"),
        Column("状态", "get_status_display"),
        Column("完成时限", "deadline"),
        Column("已开放（天）", lambda r: _days_open(r, timezone.localdate())),
        Column("逾期", lambda r: r.is_open and r.deadline < timezone.localdate()),
    ]

    detail_route = "housing:renovation_detail"

    def get_queryset(self):
        return super().get_queryset().order_by("status", "deadline", "pk")

    def get_extra_context(self, queryset):
        user = self.request.user
        today = timezone.localdate()
        open_houses = indicators.key_dangerous_open_on(today, House.objects.restrict(user)).select_related(
            "place__parent__parent"
        )
        by_township = Counter(
            _township(h) for h in open_houses.only("place__parent__parent__name", "place__parent__name")
        )
        return {
            "zero_rows": sorted(by_township.items()),
            "zero_total": sum(by_township.values()),
            "overdue": queryset.exclude(status=c.RenovationStatus.ACCEPTED)
            .filter(deadline__lt=today)
            .count(),
        }


@requires("housing.renovation.view")
@object_view(Renovation)
def renovation_detail(request, pk):
    renovation = object_or_404(Renovation, request.user, pk=pk)
    user = request.user
    can_change = renovation.is_open and has_perm(user, "housing.renovation.change", renovation)
    can_accept = renovation.is_open and has_perm(user, "housing.renovation.approve", renovation)
    plan_form = forms.RenovationForm(
        request.POST if request.POST.get("step") == "plan" else None,
        initial={f: getattr(renovation, f) for f in forms.RenovationForm.base_fields},
        prefix="plan",
    )
    accept_form = forms.AcceptanceForm(
        request.POST if request.POST.get("step") == "accept" else None,
        request.FILES if request.POST.get("step") == "accept" else None,
        prefix="accept",
    )
    if request.method == "POST":
        step = request.POST.get("step")
        if step == "plan":
            if not can_change:
                raise PermissionDenied
            done, _ = submit_form(
                request, plan_form, lambda d: services.do_update_renovation(renovation, actor=user, **d)
            )
        elif step == "accept":
            if not can_accept:
                raise PermissionDenied
            done, _ = submit_form(
                request,
                accept_form,
                lambda d: services.do_accept_renovation(
                    renovation,
                    actor=user,
                    accepted_on=d["appraised_on"],
                    grade=d["grade"],
                    appraiser_name=d["appraiser_name"],
                    conclusion=d["conclusion"],
                    findings=accept_form.findings(),
                    photos=d["photos"],
                ),
                success="已竣工验收，该户危房已清零",
            )
        else:
            done = False
        if done:
            return redirect("housing:renovation_detail", pk=pk)
    acceptance_photos = list(attachments_of(renovation.acceptance)) if renovation.acceptance_id else []
    return render(
        request,
        "housing/renovation_detail.html",
        {
            "object": renovation,
            "house": renovation.house,
            "plan_form": plan_form,
            "accept_form": accept_form,
            "can_change": can_change,
            "can_accept": can_accept,
            "acceptance_photos": acceptance_photos,
            "days_open": _days_open(renovation, timezone.localdate()),
        },
    )


# --- business houses --------------------------------------------------------------------------


def _last_inspection(h):
    return h.last_inspected or "未排查"


class BusinessHouseListView(ObjectListView):
    """Self-built business houses (经营性自建房): inspection state, open hazards, statistics."""

    model = House
    filterset_class = HouseFilterSet
    title = "经营性自建房"
    template_name = "housing/business_list.html"
    select_related = ("place", "place__parent", "place__parent__parent")
    columns = [
        Column("房屋编码", "code", link=True),
        Column("乡镇", lambda h: _township(h)),
        Column("村", "place.parent.name"),
        Column("经营名称", "business_name"),
        Column("经营类型", "get_business_kind_display"),
        Column("层数", "floors"),
        Column("最近排查", _last_inspection),
        Column("待整改隐患", lambda h: h.open_hazards or ""),
    ]

    detail_route = "housing:house_detail"
    detail_field = "code"

    def get_queryset(self):
        from django.db.models import Max

        return (
            super()
            .get_queryset()
            .exclude(use=c.Use.LIVING)
            .annotate(
                last_inspected=Max("business_inspections__inspected_on"),
                open_hazards=Count("business_inspections", filter=Q(business_inspections__result="hazard")),
            )
            .order_by("code")
        )

    def get_extra_context(self, queryset):
        user = self.request.user
        inspections = BusinessInspection.objects.restrict(user).filter(house__in=queryset.values("pk"))
        by_township = {}
        for row in (
            queryset.values("place__parent__parent__name")
            .annotate(
                total=Count("pk", distinct=True),
                inspected=Count("pk", filter=Q(business_inspections__isnull=False), distinct=True),
            )
            .order_by("place__parent__parent__name")
        ):
            by_township[row["place__parent__parent__name"]] = {
                "total": row["total"],
                "inspected": row["inspected"],
            }
        for row in inspections.exclude(hazards=[]).values("house__place__parent__parent__name", "result"):
            entry = by_township.setdefault(
                row["house__place__parent__parent__name"], {"total": 0, "inspected": 0}
            )
            entry["hazard"] = entry.get("hazard", 0) + 1
            if row["result"] == c.InspectionResult.RECTIFIED:
                entry["rectified"] = entry.get("rectified", 0) + 1
        hazards = Counter()
        for row in inspections.exclude(hazards=[]).values_list("hazards", "result"):
            for h in row[0]:
                hazards[(h, row[1] == c.InspectionResult.RECTIFIED)] += 1
        labels = dict(c.Hazard.choices)
        hazard_rows = [
            (labels.get(code, code), hazards[(code, False)] + hazards[(code, True)], hazards[(code, True)])
            for code in c.Hazard.values
            if hazards[(code, False)] + hazards[(code, True)]
        ]
        return {"township_rows": sorted(by_township.items()), "hazard_rows": hazard_rows}


@requires("housing.businessinspection.view")
@object_view(BusinessInspection)
def inspection_detail(request, pk):
    inspection = object_or_404(BusinessInspection, request.user, pk=pk)
    can_rectify = inspection.result == c.InspectionResult.HAZARD and has_perm(
        request.user, "housing.businessinspection.change", inspection
    )
    form = forms.RectifyForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not can_rectify:
            raise PermissionDenied
        done, _ = submit_form(
            request,
            form,
            lambda d: services.do_rectify_inspection(inspection, actor=request.user, **d),
            success="隐患已整改销号",
        )
        if done:
            return redirect("housing:inspection_detail", pk=pk)
    return render(
        request,
        "housing/inspection_detail.html",
        {
            "object": inspection,
            "house": inspection.house,
            "photos": list(attachments_of(inspection)),
            "form": form,
            "can_rectify": can_rectify,
        },
    )


# --- home page ----------------------------------------------------------------------------------


def pending(user) -> list[PendingItem]:
    """Home-page lines: overdue renovations and hazards past their deadline, in the user's region."""
    if not has_perm(user, "housing.renovation.view"):
        return []
    today = timezone.localdate()
    items = []
    overdue = Renovation.objects.restrict(user).exclude(status="accepted").filter(deadline__lt=today).count()
    if overdue:
        items.append(
            PendingItem(
                "危房改造逾期未验收", overdue, reverse("housing:renovation_list") + "?open=true", "danger"
            )
        )
    late = BusinessInspection.objects.restrict(user).filter(result="hazard", deadline__lt=today).count()
    if late:
        items.append(
            PendingItem("经营性自建房隐患逾期未整改", late, reverse("housing:business_list"), "warning")
        )
    return items
