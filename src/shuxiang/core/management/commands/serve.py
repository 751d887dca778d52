from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "以生产级 WSGI 服务器（gunicorn）提供服务，监听 SHUXIANG_HOST:SHUXIANG_PORT"

    def add_arguments(self, parser):
        parser.add_argument("--host", default=settings.HOST)
        parser.add_argument("--port", type=int, default=settings.PORT)
        parser.add_argument("--workers", type=int, default=None, help="进程数（默认 2×CPU+1，最多 8）")
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument("--no-migrate", action="store_true", help="启动前不执行数据库迁移")

    def handle(self, *args, **options):
        import multiprocessing

        from gunicorn.app.base import BaseApplication

        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        workers = options["workers"] or min(2 * multiprocessing.cpu_count() + 1, 8)
        bind = f"{options['host']}:{options['port']}"

        class Server(BaseApplication):
            def load_config(self):
                self.cfg.set("bind", bind)
                self.cfg.set("workers", workers)
                self.cfg.set("threads", options["threads"])
                self.cfg.set("worker_class", "gthread")
                self.cfg.set("accesslog", "-")
                self.cfg.set("timeout", 60)
                self.cfg.set("forwarded_allow_ips", "127.0.0.1")
                if "control_socket" in self.cfg.settings:
                    # gunicorn's default control socket is one path per user: two instances on one
                    # machine would overwrite each other's. Each installation keeps its own under ./var.
                    self.cfg.set("control_socket", str(settings.VAR_DIR / "gunicorn.ctl"))

            def load(self):
                from shuxiang.wsgi import application

                return application

        self.stdout.write(f"数乡已启动：http://{bind}/  （Ctrl+C 停止）")
        Server().run()
