from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from shuxiang.core import services
from shuxiang.core.errors import ServiceError
from shuxiang.core.filtersets import (
    AuditFilterSet,
    PersonFilterSet,
    PlaceFilterSet,
    UnitFilterSet,
    UserFilterSet,
)
from shuxiang.core.forms import ImportForm, PersonForm, PlaceForm, UnitForm, UserForm
from shuxiang.core.generic import (
    Column,
    ObjectDetailView,
    ObjectListView,
    object_or_404,
    object_view,
    submit_form,
)
from shuxiang.core.importers import ImportRejected, run_import
from shuxiang.core.models import Attachment, AuditEntry, Person, Place, Unit, User
from shuxiang.core.navigation import pending_for
from shuxiang.core.permissions import has_perm

# --- shell ---------------------------------------------------------------------------------


@login_required
def home(request):
    notifications = request.user.notifications.all()[:8]
    return render(
        request, "core/home.html", {"pending": pending_for(request.user), "notifications": notifications}
    )


@login_required
def notifications(request):
    if request.method == "POST":
        services.do_mark_notifications_read(request.user)
        return redirect("notifications")
    items = request.user.notifications.all()[:200]
    return render(request, "core/notifications.html", {"items": items})


@login_required
def password_change(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.do_set_password(
                request.user, actor=request.user, password=form.cleaned_data["new_password1"]
            )
        except ServiceError as exc:
            form.add_error("new_password1", exc.message)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, "密码已修改")
            return redirect("home")
    return render(request, "core/form.html", {"form": form, "title": "修改密码", "submit": "修改"})


@require_GET
def healthz(request):
    """Liveness for load balancers: 200 when the database answers, 503 naming the part that does not."""
    report = {"status": "ok", "database": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any failure of the database is the answer, not an error of ours
        report.update(status="error", database=f"error: {exc.__class__.__name__}")
    from django.conf import settings

    report["tasks"] = "redis" if settings.REDIS_URL else "sqlite"
    if settings.REDIS_URL:
        try:
            import redis

            redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping()
            report["redis"] = "ok"
        except Exception as exc:  # an unreachable Redis is reported, not raised
            report.update(status="error", redis=f"error: {exc.__class__.__name__}")
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)


# --- places --------------------------------------------------------------------------------


class PlaceListView(ObjectListView):
    model = Place
    filterset_class = PlaceFilterSet
    title = "区划"
    select_related = ("parent",)
    columns = [
        Column("区划代码", "code"),
        Column("名称", "name", link=True),
        Column("层级", "get_level_display"),
        Column("类型", "get_kind_display"),
        Column("上级", "parent.name"),
        Column("合成数据", "synthetic"),
    ]

    @staticmethod
    def detail_url(obj):
        return reverse("place_detail", args=[obj.code])


class PlaceDetailView(ObjectDetailView):
    model = Place
    lookup_field = "code"
    template_name = "core/place_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        place = self.object
        user = self.request.user
        context.update(
            ancestors=[a for a in place.ancestors() if Place.objects.restrict(user).filter(pk=a.pk).exists()],
            children=Place.objects.restrict(user).filter(parent=place),
            units=Unit.objects.restrict(user).filter(place=place),
            people_count=Person.objects.restrict(user).filter(place__path__startswith=place.path).count(),
            can_edit=has_perm(user, "place.change"),
        )
        return context


@login_required
@object_view(Place, "code")
def place_edit(request, code):
    place = object_or_404(Place, request.user, code=code)
    if not has_perm(request.user, "place.change"):
        raise PermissionDenied
    initial = {f: getattr(place, f) for f in PlaceForm.base_fields}
    form = PlaceForm(request.POST or None, initial=initial)
    saved, _ = submit_form(request, form, lambda d: services.do_update_place(place, actor=request.user, **d))
    if saved:
        return redirect("place_detail", code=place.code)
    return render(request, "core/form.html", {"form": form, "title": f"编辑区划：{place.name}"})


# --- units ---------------------------------------------------------------------------------


