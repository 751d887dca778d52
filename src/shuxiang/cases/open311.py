"""Open311 GeoReport v2 at /open311/v2/ (wiki.open311.org/GeoReport_v2), JSON and XML.

- `jurisdiction_id` is the county's 6-digit code (settings.COUNTY_CODE); another value is a 404.
- Services are the active public categories; `service_code` is the category code.
- `api_key` is an Open311 key (cases.models.Open311Key, issued by `shuxiang open311 key NAME`,
  revoked by `shuxiang open311 revoke NAME`), never a user's API token: the spec puts the key in
  the request, where access logs and proxies keep it, so it may do no more than post requests.
  A user's API token, a revoked or unknown key is refused with 403.
- GET requests answer the public view with or without a key: only public (non-sensitive) cases,
  no description or reporter, coordinates rounded to about 100 m. Staff read cases through
  /api/v1/cases/ with their own token. Default window 90 days / 1000 requests as the spec says;
  `page` and `page_size` (extension).
- POST requests need a key (best sent in the form body, not the URL). The case is opened by the
  system actor `open311` and names the key in `source_ref` ("cases.open311key:<id>"). It takes
  `lat`/`long` or `address_string` (matched against the county's place names — no outside
  geocoder), `description`, `media_url` (recorded, never fetched), `first_name`/`last_name`/`phone`,
  and a multipart `media` upload (the media-upload extension).
- Statuses: `open` for every open state, `closed` once resolved; `status_notes`,
  `agency_responsible` (the unit), `expected_datetime` (the deadline).
- Errors use the spec's list shape; each item also carries our machine code and per-field messages:
  `[{"code": 400, "description": "…", "message": "…", "error_code": "outside_county", "fields": {…}}]`.
"""

import math
import secrets
from datetime import timedelta
from xml.etree import ElementTree

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from shuxiang.cases import services
from shuxiang.cases.choices import FINISHED_STATES, OPEN_STATES, Channel
from shuxiang.cases.models import Case, CaseCategory, Open311Key
from shuxiang.core import audit, pii
from shuxiang.core.access import public_view
from shuxiang.core.actors import Actor, as_actor
from shuxiang.core.choices import PlaceLevel
from shuxiang.core.errors import NotFound, ServiceError
from shuxiang.core.models import Attachment, Place
from shuxiang.core.permissions import require

SPEC = "http://wiki.open311.org/GeoReport_v2"
DEFAULT_DAYS = 90
DEFAULT_LIMIT = 1000
PUBLIC_ROUNDING = 3  # decimal places of lat/long in every answer (~100 m)
KEY_PREFIX = "o311_"  # tells a leaked Open311 key apart from an API token at a glance
INVALID_KEY = "api_key 无效或已吊销（Open311 只接受平台签发的 Open311 密钥，不接受用户的接口令牌）"


# --- keys -----------------------------------------------------------------------------------------


@transaction.atomic
def do_issue_open311_key(name: str, *, actor) -> tuple[Open311Key, str]:
    """A new key for the client `name` (a free label); the plaintext is returned this once only."""
    require(actor, "cases.open311key.add")
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ServiceError("invalid", "请填写客户端名称（1–100个字）", {"name": ["1–100个字"]})
    if Open311Key.objects.filter(name=name, revoked_at__isnull=True).exists():
        raise ServiceError(
            "duplicate",
            f"客户端“{name}”已有有效的 Open311 密钥；如需更换，请先吊销：shuxiang open311 revoke {name}",
            {"name": ["已有有效密钥"]},
        )
    plaintext = KEY_PREFIX + secrets.token_urlsafe(30)
    key = Open311Key.objects.create(
        name=name, key_digest=pii.digest(plaintext), created_by=as_actor(actor).human
    )
    audit.record_create(actor, key)
    return key, plaintext


@transaction.atomic
def do_revoke_open311_key(name: str, *, actor) -> Open311Key:
    """Stop the client's key at once; its requests stay, the client must be issued a new key."""
    require(actor, "cases.open311key.change")
    key = (
        Open311Key.objects.select_for_update()
        .filter(name=(name or "").strip(), revoked_at__isnull=True)
        .first()
    )
    if key is None:
        raise NotFound(f"没有名为“{name}”的有效 Open311 密钥")
    before = audit.snapshot(key)
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at"])
    audit.record_update(actor, key, before)
    return key


