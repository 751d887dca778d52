"""The ledger's public pages: its public key and the append-only log of signed checkpoints, as JSON and
Atom, for anyone to mirror. Public (no account, no cookie); nothing here is secret."""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils import feedgenerator
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_safe

from shuxiang.core.access import public_view
from shuxiang.ledger import proofs, signing

ATOM_ENTRIES = 50


def _public(response, seconds=60):
    response["Cache-Control"] = f"public, max-age={seconds}"
    return response


def _int(value, default, low, high):
    try:
        return min(max(int(value), low), high)
    except (TypeError, ValueError):
        return default


@public_view
@require_safe
def public_key(request):
    """The Ed25519 public key that signs checkpoints, as PEM (…/public-key) or JSON (…/public-key.json)."""
    if request.path.endswith(".json"):
        return _public(JsonResponse(signing.describe(), json_dumps_params={"ensure_ascii": False}), 3600)
    return _public(HttpResponse(signing.public_pem(), content_type="text/plain; charset=utf-8"), 3600)


@public_view
@require_safe
def checkpoints_json(request):
    """The checkpoint log oldest first; `?after=N` continues after checkpoint N (how a mirror keeps up)."""
    after = _int(request.GET.get("after"), 0, 0, 2**62)
    limit = _int(request.GET.get("limit"), proofs.FEED_PAGE, 1, proofs.FEED_PAGE)
    data = proofs.feed(after, limit)
    if data["next"] is not None:
        data["next"] = f"{settings.PUBLIC_URL}/ledger/checkpoints.json?after={data['next']}"
    return _public(JsonResponse(data, json_dumps_params={"ensure_ascii": False}))


@public_view
@require_safe
def checkpoints_atom(request):
    """The newest checkpoints as an Atom feed (newest first), for feed readers and archiving services."""
    from shuxiang.ledger.models import LedgerCheckpoint

    feed = feedgenerator.Atom1Feed(
        title="数乡可信账本 · 已签名检查点",
        link=f"{settings.PUBLIC_URL}/ledger/checkpoints.json",
        feed_url=f"{settings.PUBLIC_URL}/ledger/checkpoints.atom",
        description="账本流链头哈希的 Ed25519 签名记录",
        subtitle=f"公钥 Ed25519 {signing.key_id()}：{settings.PUBLIC_URL}/ledger/public-key",
        language="zh-CN",
    )
    for cp in LedgerCheckpoint.objects.order_by("-number")[:ATOM_ENTRIES]:
        item = proofs.checkpoint_item(cp)
        feed.add_item(
            title=f"检查点 #{cp.number}：{cp.stream} 第{cp.seq}条 {cp.hash}",
            link=f"{settings.PUBLIC_URL}/ledger/checkpoints.json?after={cp.number - 1}&limit=1",
            description=f"body={cp.body}\nsignature={cp.signature}\ndigest={cp.digest}",
            unique_id=f"urn:shuxiang:ledger:checkpoint:{cp.number}:{cp.digest}",
            pubdate=parse_datetime(item["at"]) if item["at"] else cp.created_at,
        )
    response = HttpResponse(content_type="application/atom+xml; charset=utf-8")
    feed.write(response, "utf-8")
    return _public(response)
