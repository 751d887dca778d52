from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "运行后台任务消费者（huey）：定时任务、推送、重试"

    def add_arguments(self, parser):
        parser.add_argument("--workers", type=int, default=None)

    def handle(self, *args, **options):
        extra = ["--workers", str(options["workers"])] if options["workers"] else []
        call_command("run_huey", *extra)
