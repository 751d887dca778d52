"""Employment monitoring pages: the quarter's statistics by township and group, the people without work
with the jobs and courses that fit them, records (update on the phone), the bureau's sheet import, and
training courses."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone

from shuxiang.core.access import requires
from shuxiang.core.errors import ServiceError
from shuxiang.core.generic import Column, ObjectDetailView, ObjectListView, object_or_404, object_view
from shuxiang.core.importers import import_upload
from shuxiang.core.permissions import has_perm
from shuxiang.core.pii import mask_name
from shuxiang.villager import employment, market
from shuxiang.villager.choices import CATEGORY_SECTOR, EmploymentStatus, PostingKind
from shuxiang.villager.filtersets import EmploymentRecordFilterSet, TrainingCourseFilterSet
from shuxiang.villager.forms import EmploymentForm, ImportForm
from shuxiang.villager.models import EmploymentRecord, TrainingCourse


def _quarter(request):
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year", today.year))
        quarter = int(request.GET.get("quarter", (today.month - 1) // 3 + 1))
    except ValueError:
        year, quarter = today.year, (today.month - 1) // 3 + 1
    if quarter not in (1, 2, 3, 4) or not 2020 <= year <= 2100:
        year, quarter = today.year, (today.month - 1) // 3 + 1
    return year, quarter


def _fitting_jobs(record):
    township = market.township_of(record.place)
    sectors = [c for c, s in CATEGORY_SECTOR.items() if not record.wanted_sector or s == record.wanted_sector]
    return (
        market.live_postings()
        .filter(kind=PostingKind.JOB, category__in=sectors, place__path__startswith=township.path)
        .order_by("-published_at")[:3]
    )


@requires("villager.employmentrecord.view")
def employment_home(request):
    """就业监测: the quarter's figures by township and group, and who is without work."""
    year, quarter = _quarter(request)
    records = EmploymentRecord.objects.restrict(request.user)
    stats = employment.statistics(records, year, quarter)
    idle = list(
        records.filter(year=year, quarter=quarter, status=EmploymentStatus.NOT_WORKING)
        .select_related("person", "place", "place__parent")
        .order_by("place__code")[:50]
    )
    for record in idle:
        record.jobs = list(_fitting_jobs(record))
        record.courses = list(employment.courses_for(record)[:2])
        record.name_masked = mask_name(record.person.name)
    totals = {k: sum(c[k] for c in stats) for k in ("total", "employed", "out", "idle")}
    totals["rate"] = round(100 * totals["employed"] / totals["total"], 1) if totals["total"] else None
    return render(
        request,
        "villager/employment.html",
        {
            "title": "就业监测",
            "year": year,
            "quarter": quarter,
            "stats": stats,
            "totals": totals,
            "idle": idle,
            "quarters": [(1, "一季度"), (2, "二季度"), (3, "三季度"), (4, "四季度")],
            "may_import": has_perm(request.user, "villager.employmentrecord.add"),
        },
    )


class EmploymentRecordListView(ObjectListView):
    model = EmploymentRecord
    filterset_class = EmploymentRecordFilterSet
    title = "就业监测记录"
    select_related = ("person", "place", "place__parent")
    columns = [
        Column("姓名", lambda r: r.person.name, link=True),
        Column("居住地", lambda r: f"{r.place.parent.name if r.place.parent else ''}{r.place.name}"),
        Column("群体", "get_group_display"),
        Column("季度", "period"),
        Column("就业状态", "get_status_display"),
        Column("行业", "get_sector_display"),
        Column("就业单位/地点", "employer"),
        Column("来源", "get_source_display"),
    ]

    detail_route = "villager:employment_record"


class EmploymentRecordDetailView(ObjectDetailView):
    model = EmploymentRecord
    template_name = "villager/employment_record.html"
    select_related = ("person", "place", "place__parent")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        record = self.object
        context.update(
            title=f"{record.person.name} 就业情况",
            history=EmploymentRecord.objects.restrict(self.request.user)
            .filter(person=record.person)
            .order_by("-year", "-quarter"),
            jobs=_fitting_jobs(record) if record.status == EmploymentStatus.NOT_WORKING else [],
            courses=employment.courses_for(record)[:5]
            if record.status == EmploymentStatus.NOT_WORKING
            else [],
            may_update=has_perm(self.request.user, "villager.employmentrecord.add", record),
        )
        return context


