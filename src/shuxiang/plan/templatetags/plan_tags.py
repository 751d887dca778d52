from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def status_label(value):
    """A ledger status code from the audit log, in Chinese."""
    from shuxiang.plan.choices import EntryStatus

    try:
        return EntryStatus(value).label
    except ValueError:
        return value


@register.filter
def approval_label(value):
    """An approval level (1 district, 2 township) from the audit log, in Chinese."""
    from shuxiang.plan.choices import ApprovalLevel

    try:
        return ApprovalLevel(int(value)).label
    except (TypeError, ValueError):
        return "未审批"
