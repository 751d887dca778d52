"""Fixtures every app's tests share: two townships (泉交河镇, 兰溪镇) and a user per role."""

import pytest
from rest_framework.test import APIClient

from shuxiang import testing
from shuxiang.core.actors import OPERATOR


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache, as each would on a fresh server."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def places(db):
    return testing.build_places()


@pytest.fixture
def cast(places):
    return testing.build_cast(places)


@pytest.fixture
def client_for(client):
    """`client_for(user)` → a Django test client signed in as that user.

    force_login skips the sign-in form and so the second factor (core.two_factor) too: the session is
    marked here, explicitly, as having passed it, so admin and district users are fully signed in.
    Tests of two-factor sign-in itself go through the form (core/tests/test_two_factor.py).
    """

    def make(user):
        from django.test import Client

        from shuxiang.core.two_factor import mark_session

        c = Client()
        c.force_login(user)
        session = c.session
        mark_session(session, "totp")
        session.save()
        return c

    return make


@pytest.fixture
def api_for():
    """`api_for(user)` → a DRF client authenticating with the user's API token."""

    def make(user):
        from shuxiang.core.services import do_issue_token

        c = APIClient()
        c.credentials(HTTP_AUTHORIZATION=f"Token {do_issue_token(user, actor=OPERATOR)}")
        return c

    return make


@pytest.fixture
def anon_api():
    return APIClient()


@pytest.fixture(scope="session")
def chromium():
    """Debian's chromium driven by Playwright; never a downloaded browser."""
    import os
    import shutil

    executable = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(executable):
        pytest.fail("chromium is not installed: apt-get install chromium fonts-noto-cjk")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = (
        "true"  # Playwright's sync API runs an event loop in this thread
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=executable,
            args=[
                "--no-sandbox",
                "--disable-background-networking",
                "--disable-gpu",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def phone_page(chromium):
    """A page with a phone viewport (360×780, touch), closed after the test."""
    context = chromium.new_context(
        viewport={"width": 360, "height": 780},
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def desk_page(chromium):
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900},
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        accept_downloads=True,
    )
    page = context.new_page()
    yield page
    context.close()


def login(page, base_url, username, password):
    """Sign in through the form, and through the second factor where the user has or needs one:
    a required role without an authenticator enrols on the page (reading the key it shows), one with
    an authenticator types the current code — both computed as the phone app would."""
    from urllib.parse import urlparse

    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: urlparse(url).path != "/login/")
    path = urlparse(page.url).path
    if path == "/login/two-factor/":
        page.fill("input[name=code]", _fresh_totp_code(username))
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: urlparse(url).path != "/login/two-factor/")
    elif path == "/account/two-factor/":
        import pyotp

        page.click("#two-factor-start")
        secret = page.inner_text("#totp-secret").replace(" ", "")
        page.fill("#two-factor-enrol input[name=code]", pyotp.TOTP(secret).now())
        page.click("#two-factor-confirm")
        page.click("#codes-saved")
        page.wait_for_url(lambda url: urlparse(url).path != "/account/two-factor/")


def _fresh_totp_code(username):
    """A code the app shows now or in the next step (the server accepts both, for clock drift) that
    is not spent yet: a code is accepted once, and a test may sign the same user in twice in 30 s."""
    import time

    import pyotp

    from shuxiang.core.models import TwoFactorDevice

    device = TwoFactorDevice.objects.get(user__username=username)
    totp = pyotp.TOTP(device.secret)
    now = time.time()
    spent = device.last_used_step if device.last_used_step is not None else -1
    offset = 0 if totp.timecode(now) > spent else 1
    return totp.at(now, counter_offset=offset)
