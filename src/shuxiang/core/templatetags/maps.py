"""`{% map_attrs place %}`: what core/static/core/map.js needs on a map element.

It writes `data-boundaries` (the boundaries of the place's children: the county's townships when no
place is given) and, only when a county configured one, `data-base-layer` (the base map; see
docs/maps.md). Scripts cannot be inline under our CSP, so a page hands these over as attributes.
"""

import json

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.html import format_html

from shuxiang.conf import configured_base_layer
from shuxiang.core.choices import PlaceLevel
from shuxiang.core.models import Place

register = template.Library()


def county_code() -> str | None:
    root = (
        Place.objects.filter(level=PlaceLevel.DISTRICT, code__startswith=settings.COUNTY_CODE)
        .values_list("code", flat=True)
        .first()
    )
    return root or Place.objects.filter(level=PlaceLevel.DISTRICT).values_list("code", flat=True).first()


@register.simple_tag
def map_attrs(place=None):
    code = place.code if isinstance(place, Place) else (str(place) if place else county_code())
    layer, _ = configured_base_layer()
    return format_html(
        ' data-boundaries="{}" data-base-layer="{}"',
        reverse("place_boundaries", args=[code]) if code else "",
        json.dumps(layer.for_browser(), ensure_ascii=False) if layer else "",
    )
