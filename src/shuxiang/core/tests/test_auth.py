import pytest
from django.conf import settings

from shuxiang.core import services
from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError


def test_five_wrong_passwords_lock_the_account(cast, client):
    for _ in range(5):
        client.post("/login/", {"username": "t_grid", "password": "Wrong-pass-9"})
    response = client.post("/login/", {"username": "t_grid", "password": "Test-pass-2025"})
    assert "账号已临时锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_correct_password_signs_in_and_lands_on_pending_work(cast, client):
    response = client.post("/login/", {"username": "t_grid", "password": "Test-pass-2025"}, follow=True)
    assert "我的待办" in response.content.decode()


def test_wrong_password_shows_a_chinese_message(cast, client):
    response = client.post("/login/", {"username": "t_grid", "password": "nope"})
    assert "用户名或密码错误" in response.content.decode()


@pytest.mark.parametrize("weak", ["short1A", "alllowercaseletters", "ALLUPPER1234"])
def test_weak_passwords_are_refused(cast, weak):
    with pytest.raises(ServiceError) as exc:
        services.do_set_password(cast.grid_a, actor=cast.admin, password=weak)
    assert exc.value.code == "weak_password"


def test_sessions_expire_after_thirty_idle_minutes_renewed_at_most_once_a_minute(cast, client):
    """The idle timeout counts from the last request, to within a minute; a page view inside that
    minute writes nothing (it was a session write on every request)."""
    from unittest import mock

    from django.contrib.sessions.models import Session

    assert settings.SESSION_COOKIE_AGE == 30 * 60 and settings.SESSION_RENEW_SECONDS == 60
    client.post("/login/", {"username": "t_grid", "password": "Test-pass-2025"})
    key = client.session.session_key
    expiry = Session.objects.get(session_key=key).expire_date
    now = __import__("time").time()
    with mock.patch("shuxiang.core.middleware.time.time", return_value=now + 30):
        assert client.get("/").status_code == 200
    assert Session.objects.get(session_key=key).expire_date == expiry  # nothing written
    with mock.patch("shuxiang.core.middleware.time.time", return_value=now + 90):
        response = client.get("/")
    assert response.status_code == 200 and settings.SESSION_COOKIE_NAME in response.cookies
    assert Session.objects.get(session_key=key).expire_date > expiry  # renewed: a fresh 30 minutes


def test_pages_require_sign_in(db, client):
    response = client.get("/people/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_every_page_forbids_outside_scripts_and_framing(cast, client_for):
    response = client_for(cast.district).get("/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_api_tokens_are_stable_and_stored_encrypted(cast):
    from shuxiang.core.models import ApiToken

    first = services.do_issue_token(cast.grid_a, actor=OPERATOR)
    assert services.do_issue_token(cast.grid_a, actor=OPERATOR) == first
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT key FROM {ApiToken._meta.db_table} WHERE user_id = %s", [cast.grid_a.pk])
        raw = cursor.fetchone()[0]
    assert first not in raw
    assert services.authenticate_token(first) == cast.grid_a


def test_deactivated_users_token_stops_working(cast, api_for):
    api = api_for(cast.grid_a)
    services.do_update_user(cast.grid_a, actor=cast.admin, is_active=False)
    assert api.get("/api/v1/places/").status_code == 401


def test_healthz_reports_the_database(db, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok" and response.json()["database"]["status"] == "ok"


def test_healthz_names_an_unreachable_redis(db, client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["redis"]["status"] == "error"


def test_healthz_checks_the_real_redis(db, client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:6379/15"
    assert client.get("/healthz").json()["redis"]["status"] == "ok"


def test_admin_sees_a_locked_account_and_unlocks_it(cast, client, client_for):
    for _ in range(5):
        client.post("/login/", {"username": "t_grid", "password": "Wrong-pass-9"})
    admin = client_for(cast.admin)
    assert "因多次登录失败被锁定的账号" in admin.get("/").content.decode()
    assert "该账号因连续登录失败已被锁定" in admin.get(f"/users/{cast.grid_a.pk}/edit/").content.decode()
    admin.post(f"/users/{cast.grid_a.pk}/unlock/")
    response = client.post("/login/", {"username": "t_grid", "password": "Test-pass-2025"}, follow=True)
    assert "我的待办" in response.content.decode()


def test_township_officer_cannot_unlock_accounts(cast, client_for):
    assert client_for(cast.township_a).post(f"/users/{cast.grid_a.pk}/unlock/").status_code == 403


def test_department_users_act_only_in_their_units_domains(cast):
    from shuxiang.core.permissions import in_domain

    assert in_domain(cast.department, "trace")  # 区农业农村局 holds cases and trace
    assert not in_domain(cast.department, "warnings")
    assert in_domain(cast.township_a, "warnings")


def test_a_signed_in_request_reads_the_users_place_in_one_query_without_its_boundary(cast, client, places):
    """A real township boundary is hundreds of kilobytes of GeoJSON: not read on every request."""
    from django.contrib.auth import BACKEND_SESSION_KEY

    from shuxiang.core.backends import ModelBackend
    from shuxiang.core.models import ApiToken, Place

    Place.objects.filter(pk=cast.grid_a.place_id).update(
        geometry={
            "type": "Polygon",
            "coordinates": [[[112.3, 28.5], [112.4, 28.5], [112.4, 28.6], [112.3, 28.5]]],
        }
    )
    client.post("/login/", {"username": "t_grid", "password": "Test-pass-2025"})
    assert client.session[BACKEND_SESSION_KEY] == "shuxiang.core.backends.ModelBackend"
    user = ModelBackend().get_user(cast.grid_a.pk)
    assert "place" in user._state.fields_cache and "geometry" in user.place.get_deferred_fields()
    assert user.place.geometry["type"] == "Polygon"  # still there for the pages that draw it
    key = services.do_issue_token(cast.grid_a, actor=OPERATOR)
    by_token = services.authenticate_token(key)
    assert by_token == cast.grid_a and "geometry" in by_token.place.get_deferred_fields()
    assert ApiToken.objects.filter(user=cast.grid_a).exists()
