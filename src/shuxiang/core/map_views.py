"""The boundaries every map draws: a place's children, simplified for the screen, as GeoJSON.

Township and village boundaries are public division data (the same layer as the resident's report
page lists by name), so anyone may read them: the public case map and the report page have no
account. Below the village (村民小组) the shapes are internal: only signed-in staff whose region
holds the village get a village's hamlets (others get the village's outline alone) or a hamlet. Simplified collections are cached under the boundaries'
version (bumped by every import), and public answers may be cached by browsers and proxies.
"""

import hashlib
import json

from django.core.cache import cache
from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.views.decorators.http import require_safe

from shuxiang.core import geometry
from shuxiang.core.access import public_view
from shuxiang.core.boundaries import boundaries_version
from shuxiang.core.choices import PlaceLevel
from shuxiang.core.models import Place

CACHE_SECONDS = 600
DISPLAY_DECIMALS = 5  # about a metre: plenty for a screen, a third of the bytes


def _feature(place: Place, shape, label) -> dict:
    return {
        "type": "Feature",
        "id": place.code,
        "properties": {
            "code": place.code,
            "name": place.name,
            "level": place.level,
            "kind": place.get_kind_display(),
            "label": label,
            "synthetic": bool((place.geometry or {}).get("properties", {}).get("synthetic")),
        },
        "geometry": geometry.to_geojson(shape, decimals=DISPLAY_DECIMALS)
        if shape is not None
        else {"type": "Point", "coordinates": label},
    }


def collection(place: Place, *, with_children: bool = True) -> dict:
    """The place's current children (a polygon each where one is stored, else their centre) and its outline."""
    rows = Place.objects.current().filter(parent=place)
    children = (
        [c for c in rows.order_by("code") if c.geometry or c.latitude is not None] if with_children else []
    )
    shapes = [geometry.from_geojson(c.geometry) if c.geometry else None for c in children]
    outline = geometry.from_geojson(place.geometry) if place.geometry else None
    drawn = [s for s in shapes if s is not None]
    if drawn:
        simple = iter(geometry.simplify_for_display(drawn, geometry.display_tolerance(drawn)))
        shapes = [next(simple) if s is not None else None for s in shapes]
    features = []
    for child, shape in zip(children, shapes, strict=True):
        label = list(geometry.label_point(shape)) if shape is not None else [child.longitude, child.latitude]
        features.append(_feature(child, shape, label))
    outline_feature = None
    if outline is not None:
        [simple_outline] = geometry.simplify_for_display([outline], geometry.display_tolerance([outline]))
        outline_feature = _feature(place, simple_outline, list(geometry.label_point(outline)))
    return {
        "type": "FeatureCollection",
        "place": {
            "code": place.code,
            "name": place.name,
            "level": place.level,
            "parent": place.path.strip("/").split("/")[-2] if place.parent_id else None,
        },
        "outline": outline_feature,
        "features": features,
        "synthetic": any(f["properties"]["synthetic"] for f in features),
    }


@public_view
@require_safe
def boundaries(request, code):
    place = Place.objects.filter(code=code).first()
    if place is None:
        raise Http404("没有这个区划")
    in_region = (
        request.user.is_authenticated and Place.objects.restrict(request.user).filter(pk=place.pk).exists()
    )
    if place.level >= PlaceLevel.HAMLET and not in_region:
        raise Http404("没有这个区划")
    # A village's own outline is public; its hamlets only for staff of its region.
    children = place.level < PlaceLevel.VILLAGE or in_region
    public = place.level < PlaceLevel.VILLAGE or not children
    key = f"maps:boundaries:{boundaries_version()}:{place.code}:{int(children)}"
    body = cache.get(key)
    if body is None:
        body = json.dumps(
            collection(place, with_children=children), ensure_ascii=False, separators=(",", ":")
        )
        cache.set(key, body, CACHE_SECONDS)
    etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type="application/geo+json; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = f"{'public' if public else 'private'}, max-age={CACHE_SECONDS}"
    return response
