"""The directory of business entities for banks and insurers (任务13): consent, per-client field
sets and rates, and the record of every look.

The entities are trace's producers (trace.DirectoryEntry is their directory face). An outside
client (role bank or client) reads an entity only when the entity's consent is given; staff with
the directory grant read every entity in their region. Every served entity leaves a
DirectoryLookup the entity can see; every refusal (no consent, over the rate) is audited.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from shuxiang.core import audit
from shuxiang.core.actors import as_actor
from shuxiang.core.choices import STAFF_ROLES
from shuxiang.core.errors import ServiceError
from shuxiang.core.permissions import require
from shuxiang.core.ratelimit import RateLimited, hit, parse_rate
from shuxiang.markets.choices import Consent, LookupOutcome
from shuxiang.markets.models import DirectoryClient, DirectoryConsent, DirectoryLookup

# What a client without its own DirectoryClient row may read, and how often.
DEFAULT_FIELDS = ["name", "kind", "kind_display", "credit_code", "place", "place_name", "main_products"]
DEFAULT_RATE = "60/m"
# Every field the directory can give (a client's field set is a subset).
ALL_FIELDS = [
    "name",
    "kind",
    "kind_display",
    "credit_code",
    "place",
    "place_name",
    "registered_on",
    "main_products",
    "is_active",
    "contact_name",
    "contact_phone",
    "bases",
    "area_mu",
    "lots",
    "certificates",
    "failed_tests",
    "online_sales_12m",
    "consent_given_at",
]


def is_client(user) -> bool:
    """Outside clients (banks, insurers, generic API clients) see consenting entities only."""
    return getattr(user, "role", None) not in STAFF_ROLES and not getattr(user, "is_superuser", False)


def consented():
    return Exists(DirectoryConsent.objects.filter(producer=OuterRef("pk"), status=Consent.GIVEN))


def visible(user, qs):
    """The directory rows `user` may read: consenting entities for clients, all (in region) for staff."""
    return qs.filter(consented()) if is_client(user) else qs


def client_of(user) -> DirectoryClient:
    client = DirectoryClient.objects.filter(user=user).first()
    if client is None:
        client = DirectoryClient(
            user=user,
            institution=getattr(user, "display_name", "") or user.username,
            fields=DEFAULT_FIELDS,
            rate=DEFAULT_RATE,
        )
    return client


def fields_for(user) -> list[str]:
    return list(ALL_FIELDS) if not is_client(user) else [f for f in client_of(user).fields if f in ALL_FIELDS]


def check_rate(user, route: str) -> None:
    """Count one request of a client; over its rate: 429, and the first refusal of the window audited."""
    if not is_client(user):
        return
    client = client_of(user)
    rate = parse_rate(client.rate)
    decision = hit("directory", f"user:{user.pk}", rate)
    if decision.allowed:
        return
    if decision.count == rate.limit + 1:
        audit.record(
            user,
            "refused",
            object_type="trace.directoryentry",
            object_repr=f"{client.institution} 名录查询超过频率",
            changes={
                "route": route,
                "reason": "rate_limited",
                "rate": client.rate,
                "note": "本时段内此后的拒绝不再逐条记录",
            },
        )
    raise RateLimited(
        f"名录查询过于频繁：{rate.label}最多{rate.limit}次，请{decision.retry_after}秒后再试",
        decision.retry_after,
    )


def refuse_without_consent(user, producer, route: str):
    """A client asked for an entity that has not consented: audited, recorded for the entity, 404."""
    client = client_of(user)
    DirectoryLookup.objects.create(
        client=user,
        institution=client.institution,
        producer=producer,
        route=route,
        outcome=LookupOutcome.NO_CONSENT,
    )
    audit.record(
        user,
        "refused",
        producer,
        object_type="trace.directoryentry",
        changes={"route": route, "reason": "no_consent"},
    )
    # 404, as for anything outside a caller's reach: the directory a client sees has no such entity.
    raise ServiceError("no_consent", "名录中没有该经营主体，或其未同意向金融机构开放信息", status=404)


def record_served(user, producers, route: str, fields) -> None:
    """One lookup row per entity a client was shown (staff reads are not lookups by a bank)."""
    if not is_client(user) or not producers:
        return
    client = client_of(user)
    now = timezone.now()
    DirectoryLookup.objects.bulk_create(
        [
            DirectoryLookup(
                client=user,
                institution=client.institution,
                producer_id=p.pk,
                at=now,
                route=route,
                outcome=LookupOutcome.SERVED,
                fields=list(fields),
            )
            for p in producers
        ]
    )


@transaction.atomic
def do_set_consent(producer, *, actor, given: bool) -> DirectoryConsent:
    """Record an entity's consent to the directory, or its revocation (effective at once)."""
    consent = DirectoryConsent.objects.filter(producer=producer).first()
    now = timezone.now()
    typed = as_actor(actor)
    if consent is None:
        require(actor, "markets.directoryconsent.add", producer)
        if not given:
            raise ServiceError("invalid", "该主体尚未同意，无需撤回", {"given": ["尚未同意"]})
        consent = DirectoryConsent.objects.create(
            producer=producer, status=Consent.GIVEN, given_at=now, recorded_by=typed.human
        )
        audit.record_create(actor, consent)
        return consent
    require(actor, "markets.directoryconsent.change", consent)
    before = audit.snapshot(consent)
    if given:
        consent.status, consent.given_at, consent.revoked_at = Consent.GIVEN, now, None
    else:
        consent.status, consent.revoked_at = Consent.REVOKED, now
    consent.recorded_by = typed.human
    consent.save(update_fields=["status", "given_at", "revoked_at", "recorded_by"])
    audit.record_update(actor, consent, before)
    return consent


@transaction.atomic
def do_configure_client(*, actor, user, institution, fields, rate=DEFAULT_RATE) -> DirectoryClient:
    """A bank's field set and rate (admin)."""
    require(actor, "markets.directoryclient.add")
    errors = {}
    unknown = [f for f in fields or [] if f not in ALL_FIELDS]
    if not fields or unknown:
        errors["fields"] = [f"未知字段：{'、'.join(unknown)}" if unknown else "至少一个字段"]
    try:
        parse_rate(rate)
    except ValueError:
        errors["rate"] = ["频率格式如 60/m、1000/h"]
    if errors:
        raise ServiceError("invalid", "名录查询机构设置有误", errors)
    client, created = DirectoryClient.objects.update_or_create(
        user=user, defaults={"institution": institution, "fields": list(fields), "rate": rate}
    )
    (audit.record_create if created else lambda a, o: audit.record(a, "update", o))(actor, client)
    return client
