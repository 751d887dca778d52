"""Renderers every app's API shares."""

from rest_framework.renderers import JSONRenderer


class GeoJSONRenderer(JSONRenderer):
    """`?format=geojson`: a list answered as a GeoJSON FeatureCollection (RFC 7946, WGS 84), not paged.

    The view builds the FeatureCollection; this only names the format and its media type, so that
    content negotiation, the OpenAPI document (core.api.schema.geojson_responses) and every app agree.
    """

    media_type = "application/geo+json"
    format = "geojson"
