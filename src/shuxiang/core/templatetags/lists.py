"""`{% load lists %}`: list pages' filter forms, `{{ field|field_html }}` (see core.generic.render_field)."""

from django import template

from shuxiang.core.generic import render_field

register = template.Library()

register.filter("field_html", render_field)
