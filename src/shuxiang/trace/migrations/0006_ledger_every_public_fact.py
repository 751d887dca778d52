"""Issue 13: everything the public page shows goes on the ledger, and counterfeit warnings need a person.

- Rows written before this version (producers, products, lots, environment tests, certificates) are
  adopted onto stream "trace" as `system:trace`, so verification reconciles them from now on; events were
  on the ledger already and only get their lot as the entries' subject. The next write or the
  minute task signs a checkpoint.
- Counterfeit warnings raised automatically from two scans were never checked by anyone: they become
  clues for the township to check, and leave the public page.
"""

from django.db import migrations
from django.utils import timezone


def adopt(apps, schema_editor):
    from shuxiang.ledger.chain import canonical, chain_hash
    from shuxiang.trace import proof

    entry_model = apps.get_model("ledger", "LedgerEntry")
    head_model = apps.get_model("ledger", "LedgerHead")
    get = apps.get_model
    for pk, lot_id in get("trace", "TraceEvent").objects.values_list("pk", "lot_id"):
        entry_model.objects.filter(stream="trace", key=f"trace.event:{pk}").update(subject=f"trace.lot:{lot_id}")
    recorded = set(entry_model.objects.filter(stream="trace").values_list("key", flat=True))
    head, _ = head_model.objects.get_or_create(stream="trace")
    at = timezone.now().replace(microsecond=0)
    kinds = [
        ("trace.producer", get("trace", "Producer"), proof.producer_payload, lambda o: f"trace.producer:{o.pk}"),
        ("trace.product", get("trace", "Product"), proof.product_payload, lambda o: f"trace.producer:{o.producer_id}"),
        ("trace.lot", get("trace", "Lot"), proof.lot_payload, lambda o: f"trace.lot:{o.pk}"),
        ("trace.envtest", get("trace", "EnvironmentTest"), proof.environment_test_payload, lambda o: f"trace.plot:{o.plot_id}"),
        ("trace.certificate", get("trace", "Certificate"), proof.certificate_payload, lambda o: f"trace.lot:{o.lot_id}"),
    ]
    for prefix, model, payload, subject in kinds:
        for obj in model.objects.order_by("pk"):
            key = f"{prefix}:{obj.pk}"
            if key in recorded:
                continue
            seq = head.seq + 1
            body = canonical(
                {"stream": "trace", "seq": seq, "key": key, "at": at, "actor": "system:trace", "payload": payload(obj)}
            )
            digest = chain_hash(head.hash, body)
            entry_model.objects.create(
                stream="trace", seq=seq, key=key, subject=subject(obj), body=body, prev_hash=head.hash, hash=digest
            )
            head.seq, head.hash = seq, digest
    head.save(update_fields=["seq", "hash"])


def warnings_to_clues(apps, schema_editor):
    lot_model = apps.get_model("trace", "Lot")
    for lot in lot_model.objects.filter(suspicious=True):
        lot.clue_reason, lot.clue_at = lot.suspicious_reason, timezone.now()
        lot.suspicious, lot.suspicious_reason = False, ""
        lot.version += 1
        lot.save(update_fields=["clue_reason", "clue_at", "suspicious", "suspicious_reason", "version"])


class Migration(migrations.Migration):
    dependencies = [
        ("trace", "0005_counterfeit_clues_and_ledger"),
        ("ledger", "0002_signed_checkpoints"),
    ]

    operations = [
        migrations.RunPython(adopt, migrations.RunPython.noop),
        migrations.RunPython(warnings_to_clues, migrations.RunPython.noop),
    ]
