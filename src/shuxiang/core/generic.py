"""Generic HTML views every app's reference data uses: a scoped, filtered,
paginated list that exports what it shows (CSV, XLSX), and a scoped detail.

Apps configure them (model, filterset, columns); they hold no domain logic.
"""

import functools
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet, PermissionDenied
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.core.signals import setting_changed
from django.db import connections
from django.db.models import QuerySet
from django.dispatch import receiver
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.views import View
from django.views.generic import TemplateView
from django_filters.widgets import BooleanWidget

from shuxiang.core import formats
from shuxiang.core.access import public_view  # noqa: F401  (re-exported: apps import it from here)
from shuxiang.core.errors import ServiceError
from shuxiang.core.exports import export_response
from shuxiang.core.permissions import has_perm

EXPORT_LIMIT = 100_000
# Lists count exactly up to this many rows; beyond it they give the planner's estimate (ListPaginator).
# Counting costs the database about half a microsecond a row: 5,000 rows ≈ 2 ms a page view.
COUNT_EXACT_UP_TO = 5_000


class ListPaginator(Paginator):
    """A paginator whose count stays cheap on tables of hundreds of thousands of rows.

    An exact count reads every matching row's index entry on every page view (at 200,000 rows it
    was most of a list's database time). The count stops at COUNT_EXACT_UP_TO + 1 rows; when it gets
    there, the page shows the query planner's estimate ("约 20.6 万") on PostgreSQL — or "超过 5,000"
    elsewhere, or when the estimate is below what was counted. Small results, and every filtered list
    that narrows below the limit, stay exact; "next page" is always exact (one row more is fetched).
    """

    exact_up_to = COUNT_EXACT_UP_TO
    # A count past the limit is an estimate ("约 20.2 万"), so it is kept this long in the shared cache
    # for the same query: paging through a big list, or ten staff opening it, count it once. A count
    # within the limit is exact and never kept.
    estimate_seconds = 30

    @cached_property
    def count(self):
        if not isinstance(self.object_list, QuerySet) or self.object_list.query.is_sliced:
            return super().count
        # SELECT COUNT(*) FROM (SELECT id … LIMIT n): the scan stops at n rows, in no particular
        # order, and the page's computed columns (subqueries, annotations) are left out. The inner
        # query is compiled once for the count and, past the limit, for the planner's estimate.
        rows = self.object_list.order_by().values("pk")
        try:
            sql, params = rows.query.sql_with_params()
        except EmptyResultSet:
            return 0
        key = (
            "list-count:"
            + hashlib.sha256(repr((rows.db, self.exact_up_to, sql, params)).encode()).hexdigest()
        )
        kept = cache.get(key)
        if kept is not None:
            return kept
        connection = connections[rows.db]
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM ({sql} LIMIT {self.exact_up_to + 1}) capped", params)
            capped = cursor.fetchone()[0]
            if capped <= self.exact_up_to:
                return capped
            if connection.vendor == "postgresql":
                cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
                capped = max(_plan_rows(cursor.fetchone()[0]), capped)
        cache.set(key, capped, self.estimate_seconds)
        return capped

    @property
    def approximate(self) -> bool:
        return self.count > self.exact_up_to

    def validate_number(self, number):
        """Past the exact limit the last page is not known: any page number ≥ 1 is asked for."""
        if not self.approximate:
            return super().validate_number(number)
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger("页码应为整数") from None
        if number < 1:
            raise EmptyPage("页码不能小于 1")
        return number

    def page(self, number):
        if not self.approximate:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])  # one more: is there a next page?
        return OpenEndedPage(rows[: self.per_page], number, self, has_more=len(rows) > self.per_page)

    @property
    def count_display(self) -> str:
        """ "1234", "约 20.6 万", "约 7,300" or "超过 5,000" — the figure after 共 on a list page."""
        count = self.count
        if count <= self.exact_up_to:
            return str(count)
        if count == self.exact_up_to + 1:
            return f"超过 {self.exact_up_to:,}"
        if count >= 10_000:
            return f"约 {count / 10_000:.1f} 万"
        return f"约 {round(count, -2):,}"


class OpenEndedPage(Page):
    """A page of a list whose total is estimated: "next" exists when one more row was found."""

    def __init__(self, object_list, number, paginator, *, has_more: bool):
        super().__init__(object_list, number, paginator)
        self.has_more = has_more

    def has_next(self):
        return self.has_more


