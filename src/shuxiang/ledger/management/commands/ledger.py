import json

from django.core.management.base import BaseCommand, CommandError

from shuxiang.core.context import origin
from shuxiang.ledger import services


class Command(BaseCommand):
    help = "可信账本：verify 重新计算哈希链（有异常时退出码非零）；checkpoint 记录当前链头"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify", "checkpoint"])
        parser.add_argument("--stream", help="只处理一个账本流，如 trace")
        parser.add_argument("--json", action="store_true", help="以 JSON 输出核验结果")

    def handle(self, *args, action, stream=None, json=False, **options):
        if stream and stream not in services.streams():
            raise CommandError(f"账本流 {stream} 不存在")
        if action == "checkpoint":
            with origin("cli"):
                made = services.checkpoint(stream, actor="cli")
            for cp in made:
                self.stdout.write(f"{cp.stream}: 第{cp.seq}条 {cp.hash}")
            if not made:
                self.stdout.write("没有新的记录，无需检查点")
            return
        result = services.verify(stream)
        if json:
            self.stdout.write(_json(result.as_dict()))
        else:
            for name, info in result.streams.items():
                state = "完好" if info["ok"] else "异常"
                self.stdout.write(f"{name}: {info['entries']} 条，{state}，链头 {info['head']}")
        if not result.ok:
            bad = result.first_bad
            raise CommandError(f"账本核验失败：{bad.stream} {bad.message}")
        if not json:
            self.stdout.write(f"核验通过：共 {result.entries} 条，总链头 {result.head}")


def _json(data):
    return json.dumps(data, ensure_ascii=False, indent=2)
