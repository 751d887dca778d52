from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import Attachment, AuditEntry, Unit
from shuxiang.indicators.models import DataValue, Indicator
from shuxiang.indicators.rollup import value_at
from shuxiang.indicators.services import do_refresh_computed
from shuxiang.plan import services
from shuxiang.plan.models import LedgerEntry
from shuxiang.plan.tasks import TASKS


def entry(round_, number, place=None, unit=None):
    qs = LedgerEntry.objects.filter(round=round_, task__number=number)
    return qs.get(unit=unit) if unit else qs.get(place=place, unit__isnull=True)


def test_a_quarter_gives_every_township_and_every_named_unit_a_form_per_task(round_, places):
    townships = LedgerEntry.objects.filter(round=round_, place=places.township_a, unit__isnull=True)
    assert townships.count() == 27
    commerce = Unit.objects.get(short_name="区商务局")
    assert sorted(
        LedgerEntry.objects.filter(round=round_, unit=commerce).values_list("task__number", flat=True)
    ) == [
        1,
        4,
        6,
        11,
        25,
    ]
    villages = LedgerEntry.objects.filter(round=round_, place=places.village_a)
    assert sorted(villages.values_list("task__number", flat=True)) == [11, 27]


def test_opening_the_same_quarter_twice_is_refused(round_, plan, cast):
    with pytest.raises(ServiceError) as exc:
        services.do_open_round(plan, year=2025, quarter=3, deadline=timezone.now(), actor=cast.district)
    assert exc.value.code == "duplicate"


def test_a_township_fills_and_submits_on_time_and_the_reporting_rates_count_it(round_, places, cast):
    form = entry(round_, 8, places.township_a)
    services.do_save_entry(
        form,
        actor=cast.township_a,
        progress="完成两个规模猪场的饲喂系统改造",
        values={"pig_stock": "3.5"},
    )
    form = services.do_submit_entry(form, actor=cast.township_a)
    assert form.status == "submitted" and form.on_time is True
    assert DataValue.objects.get(indicator__code="pig_stock", place=places.township_a).numerator == 3.5
    completeness = Indicator.objects.get(code="ledger_completeness")
    do_refresh_computed(completeness, "2025Q3", actor=OPERATOR)
    # 泉交河镇 has 27 township forms and 2 village forms; one is submitted.
    row = value_at(completeness, places.township_a, "2025Q3")
    assert (row.figure.numerator, row.figure.denominator) == (1, 29)


def test_a_value_of_the_wrong_type_is_refused_and_nothing_in_the_form_changes(round_, places, cast):
    form = entry(round_, 8, places.township_a)
    services.do_save_entry(form, actor=cast.township_a, progress="第一版", values={"pig_stock": 10})
    audit_count = AuditEntry.objects.count()
    with pytest.raises(ServiceError) as exc:
        services.do_save_entry(form, actor=cast.township_a, progress="第二版", values={"pig_stock": "三万"})
    assert exc.value.code == "invalid_number" and "pig_stock" in exc.value.fields
    form.refresh_from_db()
    assert form.progress == "第一版"
    assert DataValue.objects.get(indicator__code="pig_stock").numerator == 10
    # the pigs on digital feeding are counted from the farm registry (livestock.indicators): not typed
    with pytest.raises(ServiceError) as exc:
        services.do_save_entry(form, actor=cast.township_a, values={"digital_feeding_pigs": 3})
    assert exc.value.code == "unknown_indicator"
    assert AuditEntry.objects.count() == audit_count


def test_a_value_outside_the_indicators_range_is_refused(round_, cast):
    water = Unit.objects.get(short_name="区水利局")
    form = entry(round_, 6, unit=water)
    water_user = cast.department
    water_user.unit = water
    water_user.save()
    with pytest.raises(ServiceError) as exc:
        services.do_save_entry(form, actor=water_user, values={"reservoirs_total": -3})
    assert exc.value.code == "out_of_range" and not DataValue.objects.exists()
    # the monitored reservoirs are counted from telemetry (water.indicators): the form does not take them
    with pytest.raises(ServiceError) as exc:
        services.do_save_entry(form, actor=water_user, values={"reservoirs_monitored": 150})
    assert exc.value.code == "unknown_indicator" and not DataValue.objects.exists()


