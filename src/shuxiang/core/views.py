from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Count, Min, Q
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from shuxiang.core import formats, ratelimit, services
from shuxiang.core.access import public_view, requires, signed_in
from shuxiang.core.choices import PlaceLevel
from shuxiang.core.errors import ServiceError
from shuxiang.core.filtersets import (
    AuditFilterSet,
    PersonFilterSet,
    PlaceFilterSet,
    UnitFilterSet,
    UserFilterSet,
)
from shuxiang.core.forms import (
    UNIT_DOMAINS,
    ImportForm,
    PersonForm,
    PlaceForm,
    PlaceMoveForm,
    PlaceRetireForm,
    UnitForm,
    UserForm,
)
from shuxiang.core.generic import (
    Column,
    ObjectDetailView,
    ObjectListView,
    form_page,
    object_or_404,
    object_view,
    submit_form,
)
from shuxiang.core.importers import import_upload, run_import
from shuxiang.core.models import Attachment, AuditEntry, Person, Place, Unit, User
from shuxiang.core.navigation import pending_for
from shuxiang.core.permissions import has_perm

# --- shell ---------------------------------------------------------------------------------


@signed_in
def home(request):
    notifications = request.user.notifications.all()[:8]
    return render(
        request, "core/home.html", {"pending": pending_for(request.user), "notifications": notifications}
    )


@signed_in
def notifications(request):
    if request.method == "POST":
        services.do_mark_notifications_read(request.user)
        return redirect("notifications")
    items = request.user.notifications.all()[:200]
    return render(request, "core/notifications.html", {"items": items})


@signed_in
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
    return form_page(request, form, "修改密码", submit="修改")


@public_view
@require_GET
def healthz(request):
    """Health for load balancers and people (docs/operations.md): each part with its state and age.

    Only the database — and Redis when configured — decide the answer: 200 whenever they answer, 503
    naming the one that does not. The task worker and the telemetry listeners are reported with the age
    of their last heartbeat (stale after 5 minutes) but never make this 503: a web node is healthy
    without them (`shuxiang serve` alone), and a load balancer must not take it out for their sake."""
    from django.conf import settings
    from django.core.cache import cache

    from shuxiang.core import heartbeats

    parts = {}
    status = "ok"
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        parts["database"] = {"status": "ok", "vendor": connection.vendor}
    except Exception as exc:  # any failure of the database is the answer, not an error of ours
        parts["database"] = {"status": "error", "error": exc.__class__.__name__}
        status = "error"
    if settings.REDIS_URL:
        try:
            import redis

            redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping()
            parts["redis"] = {"status": "ok"}
        except Exception as exc:  # an unreachable Redis is reported, not raised
            parts["redis"] = {"status": "error", "error": exc.__class__.__name__}
            status = "error"
    try:
        cache.set("healthz", 1, 5)
        parts["cache"] = {"status": "ok" if cache.get("healthz") == 1 else "error"}
    except Exception as exc:  # the cache is reported; Redis above decides when it is the cache
        parts["cache"] = {"status": "error", "error": exc.__class__.__name__}
    if parts["database"]["status"] == "ok":
        beats = heartbeats.report()
        workers = [b for b in beats if b["component"] == "worker"]
        if workers:  # the freshest worker of any node: one is enough for the queue to move
            freshest = min(workers, key=lambda b: b["age_seconds"])
            parts["worker"] = {
                "status": "stale" if freshest["stale"] else "ok",
                "node": freshest["node"],
                "age_seconds": freshest["age_seconds"],
            }
        else:
            parts["worker"] = {"status": "unknown", "detail": "从未见到后台任务进程（shuxiang worker）的心跳"}
        for b in beats:
            if b["component"] in heartbeats.LISTENERS:
                parts[f"{b['component']}@{b['node']}"] = {
                    "status": "stale" if b["stale"] else "ok",
                    "age_seconds": b["age_seconds"],
                }
    body = {"status": status, "node": settings.NODE, "tasks": "redis" if settings.REDIS_URL else "sqlite"}
    body.update(parts)
    return JsonResponse(body, status=200 if status == "ok" else 503)


# --- places --------------------------------------------------------------------------------


