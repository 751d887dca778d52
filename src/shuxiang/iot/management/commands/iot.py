import logging
import time
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from shuxiang.core.context import origin
from shuxiang.iot import rollups, simulator


class Command(BaseCommand):
    help = "物联感知工具：simulate（模拟设备经 MQTT 上报）、rollup（统计）、purge（按保留期清理）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sim = sub.add_parser("simulate", help="为已登记的设备经 MQTT 发布逼真的读数")
        sim.add_argument("--url", default=settings.MQTT_URL or "mqtt://127.0.0.1:1883")
        sim.add_argument("--interval", type=float, default=60.0, help="每轮间隔秒数")
        sim.add_argument("--rounds", type=int, default=0, help="轮数，0 表示一直运行")
        sim.add_argument("--kind", default="", help="只模拟该类别的设备")
        sim.add_argument("--storm", action="store_true", help="模拟强降雨：水位上涨，触发告警")
        sim.add_argument("--seed", type=int, default=651)
        roll = sub.add_parser("rollup", help="重算最近若干小时的小时/日统计")
        roll.add_argument("--hours", type=int, default=2)
        sub.add_parser("purge", help="删除超过保留期的原始读数")

    def handle(self, *args, action, **opts):
        logging.basicConfig(level=logging.INFO)
        with origin("cli"):
            if action == "rollup":
                now = timezone.now()
                n = rollups.rollup_range(now - timedelta(hours=opts["hours"]), now)
                self.stdout.write(f"已更新 {n} 条统计")
            elif action == "purge":
                self.stdout.write(f"已删除 {rollups.purge_old_readings()} 条过期读数")
            else:
                sim = simulator.Simulator(
                    opts["url"], kind=opts["kind"], storm=opts["storm"], seed=opts["seed"]
                )
                sim.connect()
                self.stdout.write(f"模拟 {len(sim.devices)} 台设备，经 MQTT {sim.host}:{sim.port} 上报")
                done = 0
                try:
                    while True:
                        sent = sim.round()
                        done += 1
                        self.stdout.write(f"第 {done} 轮：已发布 {sent} 条消息")
                        if opts["rounds"] and done >= opts["rounds"]:
                            break
                        time.sleep(opts["interval"])
                finally:
                    sim.close()
