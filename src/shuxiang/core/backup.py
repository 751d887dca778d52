"""Backup and restore (docs/operations.md): one file, one consistent archive.

An archive is a tar file holding `manifest.json`, the database (`database.sqlite3`, made with SQLite's online
backup API, or `database.pgdump`, made by `pg_dump -Fc` — both consistent while the platform runs) and the
uploaded files under `media/` (from the folder SHUXIANG_MEDIA_ROOT or from the S3-compatible bucket
SHUXIANG_S3_BUCKET — whichever the installation uses; a restore writes them into whichever the target uses, so
an archive also moves files from a shared folder into a bucket). The manifest names the schema (the last migration of every app), the
database vendor and every member's size and SHA-256. Keys are never in it: SHUXIANG_SECRET_KEY,
SHUXIANG_FIELD_KEY and the ledger's signing key are backed up separately (without the field key the
archive's personal data cannot be read — that is the point).

The archive is written as `<name>.partial` and renamed only when complete and synced, so a backup killed
half-way leaves no file that looks like a backup. Restore checks everything before it writes anything: the
checksums, the schema (an archive from a newer version is refused), an empty target database (created if
absent), and that uploaded files already present are the same files.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, connections
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from shuxiang.core.errors import ServiceError

FORMAT = 1
CHUNK = 1 << 20


class BackupError(ServiceError):
    """A backup or restore refused, with the machine code and a Chinese message (nothing was written)."""

    def __init__(self, code: str, message: str):
        super().__init__(code, message, {})


@dataclass
class Summary:
    path: Path
    size: int
    files: int
    schema: dict


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def applied_schema() -> dict[str, str]:
    """The last applied migration of every app: what an archive's data is shaped like."""
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    latest: dict[str, str] = {}
    for app, name in loader.applied_migrations:
        if app not in latest or name > latest[app]:
            latest[app] = name
    return dict(sorted(latest.items()))


def code_migrations() -> dict[str, set[str]]:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    known: dict[str, set[str]] = {}
    for app, name in loader.disk_migrations:
        known.setdefault(app, set()).add(name)
    return known


def pending_migrations() -> list[tuple[str, str]]:
    """The migrations this code would apply to the database now. A restore of an archive made by the same
    version has none: running `migrate` anyway would cost seconds of post-migrate work for nothing."""
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [(migration.app_label, migration.name) for migration, _backwards in plan]


def _db_settings(alias="default") -> dict:
    return connections[alias].settings_dict


def _pg_env(db: dict) -> dict:
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return env


def _pg_args(db: dict, name: str | None = None) -> list[str]:
    args = ["-d", name or db["NAME"]]
    if db.get("HOST"):
        args += ["-h", str(db["HOST"])]
    if db.get("PORT"):
        args += ["-p", str(db["PORT"])]
    if db.get("USER"):
        args += ["-U", str(db["USER"])]
    return args