@requires("villager.employmentrecord.add")
@object_view(EmploymentRecord)
def employment_update(request, pk):
    """A cadre's update on the phone: this person's status for a quarter (this quarter by default)."""
    record = object_or_404(EmploymentRecord, request.user, pk=pk)
    year, quarter = _quarter(request)
    form = EmploymentForm(
        request.POST or None,
        initial={
            "group": record.group,
            "year": year,
            "quarter": quarter,
            "status": record.status,
            "sector": record.sector,
            "employer": record.employer,
            "wanted_sector": record.wanted_sector,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = employment.do_record_employment(
                actor=request.user, person=record.person, **form.cleaned_data
            )
        except ServiceError as exc:
            form.apply_service_error(exc)
        else:
            messages.success(request, "已更新")
            return redirect("villager:employment_record", pk=saved.pk)
    return render(
        request,
        "villager/employment_form.html",
        {"title": f"更新就业情况：{record.person.name}", "form": form, "record": record},
        status=400 if form.errors else 200,
    )


@requires("villager.employmentrecord.add")
def employment_import(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    result, problems = import_upload(
        request,
        form,
        lambda content, name: employment.do_import_employment(content, name, actor=request.user),
    )
    if result is not None:
        messages.success(request, f"导入完成：新增 {result.created} 条，更新 {result.updated} 条")
        return redirect("villager:employment")
    return render(
        request,
        "villager/employment_import.html",
        {"form": form, "problems": problems, "title": "导入就业台账"},
        status=400 if form.errors else 200,
    )


class CourseListView(ObjectListView):
    model = TrainingCourse
    filterset_class = TrainingCourseFilterSet
    title = "职业技能培训"
    select_related = ("place",)
    columns = [
        Column("课程", "name", link=True),
        Column("举办地", "place.name"),
        Column("行业", "get_sector_display"),
        Column("承办单位", "organiser"),
        Column("开班", "starts_on"),
        Column("结业", "ends_on"),
        Column("名额", "capacity"),
        Column("报名", lambda c: c.enrolled),
        Column("结业人数", lambda c: c.done),
    ]

    def get_queryset(self):
        from django.db.models import Count, Q

        return (
            super()
            .get_queryset()
            .annotate(
                enrolled=Count("enrollments"),
                done=Count("enrollments", filter=Q(enrollments__completed=True)),
            )
        )

    detail_route = "villager:course_detail"


class CourseDetailView(ObjectDetailView):
    model = TrainingCourse
    template_name = "villager/course_detail.html"
    select_related = ("place",)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        enrollments = self.object.enrollments.select_related("person").order_by("pk")
        context.update(
            title=self.object.name,
            enrollments=[(e, mask_name(e.person.name)) for e in enrollments],
            done=sum(1 for e in enrollments if e.completed),
            may_enrol=has_perm(self.request.user, "villager.enrollment.add", self.object),
        )
        return context


@requires("villager.enrollment.add")
@object_view(TrainingCourse)
def course_enrol(request, pk):
    """Enrol a registered person by ID number, or mark an enrolment completed (结业)."""
    course = object_or_404(TrainingCourse, request.user, pk=pk)
    if request.method == "POST":
        try:
            if request.POST.get("complete"):
                enrollment = course.enrollments.filter(pk=request.POST["complete"]).first()
                if enrollment is None:
                    raise ServiceError("not_found", "报名记录不存在", {})
                employment.do_complete(enrollment, actor=request.user)
                messages.success(request, "已标记结业")
            else:
                person = employment.person_by_id_number(request.POST.get("id_number", ""), actor=request.user)
                employment.do_enrol(course, actor=request.user, person=person)
                messages.success(request, "已报名")
        except ServiceError as exc:
            messages.error(request, exc.message)
    return redirect("villager:course_detail", pk=pk)
