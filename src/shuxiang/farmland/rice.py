"""The rice platform's agronomy: the growth stage of a field from its dates, and calendar reminders.

A variety's calendar (RiceVariety.stages / .tasks) counts days after sowing, as the county's
agricultural technicians publish it per variety; its degree-day calendar (stages_gdd) counts effective
accumulated temperature (thermal.py). The stage of a field is the hand-corrected one, else the last
degree-day stage reached when the township's temperatures cover the season, else the last stage whose
start day has passed; reminders go out on the task's day to the village's
cadres and grid workers, who pass them on to growers — once per field and task, whenever the daily
run happens (a missed day is caught up within REMIND_WINDOW_DAYS).
"""

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from shuxiang.core.permissions import require

REMIND_WINDOW_DAYS = 3


def stage_of(record, today: date | None = None, thermal=None) -> str:
    """The field's stage on `today`: the hand-corrected one, else from degree-days, else from days."""
    return stage_info(record, today, thermal)[0]


def stage_info(record, today: date | None = None, thermal=None):
    """(stage, how it was found): the correction by hand, the degree-day calendar when the variety has one
    and the temperatures cover the field, else the day calendar. `thermal` (a thermal.Thermal) is shared
    by callers looking at many fields; without one, this field's temperatures are read alone."""
    from shuxiang.farmland.thermal import Accumulation, Thermal

    today = today or timezone.localdate()
    if record.stage_override:
        return record.stage_override, Accumulation(None)
    stage, acc = (thermal or Thermal()).stage(record, today)
    if stage is not None:
        return stage, acc
    return stage_by_days(record, today), acc


def stage_by_days(record, today: date) -> str:
    """The day-count rule: the last stage whose start day after sowing has passed."""
    days = (today - record.sowing_date).days
    if days < 0:
        return "未播种"
    if days > record.variety.growth_days:
        return "已成熟"
    current = "播种出苗期"
    for name, start in record.variety.stages:
        if days >= start:
            current = name
    return current


def next_tasks(record, today: date | None = None, count=3) -> list[tuple[date, str]]:
    today = today or timezone.localdate()
    rows = [(record.sowing_date + timedelta(days=day), text) for day, text in record.variety.tasks]
    return [r for r in sorted(rows) if r[0] >= today][:count]


def due_reminders(today: date):
    """(record, day, text) for every calendar task due within the window and not yet sent."""
    from shuxiang.farmland.models import RiceReminder, RiceSeason

    earliest = today - timedelta(days=200)
    records = RiceSeason.objects.filter(sowing_date__gte=earliest, sowing_date__lte=today).select_related(
        "variety", "parcel__place__parent"
    )
    sent = set(RiceReminder.objects.filter(rice_season__in=records).values_list("rice_season_id", "day"))
    for record in records:
        for day, text in record.variety.tasks:
            when = record.sowing_date + timedelta(days=day)
            if today - timedelta(days=REMIND_WINDOW_DAYS) <= when <= today and (record.pk, day) not in sent:
                yield record, day, text


@transaction.atomic
def do_send_reminders(*, actor, today: date | None = None) -> int:
    """Notify each village's cadres and grid workers of the rice tasks due today. Returns how many."""
    from shuxiang.core.choices import Role
    from shuxiang.core.services import notify, users_at
    from shuxiang.farmland.choices import season_label
    from shuxiang.farmland.models import RiceReminder

    require(actor, "farmland.riceseason.change")
    today = today or timezone.localdate()
    count = 0
    by_village: dict = {}
    for record, day, text in due_reminders(today):
        RiceReminder.objects.create(rice_season=record, day=day)
        village = record.parcel.place
        if village.pk not in by_village:
            by_village[village.pk] = users_at([village], [Role.VILLAGE, Role.GRID])
        recipients = by_village[village.pk]
        title = f"农事提醒：{record.parcel.code}（{record.variety.name}）{text}"
        body = (
            f"{village.name} {record.grower_name or ''} {season_label(record.season)}，"
            f"播后第 {day} 天（{record.sowing_date + timedelta(days=day):%m月%d日}）：{text}。请转告种植户。"
        )
        url = record.get_absolute_url()
        transaction.on_commit(
            lambda r=recipients, t=title, b=body, u=url: notify(r, title=t, body=b, url=u, kind="rice")
        )
        count += 1
    return count


