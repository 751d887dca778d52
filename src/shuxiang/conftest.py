"""Fixtures every app's tests share: two townships (泉交河镇, 兰溪镇) and a user per role."""

import pytest
from rest_framework.test import APIClient

from shuxiang import testing


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