# Stock widget templates whose output render_field writes in Python (the same HTML).
_INPUT_TEMPLATES = {
    f"django/forms/widgets/{kind}.html"
    for kind in ("text", "number", "email", "url", "date", "datetime", "time", "search", "tel", "hidden")
}
_SELECT_TEMPLATE = "django/forms/widgets/select.html"
_OPTION_TEMPLATE = "django/forms/widgets/select_option.html"


def render_field(bound_field) -> str:
    """A filter form's field as HTML: stock <select> and <input> widgets written in Python.

    Django renders a <select> through two template includes per option (option, then its attributes);
    a list page's filter form cost 2–5 ms that way, more than the page's rows. Widgets with their own
    template or render() go through Django as before.
    """
    widget = bound_field.field.widget
    if type(widget).render not in (forms.Widget.render, BooleanWidget.render):
        return str(bound_field)
    if isinstance(widget, forms.Select) and not widget.allow_multiple_selected:
        if widget.template_name == _SELECT_TEMPLATE and widget.option_template_name == _OPTION_TEMPLATE:
            return bound_field.as_widget(widget=_PythonRendered(widget, _select_html))
    elif isinstance(widget, forms.widgets.Input) and widget.template_name in _INPUT_TEMPLATES:
        return bound_field.as_widget(widget=_PythonRendered(widget, _input_html))
    return str(bound_field)


class _PythonRendered:
    """Stands in for a widget during BoundField.as_widget: everything is the widget's but render()."""

    def __init__(self, widget, write):
        self.__dict__["_widget"] = widget
        self.__dict__["_write"] = write

    def __getattr__(self, name):
        return getattr(self._widget, name)

    def __setattr__(self, name, value):  # as_widget sets is_localized: on this stand-in only
        self.__dict__[name] = value

    def render(self, name, value, attrs=None, renderer=None):
        if isinstance(self._widget, BooleanWidget):  # what BooleanWidget.render does first
            value = {True: "true", False: "false", "1": "true", "0": "false"}.get(value, "")
        return mark_safe(self._write(self._widget.get_context(name, value, attrs)["widget"]))


def _attrs_html(attrs) -> str:
    """django/forms/widgets/attrs.html: False leaves an attribute out, True writes its bare name."""
    return "".join(
        f" {conditional_escape(k)}" if v is True else f' {conditional_escape(k)}="{conditional_escape(v)}"'
        for k, v in attrs.items()
        if v is not False
    )


def _input_html(w) -> str:
    value = "" if w["value"] is None else f' value="{conditional_escape(w["value"])}"'
    return f'<input type="{conditional_escape(w["type"])}" name="{conditional_escape(w["name"])}"{value}{_attrs_html(w["attrs"])}>'


def _select_html(w) -> str:
    parts = [f'<select name="{conditional_escape(w["name"])}"{_attrs_html(w["attrs"])}>']
    for group_name, options, _index in w["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        parts.extend(
            f'\n  <option value="{conditional_escape(o["value"])}"{_attrs_html(o["attrs"])}>'
            f"{conditional_escape(o['label'])}</option>\n"  # the option template's own last newline
            for o in options
        )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def rows_html(rows, width: int) -> str:
    """The table body of a list page, written in Python.

    Through the template engine each of a page's ~200 cells cost a loop step, three tag evaluations and
    an escape (about 4 ms a page); this writes the same markup. A cell's text is escaped unless it is
    already safe HTML, links and clipped cells as `_object_table.html` describes them.
    """
    if not rows:
        return format_html('<tr><td colspan="{}" class="muted">没有符合条件的记录</td></tr>', width)
    out = []
    for cells in rows:
        out.append("<tr>")
        for text, url, clip in cells:
            text = conditional_escape(text)
            if url:
                title = f' class="clip" title="{text}"' if clip else ""
                out.append(f'<td><a href="{conditional_escape(url)}"{title}>{text or "（无）"}</a></td>')
            elif clip == "wrap":
                out.append(f'<td class="wrap">{text}</td>')
            elif clip:
                out.append(f'<td><span class="clip" title="{text}">{text}</span></td>')
            else:
                out.append(f"<td>{text}</td>")
        out.append("</tr>\n")
    return mark_safe("".join(out))


_SENTINELS = (987654321, "Zz9sentinel")
_PLAIN_TEXT = re.compile(r"[A-Za-z0-9_-]+")


