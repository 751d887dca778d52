"""The warning page names people, not accounts (issue 14 §5: "发布时间 …（weather）")."""

import pytest
from django.utils import timezone

from shuxiang.core.actors import OPERATOR
from shuxiang.core.models import User
from shuxiang.core.services import do_update_user
from shuxiang.core.tests.pagetext import visible_text
from shuxiang.warnings.tests.helpers import issue

pytestmark = pytest.mark.django_db


def test_the_issuer_shows_by_name_and_the_time_in_the_one_format(
    officers, places, cast, client_for, django_capture_on_commit_callbacks
):
    do_update_user(User.objects.get(username="t_emergency"), actor=OPERATOR, display_name="区应急局 王值班")
    warning = issue(officers, [places.township_a.code], django_capture_on_commit_callbacks)
    text = visible_text(client_for(cast.admin).get(f"/warnings/{warning.pk}/").content.decode())
    assert "区应急局 王值班" in text
    assert "t_emergency" not in text
    issued = text.split("发布时间")[1][:30]
    assert timezone.localtime(warning.issued_at).strftime("%Y-%m-%d %H:%M") in issued and "年" not in issued