class PlaceListView(ObjectListView):
    model = Place
    filterset_class = PlaceFilterSet
    title = "区划"
    select_related = ("parent",)
    create_url_name = "place_create"
    create_permission = "core.place.add"
    columns = [
        Column("区划代码", "code"),
        Column("名称", "name", link=True),
        Column("层级", "get_level_display"),
        Column("类型", "get_kind_display"),
        Column("上级", "parent.name"),
        Column("停用日期", "valid_to"),
        Column("合成数据", "synthetic"),
    ]

    detail_route = "place_detail"
    detail_field = "code"

    def get(self, request, *args, **kwargs):
        """The tree when nothing is asked for (49 pages of a flat table told nobody anything); any
        filter, page or export gives the table. `?children=CODE` answers one node's children (HTMX)."""
        if "children" in request.GET:
            parent = object_or_404(Place, request.user, code=request.GET["children"])
            return render(request, "core/_place_nodes.html", {"nodes": self.nodes(parent=parent)})
        if request.GET and request.GET.get("view") != "tree":
            return super().get(request, *args, **kwargs)
        scoped = Place.objects.restrict(request.user)
        top = scoped.aggregate(top=Min("level"))["top"]
        roots = self.nodes(level=top) if top else []
        for root in roots:
            root.kids = self.nodes(parent=root) if root.n_children else []
        may_add = has_perm(request.user, self.create_permission)
        context = {
            "title": self.title,
            "roots": roots,
            "create_url_name": self.create_url_name if may_add else None,
        }
        return render(request, "core/place_tree.html", context)

    def nodes(self, **lookup) -> list:
        """Places in scope (by parent or level), each with how many places sit directly under it."""
        places = list(
            Place.objects.restrict(self.request.user)
            .filter(**lookup)
            .annotate(n_children=Count("children"))
            .order_by("code")
        )
        for place in places:
            place.child_label = PlaceLevel(place.level + 1).label if place.level < 4 else ""
        return places


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
            can_add_child=place.level < 4 and place.is_current and has_perm(user, "core.place.add"),
        )
        return context


@requires("core.place.add")
def place_create(request):
    """A new township, village or group under a place in the admin's region (?parent=CODE preselects
    it). County roots come from the platform's import, not from here."""
    parent = Place.objects.restrict(request.user).filter(code=request.GET.get("parent", "")).first()
    level = parent.level + 1 if parent else None
    form = PlaceForm(
        request.POST or None, creating=True, level=level, initial={"parent": parent.code if parent else ""}
    )

    def write(data):
        chosen = data.pop("parent")
        return services.do_create_place(
            actor=request.user, parent=chosen, level=chosen.level + 1 if chosen else 1, **data
        )

    saved, place = submit_form(request, form, write)
    if saved:
        return redirect("place_detail", code=place.code)
    title = f"新增区划：{parent.name}的下级" if parent else "新增区划"
    return form_page(request, form, title)


@requires("core.place.change")
@object_view(Place, "code")
def place_edit(request, code):
    """Rename, re-kind, set the validity dates (a retirement is checked against the children)."""
    place = object_or_404(Place, request.user, code=code)
    initial = {f: getattr(place, f) for f in PlaceForm.EDITABLE}
    form = PlaceForm(request.POST or None, initial=initial, level=place.level)
    saved, _ = submit_form(request, form, lambda d: services.do_update_place(place, actor=request.user, **d))
    if saved:
        return redirect("place_detail", code=place.code)
    return form_page(request, form, f"编辑区划：{place.name}")


@requires("core.place.change")
@object_view(Place, "code")
def place_move(request, code):
    """调整隶属: the place and everything under it go under another parent of the level above."""
    place = object_or_404(Place, request.user, code=code)
    form = PlaceMoveForm(request.POST or None)
    saved, _ = submit_form(
        request,
        form,
        lambda d: services.do_move_place(place, actor=request.user, parent=d["parent"]),
        success=f"已迁移{place.name}",
    )
    if saved:
        return redirect("place_detail", code=place.code)
    title = f"迁移区划：{place.name}（现属{place.parent.name if place.parent else '—'}）"
    return form_page(request, form, title, submit="迁移")


@requires("core.place.change")
@object_view(Place, "code")
def place_retire(request, code):
    """撤销、合并: the place ends on a date and keeps its history."""
    place = object_or_404(Place, request.user, code=code)
    form = PlaceRetireForm(request.POST or None, initial={"valid_to": timezone.localdate()})
    saved, _ = submit_form(
        request,
        form,
        lambda d: services.do_retire_place(place, actor=request.user, valid_to=d["valid_to"]),
        success=f"已停用{place.name}",
    )
    if saved:
        return redirect("place_detail", code=place.code)
    return form_page(request, form, f"停用区划：{place.name}", submit="停用")


# --- units ---------------------------------------------------------------------------------


class UnitListView(ObjectListView):
    model = Unit
    filterset_class = UnitFilterSet
    title = "单位"
    select_related = ("place",)
    create_url_name = "unit_create"
    create_permission = "core.unit.add"
    columns = [
        Column("名称", "name", link=True),
        Column("类型", "get_kind_display"),
        Column("所在区划", "place.name"),
        Column("办公电话", "phone"),
        Column("启用", "is_active"),
    ]

    detail_route = "unit_detail"


class UnitDetailView(ObjectDetailView):
    model = Unit
    template_name = "core/unit_detail.html"
    select_related = ("place",)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["members"] = User.objects.restrict(self.request.user).filter(unit=self.object)
        context["can_edit"] = has_perm(self.request.user, "unit.change")
        context["domains"] = [UNIT_DOMAINS.get(d, d) for d in self.object.domains or []]
        return context


