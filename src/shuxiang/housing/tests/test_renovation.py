from datetime import date, timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from shuxiang.cases.models import Case
from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError
from shuxiang.housing import indicators, services
from shuxiang.housing.models import House, Renovation
from shuxiang.housing.tests.helpers import SAFE, appraise, house, photo
from shuxiang.indicators.periods import Period


def _open_renovation(place, grade="D", on=None):
    h = house(place, key_group="dibao")
    appraise(h, grade, on=on)
    return h, Renovation.objects.get(house=h)


def _start(renovation, on):
    return services.do_update_renovation(
        renovation, actor=OPERATOR, started_on=on, contractor="赫山区某建筑队", subsidy="35000"
    )


def _accept(renovation, on, photos=None, grade="A"):
    return services.do_accept_renovation(
        renovation,
        actor=OPERATOR,
        accepted_on=on,
        grade=grade,
        appraiser_name="区住建局 刘工",
        findings=SAFE,
        photos=[photo()] if photos is None else photos,
    )


def test_a_renovation_is_not_closed_without_acceptance_photos_or_a_safe_grade(places):
    h, renovation = _open_renovation(places.hamlet_a)
    today = timezone.localdate()
    with pytest.raises(ServiceError) as exc:
        _accept(renovation, today)
    assert "started_on" in exc.value.fields
    _start(renovation, today)
    with pytest.raises(ServiceError) as exc:
        _accept(renovation, today, photos=[])
    assert "photos" in exc.value.fields
    with pytest.raises(ServiceError) as exc:
        _accept(renovation, today, grade="C")
    assert "grade" in exc.value.fields
    renovation.refresh_from_db()
    h.refresh_from_db()
    assert renovation.status == "in_progress" and h.grade == "D" and h.appraisals.count() == 1
    # nor in the database: "accepted" needs an acceptance appraisal and a date
    with pytest.raises(IntegrityError), transaction.atomic():
        Renovation.objects.filter(pk=renovation.pk).update(status="accepted")


def test_starting_works_moves_the_case_into_progress_and_acceptance_closes_it(places):
    h, renovation = _open_renovation(places.hamlet_a)
    today = timezone.localdate()
    _start(renovation, today)
    assert Case.objects.get(pk=renovation.case_id).state == "in_progress"
    _accept(renovation, today)
    renovation.refresh_from_db()
    h.refresh_from_db()
    assert renovation.status == "accepted" and renovation.acceptance.kind == "acceptance"
    assert h.grade == "A" and h.dangerous_since is None
    case = Case.objects.get(pk=renovation.case_id)
    assert case.state == "closed"
    assert case.events.filter(action="resolve", note__contains="竣工验收").exists()
    with pytest.raises(ServiceError):
        _accept(renovation, today)


def test_the_zero_kpi_counts_open_key_houses_per_quarter_with_a_moved_clock(places):
    # 2026-02-10: a D house of a key household in 泉交河镇, a C house in 兰溪镇, an ordinary D house
    with time_machine.travel(date(2026, 2, 10), tick=False):
        h_a, renovation = _open_renovation(places.hamlet_a)
        _open_renovation(places.hamlet_b, grade="C")
        appraise(house(places.hamlet_a), "D")
    q1 = Period(2026, 1)
    rows = {place_id: n for place_id, n, _ in indicators.key_dangerous_open(q1, today=date(2026, 3, 31))}
    assert rows == {places.hamlet_a.pk: 1, places.hamlet_b.pk: 1}
    # before the appraisal the house was not yet known to be dangerous
    before = indicators.key_dangerous_open(Period(2025, 4), today=date(2026, 3, 31))
    assert before == []
    # works in April, accepted in May: Q1 keeps its open house, Q2 is zero for 泉交河镇
    with time_machine.travel(date(2026, 4, 5), tick=False):
        _start(renovation, date(2026, 4, 5))
    with time_machine.travel(date(2026, 5, 20), tick=False):
        _accept(renovation, date(2026, 5, 20))
        q2_now = {p: n for p, n, _ in indicators.key_dangerous_open(Period(2026, 2))}
    assert q2_now == {places.hamlet_b.pk: 1}
    q1_again = {p: n for p, n, _ in indicators.key_dangerous_open(q1, today=date(2026, 6, 1))}
    assert q1_again == {places.hamlet_a.pk: 1, places.hamlet_b.pk: 1}


def test_the_zero_indicator_is_computed_by_the_engine_and_rolls_up(places):
    from shuxiang.indicators import services as ind
    from shuxiang.indicators.models import DataValue, Indicator

    indicator = Indicator.objects.get(code="housing_key_dangerous_open")
    assert indicator.source == "computed" and indicator.computed_by == indicators.KEY_OPEN
    with time_machine.travel(date(2026, 2, 10), tick=False):
        _open_renovation(places.hamlet_a)
    with time_machine.travel(date(2026, 4, 2), tick=False):
        ind.do_refresh_computed(indicator, "2026Q1", actor=OPERATOR)
    value = DataValue.objects.get(indicator=indicator, period="2026Q1")
    assert value.place == places.hamlet_a and value.numerator == 1


