"""Fixtures every app's tests share: two townships (泉交河镇, 兰溪镇) and a user per role."""

import pytest
from rest_framework.test import APIClient

from shuxiang import testing


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
    """`client_for(user)` → a Django test client signed in as that user."""

    def make(user):
        from django.test import Client

        c = Client()
        c.force_login(user)
        return c

    return make


@pytest.fixture
def api_for():
    """`api_for(user)` → a DRF client authenticating with the user's API token."""

    def make(user):
        from shuxiang.core.services import do_issue_token

        c = APIClient()
        c.credentials(HTTP_AUTHORIZATION=f"Token {do_issue_token(user, actor=None)}")
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
    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
