"""Staff lists at county scale (issue 14 §6): what the cheaper count, the Python-written rows and filter
widgets, and the cached menu routes must keep showing."""

import importlib

import django_filters
import pytest
from django.apps import apps
from django.db import connection
from django.db.models.functions import Upper
from django.http import QueryDict
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils.functional import SimpleLazyObject

from shuxiang.core import generic, services
from shuxiang.core.actors import OPERATOR
from shuxiang.core.generic import ListPaginator, render_field, rows_html
from shuxiang.core.models import Person
from shuxiang.core.navigation import menu_for
from shuxiang.core.permissions import grant_filter, has_perm


def people(places, n, prefix="村民"):
    Person.objects.bulk_create(Person(name=f"{prefix}{i:03d}", place=places.hamlet_a) for i in range(n))


def test_a_list_counts_exactly_up_to_the_limit(cast, places, client_for, monkeypatch):
    monkeypatch.setattr(ListPaginator, "exact_up_to", 30)
    people(places, 30)
    html = client_for(cast.district).get("/people/?q=村民").content.decode()
    assert "共 30 条" in html and "第 1 / 2 页" in html


def test_beyond_the_limit_a_list_says_how_many_at_least_and_still_knows_its_next_page(
    cast, places, client_for, monkeypatch
):
    monkeypatch.setattr(ListPaginator, "exact_up_to", 30)
    people(places, 60)
    web = client_for(cast.district)
    first = web.get("/people/?q=村民").content.decode()
    if connection.vendor == "postgresql":
        # the planner's estimate, or "超过 30" when it guesses below what was counted (no statistics yet)
        assert "共 约" in first or "共 超过 30 条" in first
    else:
        assert "共 超过 30 条" in first
    assert "第 1 页" in first and "page=2" in first
    last = web.get(
        "/people/?q=村民&page=3"
    ).content.decode()  # rows 51–60: one more row was looked for, none came
    assert "村民059" in last and "page=4" not in last and "page=2" in last
    past = web.get("/people/?q=村民&page=9").content.decode()
    assert "没有符合条件的记录" in past


def test_the_capped_count_leaves_out_the_page_s_ordering_and_computed_columns(cast, places, monkeypatch):
    monkeypatch.setattr(ListPaginator, "exact_up_to", 5)
    people(places, 8)
    qs = Person.objects.restrict(cast.district).order_by("-name").annotate(shout=Upper("name"))
    with CaptureQueriesContext(connection) as ctx:
        assert ListPaginator(qs, 3).count >= 6
    count_sql = ctx.captured_queries[0]["sql"]
    assert "LIMIT 6" in count_sql and "ORDER BY" not in count_sql and "UPPER" not in count_sql.upper()


def test_list_rows_escape_what_they_show_and_link_the_marked_columns():
    html = rows_html(
        [[("<b>张三</b>", "/people/1/", False), ("", "/people/1/", False), ("很长的标题", None, True)]], 3
    )
    assert "&lt;b&gt;张三&lt;/b&gt;" in html and "<b>" not in html
    assert '<a href="/people/1/">（无）</a>' in html
    assert '<span class="clip" title="很长的标题">很长的标题</span>' in html
    assert "没有符合条件的记录" in rows_html([], 3) and 'colspan="3"' in rows_html([], 3)


def _filtersets():
    for app in apps.get_app_configs():
        if not app.name.startswith("shuxiang."):
            continue
        try:
            module = importlib.import_module(f"{app.name}.filtersets")
        except ImportError:
            continue
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, django_filters.FilterSet)
                and value.__module__ == module.__name__
                and value._meta.model is not None
            ):
                yield value


@pytest.mark.parametrize(
    "query", ["", "q=<x>&state=open&status=monitored&stage=packed&suspicious=true&level=2"]
)
def test_filter_widgets_written_in_python_are_what_django_writes(cast, query):
    request = RequestFactory().get("/")
    request.user = cast.district
    checked = 0
    for filterset_class in _filtersets():
        model = filterset_class._meta.model
        filterset = filterset_class(QueryDict(query), queryset=model._default_manager.all(), request=request)
        filterset.is_valid()
        for field in filterset.form:
            assert render_field(field) == str(field), f"{filterset_class.__name__}.{field.name}"
            checked += 1
    assert checked > 100