# --- inputs ------------------------------------------------------------------------------------

INPUT_GRACE_DAYS = 10  # inputs after maturity (drying, storage) still belong to the season


def inputs_of(record, user) -> list[dict]:
    """The season's inputs: the rice platform's own records, and — when the grower is a producer
    registered in traceability — its input-use events in the season's window (one record, two views)."""
    rows = [
        {
            "on": i.applied_on,
            "kind": i.get_kind_display(),
            "name": i.name,
            "dose": i.dose,
            "interval_days": i.interval_days,
            "source": "水稻平台",
            "by": i.recorded_by,
        }
        for i in record.inputs.all()
    ]
    if record.producer_id:
        from shuxiang.trace.choices import BizStep
        from shuxiang.trace.models import TraceEvent

        end = record.sowing_date + timedelta(days=record.variety.growth_days + INPUT_GRACE_DAYS)
        events = (
            TraceEvent.objects.restrict(user)
            .filter(
                biz_step=BizStep.INPUT_USE,
                lot__product__producer_id=record.producer_id,
                event_time__date__gte=record.sowing_date,
                event_time__date__lte=end,
            )
            .select_related("lot")
        )
        rows += [
            {
                "on": timezone.localtime(e.event_time).date(),
                "kind": e.get_input_kind_display(),
                "name": e.input_name,
                "dose": e.input_dose,
                "interval_days": e.interval_days,
                "source": f"追溯平台（批次 {e.lot.lot_number}）",
                "by": e.recorded_by,
            }
            for e in events
        ]
    return sorted(rows, key=lambda r: r["on"])


@transaction.atomic
def do_record_input(record, *, actor, kind, name, dose, applied_on, interval_days=None):
    """An input applied on a field of a grower not registered in traceability (registered producers
    record theirs once, in traceability, and they show here)."""
    from shuxiang.core import audit
    from shuxiang.core.actors import as_actor
    from shuxiang.core.errors import ServiceError
    from shuxiang.farmland.choices import RiceInputKind
    from shuxiang.farmland.models import RiceInput

    actor = as_actor(actor)
    require(actor, "farmland.riceinput.add", record)
    if record.producer_id:
        raise ServiceError(
            "recorded_in_trace",
            f"{record.producer.name}已在追溯平台登记，投入品请在追溯平台记录（本页自动显示），不重复录入",
            {"name": ["请在追溯平台记录"]},
        )
    errors = {}
    if kind not in RiceInputKind.values:
        errors["kind"] = ["请选择：肥料或农药"]
    if not str(name or "").strip():
        errors["name"] = ["投入品名称必填"]
    if not str(dose or "").strip():
        errors["dose"] = ["用量必填，如 每亩 10 kg"]
    last = record.sowing_date + timedelta(days=record.variety.growth_days + INPUT_GRACE_DAYS)
    if not isinstance(applied_on, date):
        errors["applied_on"] = ["施用日期格式应为 YYYY-MM-DD"]
    elif applied_on > timezone.localdate():
        errors["applied_on"] = ["施用日期不能晚于今天"]
    elif not record.sowing_date <= applied_on <= last:
        errors["applied_on"] = [f"施用日期应在本季 {record.sowing_date:%Y-%m-%d} 至 {last:%Y-%m-%d} 之间"]
    if interval_days is not None and not (isinstance(interval_days, int) and 0 <= interval_days <= 365):
        errors["interval_days"] = ["安全间隔期应为 0–365 天"]
    if errors:
        raise ServiceError("invalid", "投入品记录有误", errors)
    row = RiceInput.objects.create(
        rice_season=record,
        kind=kind,
        name=str(name).strip()[:100],
        dose=str(dose).strip()[:50],
        applied_on=applied_on,
        interval_days=interval_days,
        recorded_by=str(actor.human) if actor.human else (actor.label or "系统"),
    )
    audit.record_create(actor, row)
    return row
