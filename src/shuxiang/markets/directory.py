"""The directory of business entities for banks and insurers (任务13): consent, per-client field
sets and rates, and the record of every look.

The entities are trace's producers (trace.DirectoryEntry is their directory face). An outside
client (role bank or client) reads an entity only when the entity's consent is given; staff with
the directory grant read every entity in their region. Every served entity leaves a
DirectoryLookup the entity can see; every refusal (no consent, over the rate) is audited.
"""

from __future__ import annotations

from decimal import Decimal

from django.apps import apps as django_apps
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from shuxiang.core import audit
from shuxiang.core.actors import as_actor
from shuxiang.core.choices import STAFF_ROLES
from shuxiang.core.errors import ServiceError
from shuxiang.core.permissions import require
from shuxiang.core.ratelimit import RateLimited, hit, parse_rate
from shuxiang.markets.choices import ClientKind, Consent, LookupOutcome
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
    "land_in_mu",
    "insurance",
    "lots",
    "certificates",
    "failed_tests",
    "online_sales_12m",
    "consent_given_at",
]


# What each field is called on the page where the administrator picks a client's field set.
FIELD_LABELS = {
    "name": "名称",
    "kind": "类型代码",
    "kind_display": "类型",
    "credit_code": "统一社会信用代码",
    "place": "所在区划代码",
    "place_name": "所在区划",
    "registered_on": "登记日期",
    "main_products": "主要产品",
    "is_active": "是否在营",
    "contact_name": "联系人",
    "contact_phone": "联系电话（脱敏）",
    "bases": "基地数",
    "area_mu": "基地面积（亩）",
    "land_in_mu": "流转流入面积（亩）",
    "insurance": "农业保险",
    "lots": "追溯批次数",
    "certificates": "合格证数",
    "failed_tests": "检测不合格次数",
    "online_sales_12m": "近12个月网络销售额",
    "consent_given_at": "同意开放时间",
}


def is_client(user) -> bool:
    """Outside clients (banks, insurers, generic API clients) see consenting entities only."""
    return getattr(user, "role", None) not in STAFF_ROLES and not getattr(user, "is_superuser", False)


def consented():
    return Exists(DirectoryConsent.objects.filter(producer=OuterRef("pk"), status=Consent.GIVEN))


def visible(user, qs):
    """The directory rows `user` may read: consenting entities for clients, all (in region) for staff."""
    return qs.filter(consented()) if is_client(user) else qs


def client_of(user) -> DirectoryClient:
    """The client's settings, read once per request: the rate check, the field set and the lookup
    rows of one answer all ask for them (kept on the user object, which lives as long as the request)."""
    cached = getattr(user, "_directory_client", None)
    if cached is not None:
        return cached
    client = DirectoryClient.objects.filter(user=user).first()
    if client is None:
        client = DirectoryClient(
            user=user,
            institution=getattr(user, "display_name", "") or user.username,
            fields=DEFAULT_FIELDS,
            rate=DEFAULT_RATE,
        )
    user._directory_client = client
    return client


def fields_for(user) -> list[str]:
    return list(ALL_FIELDS) if not is_client(user) else [f for f in client_of(user).fields if f in ALL_FIELDS]


# The figures an entity's directory row carries, for the entities of one answer in ONE statement. Hand-
# written: the same figures as ORM annotations cost ~10 ms of query compilation per answer (measured:
# docs/benchmarks.md, the bank directory), more than the database takes to compute them.
FIGURES_SQL = """
SELECT p.id,
  (SELECT COUNT(*) FROM {base} b WHERE b.producer_id = p.id),
  (SELECT SUM(b.area_mu) FROM {base} b WHERE b.producer_id = p.id),
  (SELECT COUNT(*) FROM {lot} l JOIN {product} pr ON pr.id = l.product_id WHERE pr.producer_id = p.id),
  (SELECT COUNT(*) FROM {certificate} c JOIN {lot} l ON l.id = c.lot_id
     JOIN {product} pr ON pr.id = l.product_id WHERE pr.producer_id = p.id),
  (SELECT COUNT(*) FROM {event} e JOIN {lot} l ON l.id = e.lot_id
     JOIN {product} pr ON pr.id = l.product_id
     WHERE pr.producer_id = p.id AND e.biz_step = %s AND e.test_passed = %s),
  (SELECT SUM(s.amount) FROM {sales} s JOIN {seller} se ON se.id = s.seller_id
     WHERE se.producer_id = p.id AND s.month >= %s),
  {land_in},
  (SELECT COUNT(*) FROM {policy} i WHERE i.producer_id = p.id AND i.starts_on <= %s AND i.ends_on >= %s),
  (SELECT SUM(i.sum_insured) FROM {policy} i
     WHERE i.producer_id = p.id AND i.starts_on <= %s AND i.ends_on >= %s),
  (SELECT SUM(i.claims_paid) FROM {policy} i
     WHERE i.producer_id = p.id AND i.starts_on <= %s AND i.ends_on >= %s),
  (SELECT {kinds} FROM {policy} i WHERE i.producer_id = p.id AND i.starts_on <= %s AND i.ends_on >= %s)
FROM {producer} p WHERE p.id IN ({ids})
"""
# The kinds of an entity's policies in force as one text ("hog,rice"): the aggregate is spelled per database.
KINDS_SQL = {"postgresql": "STRING_AGG(DISTINCT i.kind, ',')", "sqlite": "GROUP_CONCAT(DISTINCT i.kind)"}
# Land transferred in, from the land module when it is installed: the active transfers whose 流入方 is
# the entity (a transfer names its transferee as written on the contract: matched on the entity's name).
LAND_IN_SQL = (
    "(SELECT SUM(t.area_m2) FROM {transfer} t WHERE t.transferee = p.name AND t.status = %s"
    " AND t.start <= %s AND t.end >= %s)"
)
M2_PER_MU = Decimal("666.6667")
ZERO = Decimal("0.00")


