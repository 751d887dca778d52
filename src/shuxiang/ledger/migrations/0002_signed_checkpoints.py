"""Checkpoints become a signed, numbered log (issue 13); entries get a `subject` index.

Checkpoints written before are numbered in the order they were made and signed with the installation's
key, so the log is whole from its first entry."""

import hashlib

from django.db import migrations, models


def sign_existing(apps, schema_editor):
    from shuxiang.ledger import signing
    from shuxiang.ledger.chain import GENESIS, checkpoint_body

    Checkpoint = apps.get_model("ledger", "LedgerCheckpoint")
    prev = GENESIS
    kid = signing.key_id()
    for n, cp in enumerate(Checkpoint.objects.order_by("created_at", "id"), start=1):
        body = checkpoint_body(n, cp.stream, cp.seq, cp.hash, cp.created_at, prev, kid)
        digest = hashlib.sha256(body.encode()).hexdigest()
        Checkpoint.objects.filter(pk=cp.pk).update(
            number=n, body=body, digest=digest, signature=signing.sign(body), key_id=kid
        )
        prev = digest


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="ledgerentry",
            name="subject",
            field=models.CharField(blank=True, max_length=100, verbose_name="所属对象"),
        ),
        migrations.AddIndex(
            model_name="ledgerentry",
            index=models.Index(fields=["stream", "subject"], name="ledger_entry_subject"),
        ),
        migrations.AddField(
            model_name="ledgercheckpoint",
            name="number",
            field=models.PositiveBigIntegerField(null=True, verbose_name="检查点编号"),
        ),
        migrations.AddField(
            model_name="ledgercheckpoint",
            name="body",
            field=models.TextField(default="", verbose_name="签名内容"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="ledgercheckpoint",
            name="digest",
            field=models.CharField(default="", max_length=64, verbose_name="检查点哈希"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="ledgercheckpoint",
            name="signature",
            field=models.CharField(default="", max_length=128, verbose_name="签名"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="ledgercheckpoint",
            name="key_id",
            field=models.CharField(default="", max_length=16, verbose_name="公钥标识"),
            preserve_default=False,
        ),
        migrations.RunPython(sign_existing, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="ledgercheckpoint",
            name="number",
            field=models.PositiveBigIntegerField(unique=True, verbose_name="检查点编号"),
        ),
        migrations.AlterModelOptions(
            name="ledgercheckpoint",
            options={"ordering": ["-number"], "verbose_name": "账本检查点", "verbose_name_plural": "账本检查点"},
        ),
        migrations.AddIndex(
            model_name="ledgercheckpoint",
            index=models.Index(fields=["stream", "seq"], name="ledger_checkpoint_seq"),
        ),
    ]
