"""Rotating the field-encryption key without downtime (docs/operations.md, `shuxiang keys rotate`).

1. Put the new key first: SHUXIANG_FIELD_KEY=new,old (and pin SHUXIANG_DIGEST_KEY=old if it is not set yet:
   lookup digests — ID numbers, device tokens, Open311 keys — keep their key, they cannot all be rebuilt
   because tokens are kept only as digests). Restart: new writes use the new key, old values still decrypt.
2. `shuxiang keys rotate` re-encrypts every encrypted column with the new key, in batches of rows, each batch
   one transaction; values already under the new key are skipped, so a run killed at any moment is resumed by
   running it again (a progress file under var/ lets it start where it stopped).
3. When `shuxiang keys status` shows nothing left, drop the old key from SHUXIANG_FIELD_KEY.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction

from shuxiang.core import audit, pii
from shuxiang.core.actors import OPERATOR


@dataclass
class Column:
    model: type
    fields: list  # EncryptedTextField instances of the model

    @property
    def label(self) -> str:
        return self.model._meta.label


def encrypted_columns() -> list[Column]:
    found = []
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, pii.EncryptedTextField)]
        if fields and model._meta.managed:
            found.append(Column(model, fields))
    return sorted(found, key=lambda c: c.label)


def _progress_path() -> Path:
    return Path(settings.VAR_DIR) / "keys-rotate.json"


def _load_progress(current_key_id: str) -> dict:
    path = _progress_path()
    if path.exists():
        state = json.loads(path.read_text())
        if state.get("key") == current_key_id:
            return state
    return {"key": current_key_id, "done": {}}


def _save_progress(state: dict) -> None:
    path = _progress_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state))
    tmp.replace(path)


def _key_id() -> str:
    """An identifier of the current key that says nothing about it (for the progress file)."""
    import hashlib

    return hashlib.sha256(b"shuxiang-key-id:" + pii.field_keys()[0].encode()).hexdigest()[:16]


def _raw_batch(column: Column, after_pk, size: int):
    table = connection.ops.quote_name(column.model._meta.db_table)
    pk = connection.ops.quote_name(column.model._meta.pk.column)
    cols = ", ".join(connection.ops.quote_name(f.column) for f in column.fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {pk}, {cols} FROM {table} WHERE {pk} > %s ORDER BY {pk} LIMIT %s", [after_pk, size]
        )
        return cursor.fetchall()


def _rewrite(column: Column, rows) -> int:
    table = connection.ops.quote_name(column.model._meta.db_table)
    pk = connection.ops.quote_name(column.model._meta.pk.column)
    changed = 0
    with connection.cursor() as cursor:
        for row in rows:
            updates = {}
            for field, value in zip(column.fields, row[1:], strict=True):
                if value and not pii.is_current(value):
                    updates[field.column] = pii.encrypt(pii.decrypt(value))
            if updates:
                sets = ", ".join(f"{connection.ops.quote_name(c)} = %s" for c in updates)
                cursor.execute(f"UPDATE {table} SET {sets} WHERE {pk} = %s", [*updates.values(), row[0]])
                changed += 1
    return changed


def pending() -> dict[str, int]:
    """Rows per model holding a value not yet under the current key."""
    left = {}
    for column in encrypted_columns():
        count, after = 0, 0
        while rows := _raw_batch(column, after, 5000):
            count += sum(1 for r in rows if any(v and not pii.is_current(v) for v in r[1:]))
            after = rows[-1][0]
        if count:
            left[column.label] = count
    return left


def rotate(
    *, batch: int = 1000, max_batches: int | None = None, report: Callable[[str], None] = print
) -> dict:
    """Re-encrypt everything with the first field key. Returns {model: rows rewritten}; resumable."""
    keys = pii.field_keys()
    if len(keys) < 2:
        raise ValueError("SHUXIANG_FIELD_KEY 只有一个密钥：把新密钥放在最前面（新,旧）并重启后再轮换")
    state = _load_progress(_key_id())
    totals: dict[str, int] = {}
    batches = 0
    for column in encrypted_columns():
        after = state["done"].get(column.label, 0)
        if after == "complete":
            continue  # finished before this run was interrupted elsewhere; the file goes when all are done
        rewritten = 0
        while True:
            if max_batches is not None and batches >= max_batches:
                _save_progress(state)
                return totals
            with transaction.atomic():
                rows = _raw_batch(column, after, batch)
                if not rows:
                    break
                rewritten += _rewrite(column, rows)
            after = rows[-1][0]
            state["done"][column.label] = after
            _save_progress(state)
            batches += 1
        state["done"][column.label] = "complete"
        _save_progress(state)
        totals[column.label] = rewritten
        audit.record(
            OPERATOR, "rotate_key", object_type=column.model._meta.label_lower, changes={"rows": rewritten}
        )
        report(f"{column.model._meta.verbose_name}（{column.label}）：重新加密 {rewritten} 行")
    _progress_path().unlink(missing_ok=True)  # all done: a later rotation starts from the beginning
    return totals
