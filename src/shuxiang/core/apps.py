from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "shuxiang.core"
    label = "core"
    verbose_name = "平台核心"

    def ready(self):
        from django.db.models.signals import post_migrate

        same_integer_ranges_on_every_database()

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
            MenuItem("用户", "user_list"),
            MenuItem("授权", "grant_list"),
            MenuItem("批量导入", "import"),
            MenuItem("审计日志", "audit_list"),
            MenuItem("接口文档", "api_docs"),
            order=1000,
        )

        register_pending(locked_accounts)
        # Builtin grants follow the code after every migrate (apps declare theirs in ready()).
        post_migrate.connect(_sync_grants, dispatch_uid="shuxiang.sync_builtin_grants")


def _sync_grants(sender, app_config=None, **kwargs):
    from shuxiang.core.permissions import sync_builtin_grants

    if app_config is not None and app_config.label == "core":
        sync_builtin_grants()


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


def same_integer_ranges_on_every_database():
    """SQLite accepts any 64-bit integer in any integer column, PostgreSQL only its column type's range. Django
    derives a model field's range validators (and so the API's validation and the published schema's
    minimum/maximum) from the database in use, so the same request was valid on one and refused on the other
    and the schema differed. Validate by the standard ranges (PostgreSQL's) everywhere."""
    from django.db.backends.base.operations import BaseDatabaseOperations
    from django.db.backends.sqlite3 import base as sqlite

    sqlite.DatabaseOperations.integer_field_range = BaseDatabaseOperations.integer_field_range
