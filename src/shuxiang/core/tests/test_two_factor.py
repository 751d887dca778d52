"""Two-factor sign-in (TOTP + recovery codes), through the real sign-in form with the Django test client.

Time is frozen and moved by hand: a TOTP code is accepted once, so each sign-in happens in a later
30-second step than the code used before it.
"""

import io
import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client

from shuxiang import testing
from shuxiang.core import two_factor
from shuxiang.core.models import AuditEntry, RecoveryCode, TwoFactorDevice

START = datetime(2025, 6, 2, 1, 0, 0, tzinfo=UTC)


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(START, tick=False)
    return time_machine


def enrol(user, clock):
    """Set up an authenticator for `user` as the enrolment page would; returns (totp, recovery codes)."""
    device = two_factor.do_start_totp_enrolment(user, actor=user)
    totp = pyotp.TOTP(device.secret)
    codes = two_factor.do_enrol_totp(user, totp.now(), actor=user)
    clock.shift(timedelta(seconds=30))  # the enrolment code's step is spent
    return totp, codes


def password_step(client, user, **extra):
    return client.post("/login/", {"username": user.username, "password": testing.PASSWORD, **extra})


def actions_for(user):
    return list(AuditEntry.objects.filter(object_id=str(user.pk)).values_list("action", flat=True))


# --- an enrolled user signs in with two steps ---------------------------------------------------


def test_admin_signs_in_with_password_then_code_from_the_app(cast, clock):
    totp, _ = enrol(cast.admin, clock)
    client = Client()
    response = password_step(client, cast.admin)
    assert response.status_code == 302 and response["Location"] == "/login/two-factor/"
    page = client.get("/login/two-factor/").content.decode()
    assert "动态验证码" in page and 'name="code"' in page
    response = client.post("/login/two-factor/", {"code": totp.now()})
    assert response.status_code == 302 and response["Location"] == "/"
    assert "我的待办" in client.get("/").content.decode()
    actions = actions_for(cast.admin)
    assert "two_factor_ok" in actions and "login" in actions


