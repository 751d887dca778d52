"""Return-to-poverty monitoring rules over 2,000 and 200,000 households (PostgreSQL).

Data: `shuxiang monitoring demo --scale N` (the Heshan registry plus 2,000 × N
households, ~3.5 members each, two years of income). Measured in one process
per size, on the same database and connection:

* plain SQL — the same four rules written by hand as one `INSERT … SELECT` per
  rule (the engine ceiling, performance.md scenario 6);
* the platform's rules engine (`monitoring.rules.run_rules`), full sweep;
* a repeat full sweep (idempotent: flags nothing);
* after 1 % of households change: the incremental run, beside the same plain
  SQL restricted to `changed_at > since`.

Both paths must flag the same households. Query counts are recorded to show
they do not grow with the number of households.
"""

import json
import subprocess
import time

from bench.harness import manage, scratch_env, table

PG = "postgres://postgres@127.0.0.1:5432/"

MEASURE = r'''
import json, resource, time
from datetime import timedelta
from decimal import Decimal
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from shuxiang.core.actors import OPERATOR
from shuxiang.monitoring.models import Clue, Household, IncomeRecord, MonitoringThreshold, Rule, RuleRun
from shuxiang.monitoring.rules import run_rules

year = timezone.localdate().year - 1
rules = {r.kind: r for r in Rule.objects.filter(is_active=True)}
threshold = MonitoringThreshold.objects.get(province="43", year=year)
line = (threshold.amount * (rules["income_below_threshold"].parameter or 100) / 100).quantize(Decimal("0.01"))
COLS = ("place_id, household_id, person_id, channel, source, rule_id, period, risk_types, summary, figures, "
        "consent, reporter_id, status, note, created_at, handled_at")
NOT_FLAGGED = ("NOT EXISTS (SELECT 1 FROM monitoring_clue c WHERE c.household_id = h.id "
               "AND c.rule_id = %(rule)s AND c.period = %(year)s)")

def sql_rules(since=None):
    inc = " AND h.changed_at > %(since)s" if since else ""
    skip = " AND h.status NOT IN ('identifying', 'monitored')"
    r1, r2, r3, r4 = (rules[k] for k in ("income_below_threshold", "income_drop", "rigid_expense", "guarantee_failing"))
    return [
        (f"""INSERT INTO monitoring_clue ({COLS})
            SELECT h.place_id, h.id, NULL, 'platform_rule', %(code)s, %(rule)s, %(year)s, '[]'::jsonb,
                   %(year)s || '年人均纯收入 ' || i.per_capita_net || ' 元，低于监测收入标准 ' || %(line)s || ' 元',
                   jsonb_build_object('per_capita_net', i.per_capita_net, 'threshold', %(threshold)s, 'line', %(line)s,
                                      'year', %(year)s),
                   false, NULL, 'new', '', now(), NULL
            FROM monitoring_incomerecord i JOIN monitoring_household h ON h.id = i.household_id
                 JOIN core_place p ON p.id = h.place_id
            WHERE i.year = %(year)s AND p.code LIKE '43%%' AND i.per_capita_net < %(line)s{skip}{inc}
              AND {NOT_FLAGGED} ON CONFLICT DO NOTHING""",
         {"code": r1.code, "rule": r1.pk, "line": str(line), "threshold": str(threshold.amount)}),
        (f"""INSERT INTO monitoring_clue ({COLS})
            SELECT h.place_id, h.id, NULL, 'platform_rule', %(code)s, %(rule)s, %(year)s, '["other"]'::jsonb,
                   '人均纯收入由 ' || p.per_capita_net || ' 元降至 ' || i.per_capita_net || ' 元',
                   jsonb_build_object('previous', p.per_capita_net, 'current', i.per_capita_net,
                        'drop_percent', (p.per_capita_net - i.per_capita_net) * 100 / p.per_capita_net,
                        'limit_percent', %(pct)s, 'year', %(year)s),
                   false, NULL, 'new', '', now(), NULL
            FROM monitoring_incomerecord i JOIN monitoring_household h ON h.id = i.household_id
                 JOIN monitoring_incomerecord p ON p.household_id = i.household_id AND p.year = %(year)s - 1
            WHERE i.year = %(year)s AND p.per_capita_net > 0
              AND i.per_capita_net < p.per_capita_net * (1 - %(pct)s / 100.0){skip}{inc}
              AND {NOT_FLAGGED} ON CONFLICT DO NOTHING""",
         {"code": r2.code, "rule": r2.pk, "pct": r2.parameter}),
        (f"""INSERT INTO monitoring_clue ({COLS})
            SELECT h.place_id, h.id, NULL, 'platform_rule', %(code)s, %(rule)s, %(year)s, '["illness"]'::jsonb,
                   '合规自付支出 ' || i.expenses || ' 元，超过家庭总收入 ' || i.gross || ' 元的 ' || %(pct)s || '%%',
                   jsonb_build_object('expenses', i.expenses, 'gross', i.gross, 'limit_percent', %(pct)s, 'year', %(year)s),
                   false, NULL, 'new', '', now(), NULL
            FROM monitoring_incomerecord i JOIN monitoring_household h ON h.id = i.household_id
            WHERE i.year = %(year)s AND i.expenses > 0 AND i.expenses > i.gross * %(pct)s / 100.0{skip}{inc}
              AND {NOT_FLAGGED} ON CONFLICT DO NOTHING""",
         {"code": r3.code, "rule": r3.pk, "pct": r3.parameter}),
        (f"""INSERT INTO monitoring_clue ({COLS})
            SELECT h.place_id, h.id, NULL, 'platform_rule', %(code)s, %(rule)s, %(year)s, '[]'::jsonb,
                   '三保障或饮水安全未达标：住房等级 ' || h.housing_grade || '，未参保 ' || coalesce(m.u, 0)
                   || ' 人，失学辍学 ' || coalesce(m.d, 0) || ' 人',
                   jsonb_build_object('housing_grade', h.housing_grade, 'water_safe', h.water_safe,
                        'uninsured', coalesce(m.u, 0), 'dropouts', coalesce(m.d, 0), 'year', %(year)s),
                   false, NULL, 'new', '', now(), NULL
            FROM monitoring_household h LEFT JOIN (
                SELECT household_id, count(*) FILTER (WHERE NOT medical_insured) AS u,
                       count(*) FILTER (WHERE schooling = 'dropout') AS d
                FROM monitoring_member GROUP BY household_id) m ON m.household_id = h.id
            WHERE (h.housing_grade IN ('C', 'D') OR NOT h.water_safe OR m.u > 0 OR m.d > 0){skip}{inc}
              AND {NOT_FLAGGED} ON CONFLICT DO NOTHING""",
         {"code": r4.code, "rule": r4.pk}),
    ]

def plain(since=None):
    total, start = 0, time.perf_counter()
    with connection.cursor() as cur:
        for sql, params in sql_rules(since):
            cur.execute(sql, {**params, "year": year, "since": since})
            total += cur.rowcount
    return time.perf_counter() - start, total

def engine(**kw):
    with CaptureQueriesContext(connection) as q:
        start = time.perf_counter()
        result = run_rules(year=year, actor=OPERATOR, **kw)
        took = time.perf_counter() - start
    return took, result.total, len(q.captured_queries)

def reset():
    Clue.objects.filter(channel="platform_rule").delete()
    RuleRun.objects.all().delete()

out = {"households": Household.objects.count(), "incomes": IncomeRecord.objects.count()}
connection.cursor().execute("ANALYZE")
reset()
out["sql_full_s"], out["sql_full_n"] = plain()
reset()
out["engine_full_s"], out["engine_full_n"], out["engine_full_q"] = engine()
out["engine_repeat_s"], out["engine_repeat_n"], out["engine_repeat_q"] = engine()
since = RuleRun.objects.latest("started_at").started_at
# 1 % of households change: last year's income falls by half (what do_record_income writes, in bulk)
changed = list(Household.objects.filter(id__in=IncomeRecord.objects.filter(year=year).values("household_id"))
               .order_by("id").values_list("id", flat=True)[::100])
now = timezone.now()
IncomeRecord.objects.filter(household_id__in=changed, year=year).update(
    wage=0, production=0, per_capita_net=Decimal("1000"), gross=Decimal("3000"))
Household.objects.filter(id__in=changed).update(changed_at=now)
out["changed"] = len(changed)
marker = timezone.now()
out["sql_inc_s"], out["sql_inc_n"] = plain(since)
Clue.objects.filter(channel="platform_rule", created_at__gte=marker).delete()
out["engine_inc_s"], out["engine_inc_n"], out["engine_inc_q"] = engine(incremental=True)
out["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print("RESULT " + json.dumps(out, default=str))
'''