def _decimal(value):
    """SUM over a decimal column: Decimal on PostgreSQL, int/float on SQLite — one shape out."""
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def attach_figures(entities) -> None:
    """Set n_bases, total_area, land_in_mu, n_lots, n_certificates, n_failed, sales_12m and insurance
    (the policies in force today: count, kinds, sum insured, claims paid) on each entity."""
    from shuxiang.markets.models import InsurancePolicy, SalesReport, Seller
    from shuxiang.trace.choices import BizStep
    from shuxiang.trace.models import Base, Certificate, Lot, Producer, Product, TraceEvent

    entities = list(entities)
    if not entities:
        return
    tables = {
        name: connection.ops.quote_name(model._meta.db_table)
        for name, model in {
            "base": Base,
            "lot": Lot,
            "product": Product,
            "certificate": Certificate,
            "event": TraceEvent,
            "sales": SalesReport,
            "seller": Seller,
            "producer": Producer,
            "policy": InsurancePolicy,
        }.items()
    }
    today = timezone.localdate()
    year_ago = today.replace(day=1) - timezone.timedelta(days=365)
    ids = [e.pk for e in entities]
    land_in, land_params = "NULL", []
    if django_apps.is_installed("shuxiang.land"):
        from shuxiang.land.choices import TransferStatus
        from shuxiang.land.models import Transfer

        land_in = LAND_IN_SQL.format(transfer=connection.ops.quote_name(Transfer._meta.db_table))
        land_params = [TransferStatus.ACTIVE, today, today]
    sql = FIGURES_SQL.format(
        **tables, land_in=land_in, kinds=KINDS_SQL[connection.vendor], ids=", ".join(["%s"] * len(ids))
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [BizStep.INSPECTING, False, year_ago, *land_params, *[today] * 8, *ids])
        rows = {row[0]: row[1:] for row in cursor.fetchall()}
    for entity in entities:
        bases, area, lots, certificates, failed, sales, land, policies, insured, claims, kinds = rows.get(
            entity.pk, (0, None, 0, 0, 0, None, None, 0, None, None, None)
        )
        entity.insurance = {
            "policies": policies,
            "kinds": sorted(kinds.split(",")) if kinds else [],
            "sum_insured": _decimal(insured) or ZERO,
            "claims_paid": _decimal(claims) or ZERO,
        }
        entity.land_in_mu = None if land is None else _decimal(Decimal(str(land)) / M2_PER_MU)
        entity.n_bases, entity.total_area, entity.n_lots = bases, _decimal(area), lots
        entity.n_certificates, entity.n_failed, entity.sales_12m = certificates, failed, _decimal(sales)
        try:
            consent = entity.directory_consent  # with the entity (select_related): no query
        except DirectoryConsent.DoesNotExist:
            consent = None
        entity.consenting = consent is not None and consent.status == Consent.GIVEN
        entity.consent_at = consent.given_at if entity.consenting else None


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
def do_configure_client(
    *, actor, user, institution, fields, rate=DEFAULT_RATE, kind=ClientKind.BANK
) -> DirectoryClient:
    """A bank's or insurer's field set and rate (admin); an insurer may also report its own policies."""
    existing = DirectoryClient.objects.filter(user=user).first()
    require(actor, "markets.directoryclient.change" if existing else "markets.directoryclient.add")
    errors = {}
    if not is_client(user):
        errors["user"] = ["只能为银行、保险等外部接口账号设置（工作人员按授权查看名录）"]
    if not (institution or "").strip():
        errors["institution"] = ["机构名称必填"]
    unknown = [f for f in fields or [] if f not in ALL_FIELDS]
    if not fields or unknown:
        errors["fields"] = [f"未知字段：{'、'.join(unknown)}" if unknown else "至少一个字段"]
    try:
        parse_rate(rate)
    except ValueError:
        errors["rate"] = ["频率格式如 60/m、1000/h"]
    if kind not in ClientKind.values:
        errors["kind"] = ["机构类型应为 银行、保险机构 或 其他机构"]
    if errors:
        raise ServiceError("invalid", "名录查询机构设置有误", errors)
    before = audit.snapshot(existing) if existing else None
    client, created = DirectoryClient.objects.update_or_create(
        user=user,
        defaults={"institution": institution.strip(), "kind": kind, "fields": list(fields), "rate": rate},
    )
    user.__dict__.pop("_directory_client", None)
    if created:
        audit.record_create(actor, client)
    else:
        audit.record_update(actor, client, before)
    return client