class UnitListView(ObjectListView):
    model = Unit
    filterset_class = UnitFilterSet
    title = "单位"
    select_related = ("place",)
    create_url_name = "unit_create"
    create_permission = "unit.change"
    columns = [
        Column("名称", "name", link=True),
        Column("类型", "get_kind_display"),
        Column("所在区划", "place.name"),
        Column("办公电话", "phone"),
        Column("启用", "is_active"),
    ]

    @staticmethod
    def detail_url(obj):
        return reverse("unit_detail", args=[obj.pk])


class UnitDetailView(ObjectDetailView):
    model = Unit
    template_name = "core/unit_detail.html"
    select_related = ("place",)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["members"] = User.objects.restrict(self.request.user).filter(unit=self.object)
        context["can_edit"] = has_perm(self.request.user, "unit.change")
        return context


@login_required
@object_view(Unit)
def unit_form(request, pk=None):
    unit = object_or_404(Unit, request.user, pk=pk) if pk else None
    if not has_perm(request.user, "unit.change"):
        raise PermissionDenied
    initial = {}
    if unit:
        initial = {f: getattr(unit, f) for f in ("name", "short_name", "kind", "code", "phone")}
        initial.update(place=unit.place.code, domains=",".join(unit.domains))
    form = UnitForm(request.POST or None, initial=initial)

    def write(data):
        if unit:
            return services.do_update_unit(unit, actor=request.user, **data)
        return services.do_create_unit(actor=request.user, **data)

    saved, unit = submit_form(request, form, write)
    if saved:
        return redirect("unit_detail", pk=unit.pk)
    title = f"编辑单位：{unit.name}" if unit else "新增单位"
    return render(request, "core/form.html", {"form": form, "title": title})


# --- people --------------------------------------------------------------------------------


class PersonListView(ObjectListView):
    model = Person
    filterset_class = PersonFilterSet
    title = "人员"
    select_related = ("place",)
    create_url_name = "person_create"
    create_permission = "person.change"
    columns = [
        Column("姓名", "name", link=True),
        Column("身份证号", "id_number_masked"),
        Column("电话", "phone_masked"),
        Column("性别", "get_gender_display"),
        Column("出生日期", "birth_date"),
        Column("居住地", "place.name"),
    ]

    @staticmethod
    def detail_url(obj):
        return reverse("person_detail", args=[obj.pk])


class PersonDetailView(ObjectDetailView):
    model = Person
    template_name = "core/person_detail.html"
    select_related = ("place",)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_reveal"] = has_perm(self.request.user, "pii.reveal")
        context["can_edit"] = has_perm(self.request.user, "person.change")
        return context


@login_required
@require_POST
@object_view(Person)
def person_reveal(request, pk):
    person = object_or_404(Person, request.user, pk=pk)
    try:
        revealed = services.do_reveal(person, ["id_number", "phone"], actor=request.user)
    except ServiceError as exc:
        raise PermissionDenied(exc.message) from None
    return render(request, "core/_person_identifiers.html", {"object": person, "revealed": revealed})


@login_required
@object_view(Person)
def person_form(request, pk=None):
    person = object_or_404(Person, request.user, pk=pk) if pk else None
    if not has_perm(request.user, "person.change"):
        raise PermissionDenied
    initial = {"name": person.name, "place": person.place.code} if person else {}
    form = PersonForm(request.POST or None, initial=initial, editing=bool(person))

    def write(data):
        if person is None:
            return services.do_create_person(actor=request.user, **data)
        # Blank identifier fields mean "keep": the stored numbers are never put back into the form.
        return services.do_update_person(
            person,
            actor=request.user,
            name=data["name"],
            place=data["place"],
            id_number=data["id_number"] or None,
            phone=data["phone"] or None,
        )

    saved, saved_person = submit_form(request, form, write)
    if saved:
        return redirect("person_detail", pk=saved_person.pk)
    return render(
        request,
        "core/form.html",
        {"form": form, "title": f"编辑人员：{person.name}" if person else "登记人员"},
    )


# --- users ---------------------------------------------------------------------------------


class UserListView(ObjectListView):
    model = User
    filterset_class = UserFilterSet
    title = "用户"
    permission = "user.change"
    select_related = ("place", "unit")
    create_url_name = "user_create"
    columns = [
        Column("用户名", "username", link=True),
        Column("姓名", "display_name"),
        Column("角色", "get_role_display"),
        Column("所属区划", "place.name"),
        Column("单位", "unit.name"),
        Column("启用", "is_active"),
        Column("最后登录", "last_login"),
    ]

    @staticmethod
    def detail_url(obj):
        return reverse("user_edit", args=[obj.pk])


