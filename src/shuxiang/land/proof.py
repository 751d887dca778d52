"""What the land app writes on the ledger (stream "land") and how the ledger reads it back.

Every step of an exchange listing (its publication, each bid, the deal, each objection) and every
dividend run once the township has approved it (its amount, per-share value and every line) is an
entry, so a bidder can check the deal and a member can check their line against the signed chain.
`fetch` recomputes each payload from the tables, so an edit behind the services is caught by
`shuxiang ledger verify`.
"""

from dataclasses import dataclass

STREAM = "land"
COLLECTIVE = "collective"


def listing_payload(x) -> dict:
    return {
        "type": "listing",
        "code": x.code,
        "village": x.village.code,
        "title": x.title,
        "assetKind": x.asset_kind,
        "parcels": sorted(p.code for p in x.parcels.all()),
        "reservePrice": x.reserve_price,
        "termYears": x.term_years,
        "mode": x.mode,
        "publishFrom": x.publish_from,
        "publishUntil": x.publish_until,
        "noticeDays": x.notice_days,
    }


def bid_payload(b) -> dict:
    return {
        "type": "bid",
        "listing": b.listing.code,
        "bidder": b.bidder_id,
        "amount": b.amount,
        "at": b.placed_at,
    }


def deal_payload(d) -> dict:
    return {
        "type": "deal",
        "listing": d.listing.code,
        "bid": d.bid_id,
        "amount": d.amount,
        "at": d.made_at,
        "noticeUntil": d.notice_until,
    }


def objection_payload(o) -> dict:
    return {"type": "objection", "listing": o.deal.listing.code, "text": o.text, "at": o.received_at}


def distribution_payload(d) -> dict:
    return {
        "type": "distribution",
        "cooperative": d.cooperative.village.code,
        "period": d.period,
        "amount": d.amount,
        "totalShares": d.total_shares,
        "perShare": d.per_share,
        "inputs": d.inputs_digest,
        "lines": [
            [p.member.code if p.member_id else COLLECTIVE, str(p.shares), str(p.amount)]
            for p in d.payouts.select_related("member").order_by("member__code")
        ],
    }


@dataclass(frozen=True)
class Kind:
    prefix: str
    model_name: str
    payload: object
    related: tuple = ()
    recorded: dict | None = None  # filter: which rows should be on the ledger

    @property
    def model(self):
        from django.apps import apps

        return apps.get_model("land", self.model_name)


KINDS = (
    Kind("land.listing", "Listing", listing_payload, ("village",), {"publish_from__isnull": False}),
    Kind("land.bid", "Bid", bid_payload, ("listing",)),
    Kind("land.deal", "Deal", deal_payload, ("listing",)),
    Kind("land.objection", "Objection", objection_payload, ("deal__listing",)),
    Kind(
        "land.distribution",
        "Distribution",
        distribution_payload,
        ("cooperative__village",),
        {"status__in": ["township", "paid"]},
    ),
)
BY_PREFIX = {k.prefix: k for k in KINDS}


def record(obj, *, actor, subject: str = ""):
    """Chain `obj`'s payload onto the land stream (inside the caller's transaction)."""
    from shuxiang.ledger import services as ledger

    kind = next(k for k in KINDS if k.model is type(obj))
    return ledger.append(
        STREAM, kind.payload(obj), key=f"{kind.prefix}:{obj.pk}", subject=subject, actor=actor
    )


def fetch(keys) -> dict:
    wanted: dict[str, list[int]] = {}
    for key in keys:
        prefix, _, pk = key.rpartition(":")
        if prefix in BY_PREFIX and pk.isdigit():
            wanted.setdefault(prefix, []).append(int(pk))
    found = {}
    for prefix, ids in wanted.items():
        kind = BY_PREFIX[prefix]
        for obj in kind.model.objects.filter(pk__in=ids).select_related(*kind.related).order_by():
            found[f"{prefix}:{obj.pk}"] = kind.payload(obj)
    return found


def every():
    for kind in KINDS:
        qs = kind.model.objects.order_by("pk")
        if kind.recorded:
            qs = qs.filter(**kind.recorded)
        for pk in qs.values_list("pk", flat=True).iterator(chunk_size=5000):
            yield f"{kind.prefix}:{pk}"
