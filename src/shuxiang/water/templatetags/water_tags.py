from django import template

register = template.Library()


@register.inclusion_tag("water/_kpis.html", takes_context=True)
def reservoir_kpis(context):
    from shuxiang.water.views import reservoir_kpis as compute

    return {"kpis": compute(context["request"].user)}
