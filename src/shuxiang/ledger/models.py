"""The tamper-evident ledger: append-only hash chains, one per stream.

A stream is a named sequence of records that must stay provable — trace
events today, land dividends and the audit trail later. Each entry stores the
canonical JSON text of what was recorded and the SHA-256 of (previous hash +
that text), so editing, reordering or deleting any stored row breaks the chain
at that row, and editing the source record breaks its agreement with the entry.
"""

from django.db import models

from shuxiang.core.scope import declare_unscoped
from shuxiang.ledger.chain import GENESIS


class LedgerHead(models.Model):
    """The latest entry of one stream. Appends lock this row, so one stream grows one entry at a time."""

    stream = models.CharField("账本流", max_length=100, unique=True)
    seq = models.PositiveBigIntegerField("条目数", default=0)
    hash = models.CharField("链头哈希", max_length=64, default=GENESIS)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "账本链头"
        verbose_name_plural = "账本链头"

    def __str__(self):
        return f"{self.stream}#{self.seq}"


class LedgerEntry(models.Model):
    """One recorded fact: its canonical text, the hash before it and its own hash. Never updated."""

    stream = models.CharField("账本流", max_length=100)
    seq = models.PositiveBigIntegerField("序号")
    key = models.CharField("对象键", max_length=100, blank=True, db_index=True)
    # What the entry is about, for finding every entry of one object (a lot's events, certificates):
    # a lookup index, not part of the hashed body.
    subject = models.CharField("所属对象", max_length=100, blank=True)
    body = models.TextField("规范化内容")
    prev_hash = models.CharField("前一哈希", max_length=64)
    hash = models.CharField("哈希", max_length=64, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "账本条目"
        verbose_name_plural = "账本条目"
        ordering = ["stream", "seq"]
        indexes = [models.Index(fields=["stream", "subject"], name="ledger_entry_subject")]
        constraints = [
            models.UniqueConstraint(
                fields=["stream", "seq"],
                name="ledger_entry_seq_unique",
                violation_error_message="账本序号重复",
            ),
            models.UniqueConstraint(
                fields=["stream", "key"],
                condition=~models.Q(key=""),
                name="ledger_entry_key_unique",
                violation_error_message="同一对象已记入账本",
            ),
        ]

    def __str__(self):
        return f"{self.stream}#{self.seq}"


class LedgerCheckpoint(models.Model):
    """A signed statement of a stream's head at a moment: number `n` in one append-only log.

    `body` is the canonical JSON that is signed (Ed25519) and hashed into `digest`; it names the
    previous checkpoint's digest (`prev`), so the log is itself a chain. The public feed exports it, and a
    copy kept by anyone else shows a later rewrite of the chain or of the log."""

    number = models.PositiveBigIntegerField("检查点编号", unique=True)
    stream = models.CharField("账本流", max_length=100)
    seq = models.PositiveBigIntegerField("序号")
    hash = models.CharField("链头哈希", max_length=64)
    body = models.TextField("签名内容")
    digest = models.CharField("检查点哈希", max_length=64)
    signature = models.CharField("签名", max_length=128)
    key_id = models.CharField("公钥标识", max_length=16)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "账本检查点"
        verbose_name_plural = "账本检查点"
        ordering = ["-number"]
        indexes = [models.Index(fields=["stream", "seq"], name="ledger_checkpoint_seq")]

    def __str__(self):
        return f"#{self.number} {self.stream}@{self.seq}"


declare_unscoped(LedgerHead, "internal bookkeeping of the ledger engine")
declare_unscoped(LedgerEntry, "public proofs; read through ledger.services.verify and the verify endpoint")
declare_unscoped(LedgerCheckpoint, "public proofs; read through the verify endpoint")
