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
    if any(len(k) < 32 for k in settings.FIELD_KEY.split(",")):
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
    problems.extend(check_security_settings())
    problems.extend(check_base_layer())
    return problems


# The base map's problems (shuxiang.conf.base_layer) and their stable ids; docs/maps.md lists them.
BASE_LAYER_CHECKS = {
    "offset": ("shuxiang.E020", "只用 CGCS2000/WGS84 瓦片：自建瓦片服务或天地图（SHUXIANG_TIANDITU_KEY）"),
    "both": ("shuxiang.E021", "删掉其中一个：自建瓦片用 SHUXIANG_TILE_URL，天地图用 SHUXIANG_TIANDITU_KEY"),
    "url": ("shuxiang.E022", "例如 https://tiles.example.gov.cn/{z}/{x}/{y}.png 或 /tiles/{z}/{x}/{y}.png"),
    "tianditu": ("shuxiang.E023", "见 docs/maps.md：密钥、矩阵（w/c）和图层（vec/img/ter）"),
}


def check_base_layer():
    """A refused tile source draws no base map at all; this says why before anyone looks at a map."""
    from shuxiang.conf import configured_base_layer

    _, found = configured_base_layer()
    return [
        Error(message, hint=BASE_LAYER_CHECKS[kind][1], id=BASE_LAYER_CHECKS[kind][0])
        for kind, message in found
    ]


def check_security_settings():
    """The settings of docs/security.md, refused when they cannot be read as meant."""
    from shuxiang.conf import parse_networks
    from shuxiang.core.ratelimit import parse_rate

    problems = []
    _, bad = parse_networks(settings.TRUSTED_PROXIES)
    if bad:
        problems.append(
            Error(
                "SHUXIANG_TRUSTED_PROXIES 中有无法识别的地址：" + "、".join(bad),
                hint="用逗号分隔的 IP 地址或网段，例如 127.0.0.1,10.0.0.0/24；无法识别的项不会被信任",
                id="shuxiang.E006",
            )
        )
    try:
        parse_rate(settings.REVEAL_RATE)
    except ValueError:
        problems.append(
            Error(
                f"SHUXIANG_REVEAL_RATE 无法识别：{settings.REVEAL_RATE!r}",
                hint="写成 次数/时段，例如 10/minute、100/hour",
                id="shuxiang.E007",
            )
        )
    if settings.SESSION_MAX_HOURS < 1:
        problems.append(
            Error("SHUXIANG_SESSION_MAX_HOURS 至少为1小时", hint="默认12小时", id="shuxiang.E008")
        )
    if settings.TLS and not settings.TRUSTED_PROXIES:
        problems.append(
            Warning(
                "已设置 SHUXIANG_TLS=true，但没有配置 SHUXIANG_TRUSTED_PROXIES：只有本进程直接提供 HTTPS 时"
                "才会发送 HSTS、给 Cookie 加 Secure 标志",
                hint="在反向代理后运行时，把代理的地址写入 SHUXIANG_TRUSTED_PROXIES",
                id="shuxiang.W003",
            )
        )
    return problems


@register("shuxiang", deploy=True)
def check_deployment(app_configs=None, **kwargs):
    """`shuxiang check --deploy`: what must hold before a county's data goes on a server (docs/operations.md).
    Errors, so the command fails loudly; Django's own deploy checks run beside these."""
    from shuxiang.core import heartbeats

    problems = []

    def error(message, hint, n):
        problems.append(Error(message, hint=hint, id=f"shuxiang.E1{n:02d}"))

    if settings.DEBUG:
        error(
            "调试模式已开启（SHUXIANG_DEBUG=true）：出错页面会泄露配置和数据", "设置 SHUXIANG_DEBUG=false", 1
        )
    for name in ("SECRET_KEY", "FIELD_KEY", "LEDGER_SIGNING_KEY"):
        value = str(getattr(settings, name, ""))
        if not value or "insecure" in value or value.startswith("change-me") or len(value) < 32:
            error(
                f"SHUXIANG_{name} 未设置或是默认值",
                "用 shuxiang config --env-template 中的命令生成随机密钥",
                2,
            )
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        error("生产环境使用了 SQLite", "DATABASE_URL=postgres://…（见 docs/operations.md）", 3)
    if not settings.REDIS_URL:
        error(
            "未配置 REDIS_URL：后台任务、缓存和限流无法在多个进程间共享",
            "REDIS_URL=redis://127.0.0.1:6379/0",
            4,
        )
    if not (settings.TLS and settings.TRUSTED_PROXIES):
        error(
            "未声明 HTTPS 反向代理（SHUXIANG_TLS、SHUXIANG_TRUSTED_PROXIES）：HSTS、Secure Cookie 和真实客户端地址都不可用",
            "在 nginx 后运行时设置 SHUXIANG_TLS=true 与 SHUXIANG_TRUSTED_PROXIES=127.0.0.1",
            5,
        )
    if not settings.PUBLIC_URL.startswith("https://"):
        error(
            "SHUXIANG_PUBLIC_URL 不是 https:// 地址（二维码和通知中的链接会用它）",
            "例如 https://shuxiang.example.gov.cn",
            6,
        )
    if settings.AUDIT_RETENTION_DAYS < 180:
        error("审计日志保留期不足180天", "SHUXIANG_AUDIT_RETENTION_DAYS=365", 7)
    age = heartbeats.age("worker")
    if age is None or age > heartbeats.STALE_SECONDS:
        seen = "从未见到" if age is None else f"已 {int(age // 60)} 分钟未见"
        error(f"后台任务进程（shuxiang worker）{seen}心跳", "启动 shuxiang-worker 服务（deploy/systemd）", 8)
    if not settings.METRICS_TOKEN and not settings.METRICS_ALLOW:
        problems.append(
            Warning(
                "/metrics 未配置访问方式（SHUXIANG_METRICS_TOKEN 或 SHUXIANG_METRICS_ALLOW），监控无法读取",
                id="shuxiang.W101",
            )
        )
    return problems
