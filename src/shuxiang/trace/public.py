"""The consumer's side: the one-code lookup page at the lot's GS1 Digital Link, its JSON,
the short form, and the scan beacon. No account, no cookie, no external request.

Fast by construction: the rendered page (and its JSON) is kept in the shared cache under the
lot's code, so a repeat scan costs no database query at all; every service that changes what
the page shows drops that entry on commit (`forget`), and `version` (bumped by the same
writes) gives the ETag, so phones revalidate with a 304.
Scans are counted by a beacon the page's script sends, so the page itself stays a pure GET
that browsers and proxies may cache.
Every fact the page shows is checked against the ledger when the page is rendered (trace.proof): a
row changed, deleted or inserted behind the services, or a chain rewritten behind a signed checkpoint,
is said on the page itself, and such a fact is never shown as a green badge; `/t/{code}/proof.json` is
the proof a consumer can recompute alone.
Every route here is public (`public_view`): it reads as the anonymous consumer
(`services.CONSUMER`, granted `trace.lot.view` and `trace.scan.add`) and shows only what a
label may show — no names of people other than the producer's, phones masked.
"""

import json
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, HttpResponseNotModified, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from shuxiang.core import jsonbody
from shuxiang.core.access import public_view
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import Place
from shuxiang.trace import proof, qr, services
from shuxiang.trace.choices import BizStep
from shuxiang.trace.models import Lot, TraceEvent

CACHE_SECONDS = 600  # also bounds how long a change made outside the services could stay unseen
BROWSER_MAX_AGE = 60
JSON_TYPES = ("application/json", "application/ld+json")
SCAN_REPEAT_SECONDS = 600
LOCAL_SECONDS = 1.0
LOCAL_MAX = 2000
_local: dict[str, tuple[float, tuple[str, bytes]]] = {}


def _wants_json(request) -> bool:
    if request.GET.get("linkType") == "gs1:traceability":
        return True
    accept = request.headers.get("Accept", "")
    return any(t in accept for t in JSON_TYPES) and "text/html" not in accept


def not_found(request, status=404):
    if _wants_json(request):
        return JsonResponse(
            {"code": "not_found", "message": "未找到该追溯码对应的产品批次", "fields": {}}, status=status
        )
    return render(request, "trace/public_not_found.html", status=status)


def _key(gtin, lot_number, fmt):
    return f"trace:page:{gtin}:{lot_number}:{fmt}"


def forget(gtin, lot_number):
    """Drop a lot's cached pages; services call this on commit of every change the page shows."""
    keys = [_key(gtin, lot_number, fmt) for fmt in ("html", "json", "proof")]
    cache.delete_many(keys)
    for key in keys:
        _local.pop(key, None)


def _cached(key):
    """The page from this process's memory if read from the shared cache under a second ago, else from it.

    A scanned label is opened by many phones at once (a market stall, a promotion): the micro-cache
    answers them without even a cache round trip; another process sees a change at most
    LOCAL_SECONDS late."""
    now = time.monotonic()
    local = _local.get(key)
    if local is not None and local[0] > now:
        return local[1]
    hit = cache.get(key)
    if hit is not None:
        if len(_local) >= LOCAL_MAX:
            _local.clear()
        _local[key] = (now + LOCAL_SECONDS, hit)
    return hit


def consumer_lots():
    """The lots a consumer may look up: what the anonymous consumer is granted."""
    return Lot.objects.restrict(services.CONSUMER)


