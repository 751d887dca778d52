"""The queue's rows are written in Python (issue 14 §6): what a handler reads on each row must stay."""

from datetime import timedelta

from django.utils import timezone

from shuxiang.cases.models import Case
from shuxiang.cases.views import queue_rows_html


def test_a_late_urgent_case_is_marked_and_its_title_escaped_and_clipped(places):
    now = timezone.now()
    case = Case(
        pk=7,
        tracking_number="2025000007",
        title="<script>村口垃圾</script>",
        state="submitted",
        priority="urgent",
        deadline=now - timedelta(hours=1),
        place=places.hamlet_a,
    )
    html = queue_rows_html([case], now=now)
    assert '<tr class="late">' in html and "超期" in html and "紧急" in html
    assert "<script>" not in html and "&lt;script&gt;村口垃圾&lt;/script&gt;" in html
    assert 'class="clip" href="/cases/7/"' in html and "2025000007" in html
    assert html.count("<td") == 7 and "—" in html  # no unit, no handler yet
    assert html.count("<td") + 1 == queue_rows_html([case], now=now, escalated=True).count("<td")


def test_a_case_in_time_is_not_marked_late_and_an_empty_queue_says_so(places):
    now = timezone.now()
    case = Case(
        pk=8,
        tracking_number="2025000008",
        title="路灯不亮",
        state="accepted",
        deadline=now + timedelta(days=1),
        place=places.hamlet_a,
    )
    html = queue_rows_html([case], now=now)
    assert '<tr class="">' in html and "超期" not in html and "紧急" not in html
    assert "没有待办事件" in queue_rows_html([], now=now)
