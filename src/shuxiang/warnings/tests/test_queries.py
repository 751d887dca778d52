import pytest

from shuxiang.warnings.tests.helpers import endpoint, issue

pytestmark = pytest.mark.django_db


def test_warning_list_and_live_board_cost_the_same_queries_for_many_warnings_and_endpoints(
    officers,
    places,
    gateways,
    api_for,
    client_for,
    django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
):
    for i in range(30):
        endpoint(places.village_a if i % 2 else places.village_b, gateways.url(f"e{i}"), f"大喇叭{i}")
    warnings = [
        issue(
            officers, [places.district.code], django_capture_on_commit_callbacks, colour="blue", signal="gale"
        )
        for _ in range(6)
    ]
    api, web = api_for(officers.weather), client_for(officers.weather)
    with django_assert_max_num_queries(12):
        assert len(api.get("/api/v1/warnings/").json()["results"]) == 6
    with django_assert_max_num_queries(15):  # session, user, menu and pending-work queries included
        assert web.get(f"/warnings/{warnings[0].pk}/board/").status_code == 200
    with django_assert_max_num_queries(14):
        assert len(api.get(f"/api/v1/warnings/{warnings[0].pk}/deliveries/").json()["results"]) == 30