@public_view
@require_safe
def lookup(request, gtin, lot_number):
    fmt = "json" if _wants_json(request) else "html"
    key = _key(gtin, lot_number, fmt)
    hit = _cached(key)
    if hit is None:
        row = (
            consumer_lots()
            .filter(product__gtin=gtin, lot_number=lot_number)
            .values_list("pk", "version")
            .first()
        )
        if row is None:
            return not_found(request)
        lot = Lot.objects.select_related(
            "product__producer__contact", "product__producer__place", "origin__base", "origin__place"
        ).get(pk=row[0])
        body = (_render_json(lot) if fmt == "json" else _render_html(request, lot)).encode()
        hit = (f'"lot-{lot.pk}-{lot.version}-{fmt}"', body)
        cache.set(key, hit, CACHE_SECONDS)
    etag, body = hit
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
    else:
        content_type = "application/json" if fmt == "json" else "text/html; charset=utf-8"
        response = HttpResponse(body, content_type=content_type)
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={BROWSER_MAX_AGE}"
    response["Vary"] = "Accept"
    if fmt == "html":
        response["Link"] = (
            f'<{request.path}?linkType=gs1:traceability>; rel="gs1:traceability"; type="application/json"'
        )
    return response


@public_view
@require_safe
def short_code(request, code):
    row = consumer_lots().filter(short_code=code.upper()).values_list("product__gtin", "lot_number").first()
    if row is None:
        return not_found(request)
    target = f"/01/{row[0]}/10/{row[1]}"
    if request.GET.get("linkType"):
        target += f"?linkType={request.GET['linkType']}"
    return HttpResponseRedirect(target)


@public_view
@csrf_exempt
@require_POST
def scan(request, code):
    """The beacon the lookup page sends once per visit: counts the scan, coarse location only if offered."""
    lot = consumer_lots().filter(short_code=code.upper()).select_related("origin__place", "product").first()
    if lot is None:
        return not_found(request)
    ip = request.META.get("REMOTE_ADDR")
    if not cache.add(f"trace:scan:{ip}:{lot.pk}", 1, SCAN_REPEAT_SECONDS):
        return HttpResponse(status=204)  # the same address again within minutes: one scan, not a pattern
    try:
        data = jsonbody.loads(request.body or b"{}")  # bounded: a deeply nested body is no location
        latitude, longitude = data.get("lat"), data.get("lng")
        latitude = float(latitude) if latitude is not None else None
        longitude = float(longitude) if longitude is not None else None
    except (ValueError, TypeError, AttributeError, ServiceError):
        latitude = longitude = None
    services.do_record_scan(
        lot,
        actor=services.CONSUMER,
        ip=request.META.get("REMOTE_ADDR"),
        user_agent=request.headers.get("User-Agent", "")[:500],
        latitude=latitude,
        longitude=longitude,
    )
    return HttpResponse(status=204)


# --- what the page shows -----------------------------------------------------------------------


def _events(lot):
    events = list(TraceEvent.objects.filter(lot=lot).select_related("place").order_by("event_time", "id"))
    corrected_by = {e.corrects_id: e for e in events if e.corrects_id}
    return events, corrected_by


def _origin_map(lot):
    """A tiny SVG sketch: the district's townships as dots, the origin as a red pin (no map tiles)."""
    origin = lot.origin
    lat = origin.latitude or origin.place.latitude
    lng = origin.longitude or origin.place.longitude
    root = origin.place.path.split("/")[1]
    towns = list(
        Place.objects.filter(path__startswith=f"/{root}/", level=2)
        .exclude(latitude=None)
        .values_list("name", "latitude", "longitude")
    )
    points = [(t[1], t[2]) for t in towns] + ([(lat, lng)] if lat is not None else [])
    if not points:
        return None
    lats, lngs = [p[0] for p in points], [p[1] for p in points]
    span_lat, span_lng = max(max(lats) - min(lats), 0.02), max(max(lngs) - min(lngs), 0.02)
    w, h, pad = 320, 200, 20

    def xy(p_lat, p_lng):
        x = pad + (p_lng - min(lngs)) / span_lng * (w - 2 * pad)
        y = h - pad - (p_lat - min(lats)) / span_lat * (h - 2 * pad)
        return round(x, 1), round(y, 1)

    dots = [(*xy(t[1], t[2]), t[0]) for t in towns]
    pin = xy(lat, lng) if lat is not None else None
    return {"w": w, "h": h, "dots": dots, "pin": pin}