@login_required
@object_view(User)
def user_form(request, pk=None):
    target = object_or_404(User, request.user, pk=pk) if pk else None
    if not has_perm(request.user, "user.change"):
        raise PermissionDenied
    initial = {"is_active": True}
    if target:
        initial = {
            f: getattr(target, f) for f in ("username", "display_name", "role", "can_reveal_pii", "is_active")
        }
        initial.update(place=target.place.code if target.place else "", unit=target.unit_id)
    form = UserForm(request.POST or None, initial=initial, user=request.user, editing=bool(target))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        password = data.pop("password")
        try:
            if target:
                data.pop("username")
                services.do_update_user(target, actor=request.user, **data)
                if password:
                    services.do_set_password(target, actor=request.user, password=password)
            else:
                data.pop("is_active")
                target = services.do_create_user(actor=request.user, password=password, **data)
        except ServiceError as exc:
            form.apply_service_error(exc)
        else:
            messages.success(request, "已保存")
            return redirect("user_list")
    title = f"编辑用户：{target.username}" if target else "新增用户"
    locked = bool(target) and target.username in services.locked_usernames()
    return render(
        request, "core/user_form.html", {"form": form, "title": title, "target": target, "locked": locked}
    )


@login_required
@require_POST
@object_view(User)
def user_unlock(request, pk):
    target = object_or_404(User, request.user, pk=pk)
    try:
        services.do_unlock_user(target, actor=request.user)
    except ServiceError as exc:
        raise PermissionDenied(exc.message) from None
    messages.success(request, f"已解锁 {target.username}")
    return redirect("user_edit", pk=target.pk)


# --- audit ---------------------------------------------------------------------------------


class AuditListView(ObjectListView):
    model = AuditEntry
    filterset_class = AuditFilterSet
    title = "审计日志"
    permission = "audit.view"
    columns = [
        Column("时间", "at"),
        Column("操作人", "actor_label"),
        Column("动作", "get_action_display"),
        Column("对象类型", "object_type"),
        Column("对象", "object_repr", link=True),
        Column("来源", "source"),
        Column("IP", "ip"),
    ]

    @staticmethod
    def detail_url(obj):
        return reverse("audit_detail", args=[obj.pk])


class AuditDetailView(ObjectDetailView):
    model = AuditEntry
    permission = "audit.view"
    template_name = "core/audit_detail.html"


# --- import --------------------------------------------------------------------------------


@login_required
def import_view(request):
    if not has_perm(request.user, "import.run"):
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None)
    problems = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = run_import(form.cleaned_data["kind"], upload.read(), upload.name, actor=request.user)
        except ImportRejected as exc:
            problems = [p.as_text() for p in exc.problems]
            form.add_error(None, exc.message)
        except ServiceError as exc:
            form.add_error("file", exc.message)
        else:
            messages.success(request, f"导入完成：新增 {result.created} 条，更新 {result.updated} 条")
            return redirect("import")
    return render(request, "core/import.html", {"form": form, "problems": problems})


# --- attachments ---------------------------------------------------------------------------


@object_view(Attachment)
def attachment(request, pk):
    """Files are served through scope: public ones to anyone, the rest to users whose region holds them."""
    from django.http import FileResponse

    item = Attachment.objects.filter(pk=pk).first()
    if item is None or not (
        item.is_public or Attachment.objects.restrict(request.user).filter(pk=pk).exists()
    ):
        raise Http404
    response = FileResponse(item.file.open("rb"), content_type=item.content_type)
    response["Content-Disposition"] = f'inline; filename="{item.sha256[:12]}{item.extension}"'
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
@require_GET
def place_suggest(request):
    """Options for a division-code box: places in the user's scope whose name contains, or whose
    code starts with, what was typed (the box sends its value under its own field name)."""
    typed = request.GET.get(request.GET.get("field", "q"), "").strip()[:20]
    places = Place.objects.restrict(request.user).select_related("parent")
    if typed:
        places = places.filter(Q(name__contains=typed) | Q(code__startswith=typed))
    return render(request, "core/_place_options.html", {"places": places.order_by("level", "code")[:20]})
