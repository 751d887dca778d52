"""Issue 23 bench: backup/restore and field-key rotation at county scale (PostgreSQL only).

Data: the Heshan demo, generated people up to 200,000 (each with an encrypted ID number and phone and their
keyed digests, as in the people scenario) and generated readings (BENCH_READINGS, default 10,000,000: the issue's
scale; ~10 minutes in all on this 2-core machine) on the month-partitioned
reading table. Same run, same data:

- `shuxiang backup` (pg_dump -Fc inside, plus manifest, checksums and the tar) against `pg_dump -Fc` alone;
- `shuxiang restore` into a new database (checks, pg_restore, migrate) against `createdb` + `pg_restore` alone;
- `shuxiang keys rotate` (batches of 1,000 rows, one transaction each, resumable, every encrypted column of
  every model) against a bare script doing the same decrypt/encrypt of core.Person's encrypted columns with
  one `executemany` UPDATE per 1,000 rows.

`BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_ops python -m bench operations` (the default URL).
"""

import os
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

from bench.harness import SHUXIANG, manage, scratch_env, table
from bench.scenario_people import SEED_SCRIPT

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_ops"
NEW_KEY = "bench-" + "n" * 40

READINGS_SQL = """
WITH s AS (SELECT id FROM iot_sensor ORDER BY id LIMIT %(sensors)s)
INSERT INTO iot_reading (sensor_id, ts, value)
SELECT s.id, date_trunc('minute', now()) - g * interval '1 minute', round((random() * 100)::numeric, 2)
FROM s CROSS JOIN generate_series(1, %(per_sensor)s) AS g
ON CONFLICT DO NOTHING
"""

BARE_ROTATE = r"""
import time, psycopg
from django.db import connection
from shuxiang.core import pii
from shuxiang.core.models import Person
fields = [f.column for f in Person._meta.concrete_fields if isinstance(f, pii.EncryptedTextField)]
t0 = time.monotonic()
rows = 0
with connection.cursor() as cur:
    cur.execute(f"SELECT id, {', '.join(fields)} FROM core_person ORDER BY id")
    data = cur.fetchall()
sets = ", ".join(f"{c} = %s" for c in fields)
for start in range(0, len(data), 1000):
    params = []
    for row in data[start : start + 1000]:
        params.append([pii.encrypt(pii.decrypt(v)) if v else v for v in row[1:]] + [row[0]])
    with connection.cursor() as cur:
        cur.executemany(f"UPDATE core_person SET {sets} WHERE id = %s", params)
    rows += len(params)
print(rows, round(time.monotonic() - t0, 2))
"""


def _admin(url: str):
    import psycopg

    parts = urlparse(url)
    return psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or None,
        password=parts.password or None,
        dbname="postgres",
        autocommit=True,
    )


