"""`shuxiang keys rotate` / `shuxiang keys status`: see core/keys.py and docs/operations.md."""

import os

from django.core.management.base import BaseCommand, CommandError

from shuxiang.core import keys
from shuxiang.core.context import origin


class Command(BaseCommand):
    help = "字段加密密钥轮换：rotate 用新密钥重新加密全部个人信息（可中断后继续），status 显示剩余"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        rotate = sub.add_parser("rotate", help="用 SHUXIANG_FIELD_KEY 的第一个密钥重新加密")
        rotate.add_argument("--batch", type=int, default=1000, help="每批行数（每批一个事务）")
        rotate.add_argument("--max-batches", type=int, default=None, help=argparse_hidden())
        sub.add_parser("status", help="显示仍由旧密钥加密的行数")

    def handle(self, *args, action, batch=1000, max_batches=None, **options):
        if action == "status":
            left = keys.pending()
            for label, count in left.items():
                self.stdout.write(f"{label}：{count} 行仍由旧密钥加密")
            self.stdout.write("全部已使用当前密钥" if not left else "运行 shuxiang keys rotate 继续")
            return
        if batch < 1:
            raise CommandError("--batch 至少为 1")
        with origin("cli"):
            try:
                keys.rotate(batch=batch, max_batches=max_batches, report=self.stdout.write)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        if max_batches is not None and keys.pending():
            self.stdout.write("已暂停：再次运行 shuxiang keys rotate 从中断处继续")
            return
        self.stdout.write("轮换完成：可以从 SHUXIANG_FIELD_KEY 中去掉旧密钥")
        if not (os.environ.get("SHUXIANG_DIGEST_KEY") or os.environ.get("SHUXIANG_DIGEST_KEY_FILE")):
            self.stdout.write(
                "注意：去掉旧密钥前，先设置 SHUXIANG_DIGEST_KEY=<旧密钥>，否则身份证号检索和设备令牌的摘要会失效"
            )


def argparse_hidden():
    import argparse

    return argparse.SUPPRESS