def test_a_list_page_issues_as_many_queries_for_25_rows_as_for_2(cast, places, client_for):
    web = client_for(cast.district)
    people(places, 2)
    web.get("/people/")
    with CaptureQueriesContext(connection) as few:
        web.get("/people/")
    people(places, 23, prefix="新村民")
    with CaptureQueriesContext(connection) as many:
        html = web.get("/people/").content.decode()
    assert "新村民022" in html
    assert len(many.captured_queries) == len(few.captured_queries)


def test_menu_links_are_their_routes_and_show_only_what_the_user_may_open(cast):
    from django.urls import reverse

    district = {item.url_name: item.url for group in menu_for(cast.district) for item in group.items}
    grid = {item.url_name for group in menu_for(cast.grid_a) for item in group.items}
    assert district and all(url == reverse(name) for name, url in district.items())
    assert "audit_list" in district and "audit_list" not in grid


def test_permission_answers_are_the_same_for_the_request_s_lazy_user(cast):
    lazy = SimpleLazyObject(lambda: cast.township_a)
    for perm in ("core.person.view", "core.person.export", "core.grant.change", "core.web.use"):
        assert has_perm(lazy, perm) == has_perm(cast.township_a, perm)
    assert grant_filter(lazy, "core.person", "view") == grant_filter(cast.township_a, "core.person", "view")


def test_an_exact_count_is_shown_as_a_plain_number(cast, places):
    services.do_create_person(actor=OPERATOR, name="王五", place=places.hamlet_a)
    paginator = ListPaginator(Person.objects.restrict(cast.district), 25)
    assert paginator.count_display == "1" and not paginator.approximate
    assert generic.COUNT_EXACT_UP_TO == ListPaginator.exact_up_to == 5_000


@pytest.mark.parametrize(
    ("count", "shown"), [(5_000, "5000"), (5_001, "超过 5,000"), (7_349, "约 7,300"), (206_257, "约 20.6 万")]
)
def test_a_count_beyond_the_limit_reads_as_an_estimate(count, shown):
    paginator = ListPaginator([], 25)
    paginator.count = count  # cached_property: what the database answered
    assert paginator.count_display == shown


def test_every_page_s_menu_links_each_entry_the_user_may_open(cast, client_for):
    html = client_for(cast.township_a).get("/people/").content.decode()
    groups = menu_for(cast.township_a)
    assert groups
    for group in groups:
        assert f'<button type="button" class="nav-label">{group.label}</button>' in html
        for item in group.items:
            assert f'<a href="{item.url}">{item.label}</a>' in html
    assert "/audit/" not in html  # not the township officer's


def test_a_menu_kept_for_a_role_follows_a_personal_grant_at_once(cast):
    """menu_for keeps one menu per permission key; a grant given to one user changes that user's menu on
    the next look (their grant rows are part of the key) and leaves the other users of the role alone."""
    from shuxiang.core.grants import do_create_grant
    from shuxiang.core.models import User

    def urls(user):
        return {item.url_name for group in menu_for(user) for item in group.items}

    assert "audit_list" not in urls(cast.grid_a) and "audit_list" not in urls(cast.grid_b)
    do_create_grant(actor=cast.admin, object_type="core.auditentry", actions=["view"], user=cast.grid_a)
    fresh = User.objects.get(pk=cast.grid_a.pk)  # the next request's user
    assert "audit_list" in urls(fresh)
    assert "audit_list" not in urls(User.objects.get(pk=cast.grid_b.pk))


def test_reverse_one_writes_what_reverse_writes():
    from django.urls import reverse

    from shuxiang.core.generic import reverse_one

    assert reverse_one("person_detail", 42) == reverse("person_detail", args=[42])
    assert reverse_one("iot:device_detail", "HS-01_a") == reverse("iot:device_detail", args=["HS-01_a"])
    assert reverse_one("iot:device_detail", 7) == reverse("iot:device_detail", args=[7])
    # text that reverse() quotes, and values an int route refuses, go through reverse() itself
    assert reverse_one("iot:device_detail", "水位 站") == reverse("iot:device_detail", args=["水位 站"])
    with pytest.raises(Exception):  # noqa: B017  (NoReverseMatch, as from reverse())
        reverse_one("person_detail", "abc")