def _dump_database(into: Path) -> str:
    db = _db_settings()
    if connection.vendor == "postgresql":
        target = into / "database.pgdump"
        result = subprocess.run(
            ["pg_dump", "-Fc", "--no-owner", "--no-privileges", "-f", str(target), *_pg_args(db)],
            env=_pg_env(db),
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise BackupError("dump_failed", f"pg_dump 失败：{result.stderr.strip()[:300]}")
        return target.name
    target = into / "database.sqlite3"
    connection.ensure_connection()
    destination = sqlite3.connect(target)
    try:
        connection.connection.backup(destination)  # SQLite's online backup API: a consistent copy
    finally:
        destination.close()
    return target.name


# --- uploaded files: the folder MEDIA_ROOT, or any Django storage (an S3-compatible bucket) ---------------


def _media_storage():
    """The storage uploaded files live in, or None for the plain folder MEDIA_ROOT (read as files)."""
    from django.core.files.storage import FileSystemStorage, storages

    storage = storages["default"]
    return None if isinstance(storage, FileSystemStorage) else storage


def media_kind() -> str:
    storage = _media_storage()
    return "filesystem" if storage is None else type(storage).__name__


def _media_files() -> list[str]:
    """Every uploaded file's name relative to the media root (the name Attachment.file holds)."""
    storage = _media_storage()
    if storage is None:
        root = Path(settings.MEDIA_ROOT)
        if not root.exists():
            return []
        return sorted(
            p.relative_to(root).as_posix()
            for p in root.rglob("*")
            if p.is_file() and not p.name.endswith(".partial")
        )
    names, folders = [], [""]
    while folders:
        folder = folders.pop()
        subfolders, files = storage.listdir(folder)
        prefix = f"{folder}/" if folder else ""
        folders += [prefix + d for d in subfolders]
        names += [prefix + f for f in files if not f.endswith(".partial")]
    return sorted(names)


def _open_media(name: str):
    storage = _media_storage()
    if storage is None:
        return open(Path(settings.MEDIA_ROOT) / name, "rb")  # noqa: SIM115 — the caller closes it
    return storage.open(name, "rb")


def _media_size(name: str) -> int:
    storage = _media_storage()
    if storage is None:
        return (Path(settings.MEDIA_ROOT) / name).stat().st_size
    return storage.size(name)


def _media_sha256(name: str) -> str | None:
    """The file's checksum, or None when there is no file of that name."""
    storage = _media_storage()
    if storage is None:
        path = Path(settings.MEDIA_ROOT) / name
        return sha256_file(path) if path.exists() else None
    if not storage.exists(name):
        return None
    digest = hashlib.sha256()
    with storage.open(name, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _write_media(name: str, source) -> None:
    storage = _media_storage()
    if storage is None:
        target = Path(settings.MEDIA_ROOT) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        with open(partial, "wb") as dst:
            shutil.copyfileobj(source, dst, CHUNK)
        os.replace(partial, target)
        return
    from django.core.files import File

    saved = storage.save(name, File(source, name=name))
    if saved != name:  # another process wrote the same name meanwhile: keep ours out rather than rename
        storage.delete(saved)
        raise BackupError("media_conflict", f"上传文件 media/{name} 恢复时已被写入，未覆盖")


def create_backup(to: Path | None = None, *, now=None) -> Summary:
    """Write one archive into `to` (SHUXIANG_BACKUP_DIR by default) and return what it holds."""
    to = Path(to or settings.BACKUP_DIR)
    to.mkdir(parents=True, exist_ok=True)
    stamp = timezone.localtime(now or timezone.now()).strftime("%Y%m%d-%H%M%S")
    final = to / f"shuxiang-{stamp}.tar"
    partial = final.with_name(final.name + ".partial")
    schema = applied_schema()
    with tempfile.TemporaryDirectory(dir=to) as work:
        work = Path(work)
        dump = _dump_database(work)
        members = [{"name": dump, "size": (work / dump).stat().st_size, "sha256": sha256_file(work / dump)}]
        media = _media_files()
        for rel in media:
            members.append({"name": f"media/{rel}", "size": _media_size(rel), "sha256": _media_sha256(rel)})
        manifest = {
            "format": FORMAT,
            "product": "shuxiang",
            "created_at": timezone.now().isoformat(),
            "node": settings.NODE,
            "vendor": connection.vendor,
            "media_storage": media_kind(),
            "schema": schema,
            "members": members,
        }
        body = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
        try:
            with tarfile.open(partial, "w") as tar:
                info = tarfile.TarInfo("manifest.json")
                info.size = len(body)
                info.mtime = int(timezone.now().timestamp())
                tar.addfile(info, io.BytesIO(body))
                tar.add(work / dump, arcname=dump)
                for member in members[1:]:
                    rel = member["name"][len("media/") :]
                    info = tarfile.TarInfo(member["name"])
                    info.size = member["size"]
                    info.mtime = int(timezone.now().timestamp())
                    info.mode = 0o644
                    with _open_media(rel) as fh:
                        # the bytes checksummed above: a file changed meanwhile would not match on restore
                        tar.addfile(info, fh)
            with open(partial, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(partial, final)
        finally:
            if partial.exists():
                partial.unlink()
    from shuxiang.core import heartbeats

    heartbeats.beat("backup", path=final.name, size=final.stat().st_size)  # /metrics: the last backup's age
    return Summary(final, final.stat().st_size, len(media), schema)


def rotate(directory: Path | None = None, keep: int | None = None) -> list[Path]:
    """Keep the newest `keep` complete archives (SHUXIANG_BACKUP_KEEP); delete the rest and any leftover
    `.partial` of a backup that was killed."""
    directory = Path(directory or settings.BACKUP_DIR)
    keep = settings.BACKUP_KEEP if keep is None else keep
    removed = []
    if not directory.exists() or keep <= 0:
        return removed
    archives = sorted(directory.glob("shuxiang-*.tar"), reverse=True)
    for old in [*archives[keep:], *directory.glob("shuxiang-*.tar.partial")]:
        old.unlink(missing_ok=True)
        removed.append(old)
    return removed


# --- restore -------------------------------------------------------------------------------------


def read_manifest(archive: Path) -> tuple[dict, tarfile.TarFile]:
    try:
        tar = tarfile.open(archive, "r:")  # noqa: SIM115 — handed to the caller, who closes it
    except (tarfile.TarError, OSError) as exc:
        raise BackupError("damaged", f"备份文件无法读取：{exc}") from exc
    try:
        raw = tar.extractfile("manifest.json")
        manifest = json.loads(raw.read()) if raw else None
    except (KeyError, ValueError, tarfile.TarError) as exc:
        tar.close()
        raise BackupError("damaged", "备份文件缺少清单（manifest.json）或清单已损坏") from exc
    if not isinstance(manifest, dict) or manifest.get("product") != "shuxiang":
        tar.close()
        raise BackupError("damaged", "这不是数乡的备份文件")
    if manifest.get("format") != FORMAT:
        tar.close()
        raise BackupError("format", f"备份格式 {manifest.get('format')} 不受本版本支持")
    return manifest, tar


def verify_archive(archive: Path) -> dict:
    """Every member present with its size and checksum; the schema known to this code. Returns the manifest."""
    manifest, tar = read_manifest(archive)
    with tar:
        names = {m.name: m for m in tar.getmembers() if m.isfile()}
        for member in manifest["members"]:
            name = member["name"]
            if name.startswith(("/", "..")) or "/../" in name or name not in names:
                raise BackupError("damaged", f"备份文件缺少 {name}")
            digest = hashlib.sha256()
            fh = tar.extractfile(names[name])
            while chunk := fh.read(CHUNK):
                digest.update(chunk)
            if digest.hexdigest() != member["sha256"]:
                raise BackupError("checksum", f"备份文件中的 {name} 校验和不符：文件已损坏或被改动")
    known = code_migrations()
    newer = [f"{app}.{name}" for app, name in manifest["schema"].items() if name not in known.get(app, set())]
    if newer:
        raise BackupError(
            "newer_schema",
            "备份来自更新的版本（本版本没有这些迁移：" + "、".join(newer[:5]) + "），请先升级再恢复",
        )
    return manifest


def _target_is_empty() -> bool:
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    if not tables:
        return True
    if "django_migrations" in tables:
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM django_migrations")
            if cursor.fetchone()[0]:
                return False
    return not any(t for t in tables if t != "django_migrations")


def _ensure_pg_database(db: dict) -> None:
    """Create the target database when absent (connecting to the server's `postgres` database)."""
    import psycopg

    conninfo = {
        k: v
        for k, v in {
            "host": db.get("HOST"),
            "port": db.get("PORT"),
            "user": db.get("USER"),
            "password": db.get("PASSWORD"),
        }.items()
        if v
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **conninfo) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{db["NAME"]}"')


def _check_media(manifest, tar) -> list[dict]:
    """The uploaded files to write; refuses when a different file already sits at one's place."""
    todo = []
    for member in manifest["members"]:
        if not member["name"].startswith("media/"):
            continue
        present = _media_sha256(member["name"][len("media/") :])
        if present is not None:
            if present != member["sha256"]:
                raise BackupError(
                    "media_conflict", f"上传文件 {member['name']} 已存在且内容不同，未做任何恢复"
                )
            continue
        todo.append(member)
    return todo


def restore_backup(archive: Path) -> dict:
    """Restore `archive` into the configured, empty database and media folder. Checks first, then writes."""
    archive = Path(archive)
    manifest = verify_archive(archive)
    db = _db_settings()
    vendor = connection.vendor
    if manifest["vendor"] != vendor:
        raise BackupError(
            "vendor",
            f"备份来自 {manifest['vendor']} 数据库，不能恢复到 {vendor}（先恢复到同类数据库，再迁移）",
        )
    if vendor == "postgresql":
        connection.close()
        _ensure_pg_database(db)
    if not _target_is_empty():
        raise BackupError(
            "not_empty", "目标数据库不是空的：恢复只写入空数据库（新建一个，或换一个 DATABASE_URL）"
        )
    with tarfile.open(archive, "r:") as tar:
        media = _check_media(manifest, tar)
        dump = next(m["name"] for m in manifest["members"] if m["name"].startswith("database."))
        with tempfile.TemporaryDirectory() as work:
            tar.extract(dump, work, filter="data")
            source = Path(work) / dump
            if vendor == "postgresql":
                connection.close()
                result = subprocess.run(
                    [
                        "pg_restore",
                        "--no-owner",
                        "--no-privileges",
                        "--exit-on-error",
                        "--single-transaction",
                        *_pg_args(db),
                        str(source),
                    ],
                    env=_pg_env(db),
                    capture_output=True,
                    text=True,
                )
                if result.returncode != 0:
                    raise BackupError("restore_failed", f"pg_restore 失败：{result.stderr.strip()[:300]}")
            else:
                connection.ensure_connection()
                origin = sqlite3.connect(source)
                try:
                    origin.backup(connection.connection)
                finally:
                    origin.close()
        for member in media:
            with tar.extractfile(member["name"]) as src:
                _write_media(member["name"][len("media/") :], src)
    connection.close()
    return manifest
