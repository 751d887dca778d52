"""`{% load fmt %}`: the platform's one format for levels, dates and times and audit codes (core.formats)."""

from django import template

from shuxiang.core import formats

register = template.Library()

register.filter("level_m", formats.level)
register.filter("num2", formats.number)
register.filter("when", formats.when)
register.filter("day", formats.day)
register.filter("actor_name", formats.actor_name)
register.filter("who", formats.who)
register.filter("object_type_name", formats.object_type_name)
register.filter("source_name", formats.source_name)
register.filter("reading", formats.reading)