def _psql(sql):
    subprocess.run(
        ["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-c", sql], check=True, capture_output=True
    )


def measure(scale):
    name = f"sx_bench_monitoring_{scale}"
    _psql(f"DROP DATABASE IF EXISTS {name}")
    _psql(f"CREATE DATABASE {name}")
    try:
        with scratch_env(PG + name) as env:
            manage(env, "migrate", "--noinput")
            start = time.perf_counter()
            manage(env, "monitoring", "demo", "--scale", str(scale))
            generated = time.perf_counter() - start
            proc = manage(env, "shell", "-c", MEASURE)
            line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
            result = json.loads(line[len("RESULT ") :])
            result["generate_s"] = generated
            return result
    finally:
        _psql(f"DROP DATABASE IF EXISTS {name}")


def run(args):
    scales = (1, 10) if args.quick else (1, 100)
    results = [(scale, measure(scale)) for scale in scales]
    rows = []
    for _scale, r in results:
        same = "是" if (r["sql_full_n"], r["sql_inc_n"]) == (r["engine_full_n"], r["engine_inc_n"]) else "否"
        rows.append(
            [
                f"{r['households']:,}",
                f"{r['sql_full_s']:.2f} s",
                f"{r['engine_full_s']:.2f} s",
                f"{r['engine_full_s'] / r['sql_full_s']:.2f}×",
                f"{r['engine_full_n']:,}",
                r["engine_full_q"],
                f"{r['engine_repeat_s']:.2f} s / {r['engine_repeat_n']}",
                f"{r['changed']:,}",
                f"{r['sql_inc_s']:.2f} s",
                f"{r['engine_inc_s']:.2f} s",
                r["engine_inc_q"],
                same,
                f"{r['max_rss_mb']} MB",
                f"{r['generate_s']:.0f} s",
            ]
        )
    headers = [
        "农户",
        "纯SQL全量",
        "规则引擎全量",
        "引擎/纯SQL",
        "预警户数",
        "引擎查询数",
        "重复运行（用时/新增）",
        "变化1%户数",
        "纯SQL增量",
        "引擎增量",
        "增量查询数",
        "结果一致",
        "峰值内存",
        "造数用时",
    ]
    return (
        "## 防返贫监测规则（monitoring）\n\n"
        f"命令：`.venv/bin/python -m bench monitoring{' --quick' if args.quick else ''}`（PostgreSQL，"
        "数据由 `shuxiang monitoring demo --scale N` 生成，每倍 2,000 户、约 3.5 名成员、两年收入）。\n"
        "纯SQL = 同样四条规则手写为每条一个 `INSERT … SELECT`，在同一进程、同一连接中先后运行；"
        "引擎 = `monitoring.rules.run_rules`。增量 = 1% 农户上年收入减半后，只看 `changed_at` 之后变化的农户。\n\n"
        + table(rows, headers)
        + "\n\n目标（performance.md 场景6）：全量 ≤ 3× 纯SQL；增量 ≤ 1 s；查询数不随农户数增长。\n"
    )
