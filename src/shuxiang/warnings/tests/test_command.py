import pytest
from django.core.management import CommandError, call_command

from shuxiang.warnings.models import Warning
from shuxiang.warnings.tests.helpers import endpoint
from shuxiang.warnings.tests.test_cap import cap_xml

pytestmark = pytest.mark.django_db


def test_cap_files_are_imported_from_the_command_line_and_bad_ones_named(
    places, gateways, tmp_path, capsys, django_capture_on_commit_callbacks
):
    endpoint(places.village_a, gateways.url("qs"))
    good, bad = tmp_path / "good.xml", tmp_path / "bad.xml"
    good.write_bytes(cap_xml())
    bad.write_bytes(cap_xml(identifier="43000041600000_20260701090000_0", drop="sent"))
    with pytest.raises(CommandError), django_capture_on_commit_callbacks(execute=True):
        call_command("warning", "import", str(good), str(bad))
    out = capsys.readouterr()
    assert "已导入 43000041600000_20260701080000_0" in out.out
    assert "bad.xml: CAP 元素 <sent> 缺失或为空" in out.err
    warning = Warning.objects.get()
    assert warning.source == "cap-import" and warning.issued_by == "system:operator"
    assert gateways.paths() == {"qs"}


def test_dispatch_command_sends_what_is_due_in_the_foreground(officers, places, gateways, capsys):
    from shuxiang.warnings import services
    from shuxiang.warnings.tests.helpers import draft

    endpoint(places.village_a, gateways.url("qs"))
    warning = draft(officers, [places.village_a.code], colour="blue")
    services.do_issue_warning(warning, actor=officers.weather)  # no worker ran
    call_command("warning", "dispatch", str(warning.pk))
    assert "delivered: 1" in capsys.readouterr().out
    assert gateways.paths() == {"qs"}
