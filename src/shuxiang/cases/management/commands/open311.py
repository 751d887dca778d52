from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from shuxiang.cases import open311
from shuxiang.cases.models import Open311Key
from shuxiang.core.actors import OPERATOR
from shuxiang.core.context import origin
from shuxiang.core.errors import ServiceError


class Command(BaseCommand):
    help = (
        "Open311 密钥：shuxiang open311 key NAME 签发（最后一行单独打印密钥，只显示这一次）；"
        "shuxiang open311 revoke NAME 吊销；shuxiang open311 keys 列出"
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        key = sub.add_parser("key", help="为外部客户端签发只能提交事件的 Open311 密钥")
        key.add_argument("name", help="客户端名称（自由填写，不是用户名）")
        revoke = sub.add_parser("revoke", help="吊销该客户端的 Open311 密钥，立即失效")
        revoke.add_argument("name")
        sub.add_parser("keys", help="列出 Open311 密钥（不含密钥本身）")

    def handle(self, *args, action, **opts):
        try:
            with origin("cli"):
                getattr(self, action)(opts)
        except ServiceError as exc:
            raise CommandError(f"{exc.message}（{exc.code}）") from None

    def key(self, opts):
        key, plaintext = open311.do_issue_open311_key(opts["name"], actor=OPERATOR)
        self.stdout.write(
            f"已为客户端“{key.name}”签发 Open311 密钥，只能提交事件；平台只保存其摘要，密钥只显示这一次。"
        )
        self.stdout.write("请在 POST 表单正文中传 api_key，不要放在网址里。")
        self.stdout.write(plaintext)

    def revoke(self, opts):
        key = open311.do_revoke_open311_key(opts["name"], actor=OPERATOR)
        self.stdout.write(f"已吊销客户端“{key.name}”的 Open311 密钥")

    def keys(self, opts):
        for key in Open311Key.objects.order_by("name", "-created_at"):
            state = f"已吊销 {_local(key.revoked_at)}" if key.revoked_at else "有效"
            used = f"最近使用 {_local(key.last_used_at)}" if key.last_used_at else "未使用"
            self.stdout.write(f"{key.name}\t{state}\t签发 {_local(key.created_at)}\t{used}")


def _local(value) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"