def authenticate_key(raw: str) -> Open311Key | None:
    """The active Open311 key for `raw`, or None (API tokens are not Open311 keys)."""
    key = Open311Key.objects.filter(key_digest=pii.digest(raw), revoked_at__isnull=True).first()
    if key is not None:
        now = timezone.now()
        if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=5):
            Open311Key.objects.filter(pk=key.pk).update(last_used_at=now)
    return key


# --- rendering ----------------------------------------------------------------------------------


def _xml_value(parent, key, value):
    child = ElementTree.SubElement(parent, key)
    if isinstance(value, dict):
        for k, v in value.items():
            _xml_value(child, k, v)
    elif isinstance(value, list):
        singular = {
            "attributes": "attribute",
            "values": "value",
            "endpoints": "endpoint",
            "formats": "format",
        }
        for item in value:
            _xml_value(child, singular.get(key, "item"), item)
    elif value is None:
        pass
    elif isinstance(value, bool):
        child.text = "true" if value else "false"
    else:
        child.text = str(value)


def render(data, fmt, *, root, item=None, status=200):
    if fmt == "xml":
        element = ElementTree.Element(root)
        if isinstance(data, list):
            for entry in data:
                node = ElementTree.SubElement(element, item)
                for key, value in entry.items():
                    _xml_value(node, key, value)
        else:
            for key, value in data.items():
                _xml_value(element, key, value)
        body = b'<?xml version="1.0" encoding="utf-8"?>' + ElementTree.tostring(element, encoding="utf-8")
        return HttpResponse(body, content_type="text/xml; charset=utf-8", status=status)
    return JsonResponse(data, safe=False, status=status, json_dumps_params={"ensure_ascii": False})


def error(fmt, status, message, code="error", fields=None):
    entry = {
        "code": status,
        "description": message,
        "message": message,
        "error_code": code,
        "fields": fields or {},
    }
    if fmt == "xml":
        entry = {"code": status, "description": message, "error_code": code}
    return render([entry], fmt, root="errors", item="error", status=status)


def _iso(value):
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _check_jurisdiction(request, fmt):
    wanted = request.GET.get("jurisdiction_id") or request.POST.get("jurisdiction_id")
    if wanted and wanted != settings.COUNTY_CODE:
        return error(fmt, 404, f"本平台只服务辖区 {settings.COUNTY_CODE}", "unknown_jurisdiction")
    return None


def _client_key(request):
    """(the Open311 key, whether an api_key was given at all)."""
    raw = request.POST.get("api_key") or request.GET.get("api_key")
    return (authenticate_key(raw) if raw else None), bool(raw)


# --- discovery and services -----------------------------------------------------------------------


