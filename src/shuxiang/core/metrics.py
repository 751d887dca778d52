"""`GET /metrics` in Prometheus text format (docs/operations.md), built with prometheus-client.

Two kinds of figures:
- counted where they happen, per process (requests by route with their latency, readings ingested per
  protocol, tasks run): prometheus-client's multiprocess mode sums them over every process of the node
  (gunicorn workers, the task worker, listeners) through files under PROMETHEUS_MULTIPROC_DIR
  (SHUXIANG_VAR_DIR/metrics; set by settings through `shuxiang.conf.metrics_dir` before prometheus-client
  is imported);
- read from the database when scraped, the same on every node: heartbeats, queue depth, active alarms,
  warning deliveries, the last ledger verification, readings refused, the database's size. Apps add theirs
  with `register_gauges(fn)`; core never imports them.

Access: `Authorization: Bearer <SHUXIANG_METRICS_TOKEN>`, or a client address in SHUXIANG_METRICS_ALLOW.
Nothing is allowed by default; a wrong token is refused from any address.
"""

import hmac
import ipaddress
import os
import threading
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.http import require_GET

from shuxiang.core.access import public_view

# fn() -> iterable of (metric name, help, {label: value}, number)
Gauge = tuple[str, str, dict, float]
_gauge_providers: list[Callable[[], Iterable[Gauge]]] = []


def register_gauges(provider: Callable[[], Iterable[Gauge]]) -> None:
    _gauge_providers.append(provider)


_instruments = {}
_instruments_lock = threading.Lock()


def _instrument(kind, name, documentation, labels, **kwargs):
    """The process's one counter or histogram of `name`, made on first use.

    Made under a lock: server threads (gunicorn's, a listener's pool) reach the first use together, and
    prometheus-client refuses a second instrument of the same name (DuplicateTimeseries) — which failed a
    listener's already committed batch, so its packets went unanswered (found by `python -m bench hj212`)."""
    instrument = _instruments.get(name)
    if instrument is None:
        with _instruments_lock:
            instrument = _instruments.get(name)
            if instrument is None:
                import prometheus_client

                cls = {"counter": prometheus_client.Counter, "histogram": prometheus_client.Histogram}[kind]
                instrument = _instruments[name] = cls(name, documentation, labels, **kwargs)
    return instrument


LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    _instrument(
        "histogram",
        "shuxiang_http_request_duration_seconds",
        "HTTP 请求耗时（按路由、方法、状态类）",
        ["route", "method", "status"],
        buckets=LATENCY_BUCKETS,
    ).labels(route, method, f"{status // 100}xx").observe(seconds)


def count_ingested(protocol: str, n: int) -> None:
    if n:
        _instrument("counter", "shuxiang_readings_ingested", "入库的读数（按接入方式）", ["protocol"]).labels(
            protocol or "unknown"
        ).inc(n)


def count_task(task: str, outcome: str) -> None:
    _instrument("counter", "shuxiang_tasks", "执行的后台任务（按任务、结果）", ["task", "outcome"]).labels(
        task, outcome
    ).inc()


# --- read at scrape time --------------------------------------------------------------------------


def _core_gauges() -> Iterable[Gauge]:
    from django.db import connection

    from shuxiang.core import heartbeats

    for part in heartbeats.report():
        yield (
            "shuxiang_heartbeat_age_seconds",
            "组件最后一次心跳距今秒数",
            {"component": part["component"], "node": part["node"]},
            part["age_seconds"],
        )
    try:
        from huey.contrib.djhuey import HUEY

        yield ("shuxiang_task_queue_depth", "任务队列中等待执行的任务数", {}, HUEY.pending_count())
    except Exception:  # a queue that cannot be read is reported by its absence and by /healthz
        pass
    last = heartbeats.age("task-run")
    if last is not None:
        yield ("shuxiang_task_last_run_age_seconds", "最近一次后台任务执行完毕距今秒数", {}, last)
    yield ("shuxiang_database_size_bytes", "数据库大小（字节）", {}, _database_size(connection))


def _database_size(connection) -> float:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_database_size(current_database())")
            return float(cursor.fetchone()[0])
        cursor.execute("PRAGMA page_count")
        pages = cursor.fetchone()[0]
        cursor.execute("PRAGMA page_size")
        return float(pages * cursor.fetchone()[0])


class _DatabaseCollector:
    """Gauges read from the database at every scrape (prometheus-client's custom collector protocol)."""

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily

        families: dict[str, GaugeMetricFamily] = {}
        for provider in [_core_gauges, *_gauge_providers]:
            for name, documentation, labels, value in provider():
                family = families.get(name)
                if family is None:
                    family = families[name] = GaugeMetricFamily(name, documentation, labels=sorted(labels))
                family.add_metric([str(labels[k]) for k in sorted(labels)], float(value))
        yield from families.values()


def exposition() -> bytes:
    from prometheus_client import REGISTRY, CollectorRegistry, generate_latest

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        per_process = generate_latest(registry)
    else:
        per_process = generate_latest(REGISTRY)
    database = CollectorRegistry(auto_describe=False)
    database.register(_DatabaseCollector())
    return per_process + generate_latest(database)


def _allowed_address(request) -> bool:
    from shuxiang.conf import parse_networks
    from shuxiang.core.middleware import client_ip

    networks, _ = parse_networks(settings.METRICS_ALLOW)
    try:
        address = ipaddress.ip_address(client_ip(request) or "")
    except ValueError:
        return False
    return any(address in network for network in networks)


@public_view  # its own access rule: a bearer token or an allowed address (checked below)
@require_GET
def metrics_view(request):
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header:
        scheme, _, token = header.partition(" ")
        good = settings.METRICS_TOKEN and scheme.lower() == "bearer"
        if not (good and hmac.compare_digest(token.strip().encode(), settings.METRICS_TOKEN.encode())):
            return HttpResponse("令牌无效\n", status=403, content_type="text/plain; charset=utf-8")
    elif not _allowed_address(request):
        response = HttpResponse(
            "需要 Authorization: Bearer <SHUXIANG_METRICS_TOKEN>\n",
            status=401,
            content_type="text/plain; charset=utf-8",
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    started = time.monotonic()
    body = exposition()
    body += f"# scrape took {time.monotonic() - started:.3f}s\n".encode()
    from prometheus_client import CONTENT_TYPE_LATEST

    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