def plot_sensors(plot):
    """The latest readings of the plot's monitoring device, if it has one."""
    if not plot.device_id:
        return []
    return [s for s in plot.device.sensors.all() if s.last_ts is not None]


def _context(lot):
    producer = lot.product.producer
    events, corrected_by = _events(lot)
    certificates = list(lot.certificates.all())
    environment_tests = list(lot.origin.environment_tests.all())
    check = proof.check_lot(
        lot, events=events, certificates=certificates, environment_tests=environment_tests
    )
    timeline = [{"event": e, "corrected_by": corrected_by.get(e.pk), "fact": check.fact(e)} for e in events]
    # Badges and summaries only from facts that hold: a row inserted or edited behind the ledger is
    # listed in the timeline as failing verification, never as a green 合格.
    effective = [e for e in events if e.pk not in corrected_by and check.holds(e)]
    tests = [e for e in effective if e.biz_step == BizStep.INSPECTING]
    inputs = [e for e in effective if e.biz_step == BizStep.INPUT_USE]
    certificate = certificates[0] if certificates else None
    place_names = [p.name for p in lot.origin.place.ancestors()[1:]] + [lot.origin.place.name]
    return {
        "lot": lot,
        "product": lot.product,
        "producer": producer,
        "contact_phone": producer.contact.phone_masked if producer.contact else "",
        "origin_names": " ".join(place_names),
        "timeline": timeline,
        "tests": tests,
        "inputs": inputs,
        "environment_tests": [t for t in environment_tests if check.holds(t)][:6],
        "sensors": plot_sensors(lot.origin),
        "certificate": certificate,
        "certificate_holds": certificate is not None and check.holds(certificate),
        "check": check,
        "holds": {
            "producer": check.holds(producer),
            "product": check.holds(lot.product),
            "lot": check.holds(lot),
        },
        "qr_svg": qr.svg(lot.digital_link, scale=3),
        "origin_map": _origin_map(lot),
        "generated_at": timezone.now(),
        "ledger_stream": services.STREAM,
    }


def _render_html(request, lot) -> str:
    return render_to_string("trace/public_lot.html", _context(lot), request=None)


def _epcis(e, lot, corrected_by, fact) -> dict:
    event = {
        "type": "ObjectEvent",
        "action": e.action,
        "eventTime": e.event_time.isoformat(),
        "eventTimeZoneOffset": "+08:00",
        "recordTime": e.recorded_at.isoformat(),
        "bizStep": e.biz_step,
        "bizStepLabel": e.get_biz_step_display(),
        "disposition": e.disposition,
        "readPoint": {"id": e.place.code, "name": e.place.name},
        "quantityList": [
            {"epcClass": lot.digital_link, "quantity": float(e.quantity), "uom": lot.product.unit}
        ]
        if e.quantity is not None
        else [],
        "ledger": {"stream": services.STREAM, "seq": fact.seq, "hash": fact.hash, "status": fact.status}
        if fact
        else {"stream": services.STREAM, "seq": None, "hash": "", "status": "unrecorded"},
    }
    if e.biz_step == BizStep.INPUT_USE:
        event["input"] = {
            "kind": e.input_kind,
            "name": e.input_name,
            "dose": e.input_dose,
            "intervalDays": e.interval_days,
        }
    if e.biz_step == BizStep.INSPECTING:
        event["test"] = {"item": e.test_item, "agency": e.test_agency, "passed": e.test_passed}
        if e.report_id:
            event["test"].update(report=f"/attachments/{e.report_id}", reportSha256=e.report_sha256)
    if e.counterparty:
        event["counterparty"] = e.counterparty
    if e.note:
        event["note"] = e.note
    if e.corrects_id:
        event["corrects"] = e.corrects_id
    if e.pk in corrected_by:
        fix = corrected_by[e.pk]
        event["errorDeclaration"] = {
            "declarationTime": fix.recorded_at.isoformat(),
            "reason": "incorrect_data",
            "correctiveEventIDs": [fix.pk],
        }
    event["id"] = e.pk
    return event


