"""The monitoring rules engine: each active rule becomes one set-based
`INSERT INTO clue … SELECT …` that the database evaluates over all households
at once, so a run costs the same few statements for 2,000 or 200,000
households. Rules are rows (`Rule`): kind, parameter, valid years; the income
line comes from the threshold table.

Idempotent: a household already flagged for a rule in a period is skipped (the
NOT EXISTS below, with a partial unique index as the guard for concurrent
runs). Incremental: only households whose `changed_at` moved since the last
run of that year are looked at.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    DateTimeField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    IntegerField,
    JSONField,
    OuterRef,
    Q,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat, JSONObject
from django.utils import timezone

from shuxiang.core import audit
from shuxiang.monitoring import choices as c
from shuxiang.monitoring import perms
from shuxiang.monitoring.models import (
    Clue,
    Household,
    IncomeRecord,
    Member,
    MonitoringThreshold,
    Rule,
    RuleRun,
)

# Households already in the procedure or already monitored need no new flag.
SKIP_STATUSES = (c.MonitoringStatus.IDENTIFYING, c.MonitoringStatus.MONITORED)
CLUE_COLUMNS = [
    "place_id",
    "household_id",
    "person_id",
    "channel",
    "source",
    "rule_id",
    "period",
    "risk_types",
    "summary",
    "figures",
    "consent",
    "reporter_id",
    "status",
    "note",
    "created_at",
    "handled_at",
]
MONEY = DecimalField(max_digits=14, decimal_places=2)


@dataclass
class RunResult:
    year: int
    incremental: bool
    flagged: dict = field(default_factory=dict)
    skipped: dict = field(default_factory=dict)
    run_id: int | None = None

    @property
    def total(self):
        return sum(self.flagged.values())


def _text(expr):
    return Cast(expr, CharField())


def _constants(rule: Rule, year: int, now, risk_types):
    return {
        "k_person": Value(None, output_field=IntegerField()),
        "k_channel": Value(c.Channel.PLATFORM_RULE, output_field=CharField()),
        "k_source": Value(rule.code, output_field=CharField()),
        "k_rule": Value(rule.pk, output_field=IntegerField()),
        "k_period": Value(year, output_field=IntegerField()),
        "k_risks": Value(risk_types, output_field=JSONField()),
        "k_consent": Value(False, output_field=BooleanField()),
        "k_reporter": Value(None, output_field=IntegerField()),
        "k_status": Value(c.ClueStatus.NEW, output_field=CharField()),
        "k_note": Value("", output_field=TextField()),
        "k_created": Value(now, output_field=DateTimeField()),
        "k_handled": Value(None, output_field=DateTimeField()),
    }


def _not_flagged(rule, year, household_ref):
    return ~Exists(Clue.objects.filter(household=OuterRef(household_ref), rule=rule, period=year))


def _insert(qs, place, household) -> int:
    """INSERT INTO clue SELECT <the queryset's columns>; returns the number of clues written."""
    columns = [
        place,
        household,
        "k_person",
        "k_channel",
        "k_source",
        "k_rule",
        "k_period",
        "k_risks",
        "k_summary",
        "k_figures",
        "k_consent",
        "k_reporter",
        "k_status",
        "k_note",
        "k_created",
        "k_handled",
    ]
    sql, params = qs.order_by().values_list(*columns).query.sql_with_params()
    table = connection.ops.quote_name(Clue._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(col) for col in CLUE_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({cols}) {sql} ON CONFLICT DO NOTHING", params)
        return max(cursor.rowcount, 0)


def _incomes(year, since):
    qs = IncomeRecord.objects.filter(year=year).exclude(household__status__in=SKIP_STATUSES)
    if since is not None:
        qs = qs.filter(household__changed_at__gt=since)
    return qs


def rule_income_below_threshold(rule, year, now, since, result) -> int:
    """Per-capita net income under the province's line for the year (× parameter %)."""
    thresholds = list(MonitoringThreshold.objects.filter(year=year))
    if not thresholds:
        result.skipped[rule.code] = f"未设置{year}年监测收入标准"
        return 0
    written = 0
    factor = (rule.parameter or Decimal("100")) / Decimal("100")
    for threshold in thresholds:
        line = (threshold.amount * factor).quantize(Decimal("0.01"))
        qs = (
            _incomes(year, since)
            .filter(household__place__code__startswith=threshold.province, per_capita_net__lt=line)
            .filter(_not_flagged(rule, year, "household_id"))
            .annotate(
                **_constants(rule, year, now, []),
                k_summary=Concat(
                    Value(f"{year}年人均纯收入 "),
                    _text("per_capita_net"),
                    Value(
                        f" 元，低于{threshold.province_name}监测收入标准 {line} 元（{threshold.document or '未注明文件'}）"
                    ),
                    output_field=TextField(),
                ),
                k_figures=JSONObject(
                    per_capita_net=F("per_capita_net"),
                    threshold=Value(str(threshold.amount)),
                    line=Value(str(line)),
                    year=Value(year),
                    document=Value(threshold.document),
                ),
            )
        )
        written += _insert(qs, "household__place_id", "household_id")
    return written


def rule_income_drop(rule, year, now, since, result) -> int:
    """Per-capita net income fell by more than the parameter % from the year before.

    The previous year is joined once (FilteredRelation), so the figures read
    it as a column instead of repeating a subquery.
    """
    percent = rule.parameter or Decimal("0")
    factor = (Decimal("100") - percent) / Decimal("100")
    qs = (
        _incomes(year, since)
        .annotate(
            before=FilteredRelation("household__incomes", condition=Q(household__incomes__year=year - 1))
        )
        .filter(  # one filter() call, so both conditions use the same join
            before__per_capita_net__gt=0,
            per_capita_net__lt=ExpressionWrapper(F("before__per_capita_net") * factor, output_field=MONEY),
        )
        .filter(_not_flagged(rule, year, "household_id"))
        .annotate(prev=F("before__per_capita_net"))
        .annotate(
            drop=ExpressionWrapper((F("prev") - F("per_capita_net")) * 100 / F("prev"), output_field=MONEY),
            **_constants(rule, year, now, [c.RiskType.OTHER]),
        )
        .annotate(
            k_summary=Concat(
                Value(f"人均纯收入由{year - 1}年 "),
                _text("prev"),
                Value(f" 元降至{year}年 "),
                _text("per_capita_net"),
                Value(f" 元，降幅超过 {percent}%"),
                output_field=TextField(),
            ),
            k_figures=JSONObject(
                previous=F("prev"),
                current=F("per_capita_net"),
                drop_percent=F("drop"),
                limit_percent=Value(str(percent)),
                year=Value(year),
            ),
        )
    )
    return _insert(qs, "household__place_id", "household_id")


def rule_rigid_expense(rule, year, now, since, result) -> int:
    """Eligible out-of-pocket (rigid) expenses above the parameter % of the household's income."""
    percent = rule.parameter or Decimal("0")
    qs = (
        _incomes(year, since)
        .filter(expenses__gt=0)
        .filter(expenses__gt=ExpressionWrapper(F("gross") * percent / 100, output_field=MONEY))
        .filter(_not_flagged(rule, year, "household_id"))
        .annotate(
            **_constants(rule, year, now, [c.RiskType.ILLNESS]),
            k_summary=Concat(
                Value(f"{year}年合规自付支出 "),
                _text("expenses"),
                Value(" 元，超过家庭总收入 "),
                _text("gross"),
                Value(f" 元的 {percent}%"),
                output_field=TextField(),
            ),
            k_figures=JSONObject(
                expenses=F("expenses"), gross=F("gross"), limit_percent=Value(str(percent)), year=Value(year)
            ),
        )
    )
    return _insert(qs, "household__place_id", "household_id")


def rule_guarantee_failing(rule, year, now, since, result) -> int:
    """A 三保障 or drinking-water item fails: dropout, uninsured member, C/D house, unsafe water.

    Members are tested with uncorrelated IN lists (hashed once per run); the
    counts shown in the figures are computed only for the flagged households.
    """

    def members_where(**conditions):
        return Member.objects.filter(**conditions).values("household_id")

    def count_where(**conditions):
        return (
            Member.objects.filter(household=OuterRef("pk"), **conditions)
            .order_by()
            .values("household")
            .annotate(n=Count("pk"))
            .values("n")
        )

    qs = Household.objects.exclude(status__in=SKIP_STATUSES)
    if since is not None:
        qs = qs.filter(changed_at__gt=since)
    qs = (
        qs.filter(
            Q(housing_grade__in=c.UNSAFE_HOUSING)
            | Q(water_safe=False)
            | Q(pk__in=members_where(medical_insured=False))
            | Q(pk__in=members_where(schooling=c.Schooling.DROPOUT))
        )
        .filter(_not_flagged(rule, year, "pk"))
        .annotate(
            n_uninsured=Coalesce(
                Subquery(count_where(medical_insured=False), output_field=IntegerField()), 0
            ),
            n_dropouts=Coalesce(
                Subquery(count_where(schooling=c.Schooling.DROPOUT), output_field=IntegerField()), 0
            ),
        )
        .annotate(
            **_constants(rule, year, now, []),
            k_summary=Concat(
                Value("三保障或饮水安全未达标：住房等级 "),
                Coalesce(F("housing_grade"), Value("")),
                Value("，未参保 "),
                _text("n_uninsured"),
                Value(" 人，失学辍学 "),
                _text("n_dropouts"),
                Value(" 人，饮水安全 "),
                _text("water_safe"),
                output_field=TextField(),
            ),
            k_figures=JSONObject(
                housing_grade=F("housing_grade"),
                water_safe=F("water_safe"),
                uninsured=F("n_uninsured"),
                dropouts=F("n_dropouts"),
                year=Value(year),
            ),
        )
    )
    return _insert(qs, "place_id", "id")


EVALUATORS = {
    c.RuleKind.INCOME_BELOW_THRESHOLD: rule_income_below_threshold,
    c.RuleKind.INCOME_DROP: rule_income_drop,
    c.RuleKind.RIGID_EXPENSE: rule_rigid_expense,
    c.RuleKind.GUARANTEE_FAILING: rule_guarantee_failing,
}


@transaction.atomic
def run_rules(*, actor, year: int | None = None, incremental: bool = False) -> RunResult:
    """Evaluate every active rule valid in `year` (default: last year, the latest full income year).

    `actor` is who runs them: an administrator on the configuration page, the operator's CLI, or the
    nightly task (`Actor.system("tasks")`); each needs `monitoring.rule.run`.
    """
    perms.require(actor, perms.RUN_RULES)
    now = timezone.now()
    year = year or timezone.localdate().year - 1
    since = None
    if incremental:
        last = RuleRun.objects.filter(year=year, finished_at__isnull=False).order_by("-started_at").first()
        since = last.started_at if last else None
    result = RunResult(year=year, incremental=since is not None)
    for rule in Rule.objects.filter(is_active=True).order_by("code"):
        if not rule.applies_to(year):
            continue
        result.flagged[rule.code] = EVALUATORS[rule.kind](rule, year, now, since, result)
    run = RuleRun.objects.create(
        year=year,
        incremental=result.incremental,
        since=since,
        started_at=now,
        finished_at=timezone.now(),
        flagged=result.flagged,
        actor_label=audit.actor_label(actor),
    )
    result.run_id = run.pk
    audit.record(
        actor,
        "create",
        object_type="monitoring.clue",
        object_id=run.pk,
        object_repr=f"运行监测规则（{year}年{'，增量' if result.incremental else ''}）",
        changes={"flagged": result.flagged, "skipped": result.skipped},
    )
    return result
