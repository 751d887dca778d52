"""Grants: who may do what, changed by admins and the CLI, effective at once, audited, refusals recorded."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from shuxiang.core import grants, services
from shuxiang.core.actors import OPERATOR, Actor, as_actor
from shuxiang.core.choices import Role
from shuxiang.core.errors import Forbidden, ServiceError
from shuxiang.core.models import AuditEntry, Grant, Place
from shuxiang.core.permissions import has_perm, require

pytestmark = pytest.mark.django_db


def test_a_bare_string_or_none_is_never_an_actor(places):
    for bad in ("cli", "monitoring:t_admin", None):
        with pytest.raises(TypeError):
            services.do_create_person(actor=bad, name="张三", place=places.hamlet_a)
        with pytest.raises(TypeError):
            as_actor(bad)
    with pytest.raises(ValueError):
        Actor.system("root")


def test_system_actors_hold_only_their_declared_grants(places):
    assert has_perm(OPERATOR, "core.person.add")
    assert not has_perm(Actor.system("tasks"), "core.person.add")
    assert not has_perm(Actor.device("4309000001"), "core.person.view")
    with pytest.raises(Forbidden):
        services.do_create_person(actor=Actor.system("listener"), name="张三", place=places.hamlet_a)


def test_on_behalf_is_checked_as_the_person_and_audited_with_them(cast, places):
    actor = Actor.on_behalf(cast.grid_a, via="monitoring")
    person = services.do_create_person(actor=actor, name="李四", place=places.hamlet_a)
    entry = AuditEntry.objects.get(object_type="core.person", object_id=str(person.pk), action="create")
    assert entry.actor == cast.grid_a and "monitoring" in entry.actor_label
    with pytest.raises(ServiceError):
        services.do_create_person(actor=actor, name="王五", place=places.hamlet_b)


def test_bank_client_sees_no_people_and_no_menu(cast, places, api_for):
    services.do_create_person(actor=OPERATOR, name="赵六", place=places.hamlet_a)
    api = api_for(cast.bank)
    assert api.get("/api/v1/people/").status_code == 403
    assert api.get("/api/v1/places/").status_code == 403
    assert not has_perm(cast.bank, "core.web.use")


def test_api_only_account_cannot_sign_in_to_the_web(cast, client):
    from shuxiang.testing import PASSWORD

    response = client.post("/login/", {"username": cast.bank.username, "password": PASSWORD})
    assert "接口账号" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_cli_grant_applies_at_once_to_the_user_and_is_listed(cast, api_for):
    api = api_for(cast.bank)
    assert api.get("/api/v1/places/").status_code == 403
    out = StringIO()
    call_command(
        "user",
        "grant",
        cast.bank.username,
        "--action",
        "view",
        "--type",
        "core.place",
        "--constraint",
        json.dumps({"level": 2}),
        stdout=out,
    )
    assert "core.place" in out.getvalue()
    answer = api.get("/api/v1/places/?page_size=100").json()
    assert answer["count"] == 2 and {p["level"] for p in answer["results"]} == {"township"}
    listing = StringIO()
    call_command("user", "grants", cast.bank.username, stdout=listing)
    lines = listing.getvalue().strip().splitlines()
    assert any(line.startswith("core.place\tview\t") and '"level": 2' in line for line in lines)
    assert AuditEntry.objects.filter(action="grant", object_type="core.grant").exists()


def test_role_grants_cover_users_made_later_with_user_add(places):
    call_command(
        "user", "add", "new_grid", "--role", "grid", "--place", places.village_a.code, stdout=StringIO()
    )
    listing = StringIO()
    call_command("user", "grants", "new_grid", stdout=listing)
    assert "cases.case" in listing.getvalue() or "core.person" in listing.getvalue()
    assert "core.web\tuse" in listing.getvalue()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--type", "nosuch.thing", "--action", "view"], "未知的对象类型"),
        (["--type", "core.place", "--action", "fly"], "没有操作"),
        (["--type", "core.place", "--action", "view", "--constraint", "{bad"], "JSON"),
        (["--type", "core.place", "--action", "view", "--constraint", '{"nosuchfield": 1}'], "限定条件无效"),
    ],
)
def test_a_malformed_grant_is_refused_with_a_clear_error_and_nothing_written(cast, args, message):
    before = Grant.objects.count()
    with pytest.raises(CommandError) as exc:
        call_command("user", "grant", cast.bank.username, *args, stdout=StringIO())
    assert message in str(exc.value)
    assert Grant.objects.count() == before


def test_admin_sees_and_edits_grants_in_the_browser_and_changes_are_audited(cast, client_for):
    web = client_for(cast.admin)
    page = web.get(f"/users/{cast.grid_a.username}/permissions/")
    assert page.status_code == 200 and "core.person" in page.content.decode()
    response = web.post(
        "/grants/add/",
        {
            "username": cast.grid_a.username,
            "object_type": "core.unit",
            "actions": "add",
            "constraint": "",
            "note": "",
        },
    )
    assert response.status_code == 302
    grant = Grant.objects.get(user=cast.grid_a, object_type="core.unit")
    assert grant.actions == ["add"]
    assert AuditEntry.objects.filter(action="grant", object_id=str(grant.pk)).exists()
    web.post(f"/grants/{grant.pk}/delete/")
    assert not Grant.objects.filter(pk=grant.pk).exists()
    assert client_for(cast.township_a).get("/grants/").status_code == 403
    assert client_for(cast.township_a).get(f"/users/{cast.grid_a.username}/permissions/").status_code == 403


def test_revoking_a_builtin_role_grant_takes_effect_at_once_and_survives_migrate(cast, client_for):
    from shuxiang.core.permissions import sync_builtin_grants

    builtin = Grant.objects.get(role=Role.GRID, object_type="core.unit", builtin=True)
    assert client_for(cast.grid_a).get("/units/").status_code == 200
    grants.do_delete_grant(builtin, actor=cast.admin)
    assert client_for(cast.grid_a).get("/units/").status_code == 403
    sync_builtin_grants()
    assert client_for(cast.grid_a).get("/units/").status_code == 403


def test_the_gate_answers_404_for_an_object_outside_the_region(cast, places):
    other = services.do_create_person(actor=OPERATOR, name="外镇", place=places.hamlet_b)
    from shuxiang.core.errors import NotFound

    with pytest.raises(NotFound):
        require(cast.township_a, "core.person.change", other)
    with pytest.raises(ServiceError) as exc:
        require(cast.township_a, "core.person.add", Place.objects.get(pk=places.hamlet_b.pk))
    assert exc.value.code == "out_of_scope"


def test_refused_requests_are_audited_but_a_scan_cannot_flood_the_log(cast, places, client_for):
    from django.core.cache import cache

    from shuxiang.core.access import REFUSAL_LIMIT

    cache.clear()
    other = services.do_create_person(actor=OPERATOR, name="外镇", place=places.hamlet_b)
    web = client_for(cast.township_a)
    for _ in range(REFUSAL_LIMIT + 15):
        assert web.get(f"/people/{other.pk}/").status_code == 404
    refusals = AuditEntry.objects.filter(action="refused", actor=cast.township_a)
    assert refusals.count() == REFUSAL_LIMIT + 1
    assert "不再逐条记录" in refusals.order_by("-pk").first().object_repr
    assert client_for(cast.grid_a).get("/audit/").status_code == 403
    assert AuditEntry.objects.filter(action="refused", actor=cast.grid_a).exists()


def test_a_public_file_is_served_to_anyone_and_a_private_one_only_in_scope(cast, places, client, client_for):
    from shuxiang.core.files import store_attachment

    person = services.do_create_person(actor=OPERATOR, name="附件主人", place=places.hamlet_b)
    pdf = b"%PDF-1.4\n%test\n"
    public = store_attachment(
        pdf,
        owner=person,
        place=places.hamlet_b,
        actor=OPERATOR,
        kind="document",
        is_public=True,
        name="r.pdf",
    )
    private = store_attachment(
        pdf,
        owner=person,
        place=places.hamlet_b,
        actor=OPERATOR,
        kind="document",
        is_public=False,
        name="n.pdf",
    )
    assert client.get(f"/attachments/{public.pk}").status_code == 200
    assert client.get(f"/attachments/{private.pk}").status_code == 404
    assert client_for(cast.township_a).get(f"/attachments/{private.pk}").status_code == 404
    assert client_for(cast.township_b).get(f"/attachments/{private.pk}").status_code == 200