def _render_json(lot) -> str:
    c = _context(lot)
    producer, product, origin = c["producer"], c["product"], lot.origin
    events, corrected_by = _events(lot)
    certificate = c["certificate"]
    check = c["check"]
    data = {
        "digitalLink": lot.digital_link,
        "shortCode": lot.short_code,
        "product": {
            "name": product.name,
            "category": product.category,
            "categoryLabel": product.get_category_display(),
            "gtin": product.gtin,
            "gtinIsInternal": product.gtin_is_internal,
            "unit": product.unit,
        },
        "lot": {"number": lot.lot_number, "quantity": float(lot.quantity), "stage": lot.stage},
        "producer": {
            "name": producer.name,
            "kind": producer.kind,
            "creditCode": producer.credit_code,
            "place": producer.place.code,
            "contactPhone": c["contact_phone"],
        },
        "origin": {
            "place": origin.place.code,
            "placeName": c["origin_names"],
            "base": origin.base.name,
            "plot": origin.name,
            "latitude": origin.latitude or origin.place.latitude,
            "longitude": origin.longitude or origin.place.longitude,
        },
        "environmentTests": [
            {
                "kind": t.kind,
                "testedOn": t.tested_on.isoformat(),
                "agency": t.agency,
                "passed": t.passed,
                "summary": t.summary,
            }
            for t in c["environment_tests"]
        ],
        "sensors": [
            {"name": s.label, "value": s.last_value, "unit": s.unit, "at": s.last_ts.isoformat()}
            for s in c["sensors"]
        ],
        "certificate": {
            "number": certificate.number,
            "quantity": float(certificate.quantity),
            "issuedAt": certificate.issued_at.isoformat(),
            "verified": c["certificate_holds"],
        }
        if certificate
        else None,
        "warning": lot.suspicious_reason if lot.suspicious else None,
        "events": [_epcis(e, lot, corrected_by, check.fact(e)) for e in events],
        "ledger": {"stream": services.STREAM, "verify": "/api/v1/ledger/verify/?stream=" + services.STREAM},
        "verification": {
            "ok": check.ok,
            "problems": [f.message for f in check.problems],
            "checkpoint": check.checkpoint["n"] if check.checkpoint else None,
            "proof": f"/t/{lot.short_code}/proof.json",
        },
        "complaint": "/t/" + lot.short_code + "/12315",
        "publicUrl": settings.PUBLIC_URL,
    }
    return json.dumps(data, ensure_ascii=False)


@public_view
@require_safe
def proof_download(request, code):
    """The lot's proof as JSON: each fact's ledger entry (body, previous hash, hash), the chain to the
    signed checkpoint after it, that checkpoint and the public key (docs/ledger.md shows the script)."""
    row = consumer_lots().filter(short_code=code.upper()).values_list("product__gtin", "lot_number").first()
    if row is None:
        return not_found(request)
    key = _key(row[0], row[1], "proof")
    body = _cached(key)
    if body is None:
        lot = Lot.objects.select_related("product__producer", "origin__base", "origin__place").get(
            short_code=code.upper()
        )
        document = proof.proof_document(lot, proof.check_lot(lot))
        body = ("", json.dumps(document, ensure_ascii=False, indent=1).encode())
        cache.set(key, body, CACHE_SECONDS)
    response = HttpResponse(body[1], content_type="application/json")
    response["Content-Disposition"] = f'inline; filename="proof-{code.upper()}.json"'
    response["Cache-Control"] = f"public, max-age={BROWSER_MAX_AGE}"
    return response