def reverse_one(url_name: str, value) -> str:
    """`reverse(url_name, args=[value])` for a route with one argument, the way a list writes its rows' links.

    Reversing walks the URLconf's patterns every time (25 rows: ~1 ms a page); the route's path is the
    same around its one argument, so it is reversed once per process with a stand-in value and the
    value put in its place. A non-negative int, or text of letters, digits, "_" and "-" (which no
    converter quotes) for a route that takes text, goes that way; anything else is reversed as before.
    """
    template = _one_arg_template(url_name, get_script_prefix())
    if template is not None:
        head, tail, takes_text = template
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return f"{head}{value}{tail}"
        if takes_text and isinstance(value, str) and _PLAIN_TEXT.fullmatch(value):
            return f"{head}{value}{tail}"
    return reverse(url_name, args=[value])


@functools.lru_cache(maxsize=512)
def _one_arg_template(url_name: str, prefix: str) -> tuple[str, str, bool] | None:
    """(path before the argument, path after it, whether text is accepted) — None when the route is
    not one plain argument in a path."""
    parts = []
    for sentinel in _SENTINELS:
        try:
            url = reverse(url_name, args=[sentinel])
        except NoReverseMatch:
            parts.append(None)
            continue
        if url.count(str(sentinel)) != 1:
            return None
        head, tail = url.split(str(sentinel))
        parts.append((head, tail))
    number, text = parts
    if number is None:
        return None  # only text fits: every value is checked by reverse()
    if text is not None and text != number:
        return None
    return (*number, text is not None)


@receiver(setting_changed)
def _forget_url_templates(setting, **kwargs):
    if setting == "ROOT_URLCONF":
        _one_arg_template.cache_clear()


def _plan_rows(plan) -> int:
    """The row estimate at the top of PostgreSQL's EXPLAIN (FORMAT JSON) answer."""
    if isinstance(plan, str | bytes):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


@dataclass
class Column:
    """One column of a list. `clip`: long text (titles, headlines) is cut with an ellipsis at a fixed
    width, the whole text in its tooltip, so the table fits a 1366 px screen. `wrap`: the text may break
    over lines (unit and place names, which people need whole)."""

    header: str
    value: Callable[[Any], Any] | str
    link: bool = False
    clip: bool = False
    wrap: bool = False

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
    if isinstance(value, datetime):
        return formats.when(value)
    if isinstance(value, date):
        return formats.day(value)
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
    # The rows' link: `detail_route` (a route taking one argument) with the row's `detail_field`, or
    # `detail_url(obj)` where the link is not that (a nested field, a query string, a model's own URL).
    detail_route: str | None = None
    detail_field = "pk"
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
            if not has_perm(request.user, f"{self.model._meta.label_lower}.export"):
                raise PermissionDenied
            return self.export(qs, export)
        try:
            page_size = min(max(int(request.GET.get("page_size", self.paginate_by)), 1), 200)
        except ValueError:
            page_size = self.paginate_by
        page = ListPaginator(qs, page_size).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        context = {
            "title": self.title or self.model._meta.verbose_name_plural,
            "filterset": filterset,
            "page": page,
            "rows": (rows := [self.row(obj) for obj in page.object_list]),
            "rows_html": rows_html(rows, len(self.columns)),
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
        """[(text, link or None, clip / "wrap")] for one object, links only on the columns marked `link`."""
        if self.detail_url:
            url = self.detail_url(obj)
        elif self.detail_route:
            url = reverse_one(self.detail_route, getattr(obj, self.detail_field))
        else:
            url = None
        return [
            (cell_text(c.get(obj)), url if c.link else None, "wrap" if c.wrap else c.clip)
            for c in self.columns
        ]

    def export(self, qs, fmt):
        plural = str(self.model._meta.verbose_name_plural)
        return export_response(
            ([cell_text(c.get(obj)) for c in self.columns] for obj in qs[:EXPORT_LIMIT]),
            [c.header for c in self.columns],
            fmt=fmt,
            filename=f"{self.model._meta.model_name}-{timezone.localtime():%Y%m%d-%H%M}",
            sheet_title=plural,
            actor=self.request.user,
            object_type=self.model._meta.label_lower,
            description=f"导出{plural}（{fmt}）",
            filters=dict(self.request.GET.lists()),
        )


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


def form_page(request, form, title, *, submit="保存", **context):
    """An edit page: the form on core/form.html under `title`, its button reading `submit`.

    The status says what happened to a submission: 400 when the form carries errors (invalid, or refused
    by the service through submit_form — nothing was written), 200 for a page to fill in."""
    return render(
        request,
        "core/form.html",
        {"form": form, "title": title, "submit": submit, **context},
        status=400 if form.errors else 200,
    )


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
