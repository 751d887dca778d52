"""Shared tools for benchmarks: a scratch database, a real server, a load generator.

The server is the production one (`shuxiang serve`, gunicorn) on a loopback
port; load comes from ApacheBench (`ab`, Debian's apache2-utils), a separate
process, so the numbers include real HTTP.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHUXIANG = str(Path(sys.executable).parent / "shuxiang")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def scratch_database(server_url: str | None, name: str):
    """A fresh PostgreSQL database on `server_url` (e.g. postgres://postgres@127.0.0.1:5432) for one
    run, dropped afterwards; yields its URL. Without a server URL yields None (scratch SQLite)."""
    if not server_url:
        yield None
        return
    import psycopg

    server_url = server_url.rstrip("/")
    db = f"{name}_{os.getpid()}"
    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {db}")
        conn.execute(f"CREATE DATABASE {db}")
    try:
        yield f"{server_url}/{db}"
    finally:
        with psycopg.connect(f"{server_url}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


@contextmanager
def scratch_env(database_url: str | None = None):
    """Environment for a throw-away instance: its own var dir and (by default) its own SQLite file."""
    var = Path(tempfile.mkdtemp(prefix="shuxiang-bench-"))
    env = dict(os.environ)
    env.update(
        SHUXIANG_VAR_DIR=str(var),
        SHUXIANG_SECRET_KEY="bench-" + "x" * 40,
        SHUXIANG_FIELD_KEY="bench-" + "y" * 40,
    )
    env.pop("SHUXIANG_TESTING", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    else:
        env.pop("DATABASE_URL", None)
    try:
        yield env
    finally:
        shutil.rmtree(var, ignore_errors=True)


def manage(env, *args, check=True):
    return subprocess.run([SHUXIANG, *args], env=env, check=check, capture_output=True, text=True)


@contextmanager
def server(env, workers=2, threads=4):
    port = free_port()
    proc = subprocess.Popen(
        [
            SHUXIANG,
            "serve",
            "--no-migrate",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--threads",
            str(threads),
        ],
        env={**env, "SHUXIANG_ALLOWED_HOSTS": "127.0.0.1,localhost"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        raise RuntimeError("server did not start")
    try:
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()  # a server slow to drain must not cost the measurements already taken
            proc.wait()


@dataclass
class LoadResult:
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    failed: int
    requests: int


def ab(url, *, requests=2000, concurrency=10, headers=None) -> LoadResult:
    """ApacheBench with keep-alive; percentiles as ab reports them."""
    cmd = ["ab", "-q", "-k", "-n", str(requests), "-c", str(concurrency)]
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    for _attempt in range(3):
        # ab gives up on the first keep-alive connection reset (exit 104); the run is repeated, not patched up.
        proc = subprocess.run([*cmd, url], capture_output=True, text=True)
        out = proc.stdout
        if proc.returncode == 0 and "Requests per second" in out:
            break
    else:
        raise RuntimeError(f"ab failed: {proc.stderr.strip()[:300]}")
    rps = float(re.search(r"Requests per second:\s+([\d.]+)", out).group(1))
    pct = dict(re.findall(r"^\s+(\d+)%\s+(\d+)", out, re.M))
    failed = int(re.search(r"Failed requests:\s+(\d+)", out).group(1))
    non2xx = re.search(r"Non-2xx responses:\s+(\d+)", out)
    return LoadResult(
        rps,
        float(pct["50"]),
        float(pct["95"]),
        float(pct["99"]),
        failed + (int(non2xx.group(1)) if non2xx else 0),
        requests,
    )


def table(rows, headers):
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def server_processes(port) -> list[int]:
    """The gunicorn master listening on `port` and its workers (from /proc)."""
    procs = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        procs[int(entry.name)] = (cmdline, ppid)
    masters = [
        pid
        for pid, (cmd, _) in procs.items()
        if b"serve" in cmd and str(port).encode() in cmd and b"--port" in cmd
    ]
    family = set(masters)
    changed = True
    while changed:
        changed = False
        for pid, (_, ppid) in procs.items():
            if ppid in family and pid not in family:
                family.add(pid)
                changed = True
    return sorted(family)


def cpu_seconds(pids) -> float:
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


class CpuSampler:
    """CPU seconds spent by a changing set of processes over a phase, from /proc.

    `cpu_seconds` before and after misses a process that exits in between — a database backend whose
    client disconnected, a listener's own connection. This samples every `interval` seconds and keeps
    each process's last figure: processes alive at the start count from their figure then, processes
    that start during the phase from zero, and one that exits counts to its last sample (at most one
    interval short)."""

    def __init__(self, pids_fn, interval=0.1):
        self.pids_fn, self.interval = pids_fn, interval
        self.start_ticks: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self):
        for pid in self.pids_fn():
            seconds = cpu_seconds([pid])
            if seconds or pid in self.last:
                self.last[pid] = seconds

    def __enter__(self):
        self._sample()
        self.start_ticks = dict(self.last)
        self.thread.start()
        return self

    def _run(self):
        while not self.stop_event.wait(self.interval):
            self._sample()

    def __exit__(self, *exc):
        self.stop_event.set()
        self.thread.join()
        self._sample()

    @property
    def seconds(self) -> float:
        return sum(v - self.start_ticks.get(pid, 0.0) for pid, v in self.last.items())