def test_a_violated_validation_rule_blocks_completion_until_the_figures_agree(round_, places, cast):
    from shuxiang.indicators.services import do_save_validation_rule

    do_save_validation_rule(
        actor=OPERATOR,
        code="pig_stock_plausible",
        name="乡镇生猪存栏不超过20万头",
        instruction="单个乡镇生猪存栏不应超过20万头",
        left="#{pig_stock}",
        operator="less_than_or_equal_to",
        right="20",
        data_set="task:8",
    )
    form = entry(round_, 8, places.township_a)
    services.do_save_entry(form, actor=cast.township_a, progress="进展", values={"pig_stock": 120})
    with pytest.raises(ServiceError) as exc:
        services.do_submit_entry(form, actor=cast.township_a)
    assert exc.value.code == "validation_failed" and "乡镇生猪存栏不超过20万头" in exc.value.message
    form.refresh_from_db()
    assert form.status == "draft" and form.submitted_at is None
    services.do_save_entry(form, actor=cast.township_a, values={"pig_stock": 9})
    assert services.do_submit_entry(form, actor=cast.township_a).status == "submitted"


def test_a_form_without_progress_text_cannot_be_submitted(round_, places, cast):
    form = entry(round_, 1, places.township_a)
    with pytest.raises(ServiceError) as exc:
        services.do_submit_entry(form, actor=cast.township_a)
    assert exc.value.code == "required" and exc.value.fields == {"progress": ["必填"]}


def test_after_the_deadline_the_form_locks_until_the_district_reopens_it_and_then_it_is_late(
    round_, places, cast
):
    form = entry(round_, 1, places.township_a)
    services.do_save_entry(form, actor=cast.township_a, progress="按期推进")
    late = round_.deadline + timedelta(hours=1)
    with pytest.raises(ServiceError) as exc:
        services.do_submit_entry(form, actor=cast.township_a, now=late)
    assert exc.value.code == "entry_locked" and "已锁定" in exc.value.message
    with pytest.raises(ServiceError):
        services.do_save_entry(form, actor=cast.township_a, progress="改", now=late)
    form.refresh_from_db()
    assert (form.status, form.progress) == ("draft", "按期推进")
    with pytest.raises(ServiceError) as exc:
        services.do_reopen_entry(form, actor=cast.township_a, until=late + timedelta(days=3), now=late)
    assert exc.value.code == "forbidden"
    services.do_reopen_entry(form, actor=cast.district, until=late + timedelta(days=3), now=late)
    form = services.do_submit_entry(form, actor=cast.township_a, now=late)
    assert form.status == "submitted" and form.on_time is False


def test_only_the_reporter_fills_a_form(round_, places, cast):
    form = entry(round_, 1, places.township_a)
    for someone in (cast.department, cast.district):
        with pytest.raises(ServiceError) as exc:
            services.do_save_entry(form, actor=someone, progress="代填")
        assert exc.value.status == 403 and "此台账由泉交河镇填报" in exc.value.message
    for outside in (cast.township_b, cast.village_a):
        with pytest.raises(ServiceError) as exc:
            services.do_save_entry(form, actor=outside, progress="区域外")
        assert exc.value.status == 404
    form.refresh_from_db()
    assert form.progress == ""


def submitted_village_form(round_, places, cast):
    form = entry(round_, 11, places.village_a)
    services.do_save_entry(
        form, actor=cast.village_a, progress="村电商服务站已建成", problems="快递进村费用高"
    )
    return services.do_submit_entry(form, actor=cast.village_a)


def test_approval_goes_village_to_township_to_district_and_not_out_of_order(round_, places, cast):
    form = submitted_village_form(round_, places, cast)
    with pytest.raises(ServiceError) as exc:
        services.do_approve_entry(form, actor=cast.district)
    assert exc.value.code == "approval_out_of_order" and "须先经乡镇审核" in exc.value.message
    form.refresh_from_db()
    assert (form.status, form.approval_level) == ("submitted", None)
    form = services.do_approve_entry(form, actor=cast.township_a)
    assert (form.status, form.approval_level) == ("submitted", 2)
    with pytest.raises(ServiceError) as exc:
        services.do_approve_entry(form, actor=cast.township_a)
    assert exc.value.code == "approval_out_of_order"
    form = services.do_approve_entry(form, actor=cast.district)
    assert (form.status, form.approval_level) == ("approved", 1)


