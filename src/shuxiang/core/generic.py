"""Generic HTML views every app's reference data uses: a scoped, filtered,
paginated list that exports what it shows (CSV, XLSX), and a scoped detail.

Apps configure them (model, filterset, columns); they hold no domain logic.
"""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.formats import localize
from django.views import View
from django.views.generic import TemplateView

from shuxiang.core import audit
from shuxiang.core.errors import ServiceError
from shuxiang.core.permissions import has_perm

EXPORT_LIMIT = 100_000


@dataclass
class Column:
    header: str
    value: Callable[[Any], Any] | str
    link: bool = False

    def get(self, obj):
        if callable(self.value):
            return self.value(obj)
        target = obj
        for part in self.value.split("."):
            target = getattr(target, part, None)
            if target is None:
                return ""
            if callable(target) and part.startswith("get_"):
                target = target()
        return target


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if hasattr(value, "tzinfo"):
        return localize(timezone.localtime(value)) if value.tzinfo else localize(value)
    return str(value)


class PermissionMixin:
    """`permission = "audit.view"` on a view refuses users without it (403 — it is a role, not a region)."""

    permission: str | None = None

    def dispatch(self, request, *args, **kwargs):
        if self.permission and request.user.is_authenticated and not has_perm(request.user, self.permission):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class ObjectListView(LoginRequiredMixin, PermissionMixin, View):
    model = None
    filterset_class = None
    columns: list[Column] = []
    title = ""
    template_name = "core/object_list.html"
    partial_template = "core/_object_table.html"
    paginate_by = 25
    select_related: tuple = ()
    create_url_name: str | None = None
    create_permission: str | None = None
    create_label = "新增"
    detail_url: Callable | None = None

    def get_queryset(self):
        qs = self.model.objects.restrict(self.request.user)
        if self.select_related:
            qs = qs.select_related(*self.select_related)
        return qs

    def get(self, request, *args, **kwargs):
        filterset = self.filterset_class(request.GET, queryset=self.get_queryset(), request=request)
        qs = filterset.qs if filterset.is_valid() else self.get_queryset().none()
        export = request.GET.get("export")
        if export in ("csv", "xlsx"):
            return self.export(qs, export)
        try:
            page_size = min(max(int(request.GET.get("page_size", self.paginate_by)), 1), 200)
        except ValueError:
            page_size = self.paginate_by
        page = Paginator(qs, page_size).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        context = {
            "title": self.title or self.model._meta.verbose_name_plural,
            "filterset": filterset,
            "page": page,
            "rows": [self.row(obj) for obj in page.object_list],
            "columns": self.columns,
            "query": query.urlencode(),
            "create_url_name": self.create_url_name
            if not self.create_permission or has_perm(request.user, self.create_permission)
            else None,
            "create_label": self.create_label,
            "list_url": request.path,
        }
        context.update(self.get_extra_context(qs))
        template = self.partial_template if request.htmx and not request.htmx.boosted else self.template_name
        return render(request, template, context)

    def get_extra_context(self, queryset) -> dict:
        """Summary figures a list shows above its table (computed on the filtered, scoped queryset)."""
        return {}

    def row(self, obj):
        """[(text, link or None)] for one object, links only on the columns marked `link`."""
        url = self.detail_url(obj) if self.detail_url else None
        return [(cell_text(c.get(obj)), url if c.link else None) for c in self.columns]

    def export(self, qs, fmt):
        rows = qs[:EXPORT_LIMIT]
        headers = [c.header for c in self.columns]
        name = f"{self.model._meta.model_name}-{timezone.localtime():%Y%m%d-%H%M}"
        audit.record(
            self.request.user,
            "export",
            object_type=self.model._meta.label_lower,
            object_repr=f"导出{self.model._meta.verbose_name_plural}（{fmt}）",
            changes={"filters": dict(self.request.GET.lists()), "rows": qs.count()},
        )
        if fmt == "csv":
            buf = io.StringIO()
            buf.write("\ufeff")  # Excel opens UTF-8 CSV correctly only with a BOM
            writer = csv.writer(buf)
            writer.writerow(headers)
            for obj in rows:
                writer.writerow([cell_text(c.get(obj)) for c in self.columns])
            response = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
            return response
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet(title=str(self.model._meta.verbose_name_plural)[:31])
        ws.append(headers)
        for obj in rows:
            ws.append([cell_text(c.get(obj)) for c in self.columns])
        out = io.BytesIO()
        wb.save(out)
        response = HttpResponse(
            out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response


class ObjectDetailView(LoginRequiredMixin, TemplateView):
    """Looks the object up only inside the user's scope: outside it is a 404, never a 403.

    The role permission is checked after the lookup, so an object outside the
    region is indistinguishable from one that does not exist.
    """

    model = None
    lookup_field = "pk"
    select_related: tuple = ()
    permission: str | None = None

    def get_object(self):
        qs = self.model.objects.restrict(self.request.user)
        if self.select_related:
            qs = qs.select_related(*self.select_related)
        return get_object_or_404(qs, **{self.lookup_field: self.kwargs[self.lookup_field]})

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["object"] = self.object
        return context

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        if self.permission and not has_perm(request.user, self.permission):
            raise PermissionDenied
        return super().get(request, *args, **kwargs)


def submit_form(request, form, write, *, success="已保存"):
    """The POST half of every edit page: a valid form goes to a service; a refusal lands on the form.

    `write(cleaned_data)` calls the service. Returns `(True, result)` when the write happened (a
    success message is queued, the caller redirects) and `(False, None)` otherwise (not submitted,
    invalid, or refused — the form then carries the Chinese reasons and nothing was written).
    """
    if request.method != "POST" or not form.is_valid():
        return False, None
    try:
        result = write(form.cleaned_data)
    except ServiceError as exc:
        form.apply_service_error(exc)
        return False, None
    if success:
        messages.success(request, success)
    return True, result


def public_view(view):
    """Marks a page meant for people without an account (a tracking page, a product lookup).

    Such pages must show only non-sensitive fields; the scope walk skips them and
    their own tests prove what they hide.
    """
    view.scope_public = True
    return view


def object_view(model, lookup_field="pk"):
    """Tags a function view that looks up one `model` by `lookup_field`, for the scope walk test."""

    def wrap(view):
        view.scope_model = model
        view.scope_lookup = lookup_field
        return view

    return wrap


def object_or_404(model, user, **lookup):
    try:
        return model.objects.restrict(user).get(**lookup)
    except (model.DoesNotExist, ValueError):
        raise Http404 from None