@object_view(Unit)
def unit_form(request, pk=None):
    unit = object_or_404(Unit, request.user, pk=pk) if pk else None
    if not has_perm(request.user, "unit.change"):
        raise PermissionDenied
    initial = {}
    if unit:
        initial = {f: getattr(unit, f) for f in ("name", "short_name", "kind", "code", "phone")}
        initial.update(place=unit.place.code, domains=list(unit.domains or []))
    form = UnitForm(request.POST or None, initial=initial)

    def write(data):
        if unit:
            return services.do_update_unit(unit, actor=request.user, **data)
        return services.do_create_unit(actor=request.user, **data)

    saved, unit = submit_form(request, form, write)
    if saved:
        return redirect("unit_detail", pk=unit.pk)
    title = f"编辑单位：{unit.name}" if unit else "新增单位"
    return form_page(request, form, title)


# --- people --------------------------------------------------------------------------------


class PersonListView(ObjectListView):
    model = Person
    filterset_class = PersonFilterSet
    title = "人员"
    select_related = ("place",)
    create_url_name = "person_create"
    create_permission = "core.person.add"
    columns = [
        Column("姓名", "name", link=True),
        Column("身份证号", "id_number_masked"),
        Column("电话", "phone_masked"),
        Column("性别", "get_gender_display"),
        Column("出生日期", "birth_date"),
        Column("居住地", "place.name"),
    ]

    detail_route = "person_detail"


class PersonDetailView(ObjectDetailView):
    model = Person
    template_name = "core/person_detail.html"
    select_related = ("place",)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_reveal"] = has_perm(self.request.user, "pii.reveal")
        context["can_edit"] = has_perm(self.request.user, "person.change")
        return context


@requires("core.person.reveal")
@require_POST
@object_view(Person)
def person_reveal(request, pk):
    person = object_or_404(Person, request.user, pk=pk)
    try:
        ratelimit.limit_reveal(request.user, person, ["id_number", "phone"])
        revealed = services.do_reveal(person, ["id_number", "phone"], actor=request.user)
    except ratelimit.RateLimited as exc:
        return ratelimit.too_many_response(exc, html=True)
    except ServiceError as exc:
        raise PermissionDenied(exc.message) from None
    return render(request, "core/_person_identifiers.html", {"object": person, "revealed": revealed})


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
    return form_page(request, form, f"编辑人员：{person.name}" if person else "登记人员")


# --- users ---------------------------------------------------------------------------------


class UserListView(ObjectListView):
    model = User
    filterset_class = UserFilterSet
    title = "用户"
    permission = "core.user.view"
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

    detail_route = "user_edit"


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


@requires("core.user.change")
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
        Column("时间", lambda e: formats.when(e.at)),
        Column("操作人", lambda e: formats.actor_name(e.actor_label)),
        Column("动作", "get_action_display"),
        Column("对象类型", lambda e: formats.object_type_name(e.object_type)),
        Column("对象", "object_repr", link=True),
        Column("来源", lambda e: formats.source_name(e.source)),
        Column("IP", "ip"),
    ]

    detail_route = "audit_detail"


class AuditDetailView(ObjectDetailView):
    model = AuditEntry
    permission = "audit.view"
    template_name = "core/audit_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["changes"] = formats.change_rows(self.object.object_type, self.object.changes)
        return context


# --- import --------------------------------------------------------------------------------


@requires("core.import.run")
def import_view(request):
    if not has_perm(request.user, "import.run"):
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None)
    result, problems = import_upload(
        request,
        form,
        lambda content, name: run_import(form.cleaned_data["kind"], content, name, actor=request.user),
    )
    if result is not None:
        messages.success(request, f"导入完成：新增 {result.created} 条，更新 {result.updated} 条")
        return redirect("import")
    return render(request, "core/import.html", {"form": form, "problems": problems})


# --- attachments ---------------------------------------------------------------------------


@public_view
@object_view(Attachment)
def attachment(request, pk):
    """Files are served through scope: public ones to anyone (a lot's test report, a warning's audio),
    the rest only to signed-in users whose grants and region hold them (404 otherwise)."""
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


@requires("core.place.view")
@require_GET
def place_suggest(request):
    """Options for a division-code box: places in the user's scope whose name contains, or whose
    code starts with, what was typed (the box sends its value under its own field name)."""
    typed = request.GET.get(request.GET.get("field", "q"), "").strip()[:20]
    places = Place.objects.restrict(request.user).select_related("parent")
    if typed:
        places = places.filter(Q(name__contains=typed) | Q(code__startswith=typed))
    return render(request, "core/_place_options.html", {"places": places.order_by("level", "code")[:20]})
