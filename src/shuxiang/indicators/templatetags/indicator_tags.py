from urllib.parse import urlencode

from django import template
from django.urls import reverse

register = template.Library()


@register.simple_tag
def drill_rows(data, url_name, *args):
    """The rows of a values table: the place first, then children linking one level down."""
    rows = [dict(data["place"], link=None)]
    base = reverse(url_name, args=args)
    for child in data["children"]:
        query = urlencode({"place": child["place"], "period": data["period"]})
        rows.append(dict(child, link=f"{base}?{query}" if child["level"] < 4 else None))
    return rows
