"""`{% load nav %}`: the shell's menu, `{{ menu_groups|menu_html }}` (see core.navigation.menu_html)."""

from django import template

from shuxiang.core.navigation import menu_html

register = template.Library()

register.filter("menu_html", menu_html)