def test_after_the_password_alone_no_other_page_counts_the_user_as_signed_in(cast, clock):
    enrol(cast.admin, clock)
    client = Client()
    password_step(client, cast.admin)
    assert "_auth_user_id" not in client.session
    for path in ("/", "/people/", "/users/", "/account/two-factor/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), path
    assert client.get("/api/v1/people/").status_code in (401, 403)
    assert "login" not in actions_for(cast.admin)


def test_the_second_step_keeps_where_the_user_was_going(cast, clock):
    totp, _ = enrol(cast.admin, clock)
    client = Client()
    password_step(client, cast.admin, next="/people/")
    response = client.post("/login/two-factor/", {"code": totp.now()})
    assert response["Location"] == "/people/"


def test_a_wrong_code_is_refused_in_chinese_and_audited(cast, clock):
    totp, _ = enrol(cast.admin, clock)
    client = Client()
    password_step(client, cast.admin)
    wrong = f"{(int(totp.now()) + 1) % 1_000_000:06d}"
    page = client.post("/login/two-factor/", {"code": wrong}).content.decode()
    assert "验证码或恢复码不正确" in page
    assert "_auth_user_id" not in client.session
    assert actions_for(cast.admin).count("two_factor_failed") == 1


def test_a_code_is_accepted_only_once(cast, clock):
    totp, _ = enrol(cast.admin, clock)
    code = totp.now()
    first = Client()
    password_step(first, cast.admin)
    assert first.post("/login/two-factor/", {"code": code})["Location"] == "/"
    second = Client()
    password_step(second, cast.admin)
    assert "验证码或恢复码不正确" in second.post("/login/two-factor/", {"code": code}).content.decode()


def test_the_second_step_expires_after_five_minutes(cast, clock):
    totp, _ = enrol(cast.admin, clock)
    client = Client()
    password_step(client, cast.admin)
    clock.shift(timedelta(minutes=6))
    response = client.post("/login/two-factor/", {"code": totp.now()})
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert "_auth_user_id" not in client.session


def test_the_second_step_without_a_password_step_goes_back_to_sign_in(db, client):
    response = client.get("/login/two-factor/")
    assert response.status_code == 302 and response["Location"] == "/login/"


def test_typing_another_accounts_password_signs_the_previous_account_out(cast, clock, client_for):
    enrol(cast.admin, clock)
    client = client_for(cast.grid_a)
    assert client.get("/").status_code == 200
    password_step(client, cast.admin)
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302


def test_a_reset_during_the_second_step_sends_the_user_back_to_the_password(cast, clock):
    totp, _ = enrol(cast.district, clock)
    client = Client()
    password_step(client, cast.district)
    call_command("user", "reset-2fa", cast.district.username, stdout=io.StringIO())
    response = client.post("/login/two-factor/", {"code": totp.now()})
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert "_auth_user_id" not in client.session


def test_the_login_form_keeps_its_fields(db, client):
    page = client.get("/login/").content.decode()
    names = set(re.findall(r'name="([^"]+)"', page))
    assert {"username", "password", "csrfmiddlewaretoken"} <= names
    assert "code" not in names


# --- recovery codes -------------------------------------------------------------------------------


def test_a_recovery_code_signs_in_once(cast, clock):
    _, codes = enrol(cast.admin, clock)
    assert len(codes) == 10 and len(set(codes)) == 10
    client = Client()
    password_step(client, cast.admin)
    response = client.post("/login/two-factor/", {"code": codes[3].lower()}, follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert "还剩 9 个" in response.content.decode()
    actions = actions_for(cast.admin)
    assert "recovery_code_used" in actions and "two_factor_ok" in actions
    again = Client()
    password_step(again, cast.admin)
    assert "验证码或恢复码不正确" in again.post("/login/two-factor/", {"code": codes[3]}).content.decode()
    assert "_auth_user_id" not in again.session


def test_recovery_codes_are_stored_only_as_digests_and_the_secret_encrypted(cast, clock):
    totp, codes = enrol(cast.admin, clock)
    device = TwoFactorDevice.objects.get(user=cast.admin)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT secret FROM {TwoFactorDevice._meta.db_table} WHERE id = %s", [device.pk])
        (raw,) = cursor.fetchone()
    assert totp.secret not in raw
    stored = set(RecoveryCode.objects.filter(device=device).values_list("code_digest", flat=True))
    assert len(stored) == 10
    assert not {c.replace("-", "") for c in codes} & stored


def test_regenerating_recovery_codes_needs_a_current_code_and_voids_the_old_ones(cast, clock, client_for):
    totp, old = enrol(cast.grid_a, clock)
    web = client_for(cast.grid_a)
    refused = web.post("/account/two-factor/", {"action": "regenerate", "code": "000000"})
    assert "验证码不正确" in refused.content.decode()
    response = web.post("/account/two-factor/", {"action": "regenerate", "code": totp.now()})
    assert "no-store" in response["Cache-Control"]
    new = re.findall(r"<code>([A-Z0-9]{5}-[A-Z0-9]{5})</code>", response.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    clock.shift(timedelta(seconds=30))
    client = Client()
    password_step(client, cast.grid_a)
    assert "不正确" in client.post("/login/two-factor/", {"code": old[0]}).content.decode()
    assert client.post("/login/two-factor/", {"code": new[0]})["Location"] == "/"
    assert "recovery_regenerated" in actions_for(cast.grid_a)


# --- lockout, shared with passwords ---------------------------------------------------------------


def test_five_wrong_codes_lock_the_account_for_thirty_minutes(cast, clock):
    totp, _ = enrol(cast.admin, clock)
    client = Client()
    password_step(client, cast.admin)
    for _ in range(4):
        assert client.post("/login/two-factor/", {"code": "123456"}).status_code == 200
    locked = client.post("/login/two-factor/", {"code": "123456"})
    assert locked.status_code == 429 and "账号已临时锁定" in locked.content.decode()
    assert actions_for(cast.admin).count("two_factor_failed") == 5
    # Even the right password and code now fail, until the lockout ends.
    again = Client()
    assert "账号已临时锁定" in password_step(again, cast.admin).content.decode()
    assert "_auth_user_id" not in again.session
    clock.shift(timedelta(minutes=31))
    after = Client()
    assert password_step(after, cast.admin)["Location"] == "/login/two-factor/"
    assert after.post("/login/two-factor/", {"code": totp.now()})["Location"] == "/"


def test_wrong_passwords_and_wrong_codes_share_one_counter(cast, clock):
    enrol(cast.admin, clock)
    for _ in range(3):
        Client().post("/login/", {"username": cast.admin.username, "password": "Wrong-pass-9"})
    client = Client()
    password_step(client, cast.admin)
    assert client.post("/login/two-factor/", {"code": "123456"}).status_code == 200
    assert client.post("/login/two-factor/", {"code": "123456"}).status_code == 429


def test_a_locked_account_is_refused_at_the_second_step_before_checking_the_code(cast, clock):
    totp, _ = enrol(cast.admin, clock)
    client = Client()
    password_step(client, cast.admin)
    other = Client()
    password_step(other, cast.admin)
    for _ in range(5):
        other.post("/login/two-factor/", {"code": "123456"})
    response = client.post("/login/two-factor/", {"code": totp.now()})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


# --- enrolment ----------------------------------------------------------------------------------


def test_a_district_user_without_an_authenticator_is_taken_to_enrolment_and_kept_there(cast, clock):
    client = Client()
    response = password_step(client, cast.district)
    assert response.status_code == 302 and response["Location"].startswith("/account/two-factor/")
    for path in ("/", "/people/", "/password/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/account/two-factor/"), path
    assert client.get("/api/v1/people/").status_code == 403
    page = client.get("/account/two-factor/").content.decode()
    assert "必须启用两步验证" in page and "退出登录" in page
    assert client.post("/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_enrolment_shows_a_local_qr_code_and_the_key_and_confirms_with_a_code(cast, clock):
    client = Client()
    password_step(client, cast.district, next="/people/")
    response = client.post("/account/two-factor/", {"action": "start", "next": "/people/"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    secret = re.search(r'id="totp-secret"[^>]*>([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    assert "<svg" in page and "http" not in re.search(r"<svg.*?</svg>", page, re.S).group(0).replace(
        "http://www.w3.org/2000/svg", ""
    )
    refused = client.post("/account/two-factor/", {"action": "confirm", "code": "000000", "next": "/people/"})
    assert "验证码不正确" in refused.content.decode()
    done = client.post(
        "/account/two-factor/", {"action": "confirm", "code": pyotp.TOTP(secret).now(), "next": "/people/"}
    )
    assert "no-store" in done["Cache-Control"]
    body = done.content.decode()
    assert len(re.findall(r"<code>[A-Z0-9]{5}-[A-Z0-9]{5}</code>", body)) == 10
    assert 'href="/people/"' in body
    assert client.get("/people/").status_code == 200
    assert two_factor.is_enrolled(cast.district)
    assert "two_factor_enrol" in actions_for(cast.district)
    # The next sign-in asks for a code.
    clock.shift(timedelta(seconds=30))
    assert password_step(Client(), cast.district)["Location"] == "/login/two-factor/"


def test_roles_outside_the_setting_sign_in_with_the_password_alone(cast, clock):
    client = Client()
    assert password_step(client, cast.grid_a)["Location"] == "/"
    assert client.get("/").status_code == 200
    page = client.get("/account/two-factor/").content.decode()
    assert "未启用" in page and "可选" in page


def test_the_required_roles_come_from_the_setting(cast, clock, settings):
    settings.TWO_FACTOR_REQUIRED_ROLES = ["township"]
    assert password_step(Client(), cast.district)["Location"] == "/"
    assert password_step(Client(), cast.township_a)["Location"].startswith("/account/two-factor/")


def test_an_unknown_role_in_the_setting_is_a_configuration_error(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.TWO_FACTOR_REQUIRED_ROLES = ["admin", "distrct"]
    with pytest.raises(ImproperlyConfigured, match="distrct"):
        two_factor.required_roles()


def test_an_optional_user_may_enrol_and_then_switch_it_off_with_a_code(cast, clock, client_for):
    totp, _ = enrol(cast.grid_a, clock)
    client = Client()
    password_step(client, cast.grid_a)
    client.post("/login/two-factor/", {"code": totp.now()})
    clock.shift(timedelta(seconds=30))
    response = client.post("/account/two-factor/", {"action": "disable", "code": totp.now()})
    assert response.status_code == 302
    assert not two_factor.is_enrolled(cast.grid_a)
    assert "two_factor_disabled" in actions_for(cast.grid_a)
    assert password_step(Client(), cast.grid_a)["Location"] == "/"


def test_a_required_role_cannot_switch_it_off(cast, clock, client_for):
    totp, _ = enrol(cast.admin, clock)
    web = client_for(cast.admin)
    page = web.get("/account/two-factor/").content.decode()
    assert "停用两步验证" not in page
    response = web.post("/account/two-factor/", {"action": "disable", "code": totp.now()})
    assert "必须使用两步验证" in response.content.decode()
    assert two_factor.is_enrolled(cast.admin)


def test_a_session_that_skipped_the_second_factor_is_ended(cast, clock):
    enrol(cast.admin, clock)
    client = Client()
    client.force_login(cast.admin)  # as a session from before enrolment would be
    response = client.get("/people/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert "_auth_user_id" not in client.session


# --- the lost phone: another administrator resets -----------------------------------------------


def test_an_admin_resets_a_users_second_factor_from_the_user_page(cast, clock, client_for):
    enrol(cast.district, clock)
    admin = client_for(cast.admin)
    page = admin.get(f"/users/{cast.district.pk}/edit/").content.decode()
    assert "重置两步验证" in page
    response = admin.post(f"/users/{cast.district.pk}/two-factor/reset/")
    assert response.status_code == 302 and response["Location"] == f"/users/{cast.district.pk}/edit/"
    assert not TwoFactorDevice.objects.filter(user=cast.district).exists()
    entry = AuditEntry.objects.get(action="two_factor_reset")
    assert entry.actor == cast.admin and entry.object_id == str(cast.district.pk)
    # The user enrols again at the next sign-in.
    assert password_step(Client(), cast.district)["Location"].startswith("/account/two-factor/")


def test_a_township_officer_cannot_reset_anyones_second_factor(cast, clock, client_for):
    enrol(cast.district, clock)
    response = client_for(cast.township_a).post(f"/users/{cast.district.pk}/two-factor/reset/")
    assert response.status_code in (403, 404)
    assert two_factor.is_enrolled(cast.district)


def test_an_admin_cannot_reset_their_own_second_factor(cast, clock, client_for):
    enrol(cast.admin, clock)
    admin = client_for(cast.admin)
    assert "重置两步验证" not in admin.get(f"/users/{cast.admin.pk}/edit/").content.decode()
    admin.post(f"/users/{cast.admin.pk}/two-factor/reset/")
    assert two_factor.is_enrolled(cast.admin)


def test_the_cli_resets_a_users_second_factor(cast, clock, capsys):
    enrol(cast.admin, clock)
    call_command("user", "reset-2fa", cast.admin.username)
    assert "已重置" in capsys.readouterr().out
    assert not TwoFactorDevice.objects.filter(user=cast.admin).exists()
    entry = AuditEntry.objects.get(action="two_factor_reset")
    assert entry.source == "cli" and entry.actor is None
    with pytest.raises(CommandError, match="未设置两步验证"):
        call_command("user", "reset-2fa", cast.admin.username)
    with pytest.raises(CommandError, match="不存在"):
        call_command("user", "reset-2fa", "nobody")


# --- the API stays on tokens --------------------------------------------------------------------


def test_an_enrolled_admins_token_from_the_cli_works_on_the_api(cast, clock, capsys):
    from rest_framework.test import APIClient

    enrol(cast.admin, clock)
    call_command("token", cast.admin.username)
    key = capsys.readouterr().out.strip().splitlines()[-1]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/people/").status_code == 200


def test_an_unenrolled_admins_token_works_on_the_api(cast, clock, capsys):
    from rest_framework.test import APIClient

    call_command("token", cast.admin.username)
    key = capsys.readouterr().out.strip().splitlines()[-1]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/people/").status_code == 200


# --- on a phone, in Debian's chromium ------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_district_user_enrols_and_signs_in_again_with_a_code_on_a_phone(live_server, phone_page):
    from urllib.parse import urlparse

    from shuxiang.conftest import login

    places = testing.build_places()
    cast = testing.build_cast(places)
    base, page = live_server.url, phone_page
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(base) else None)

    page.goto(f"{base}/login/")
    page.fill("input[name=username]", cast.district.username)
    page.fill("input[name=password]", testing.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: urlparse(url).path == "/account/two-factor/")
    assert "必须启用两步验证" in page.content()
    page.goto(f"{base}/people/")  # nothing else opens before enrolment
    assert urlparse(page.url).path == "/account/two-factor/"
    page.click("#two-factor-start")
    assert page.locator(".qr svg").is_visible()
    secret = page.inner_text("#totp-secret").replace(" ", "")
    page.fill("#two-factor-enrol input[name=code]", pyotp.TOTP(secret).now())
    page.click("#two-factor-confirm")
    assert page.locator(".recovery-codes li").count() == 10
    page.click("#codes-saved")  # on to the page first asked for
    page.wait_for_url(lambda url: urlparse(url).path == "/people/")
    page.click(".menu-toggle")
    page.click("#logout")
    page.wait_for_selector("text=登录数乡")

    # The next sign-in asks for the app's code (the helper types it, waiting for a fresh step).
    login(page, base, cast.district.username, testing.PASSWORD)
    page.wait_for_selector("h2:has-text('我的待办')")
    assert outside == []
