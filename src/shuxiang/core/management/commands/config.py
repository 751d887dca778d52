"""`shuxiang config --env-template`: the environment file of a production install, every variable explained
(core/envvars.py). `shuxiang config` alone prints the variables that are set, secrets hidden."""

import os

from django.core.management.base import BaseCommand

from shuxiang.core import envvars
from shuxiang.core.envvars import VARIABLES


class Command(BaseCommand):
    help = "打印环境变量模板（--env-template），或当前已设置的环境变量（密钥不显示）"

    def add_arguments(self, parser):
        parser.add_argument("--env-template", action="store_true", help="打印生产环境的环境变量文件模板")

    def handle(self, *args, env_template: bool = False, **options):
        if env_template:
            self.stdout.write(envvars.env_template(), ending="")
            return
        for var in VARIABLES:
            value = os.environ.get(var.name)
            if value is None and os.environ.get(f"{var.name}_FILE"):
                value, name = f"（文件 {os.environ[var.name + '_FILE']}）", f"{var.name}_FILE"
            else:
                name = var.name
            if value is None:
                continue
            shown = "******" if var.secret and not value.startswith("（文件") else value
            self.stdout.write(f"{name}={shown}")
