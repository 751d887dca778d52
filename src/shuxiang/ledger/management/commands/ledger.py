import json
import urllib.request
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from shuxiang.core.actors import OPERATOR
from shuxiang.core.context import origin
from shuxiang.core.errors import ServiceError
from shuxiang.ledger import services


def load_mirror(source: str):
    """A copy of the published checkpoint log: a file saved from /ledger/checkpoints.json (or a list of its
    checkpoints), or the URL of another copy."""
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=30) as response:  # noqa: S310 (an operator's own URL)
            return json.loads(response.read())
    return json.loads(Path(source).read_text(encoding="utf-8"))


class Command(BaseCommand):
    help = (
        "可信账本：verify 重新计算哈希链、核对已签名检查点和原始数据（有异常时退出码非零）；"
        "checkpoint 签署当前链头"
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify", "checkpoint"])
        parser.add_argument("--stream", help="只处理一个账本流，如 trace")
        parser.add_argument("--json", action="store_true", help="以 JSON 输出核验结果")
        parser.add_argument(
            "--mirror",
            help="与第三方保存的检查点副本核对（/ledger/checkpoints.json 的文件或网址）",
        )

    def handle(self, *args, action, stream=None, json=False, mirror=None, **options):
        if stream and not services.stream_exists(stream):
            raise CommandError(f"账本流 {stream} 不存在")
        if action == "checkpoint":
            with origin("cli"):
                try:
                    made = services.checkpoint(stream, actor=OPERATOR)
                except ServiceError as exc:
                    raise CommandError(exc.message) from exc
            for cp in made:
                self.stdout.write(f"检查点 #{cp.number} {cp.stream}: 第{cp.seq}条 {cp.hash}")
            if not made:
                self.stdout.write("没有新的记录，无需检查点")
            return
        try:
            copy = load_mirror(mirror) if mirror else None
        except (OSError, ValueError) as exc:
            raise CommandError(f"无法读取检查点副本 {mirror}：{exc}") from exc
        result = services.verify(stream, mirror=copy)
        if json:
            self.stdout.write(_json(result.as_dict()))
        else:
            for name, info in result.streams.items():
                state = "完好" if info["ok"] else "异常"
                self.stdout.write(
                    f"{name}: {info['entries']} 条，{state}，链头 {info['head']}，"
                    f"已签名至第{info['checkpoint_seq']}条"
                )
            log = result.checkpoints
            self.stdout.write(
                f"检查点：{log['count']} 个，最新 #{log['latest']}，公钥 {log['key']}"
                + ("，已与副本核对" if log["mirror"] else "")
            )
        if not result.ok:
            bad = result.first_bad
            raise CommandError(f"账本核验失败：{bad.stream} {bad.message}")
        if not json:
            self.stdout.write(f"核验通过：共 {result.entries} 条，总链头 {result.head}")


def _json(data):
    return json.dumps(data, ensure_ascii=False, indent=2)
