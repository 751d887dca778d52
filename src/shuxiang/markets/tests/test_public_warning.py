"""A price level becomes a public warning through the warnings engine: the 农产品价格预警 signal
type, issued from the price-warning page by district staff, once per period, audited."""

import pytest

from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import AuditEntry
from shuxiang.markets import monitor, public_warning
from shuxiang.markets.models import PublicPriceWarning, WarningLevel
from shuxiang.markets.tests.conftest import weekly
from shuxiang.warnings.models import SignalType, Warning

pytestmark = pytest.mark.django_db


@pytest.fixture
def crisis(catalogue, points, places):
    """Hogs of 泉交河镇 in crisis on the 猪粮比 (4.8:1); 兰溪镇 normal."""
    weekly(points["a"], catalogue["maize"], [2.40] * 20)
    weekly(points["a"], catalogue["hog"], [16.0] * 15 + [14.2, 13.6, 13.4, 13.3, 11.5])
    weekly(points["b"], catalogue["maize"], [2.40] * 20)
    weekly(points["b"], catalogue["hog"], [16.0] * 20)
    monitor.do_recompute_warnings(actor=OPERATOR)
    return WarningLevel.objects.get(
        product=catalogue["hog"], place=places.township_a, method__code="hog_grain", is_current=True
    )


def test_the_price_signal_type_is_registered_with_the_engine():
    stype = SignalType.objects.get(code="farm_price")
    assert stype.name == "农产品价格预警" and stype.colours == ["blue", "yellow"]
    assert "12315" in stype.guides["yellow"]


def test_a_crisis_level_is_issued_to_the_township_as_a_yellow_public_warning(crisis, cast, places):
    assert crisis.level == "crisis"
    link = public_warning.do_issue_price_warning(crisis, actor=cast.district)
    warning = Warning.objects.get(pk=link.warning_id)
    assert warning.status == "issued" and warning.colour == "yellow"
    assert warning.signal_type.code == "farm_price"
    assert warning.headline.startswith("农产品价格预警：泉交河镇生猪价格危机")
    assert "猪粮比" in warning.description and "12315" in warning.instruction
    assert [p.code for p in warning.areas.all()] == [places.township_a.code]
    assert AuditEntry.objects.filter(object_type="markets.publicpricewarning", action="create").exists()
    # The link outlives the nightly recomputation, which replaces the level rows.
    monitor.do_recompute_warnings(actor=OPERATOR)
    fresh = WarningLevel.objects.get(
        pk__gt=0, product=crisis.product, place=crisis.place, method=crisis.method, is_current=True
    )
    with pytest.raises(ServiceError) as again:
        public_warning.do_issue_price_warning(fresh, actor=cast.district)
    assert again.value.code == "duplicate"
    assert Warning.objects.count() == 1


def test_normal_levels_stale_levels_and_people_without_the_duty_are_refused(crisis, cast, catalogue, places):
    normal = WarningLevel.objects.get(
        product=catalogue["hog"], place=places.township_b, method__code="hog_grain", is_current=True
    )
    with pytest.raises(ServiceError) as refused:
        public_warning.do_issue_price_warning(normal, actor=cast.district)
    assert "只有警戒、危机级别" in refused.value.fields["level"][0]
    old = WarningLevel.objects.filter(
        product=catalogue["hog"], place=places.township_a, method__code="hog_grain", is_current=False
    ).first()
    with pytest.raises(ServiceError):
        public_warning.do_issue_price_warning(old, actor=cast.district)
    # A township officer has no grant; the agriculture bureau has no warnings duty in the engine.
    for who in (cast.township_a, cast.department):
        with pytest.raises(ServiceError):
            public_warning.do_issue_price_warning(crisis, actor=who)
    assert not Warning.objects.exists() and not PublicPriceWarning.objects.exists()


def test_the_warnings_page_offers_publishing_and_the_form_issues_it(crisis, cast, client_for):
    page = client_for(cast.district).get("/markets/warnings/?level=crisis").content.decode()
    url = f"/markets/warnings/{crisis.pk}/publish/"
    assert url in page
    assert url not in client_for(cast.township_a).get("/markets/warnings/").content.decode()
    form = client_for(cast.district).get(url)
    assert form.status_code == 200 and "泉交河镇生猪价格危机" in form.content.decode()
    bad = client_for(cast.district).post(url, {"headline": "x", "description": "太短", "days": 7})
    assert bad.status_code == 400 and "内容至少10个字" in bad.content.decode()
    assert not Warning.objects.exists()
    done = client_for(cast.district).post(
        url,
        {
            "headline": "泉交河镇生猪价格危机",
            "description": "生猪出栏价跌破猪粮比5:1，请养殖户合理安排出栏。",
            "days": 7,
        },
    )
    warning = Warning.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/warnings/{warning.pk}/"
    assert "已发布" in client_for(cast.district).get("/markets/warnings/?level=crisis").content.decode()
    assert client_for(cast.township_a).get(url).status_code == 403