@public_view
def discovery(request, fmt):
    from shuxiang.core.models import AuditEntry

    base = request.build_absolute_uri("/open311/v2/")
    changed = (
        AuditEntry.objects.filter(object_type="cases.casecategory")
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    data = {
        "changeset": _iso(changed),
        "contact": "数乡 Shuxiang 平台管理员",
        "key_service": "请向平台管理员申请 Open311 密钥（api_key，只用于提交事件）",
        "endpoints": [
            {
                "specification": SPEC,
                "url": base,
                "changeset": _iso(changed),
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render(data, fmt, root="discovery")


def _public_categories():
    return CaseCategory.objects.filter(is_active=True, is_public=True).order_by("order", "code")


@public_view
def service_list(request, fmt):
    refused = _check_jurisdiction(request, fmt)
    if refused:
        return refused
    data = [
        {
            "service_code": c.code,
            "service_name": c.name,
            "description": c.description or c.name,
            "metadata": False,
            "type": "realtime",
            "keywords": c.group,
            "group": c.group,
        }
        for c in _public_categories()
    ]
    return render(data, fmt, root="services", item="service")


@public_view
def service_definition(request, service_code, fmt):
    refused = _check_jurisdiction(request, fmt)
    if refused:
        return refused
    category = _public_categories().filter(code=service_code).first()
    if category is None:
        return error(fmt, 404, f"服务 {service_code} 不存在", "unknown_service")
    return render({"service_code": category.code, "attributes": []}, fmt, root="service_definition")


# --- requests -------------------------------------------------------------------------------------


def _media_urls(cases, request):
    photos = {}
    for owner_id, pk in (
        Attachment.objects.filter(
            owner_type="cases.case", owner_id__in=[str(c.pk) for c in cases], is_public=True
        )
        .order_by("owner_id", "id")
        .values_list("owner_id", "pk")
    ):
        photos.setdefault(owner_id, pk)
    return {
        c.pk: request.build_absolute_uri(f"/attachments/{photos[str(c.pk)]}")
        for c in cases
        if str(c.pk) in photos
    }


def _request_dict(case, *, media: dict):
    """The public view of a case: no description, reporter or street address (they may name people)."""
    lat, lng = case.latitude, case.longitude
    if lat is not None and lng is not None:
        lat, lng = round(lat, PUBLIC_ROUNDING), round(lng, PUBLIC_ROUNDING)
    return {
        "service_request_id": case.tracking_number,
        "status": "open" if case.state in OPEN_STATES else "closed",
        "status_notes": case.status_notes,
        "service_name": case.category.name if case.category else case.type_label,
        "service_code": case.category.code if case.category else "",
        "description": "",
        "agency_responsible": case.unit.name if case.unit else "",
        "service_notice": "已超过办理时限，已升级督办" if case.is_overdue else "",
        "requested_datetime": _iso(case.created_at),
        "updated_datetime": _iso(case.updated_at),
        "expected_datetime": _iso(case.deadline),
        "address": case.place.name,
        "address_id": case.place.code,
        "zipcode": "",
        "lat": lat,
        "long": lng,
        "media_url": media.get(case.pk, ""),
    }


def _requests_queryset():
    return Case.objects.select_related("category", "unit", "place").public()


def requests_get(request, fmt):
    key, key_given = _client_key(request)
    if key_given and key is None:
        return error(fmt, 403, INVALID_KEY, "invalid_api_key")
    qs = _requests_queryset()
    ids = [i.strip() for i in request.GET.get("service_request_id", "").split(",") if i.strip()]
    if ids:
        qs = qs.filter(tracking_number__in=ids)
    else:
        codes = [c.strip() for c in request.GET.get("service_code", "").split(",") if c.strip()]
        if codes:
            qs = qs.filter(category__code__in=codes)
        status = request.GET.get("status", "").strip()
        if status:
            wanted = {s.strip() for s in status.split(",")}
            if not wanted <= {"open", "closed"}:
                return error(
                    fmt, 400, "status 只能是 open 或 closed", "invalid", {"status": ["open 或 closed"]}
                )
            if wanted == {"open"}:
                qs = qs.filter(state__in=OPEN_STATES)
            elif wanted == {"closed"}:
                qs = qs.filter(state__in=FINISHED_STATES)
        bounds = {}
        for name in ("start_date", "end_date"):
            raw = request.GET.get(name, "").strip()
            if raw:
                value = parse_datetime(raw.replace(" ", "+"))
                if value is None:
                    return error(
                        fmt, 400, f"{name} 应为 ISO 8601 时间（含时区）", "invalid", {name: ["格式错误"]}
                    )
                if timezone.is_naive(value):
                    value = timezone.make_aware(value)
                bounds[name] = value
        end = bounds.get("end_date")
        start = bounds.get("start_date") or ((end or timezone.now()) - timedelta(days=DEFAULT_DAYS))
        qs = qs.filter(created_at__gte=start)
        if end:
            qs = qs.filter(created_at__lte=end)
    try:
        page = max(int(request.GET.get("page", 1)), 1)
        page_size = min(max(int(request.GET.get("page_size", DEFAULT_LIMIT)), 1), DEFAULT_LIMIT)
    except ValueError:
        return error(fmt, 400, "page 和 page_size 应为正整数", "invalid")
    cases = list(qs.order_by("-created_at", "-id")[(page - 1) * page_size : page * page_size])
    media = _media_urls(cases, request)
    data = [_request_dict(c, media=media) for c in cases]
    return render(data, fmt, root="service_requests", item="request")


def _place_from_address(text: str):
    """The deepest township/village/hamlet named in the address (no outside geocoder).

    When a township is named too, only places inside it count, so a common village name
    in another township is not picked.
    """
    text = (text or "").strip()
    if not text:
        return None
    named = Place.objects.filter(level__in=(PlaceLevel.TOWNSHIP, PlaceLevel.VILLAGE, PlaceLevel.HAMLET)).only(
        "pk", "name", "level", "path"
    )
    found = [p for p in named if p.name and p.name in text]
    townships = [p for p in found if p.level == PlaceLevel.TOWNSHIP]
    if townships:
        found = [p for p in found if any(p.path.startswith(t.path) for t in townships)]
    if not found:
        return None
    return max(found, key=lambda p: (p.level, len(p.name)))


def requests_post(request, fmt):
    key, key_given = _client_key(request)
    if key is None:
        message = INVALID_KEY if key_given else "提交事件需要 api_key（Open311 密钥）"
        return error(fmt, 403, message, "invalid_api_key")
    post = request.POST
    category = _public_categories().filter(code=post.get("service_code", "").strip()).first()
    if category is None:
        return error(fmt, 400, "service_code 不存在", "unknown_service", {"service_code": ["服务不存在"]})
    lat, lng = post.get("lat", "").strip(), post.get("long", "").strip()
    place = None
    if not (lat and lng):
        lat = lng = None
        place = _place_from_address(post.get("address_string", "")) or (
            Place.objects.filter(code=post.get("address_id", "").strip()).first()
            if post.get("address_id")
            else None
        )
        if place is None:
            return error(
                fmt,
                400,
                "请提供 lat/long，或包含本区县村、社区或乡镇名称的 address_string",
                "place_required",
                {"lat": ["必填其一"], "address_string": ["无法识别地址"]},
            )
    else:
        try:
            if not all(math.isfinite(float(v)) for v in (lat, lng)):
                raise ValueError
        except ValueError:
            return error(fmt, 400, "lat/long 应为数字", "invalid_coordinates", {"lat": ["应为数字"]})
    name = (post.get("last_name", "") + post.get("first_name", "")).strip()
    try:
        case = services.do_open_case(
            actor=Actor.system("open311"),
            category=category,
            place=place,
            latitude=lat,
            longitude=lng,
            address=post.get("address_string", ""),
            description=post.get("description", ""),
            reporter_name=name,
            phone=post.get("phone", ""),
            media_url=post.get("media_url", ""),
            photos=request.FILES.getlist("media"),
            channel=Channel.OPEN311,
            source_ref=f"cases.open311key:{key.pk}",
        )
    except ServiceError as exc:
        return error(fmt, exc.status, exc.message, exc.code, exc.fields)
    answer = [
        {
            "service_request_id": case.tracking_number,
            "service_notice": f"已受理登记，办理时限 {_iso(case.deadline)}" if case.deadline else "已登记",
            "account_id": None,
        }
    ]
    return render(answer, fmt, root="service_requests", item="request", status=201)


@public_view
@csrf_exempt
@require_http_methods(["GET", "POST"])
def requests_view(request, fmt):
    refused = _check_jurisdiction(request, fmt)
    if refused:
        return refused
    if request.method == "POST":
        return requests_post(request, fmt)
    return requests_get(request, fmt)


@public_view
@require_http_methods(["GET"])
def request_detail(request, service_request_id, fmt):
    refused = _check_jurisdiction(request, fmt)
    if refused:
        return refused
    key, key_given = _client_key(request)
    if key_given and key is None:
        return error(fmt, 403, INVALID_KEY, "invalid_api_key")
    case = _requests_queryset().filter(tracking_number=service_request_id).first()
    if case is None:
        return error(fmt, 404, f"事件 {service_request_id} 不存在或不公开", "not_found")
    media = _media_urls([case], request)
    return render(
        [_request_dict(case, media=media)],
        fmt,
        root="service_requests",
        item="request",
    )
