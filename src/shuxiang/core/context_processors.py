from django.conf import settings

from shuxiang.core.navigation import menu_for


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"county_code": settings.COUNTY_CODE}
    return {
        "menu_groups": menu_for(user),
        "unread_notifications": user.notifications.filter(read_at__isnull=True).count(),
        "county_code": settings.COUNTY_CODE,
    }
