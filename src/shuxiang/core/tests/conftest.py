"""Fixtures of the operations tests (backup, restore, object storage)."""

import os
import uuid

import pytest
from django.conf import settings
from django.db import connection


@pytest.fixture
def fresh_target(tmp_path):
    """Environment of a second installation: its own var dir and an empty database, the same keys."""
    env = dict(os.environ)
    env.update(
        SHUXIANG_TESTING="true",
        SHUXIANG_VAR_DIR=str(tmp_path / "restored"),
        SHUXIANG_MEDIA_ROOT=str(tmp_path / "restored" / "media"),
        SHUXIANG_SECRET_KEY=settings.SECRET_KEY,
        SHUXIANG_FIELD_KEY=settings.FIELD_KEY,
        SHUXIANG_DIGEST_KEY=settings.DIGEST_KEY,
        SHUXIANG_LEDGER_SIGNING_KEY=settings.LEDGER_SIGNING_KEY,
        DJANGO_SETTINGS_MODULE="shuxiang.settings",
    )
    name = None
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        name = f"restore_{uuid.uuid4().hex[:8]}"
        auth = f"{db['USER']}@" if db.get("USER") else ""
        env["DATABASE_URL"] = (
            f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{name}"
        )
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'restored' / 'shuxiang.sqlite3'}"
    (tmp_path / "restored").mkdir()
    yield env
    if name:
        import psycopg

        db = connection.settings_dict
        with psycopg.connect(
            dbname="postgres",
            host=db.get("HOST") or "127.0.0.1",
            user=db.get("USER") or None,
            autocommit=True,
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
