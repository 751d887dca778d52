"""Open311 GeoReport v2 at /open311/v2/ (wiki.open311.org/GeoReport_v2), JSON and XML.

- `jurisdiction_id` is the county's 6-digit code (settings.COUNTY_CODE); another value is a 404.
- Services are the active public categories; `service_code` is the category code.
- GET requests: without `api_key`, only public (non-sensitive) cases, no description or reporter,
  coordinates rounded to about 100 m; with the `api_key` of a user, that user's region in full.
  Default window 90 days / 1000 requests as the spec says; `page` and `page_size` (extension).
- POST requests needs `api_key` (any API token: core.services.authenticate_token). It takes
  `lat`/`long` or `address_string` (matched against the county's place names — no outside
  geocoder), `description`, `media_url` (recorded, never fetched), `first_name`/`last_name`/`phone`,
  and a multipart `media` upload (the media-upload extension).
- Statuses: `open` for every open state, `closed` once resolved; `status_notes`,
  `agency_responsible` (the unit), `expected_datetime` (the deadline).
- Errors use the spec's list shape; each item also carries our machine code and per-field messages:
  `[{"code": 400, "description": "…", "message": "…", "error_code": "outside_county", "fields": {…}}]`.
"""

import math
from datetime import timedelta
from xml.etree import ElementTree

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from shuxiang.cases import services
from shuxiang.cases.choices import FINISHED_STATES, OPEN_STATES, Channel
from shuxiang.cases.models import Case, CaseCategory
from shuxiang.core.choices import PlaceLevel
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import Attachment, Place
from shuxiang.core.services import authenticate_token

SPEC = "http://wiki.open311.org/GeoReport_v2"
DEFAULT_DAYS = 90
DEFAULT_LIMIT = 1000
PUBLIC_ROUNDING = 3  # decimal places of lat/long shown without a key (~100 m)


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


def _api_user(request):
    key = request.POST.get("api_key") or request.GET.get("api_key")
    return (authenticate_token(key) if key else None), bool(key)


# --- discovery and services -----------------------------------------------------------------------


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
        "key_service": "请向平台管理员申请接口令牌（api_key）",
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


def _request_dict(case, *, full: bool, media: dict):
    lat, lng = case.latitude, case.longitude
    if not full and lat is not None and lng is not None:
        lat, lng = round(lat, PUBLIC_ROUNDING), round(lng, PUBLIC_ROUNDING)
    return {
        "service_request_id": case.tracking_number,
        "status": "open" if case.state in OPEN_STATES else "closed",
        "status_notes": case.status_notes,
        "service_name": case.category.name if case.category else case.type_label,
        "service_code": case.category.code if case.category else "",
        "description": case.description if full else "",
        "agency_responsible": case.unit.name if case.unit else "",
        "service_notice": "已超过办理时限，已升级督办" if case.is_overdue else "",
        "requested_datetime": _iso(case.created_at),
        "updated_datetime": _iso(case.updated_at),
        "expected_datetime": _iso(case.deadline),
        "address": case.address if full else case.place.name,
        "address_id": case.place.code,
        "zipcode": "",
        "lat": lat,
        "long": lng,
        "media_url": media.get(case.pk) or (case.media_url if full else ""),
    }


def _requests_queryset(user):
    qs = Case.objects.select_related("category", "unit", "place")
    return qs.restrict(user) if user is not None else qs.public()


def requests_get(request, fmt):
    user, key_given = _api_user(request)
    if key_given and user is None:
        return error(fmt, 403, "api_key 无效或已停用", "invalid_api_key")
    qs = _requests_queryset(user)
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
    data = [_request_dict(c, full=user is not None, media=media) for c in cases]
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
    user, key_given = _api_user(request)
    if user is None:
        message = "api_key 无效或已停用" if key_given else "提交事件需要 api_key"
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
            actor=user,
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


@csrf_exempt
@require_http_methods(["GET", "POST"])
def requests_view(request, fmt):
    refused = _check_jurisdiction(request, fmt)
    if refused:
        return refused
    if request.method == "POST":
        return requests_post(request, fmt)
    return requests_get(request, fmt)


@require_http_methods(["GET"])
def request_detail(request, service_request_id, fmt):
    refused = _check_jurisdiction(request, fmt)
    if refused:
        return refused
    user, key_given = _api_user(request)
    if key_given and user is None:
        return error(fmt, 403, "api_key 无效或已停用", "invalid_api_key")
    case = _requests_queryset(user).filter(tracking_number=service_request_id).first()
    if case is None:
        return error(fmt, 404, f"事件 {service_request_id} 不存在或不公开", "not_found")
    media = _media_urls([case], request)
    return render(
        [_request_dict(case, full=user is not None, media=media)],
        fmt,
        root="service_requests",
        item="request",
    )