def _with_db(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


def _timed(cmd, env) -> float:
    t0 = time.monotonic()
    subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
    return time.monotonic() - t0


def _shell(env, script):
    return subprocess.run(
        [SHUXIANG, "shell", "--no-imports", "-c", script], env=env, check=True, capture_output=True, text=True
    ).stdout


def run(args):
    people = 20_000 if args.quick else 200_000
    readings = 200_000 if args.quick else int(os.environ.get("BENCH_READINGS", "10000000"))
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    base = urlparse(url).path.lstrip("/")
    names = {"main": base}
    for i in (0, 1):
        names[f"restored{i}"], names[f"bare{i}"] = f"{base}_restored{i}", f"{base}_bare{i}"
    with _admin(url) as conn:
        for name in names.values():
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{base}"')
    work = Path(tempfile.mkdtemp(prefix="shuxiang-ops-bench-"))
    with scratch_env(url) as env:
        t0 = time.monotonic()
        manage(env, "migrate", "--noinput")
        manage(env, "demo")
        _shell(env, SEED_SCRIPT.replace("sys.argv[-1]", str(people - 2000)))
        import psycopg

        with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
            sensors = conn.execute("SELECT count(*) FROM iot_sensor").fetchone()[0]
            assert sensors, "the demo made no sensors"
            use = min(sensors, 200)
            conn.execute(READINGS_SQL, {"sensors": use, "per_sensor": readings // use})
            conn.execute("ANALYZE")
            total_people = conn.execute("SELECT count(*) FROM core_person").fetchone()[0]
            total_readings = conn.execute("SELECT count(*) FROM iot_reading").fetchone()[0]
            db_size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        seeded = time.monotonic() - t0

        # Each comparison runs in both orders (A B B A): the one that runs second would otherwise gain from a
        # warm cache or lose to autovacuum still busy with the freshly loaded tables. Totals are compared.
        # backup: the platform's archive against pg_dump alone
        t_backups, t_dumps = [], []
        for order in (("dump", "backup"), ("backup", "dump")):
            for step in order:
                if step == "backup":
                    out = work / f"archives-{len(t_backups)}"
                    t_backups.append(_timed([SHUXIANG, "backup", "--to", str(out)], env))
                else:
                    dump_file = work / f"bare-{len(t_dumps)}.pgdump"
                    t_dumps.append(
                        _timed(
                            [
                                "pg_dump",
                                "-Fc",
                                "--no-owner",
                                "--no-privileges",
                                "-f",
                                str(dump_file),
                                "-d",
                                base,
                            ]
                            + _pg_conn(url),
                            env,
                        )
                    )
        archive = next((work / "archives-0").glob("shuxiang-*.tar"))
        # restore: the platform (checks, create, pg_restore, migrate if needed) against createdb + pg_restore alone
        t_restores, t_pg_restores = [], []
        for order in (("restore", "bare"), ("bare", "restore")):
            for step in order:
                if step == "restore":
                    name = names[f"restored{len(t_restores)}"]
                    target_env = {**env, "DATABASE_URL": _with_db(url, name)}
                    target_env["SHUXIANG_VAR_DIR"] = str(work / f"restored-var-{len(t_restores)}")
                    t_restores.append(_timed([SHUXIANG, "restore", str(archive)], target_env))
                else:
                    name = names[f"bare{len(t_pg_restores)}"]
                    t1 = time.monotonic()
                    subprocess.run(["createdb", *_pg_conn(url), name], env=env, check=True)
                    subprocess.run(
                        [
                            "pg_restore",
                            "--no-owner",
                            "--no-privileges",
                            "--exit-on-error",
                            "--single-transaction",
                        ]
                        + _pg_conn(url)
                        + ["-d", name, str(work / "bare-0.pgdump")],
                        env=env,
                        check=True,
                        capture_output=True,
                    )
                    t_pg_restores.append(time.monotonic() - t1)
        restored_env = {**env, "DATABASE_URL": _with_db(url, names["restored0"])}
        restored_env["SHUXIANG_VAR_DIR"] = str(work / "restored-var-0")
        t_backup, t_dump, t_restore, t_pg_restore = (
            sum(t_backups),
            sum(t_dumps),
            sum(t_restores),
            sum(t_pg_restores),
        )

        # key rotation: the platform on the restored copy, the bare script on the pg_restore'd copy
        old_key = env["SHUXIANG_FIELD_KEY"]
        rotate_env = {
            **restored_env,
            "SHUXIANG_FIELD_KEY": f"{NEW_KEY},{old_key}",
            "SHUXIANG_DIGEST_KEY": old_key,
        }
        t2 = time.monotonic()
        rotated = subprocess.run(
            [SHUXIANG, "keys", "rotate"], env=rotate_env, check=True, capture_output=True, text=True
        ).stdout
        t_rotate = time.monotonic() - t2
        left = subprocess.run(
            [SHUXIANG, "keys", "status"], env=rotate_env, check=True, capture_output=True, text=True
        ).stdout
        bare_env = {
            **rotate_env,
            "DATABASE_URL": _with_db(url, names["bare0"]),
            "SHUXIANG_VAR_DIR": str(work / "bare-var"),
        }
        bare_rows, t_bare_rotate = _shell(bare_env, BARE_ROTATE).split()[-2:]
        archive_mb = archive.stat().st_size / 1e6
        dump_mb = (work / "bare-0.pgdump").stat().st_size / 1e6
    with _admin(url) as conn:
        for name in names.values():
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    subprocess.run(["rm", "-rf", str(work)], check=False)

    rotated_lines = [line for line in rotated.splitlines() if "重新加密" in line]
    text = [
        f"### Backup, restore and key rotation: {total_people:,} people, {total_readings:,} readings (PostgreSQL)",
        "",
        f"Command: `make bench BENCH_ARGS=operations` (BENCH_READINGS={readings}); database "
        f"{db_size / 1e6:.0f} MB on disk; seeding took {seeded:.0f} s.",
        "",
        table(
            [
                ("`shuxiang backup`", _two(t_backups), f"{archive_mb:.0f} MB archive"),
                ("`pg_dump -Fc` alone", _two(t_dumps), f"{dump_mb:.0f} MB dump"),
                ("`shuxiang restore` (checks, create, pg_restore, migrate if needed)", _two(t_restores), ""),
                ("`createdb` + `pg_restore --single-transaction` alone", _two(t_pg_restores), ""),
                ("`shuxiang keys rotate`", f"{t_rotate:.1f}", "; ".join(rotated_lines[:3])),
                (
                    "bare re-encryption script (core.Person only)",
                    f"{float(t_bare_rotate):.1f}",
                    f"{bare_rows} rows",
                ),
            ],
            ["step", "seconds (A B B A order: first, second run)", "note"],
        ),
        "",
        f"Load average at the end: {os.getloadavg()[0]:.1f}. "
        f"Ratios of the two runs' totals: backup takes **{t_backup / t_dump:.2f}×** pg_dump alone; restore **{t_restore / t_pg_restore:.2f}×** "
        f"createdb + pg_restore alone; key rotation **{t_rotate / float(t_bare_rotate):.2f}×** the bare script. "
        f"`keys status` afterwards: {left.strip().splitlines()[-1]}",
    ]
    return "\n".join(text) + "\n"


def _two(times) -> str:
    return " / ".join(f"{t:.1f}" for t in times)


def _pg_conn(url: str) -> list[str]:
    parts = urlparse(url)
    args = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432)]
    if parts.username:
        args += ["-U", parts.username]
    return args