def test_approval_by_the_wrong_role_or_region_is_refused(round_, places, cast):
    form = submitted_village_form(round_, places, cast)
    for actor in (cast.village_a, cast.department):
        with pytest.raises(ServiceError) as exc:
            services.do_approve_entry(form, actor=actor)
        assert exc.value.code == "forbidden" and exc.value.status == 403
    with pytest.raises(ServiceError) as exc:
        services.do_approve_entry(form, actor=cast.township_b)
    assert exc.value.status == 404
    township_form = entry(round_, 1, places.township_a)
    services.do_save_entry(township_form, actor=cast.township_a, progress="进展")
    services.do_submit_entry(township_form, actor=cast.township_a)
    with pytest.raises(ServiceError) as exc:
        services.do_approve_entry(township_form, actor=cast.township_a)
    assert exc.value.code == "approval_wrong_role"


def test_approved_data_is_locked_and_unapproval_goes_top_down(round_, places, cast):
    form = submitted_village_form(round_, places, cast)
    services.do_approve_entry(form, actor=cast.township_a)
    services.do_approve_entry(form, actor=cast.district)
    with pytest.raises(ServiceError) as exc:
        services.do_save_entry(form, actor=cast.village_a, progress="改")
    assert exc.value.code == "entry_approved"
    with pytest.raises(ServiceError) as exc:
        services.do_unapprove_entry(form, actor=cast.township_a)
    assert exc.value.code == "approval_out_of_order"
    form = services.do_unapprove_entry(form, actor=cast.district)
    assert (form.status, form.approval_level) == ("submitted", 2)
    form = services.do_unapprove_entry(form, actor=cast.township_a)
    assert (form.status, form.approval_level) == ("submitted", None)


def test_the_district_approves_a_townships_form_only_after_its_villages_forms(round_, places, cast):
    village_form = submitted_village_form(round_, places, cast)
    township_form = entry(round_, 11, places.township_a)
    services.do_save_entry(township_form, actor=cast.township_a, progress="全镇推进")
    services.do_submit_entry(township_form, actor=cast.township_a)
    with pytest.raises(ServiceError) as exc:
        services.do_approve_entry(township_form, actor=cast.district)
    assert exc.value.code == "waiting_for_lower_level"
    services.do_approve_entry(village_form, actor=cast.township_a)
    assert services.do_approve_entry(township_form, actor=cast.district).status == "approved"


def test_a_returned_form_goes_back_to_its_reporter_with_the_reason(round_, places, cast):
    form = submitted_village_form(round_, places, cast)
    with pytest.raises(ServiceError) as exc:
        services.do_return_entry(form, actor=cast.township_a, reason=" ")
    assert exc.value.code == "required"
    form = services.do_return_entry(form, actor=cast.township_a, reason="请补充服务站照片")
    assert (form.status, form.return_reason) == ("returned", "请补充服务站照片")
    services.do_save_entry(form, actor=cast.village_a, progress="已补充照片")
    assert services.do_submit_entry(form, actor=cast.village_a).status == "submitted"


def test_evidence_files_are_attached_to_an_open_form(round_, places, cast):
    form = entry(round_, 1, places.township_a)
    upload = SimpleUploadedFile(
        "进展.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "application/pdf"
    )
    attachment = services.do_add_evidence(form, upload, actor=cast.township_a)
    assert Attachment.objects.get(pk=attachment.pk).owner_id == str(form.pk)


def test_a_returned_form_and_an_approaching_deadline_are_notified_to_the_reporter(
    round_, places, cast, django_capture_on_commit_callbacks
):
    form = submitted_village_form(round_, places, cast)
    with django_capture_on_commit_callbacks(execute=True):
        services.do_return_entry(form, actor=cast.township_a, reason="请补充照片")
    note = cast.village_a.notifications.get()
    assert "台账被退回" in note.title and "请补充照片" in note.body
    with time_machine.travel(round_.deadline - timedelta(days=1), tick=False):
        assert services.remind_due_entries(actor=TASKS) > 0
        assert services.remind_due_entries(actor=TASKS) == 0
    assert cast.township_a.notifications.filter(kind="plan.reminder").count() == 27
