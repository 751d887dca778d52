from django.core.management.base import BaseCommand, CommandError

from shuxiang.core import services
from shuxiang.core.actors import OPERATOR
from shuxiang.core.context import origin
from shuxiang.core.models import User


class Command(BaseCommand):
    help = "打印用户的接口令牌（首次调用时创建）"

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"用户 {username} 不存在")
        with origin("cli"):
            self.stdout.write(services.do_issue_token(user, actor=OPERATOR))