def test_the_district_sees_every_open_key_house_and_how_long_it_has_been_open(places, cast, client_for):
    on = timezone.localdate() - timedelta(days=40)
    _open_renovation(places.hamlet_a, on=on)
    _open_renovation(places.hamlet_b, grade="C", on=on)
    page = client_for(cast.district).get("/housing/renovations/").content.decode()
    assert "泉交河镇" in page and "兰溪镇" in page
    assert '<b class="text-danger" id="zero-total">2</b>' in page
    assert "<td>40</td>" in page
    # a township officer sees only their own township's
    own = client_for(cast.township_a).get("/housing/renovations/").content.decode()
    assert '<b class="text-danger" id="zero-total">1</b>' in own and "兰溪镇" not in own


def test_acceptance_through_the_page(places, cast, client_for):
    h, renovation = _open_renovation(places.hamlet_a)
    web = client_for(cast.township_a)
    today = timezone.localdate().isoformat()
    r = web.post(
        f"/housing/renovations/{renovation.pk}/",
        {
            "step": "plan",
            "plan-kind": "rebuild",
            "plan-started_on": today,
            "plan-deadline": renovation.deadline.isoformat(),
            "plan-contractor": "某施工队",
        },
    )
    assert r.status_code == 302
    refused = web.post(
        f"/housing/renovations/{renovation.pk}/",
        {
            "step": "accept",
            "accept-grade": "A",
            "accept-appraised_on": today,
            "accept-appraiser_name": "刘工",
            "accept-level_foundation": "none",
            "accept-level_load_bearing": "none",
        },
    )
    assert refused.status_code == 200 and "竣工验收须上传改造后照片" in refused.content.decode()
    done = web.post(
        f"/housing/renovations/{renovation.pk}/",
        {
            "step": "accept",
            "accept-grade": "A",
            "accept-appraised_on": today,
            "accept-appraiser_name": "刘工",
            "accept-level_foundation": "none",
            "accept-level_load_bearing": "none",
            "accept-photos": [photo()],
        },
    )
    assert done.status_code == 302
    assert House.objects.get(pk=h.pk).grade == "A"


def test_a_grid_worker_may_not_accept_a_renovation(places, cast):
    _, renovation = _open_renovation(places.hamlet_a)
    _start(renovation, timezone.localdate())
    with pytest.raises(ServiceError) as exc:
        services.do_accept_renovation(
            renovation,
            actor=cast.grid_a,
            accepted_on=timezone.localdate(),
            grade="A",
            appraiser_name="x",
            findings=SAFE,
            photos=[photo()],
        )
    assert exc.value.status == 403
    assert Renovation.objects.get(pk=renovation.pk).status == "in_progress"


def test_a_renovation_case_is_not_resolved_in_the_queue_without_the_acceptance(
    places, cast, client_for, api_for
):
    """The cases queue, its API and the service all refuse to finish a renovation case by hand: the
    house stays in the "zero" count until an acceptance is recorded, which then closes the case."""
    from shuxiang.cases import services as cases

    h, renovation = _open_renovation(places.hamlet_a)
    today = timezone.localdate()
    _start(renovation, today)
    case = Case.objects.get(pk=renovation.case_id)
    officer = cast.township_a
    assert case.state == "in_progress"
    # the page does not offer 办结 and says how the case ends
    page = client_for(officer).get(f"/cases/{case.pk}/").content.decode()
    assert "登记竣工验收后自动办结" in page
    assert "resolve" not in cases.available_actions(officer, case)
    # the service refuses with the reason
    with pytest.raises(ServiceError) as exc:
        cases.do_resolve_case(case, actor=officer, note="已经修好了，办结")
    assert exc.value.code == "step_refused" and "竣工验收" in exc.value.message
    # a form post to the queue's step is refused, nothing written
    client_for(officer).post(f"/cases/{case.pk}/resolve/", {"note": "已经修好了，办结"})
    # the API: 409 with the one error shape
    answer = api_for(officer).post(f"/api/v1/cases/{case.pk}/resolve/", {"note": "已经修好了，办结"})
    assert answer.status_code == 409, answer.content
    assert "竣工验收" in answer.json()["message"]
    case.refresh_from_db()
    h.refresh_from_db()
    renovation.refresh_from_db()
    assert case.state == "in_progress" and not case.events.filter(action="resolve").exists()
    assert renovation.is_open and h.grade == "D" and h.dangerous_since is not None
    rows = {p: n for p, n, _ in indicators.key_dangerous_open(Period(today.year, (today.month - 1) // 3 + 1))}
    assert rows == {places.hamlet_a.pk: 1}
    # the acceptance finishes it: resolved and closed by the housing system, the house is cleared
    _accept(renovation, today)
    case.refresh_from_db()
    h.refresh_from_db()
    assert case.state == "closed" and h.grade == "A" and h.dangerous_since is None
    page = client_for(officer).get(f"/cases/{case.pk}/").content.decode()
    assert "已竣工验收" in page
