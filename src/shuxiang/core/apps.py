from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "shuxiang.core"
    label = "core"
    verbose_name = "平台核心"

    def ready(self):
        from shuxiang.core import checks, signals  # noqa: F401  (registers system checks and login auditing)
        from shuxiang.core.navigation import MenuItem, register_menu, register_pending

        register_menu(
            "基础信息",
            MenuItem("区划", "place_list"),
            MenuItem("单位", "unit_list"),
            MenuItem("人员", "person_list"),
            order=90,
        )
        register_menu(
            "系统管理",
            MenuItem("用户", "user_list", perm="user.change"),
            MenuItem("批量导入", "import", perm="import.run"),
            MenuItem("审计日志", "audit_list", perm="audit.view"),
            MenuItem("接口文档", "api_docs"),
            order=1000,
        )

        register_pending(locked_accounts)


def locked_accounts(user):
    """Administrators see accounts locked by failed sign-ins in their region."""
    from django.urls import reverse

    from shuxiang.core.models import User
    from shuxiang.core.navigation import PendingItem
    from shuxiang.core.permissions import has_perm
    from shuxiang.core.services import locked_usernames

    if not has_perm(user, "user.change"):
        return []
    names = locked_usernames()
    count = User.objects.restrict(user).filter(username__in=names).count() if names else 0
    return [PendingItem("因多次登录失败被锁定的账号", count, reverse("user_list"), "danger")]
