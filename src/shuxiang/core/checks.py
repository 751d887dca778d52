"""`shuxiang check`: misconfiguration reported with stable ids before anything runs."""

from django.conf import settings
from django.core.checks import Error, Warning, register


@register("shuxiang")
def check_configuration(app_configs=None, **kwargs):
    problems = []
    if settings.AUDIT_RETENTION_DAYS < 180:
        problems.append(
            Error(
                "审计日志保留期不足180天（网络安全法要求至少6个月）",
                hint="把 SHUXIANG_AUDIT_RETENTION_DAYS 设为 180 或更大",
                id="shuxiang.E001",
            )
        )
    if len(settings.FIELD_KEY) < 32:
        problems.append(
            Error(
                "SHUXIANG_FIELD_KEY 太短（至少32个字符）",
                hint="删除它让系统在 ./var 生成，或设置更长的随机值",
                id="shuxiang.E002",
            )
        )
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine not in ("django.db.backends.sqlite3", "django.db.backends.postgresql"):
        problems.append(
            Error(
                f"不支持的数据库：{engine}",
                hint="DATABASE_URL 使用 sqlite:// 或 postgres://",
                id="shuxiang.E003",
            )
        )
    if settings.MQTT_URL and not settings.MQTT_URL.startswith(("mqtt://", "mqtts://")):
        problems.append(Error("MQTT_URL 应以 mqtt:// 或 mqtts:// 开头", id="shuxiang.E004"))
    if settings.REDIS_URL and not settings.REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
        problems.append(Error("REDIS_URL 应以 redis:// 开头", id="shuxiang.E005"))
    if settings.DEBUG:
        problems.append(Warning("DEBUG 已开启，生产环境请关闭（SHUXIANG_DEBUG=false）", id="shuxiang.W001"))
    if settings.SESSION_COOKIE_AGE > 30 * 60:
        problems.append(Warning("会话空闲超时超过30分钟，不符合等保三级常见要求", id="shuxiang.W002"))
    return problems
