"""What a case page offers first (issue 14 §5): a grid worker's phone opened 退回 by default; the
dispatch form asked for a typed username."""

import re

import pytest

from shuxiang.cases import services
from shuxiang.cases.choices import TRANSITIONS, default_step

pytestmark = pytest.mark.django_db


def opened_steps(html: str) -> list[str]:
    return re.findall(r'<details class="action" data-action="(\w+)" open>', html)


def test_a_grid_worker_on_a_dispatched_case_gets_start_open_not_return(client_for, cast, open_case):
    case = open_case()
    services.do_accept_case(case, actor=cast.township_a)
    services.do_dispatch_case(case, actor=cast.township_a, assignee="t_grid", note="请处理")
    html = client_for(cast.grid_a).get(f"/cases/{case.pk}/").content.decode()
    assert 'data-action="return"' in html  # still offered, just not opened
    assert opened_steps(html) == ["start"]


def test_a_new_case_opens_accept_for_the_township(client_for, cast, open_case):
    case = open_case()
    html = client_for(cast.township_a).get(f"/cases/{case.pk}/").content.decode()
    assert opened_steps(html) == ["accept"]


def test_backward_and_side_steps_are_never_the_default():
    steps = [TRANSITIONS[a] for a in ("return", "note", "escalate", "resolve")]
    assert default_step(steps).action == "resolve"
    assert default_step([TRANSITIONS["return"]]).action == "return"
    assert default_step([]) is None


def test_the_dispatcher_picks_the_assignee_by_name_from_those_who_may_handle_it(client_for, cast, open_case):
    case = open_case()
    html = client_for(cast.township_a).get(f"/cases/{case.pk}/").content.decode()
    select = re.search(r'<select name="assignee"[^>]*>(.*?)</select>', html, re.S).group(1)
    assert 'value="t_grid"' in select  # the grid worker of the case's village
    assert 'value="t_grid_b"' not in select  # another village's
    assert "不指定" in select and "用户名" not in html
