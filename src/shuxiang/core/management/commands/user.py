from django.core.management.base import BaseCommand, CommandError

from shuxiang.core import grants, services
from shuxiang.core.actors import OPERATOR
from shuxiang.core.choices import Role
from shuxiang.core.context import origin
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import Unit, User


class Command(BaseCommand):
    help = (
        "用户管理：shuxiang user add USERNAME --role ROLE --place CODE [--unit NAME] [--password P]；"
        "user grant USERNAME --action A --type T [--constraint JSON]；user grants USERNAME；"
        "user reset-2fa USERNAME"
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        add = sub.add_parser("add", help="新增用户")
        add.add_argument("username")
        add.add_argument("--role", required=True, choices=Role.values)
        add.add_argument("--place", required=True, help="所属区划代码")
        add.add_argument("--unit", help="所属单位名称")
        add.add_argument("--password", help="不填则生成随机密码并打印")
        add.add_argument("--name", default="", help="姓名")
        add.add_argument("--reveal-pii", action="store_true", help="授予查看完整敏感信息的权限")
        grant = sub.add_parser("grant", help="给用户新增个人授权")
        grant.add_argument("username")
        grant.add_argument(
            "--action",
            required=True,
            action="append",
            dest="grant_actions",
            help="操作，可重复或用逗号分隔，如 view",
        )
        grant.add_argument("--type", required=True, dest="object_type", help="对象类型，如 cases.case")
        grant.add_argument("--constraint", help='限定条件 JSON，如 {"place__code": "430903103201"}')
        grants = sub.add_parser("grants", help="列出对用户生效的全部授权（角色与个人），每行一条")
        grants.add_argument("username")
        reset = sub.add_parser("reset-2fa", help="重置用户的两步验证（手机丢失时），用户下次登录时重新设置")
        reset.add_argument("username")

    def handle(self, *args, **options):
        if options["subcommand"] == "grant":
            return self.grant(options)
        if options["subcommand"] == "grants":
            return self.grants(options)
        if options["subcommand"] == "reset-2fa":
            return self.reset_two_factor(options)
        return self.add(options)

    def _user(self, username):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"用户 {username} 不存在")
        return user

    def grant(self, options):
        import json

        user = self._user(options["username"])
        constraint = None
        if options.get("constraint"):
            try:
                constraint = json.loads(options["constraint"])
            except json.JSONDecodeError as exc:
                raise CommandError(f"--constraint 不是有效的 JSON：{exc.msg}") from None
        actions = [a.strip() for chunk in options["grant_actions"] for a in chunk.split(",") if a.strip()]
        with origin("cli"):
            try:
                g = grants.do_create_grant(
                    actor=OPERATOR,
                    user=user,
                    object_type=options["object_type"],
                    actions=actions,
                    constraint=constraint,
                )
            except ServiceError as exc:
                details = "；".join(f"{k}: {'，'.join(v)}" for k, v in exc.fields.items())
                raise CommandError(f"{exc.message}（{exc.code}）{details}") from None
        self.stdout.write(f"已授予 {user.username}：{g.object_type} {','.join(g.actions)}")

    def grants(self, options):
        import json

        user = self._user(options["username"])
        for row in grants.grants_in_effect(user):
            constraint = (
                json.dumps(row["constraint"], ensure_ascii=False, sort_keys=True)
                if row["constraint"]
                else "-"
            )
            self.stdout.write(
                f"{row['object_type']}\t{','.join(row['actions'])}\t{constraint}\t{row['source']}"
            )

    def reset_two_factor(self, options):
        from shuxiang.core.two_factor import do_reset_two_factor

        user = self._user(options["username"])
        with origin("cli"):
            try:
                do_reset_two_factor(user, actor=OPERATOR)
            except ServiceError as exc:
                raise CommandError(f"{exc.message}（{exc.code}）") from None
        self.stdout.write(f"已重置 {user.username} 的两步验证，该用户下次登录时需重新设置")

    def add(self, options):
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
                    actor=OPERATOR,
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
