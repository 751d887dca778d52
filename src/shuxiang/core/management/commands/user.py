from django.core.management.base import BaseCommand, CommandError

from shuxiang.core import services
from shuxiang.core.choices import Role
from shuxiang.core.context import origin
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import Unit


class Command(BaseCommand):
    help = "用户管理：shuxiang user add USERNAME --role ROLE --place CODE [--unit NAME] [--password P]"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="新增用户")
        add.add_argument("username")
        add.add_argument("--role", required=True, choices=Role.values)
        add.add_argument("--place", required=True, help="所属区划代码")
        add.add_argument("--unit", help="所属单位名称")
        add.add_argument("--password", help="不填则生成随机密码并打印")
        add.add_argument("--name", default="", help="姓名")
        add.add_argument("--reveal-pii", action="store_true", help="授予查看完整敏感信息的权限")

    def handle(self, *args, **options):
        import secrets

        with origin("cli"):
            try:
                place = services.resolve_place(options["place"])
                unit = None
                if options.get("unit"):
                    unit = Unit.objects.filter(name=options["unit"]).order_by("place__level").first()
                    if unit is None:
                        raise CommandError(f"单位“{options['unit']}”不存在")
                password = options.get("password") or f"Sx-{secrets.token_urlsafe(9)}"
                user = services.do_create_user(
                    actor="cli",
                    username=options["username"],
                    role=options["role"],
                    place=place,
                    unit=unit,
                    password=password,
                    display_name=options["name"],
                    can_reveal_pii=options["reveal_pii"],
                )
            except ServiceError as exc:
                details = "；".join(f"{k}: {'，'.join(v)}" for k, v in exc.fields.items())
                raise CommandError(f"{exc.message}（{exc.code}）{details}") from None
        self.stdout.write(f"已创建用户 {user.username}（{user.get_role_display()}，{place.name}）")
        if not options.get("password"):
            self.stdout.write(f"初始密码：{password}")
