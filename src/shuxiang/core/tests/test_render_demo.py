"""The demo builds every module, and every page renders for its objects: no template error waits for the
first user who opens it.

The demo is built once (its printed accounts and realism checked first); then every HTML and API route that shows one object is requested as the admin for
the objects of its model (all of them for the small registries, an even spread of 40 for the big ones), and
every route without parameters once. Any 5xx fails the test with the URL. The producer page, which failed
for every producer on a missing URL name, is the kind of defect this catches.
"""

import io

import pytest
from django.core.management import call_command

from shuxiang.core.tests.test_access_matrix import DEFAULT_KWARGS, all_routes, is_api
from shuxiang.core.tests.test_scope_walk import GROUP, build_path, route_model

SPREAD = 40


def _objects(model):
    qs = model._default_manager.order_by("pk")
    total = qs.count()
    if total <= SPREAD:
        return list(qs)
    step = total // SPREAD
    pks = list(qs.values_list("pk", flat=True)[::step][:SPREAD])
    return list(qs.filter(pk__in=pks))


@pytest.mark.django_db(transaction=True)
def test_the_demo_builds_every_module_and_every_page_renders_for_its_objects(client_for, api_for, settings):
    """One demo build serves both checks: building it is the suite's most expensive step."""
    from shuxiang.core.models import Place, User
    from shuxiang.core.tests.demo_checks import assert_demo_is_realistic
    from shuxiang.demo import builder

    settings.MQTT_URL = ""  # as under `make run`
    out = io.StringIO()
    call_command("demo", stdout=out)
    text = out.getvalue()
    assert "admin" in text and builder.DEMO_PASSWORD in text
    assert Place.objects.filter(level=2).count() == 18
    assert Place.objects.get(code="430972109000").parent.code == "430903000000"  # 谢林港镇
    assert not Place.objects.filter(level__gte=3, synthetic=False).exists()
    for label, _ in builder.app_builders():
        assert f"已生成 {label} 演示数据" in text
    assert_demo_is_realistic()

    admin = User.objects.get(username="admin")
    web, api = client_for(admin), api_for(admin)
    failures, checked = [], 0
    for route, callback in all_routes():
        client = api if is_api(route, callback) else web
        if GROUP.search(route) is None:
            urls = [build_path(route, {})]
        else:
            info = route_model(callback)
            if info is None:
                continue  # parameterised routes without a model (workflow verbs, tokens): each app's tests
            model, lookup, _ = info
            urls = []
            for obj in _objects(model):
                values = dict(DEFAULT_KWARGS)
                values.update({lookup: getattr(obj, lookup, obj.pk), "pk": obj.pk})
                if hasattr(obj, "code"):
                    values["code"] = obj.code
                urls.append(build_path(route, values))
        for url in urls:
            if url is None:
                continue
            response = client.get(url)
            checked += 1
            if response.status_code >= 500:
                failures.append(f"GET {url} → {response.status_code}")
    assert checked > 300
    assert failures == [], "\n".join(failures[:50])
