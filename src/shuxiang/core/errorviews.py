"""Error pages in Chinese; API paths get the JSON error shape instead."""

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render


def _is_api(request):
    return request.path.startswith(("/api/", "/open311/")) or "application/json" in request.headers.get(
        "Accept", ""
    )


def not_found(request, exception=None):
    if _is_api(request):
        return JsonResponse(
            {"code": "not_found", "message": "对象不存在或不在您的管辖范围内", "fields": {}}, status=404
        )
    return render(
        request,
        "core/error.html",
        {"title": "页面不存在", "message": "您要找的页面不存在，或不在您的管辖范围内。"},
        status=404,
    )


def forbidden(request, exception=None):
    if _is_api(request):
        return JsonResponse(
            {"code": "permission_denied", "message": "您没有执行此操作的权限", "fields": {}}, status=403
        )
    return render(
        request,
        "core/error.html",
        {"title": "没有权限", "message": "您的角色没有执行此操作的权限。"},
        status=403,
    )


def server_error(request):
    """Rendered without the request context: the failure may be in what the shell itself needs."""
    if _is_api(request):
        return JsonResponse(
            {"code": "server_error", "message": "服务器内部错误，请稍后重试", "fields": {}}, status=500
        )
    from django.template.loader import render_to_string

    return HttpResponse(render_to_string("core/error_500.html"), status=500)
