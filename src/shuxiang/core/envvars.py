"""Every environment variable Shuxiang reads, with what it does — the source of `shuxiang config
--env-template` (the environment file of a production install, deploy/shuxiang.env) and of
docs/operations.md's table.

A test scans the code for variable names and fails on one that is not listed here, so a new setting cannot
ship undocumented. `secret` marks values that must never be committed or printed (the template leaves them
empty and says how to make one); `example` is what the template writes for a production install.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Var:
    name: str
    group: str
    help: str
    default: str = ""
    example: str | None = None  # written uncommented in the template
    secret: bool = False
    generated: bool = True  # a secret the county makes itself (the template says how), not one it is given


VARIABLES: tuple[Var, ...] = (
    # --- where things live ---
    Var(
        "SHUXIANG_VAR_DIR",
        "存储",
        "数据目录：SQLite 库、生成的密钥文件、缓存、任务队列（SQLite 时）",
        "./var",
        "/var/lib/shuxiang",
    ),
    Var(
        "SHUXIANG_MEDIA_ROOT",
        "存储",
        "上传文件目录（多台 Web 节点时须为共享存储）",
        "$SHUXIANG_VAR_DIR/media",
        "/var/lib/shuxiang/media",
    ),
    Var(
        "SHUXIANG_S3_BUCKET",
        "存储",
        "上传文件改存 S3 兼容对象存储（MinIO、Ceph、云对象存储）的桶名；设置后不再用 SHUXIANG_MEDIA_ROOT，"
        "多台 Web 节点无需共享目录",
        "",
    ),
    Var("SHUXIANG_S3_ENDPOINT_URL", "存储", "对象存储地址（如 http://127.0.0.1:9000）；不设置则为 AWS", ""),
    Var("SHUXIANG_S3_REGION", "存储", "对象存储区域名", ""),
    Var(
        "SHUXIANG_S3_ACCESS_KEY",
        "存储",
        "对象存储访问密钥 ID（也可用 _FILE 指向文件）",
        "",
        secret=True,
        generated=False,
    ),
    Var(
        "SHUXIANG_S3_SECRET_KEY",
        "存储",
        "对象存储访问密钥（也可用 _FILE 指向文件）",
        "",
        secret=True,
        generated=False,
    ),
    Var("SHUXIANG_S3_PREFIX", "存储", "上传文件在桶内的前缀（目录）", "media"),
    Var(
        "SHUXIANG_S3_ADDRESSING_STYLE",
        "存储",
        "桶的寻址方式：path（MinIO 等自建服务）或 virtual",
        "path",
    ),
    Var(
        "DATABASE_URL",
        "存储",
        "数据库；生产环境必须是 PostgreSQL（SQLite 仅供单机试用）",
        "sqlite:///./var/shuxiang.sqlite3",
        "postgres://shuxiang@127.0.0.1:5432/shuxiang",
    ),
    Var(
        "SHUXIANG_CONN_MAX_AGE",
        "存储",
        "数据库连接保持秒数（0 = 每个请求新建；默认 60，连接复用前先检查）",
        "60",
        "60",
    ),
    Var(
        "REDIS_URL",
        "任务与缓存",
        "Redis：后台任务队列（huey）、共享缓存、限流计数；多进程/多节点时必填",
        "",
        "redis://127.0.0.1:6379/0",
    ),
    Var("SHUXIANG_HUEY_NAME", "任务与缓存", "任务队列名（同一 Redis 上多套安装时区分）", "shuxiang"),
    Var("SHUXIANG_CACHE_PREFIX", "任务与缓存", "缓存键前缀（同一 Redis 上多套安装时区分）", "shuxiang"),
    Var("SHUXIANG_WORKERS", "任务与缓存", "每个 worker 进程的任务线程数", "2"),
    Var(
        "SHUXIANG_NODE", "任务与缓存", "本节点名（多台机器时各不相同；写入心跳、日志和指标）", "主机名", None
    ),
    Var(
        "MQTT_URL",
        "物联网",
        "MQTT 代理（Mosquitto）地址；设备经 MQTT 上报时必填",
        "",
        "mqtt://shuxiang:密码@127.0.0.1:1883",
    ),
    # --- keys ---
    Var(
        "SHUXIANG_SECRET_KEY",
        "密钥",
        "Django 会话签名密钥；未设置时首次启动在数据目录生成（也可用 _FILE 指向文件）",
        "生成",
        secret=True,
    ),
    Var(
        "SHUXIANG_FIELD_KEY",
        "密钥",
        "身份证号、电话等字段加密密钥；可写逗号分隔的多个（第一个加密，全部可解密，轮换见 shuxiang keys rotate）",
        "生成",
        secret=True,
    ),
    Var(
        "SHUXIANG_DIGEST_KEY",
        "密钥",
        "检索摘要（身份证号查找、设备令牌）的密钥；不设置时用 SHUXIANG_FIELD_KEY 的最后一个。轮换加密密钥后须设为旧密钥",
        "SHUXIANG_FIELD_KEY 的最后一个",
        secret=True,
    ),
    Var(
        "SHUXIANG_LEDGER_SIGNING_KEY",
        "密钥",
        "账本检查点签名私钥（Ed25519）；未设置时在数据目录生成",
        "生成",
        secret=True,
    ),
    Var(
        "SHUXIANG_METRICS_TOKEN",
        "观测",
        "/metrics 的 Bearer 令牌；不设置且不在允许地址内则拒绝一切访问",
        "",
        secret=True,
    ),
    Var(
        "SHUXIANG_METRICS_ALLOW",
        "观测",
        "无需令牌即可读取 /metrics 的地址或网段（逗号分隔）",
        "",
        "127.0.0.1",
    ),
    # --- serving ---
    Var("SHUXIANG_HOST", "服务", "shuxiang serve 监听地址", "127.0.0.1"),
    Var("SHUXIANG_PORT", "服务", "shuxiang serve 监听端口", "8000"),
    Var(
        "SHUXIANG_PUBLIC_URL",
        "服务",
        "对外访问地址（二维码、通知中的链接、CAP 中的网址）",
        "http://HOST:PORT",
        "https://shuxiang.example.gov.cn",
    ),
    Var(
        "SHUXIANG_ALLOWED_HOSTS",
        "服务",
        "允许的主机名（逗号分隔）",
        "127.0.0.1,localhost",
        "shuxiang.example.gov.cn",
    ),
    Var(
        "SHUXIANG_CSRF_TRUSTED_ORIGINS",
        "服务",
        "跨站表单可信来源（https://主机名，逗号分隔）",
        "",
        "https://shuxiang.example.gov.cn",
    ),
    Var(
        "SHUXIANG_TRUSTED_PROXIES",
        "服务",
        "本方反向代理地址或网段：只信任它们转发的客户端地址和 HTTPS 标记",
        "",
        "127.0.0.1",
    ),
    Var("SHUXIANG_TLS", "服务", "站点经 HTTPS 提供（本进程或可信代理）：发送 HSTS", "false", "true"),
    Var("SHUXIANG_HSTS_SECONDS", "服务", "HSTS 有效期（秒）", "31536000"),
    Var("SHUXIANG_HSTS_INCLUDE_SUBDOMAINS", "服务", "HSTS 是否包含子域名", "false"),
    Var(
        "SHUXIANG_SECURE_COOKIES",
        "服务",
        "在纯 HTTP 上也给 Cookie 加 Secure（HTTPS 在本进程看不到的部署）",
        "false",
    ),
    Var("SHUXIANG_DEBUG", "服务", "调试模式；生产环境必须关闭", "false", "false"),
    Var("SHUXIANG_LOG_LEVEL", "观测", "日志级别", "INFO"),
    Var(
        "SHUXIANG_LOG_FORMAT",
        "观测",
        "日志格式：text，或 json（每个请求、每个任务一行 JSON，带请求编号）",
        "text",
        "json",
    ),
    Var("SHUXIANG_TESTING", "服务", "测试模式（仅测试套件使用）", "false"),
    Var("SHUXIANG_BENCH_VIEWS", "服务", "开启基准测试用的空视图 /__bench__/bare（仅基准测试）", "false"),
    # --- sign-in and privacy ---
    Var("SHUXIANG_IDLE_TIMEOUT_SECONDS", "登录与隐私", "无操作多久后退出登录（秒）", "1800"),
    Var(
        "SHUXIANG_SESSION_RENEW_SECONDS",
        "登录与隐私",
        "使用中的会话每隔多少秒续期一次（空闲超时按最后一次请求计，误差不超过此值；不必每次请求都写数据库）",
        "60",
    ),
    Var("SHUXIANG_SESSION_MAX_HOURS", "登录与隐私", "登录后最长有效小时数（无论是否活跃）", "12"),
    Var("SHUXIANG_LOGIN_FAILURE_LIMIT", "登录与隐私", "连续登录失败多少次后锁定", "5"),
    Var("SHUXIANG_LOCKOUT_MINUTES", "登录与隐私", "锁定分钟数", "30"),
    Var(
        "SHUXIANG_2FA_REQUIRED_ROLES",
        "登录与隐私",
        "必须使用动态口令（双因素）的角色，逗号分隔；none 表示不强制",
        "admin,district",
    ),
    Var("SHUXIANG_REVEAL_RATE", "登录与隐私", "每个用户查看完整身份证号/电话的频率上限", "10/minute"),
    Var("SHUXIANG_TRACKING_RATE", "登录与隐私", "群众查询办理进度的频率上限（每个地址）", "30/minute"),
    Var("SHUXIANG_ANON_RATE", "登录与隐私", "匿名提交（反映问题等）的频率上限", "20/hour"),
    Var("SHUXIANG_AUDIT_RETENTION_DAYS", "登录与隐私", "审计日志保留天数（生产环境不少于 180）", "365"),
    # --- the county ---
    Var("SHUXIANG_COUNTY_CODE", "本县", "本县（区）的 6 位行政区划代码", "430903"),
    Var("SHUXIANG_SEED_DIR", "本县", "规划文件目录（导入本县规划任务和指标）", "内置赫山区规划"),
    Var(
        "SHUXIANG_TILE_URL",
        "地图",
        "自建 XYZ 瓦片服务地址（含 {z}/{x}/{y}）；与天地图二选一；不设置则不加载任何外部底图",
        "",
    ),
    Var("SHUXIANG_TIANDITU_KEY", "地图", "天地图浏览器端密钥", "", secret=True),
    Var("SHUXIANG_TIANDITU_MATRIX", "地图", "天地图矩阵：w（球面墨卡托）或 c（CGCS2000 经纬度）", "w"),
    Var("SHUXIANG_TIANDITU_LAYER", "地图", "天地图底图：vec 矢量、img 影像、ter 地形", "vec"),
    # --- telemetry ---
    Var("SHUXIANG_IOT_RETENTION_DAYS", "物联网", "原始读数保留天数（小时/日汇总长期保留）", "730"),
    Var("SHUXIANG_IOT_FUTURE_SECONDS", "物联网", "读数时间可超前服务器时钟的秒数", "300"),
    Var("SHUXIANG_IOT_OFFLINE_MINUTES", "物联网", "多少分钟无通信视为离线", "30"),
    Var("SHUXIANG_IOT_COPY_THRESHOLD", "物联网", "一批读数达到多少条时用 COPY 写入（PostgreSQL）", "64"),
    Var("SHUXIANG_MQTT_QUEUE", "物联网", "MQTT 监听进程的内存队列长度", "4000"),
    Var("SHUXIANG_MQTT_BATCH", "物联网", "MQTT 监听进程每批写入的消息数", "1000"),
    Var("SHUXIANG_MQTT_WORKERS", "物联网", "MQTT 监听进程的写入线程数", "1"),
    Var("SHUXIANG_MQTT_ADMIN_URL", "物联网", "Mosquitto 动态安全插件的管理地址（平台自动为设备开户）", ""),
    Var("SHUXIANG_MQTT_ADMIN_TIMEOUT", "物联网", "管理请求超时（秒）", "5"),
    # --- warnings ---
    Var(
        "SHUXIANG_WARNING_RETRY_DELAYS",
        "预警",
        "向大喇叭网关重发的间隔（秒，逗号分隔）",
        "0.5,2,10,30,120,600",
    ),
    Var("SHUXIANG_WARNING_HTTP_TIMEOUT", "预警", "网关 HTTP 超时（秒）", "5"),
    Var("SHUXIANG_WARNING_CONCURRENCY", "预警", "同时投递的终端数", "200"),
    Var("SHUXIANG_WARNING_CLAIM_LEASE", "预警", "投递任务的租约秒数（进程被杀后由他人接手）", "120"),
    Var(
        "SHUXIANG_WARNING_DROP_ROOT",
        "预警",
        "file:// 网关（文件投递）允许写入的根目录",
        "$SHUXIANG_VAR_DIR/drop",
    ),
    Var(
        "SHUXIANG_WARNING_SECTOR_CODES", "预警", "发布单位到 CAP 行业代码的 JSON 映射", '{"区气象局": "416"}'
    ),
    Var("SHUXIANG_WARNING_SENDER_NAME", "预警", "CAP senderName", "赫山区突发事件预警信息发布中心"),
    Var("SHUXIANG_WARNING_BATCH", "预警", "每批投递的终端数", "1000"),
    Var("SHUXIANG_WARNING_SPEECH", "预警", "为预警合成语音（espeak-ng）", "true"),
    Var("SHUXIANG_WARNING_APPROVAL_ESCALATE_MINUTES", "预警", "机器生成的预警待审批多久后升级提醒", "30"),
    Var(
        "SHUXIANG_WARNING_ESCALATE_UNITS",
        "预警",
        "升级提醒送达的单位简称（逗号分隔）",
        "区应急局,区应急管理局",
    ),
    # --- traceability ---
    Var(
        "SHUXIANG_TRACE_COUNTERFEIT",
        "追溯",
        "疑似仿冒的判定参数（min_clients、min_places、far_km、window_hours、many_clients）",
        "",
    ),
    # --- land ---
    Var(
        "SHUXIANG_SMS_URL",
        "土地",
        "短信网关地址（HTTP POST JSON {phone, text}）；未设置时短信存入待转告箱，由村干部转告",
        "",
    ),
    Var("SHUXIANG_SMS_TOKEN", "土地", "短信网关的令牌（Authorization: Bearer）", "", secret=True),
    # --- operations ---
    Var(
        "SHUXIANG_BACKUP_DIR",
        "运维",
        "shuxiang backup 的默认目录，也是定时备份的目录",
        "$SHUXIANG_VAR_DIR/backups",
        "/var/backups/shuxiang",
    ),
    Var("SHUXIANG_BACKUP_KEEP", "运维", "定时备份保留的份数（0 = 不做定时备份）", "0", "14"),
    Var("SHUXIANG_BACKUP_HOUR", "运维", "每天几点做定时备份（0–23）", "2"),
    # --- test and bench only ---
    Var("SHUXIANG_SCHEMATHESIS_EXAMPLES", "测试", "CI 中 Schemathesis 每个接口的样例数", "5"),
    Var("SHUXIANG_SCHEMATHESIS_PHASES", "测试", "CI 中 Schemathesis 的阶段", ""),
    Var("SHUXIANG_SCHEMATHESIS_SEED", "测试", "CI 中 Schemathesis 的随机种子", ""),
    Var("SHUXIANG_SCHEMATHESIS_TIMEOUT", "测试", "CI 中 Schemathesis 的总时限（秒）", ""),
)

BY_NAME = {v.name: v for v in VARIABLES}
# Names the code mentions that are not settings of their own (prefixes, the _FILE form of a secret).
NOT_SETTINGS = {"SHUXIANG_TRUSTED", "SHUXIANG_DIGEST_KEY_FILE"}


def env_template() -> str:
    """The environment file for a production install: every variable, grouped, explained, with the
    production value where one differs from the default and secrets left empty."""
    lines = [
        "# 数乡 Shuxiang — environment file (generated by `shuxiang config --env-template`).",
        "# systemd reads it with EnvironmentFile=; every variable is explained in docs/operations.md.",
        "# A line starting with # keeps the default shown. Secrets: set NAME, or NAME_FILE=/path/to/file.",
        "",
    ]
    group = None
    for var in VARIABLES:
        if var.group == "测试":
            continue
        if var.group != group:
            group = var.group
            lines += ["", f"# ---- {group} ----"]
        lines.append(f"# {var.help}" + (f"（默认：{var.default}）" if var.default else ""))
        if var.secret:
            if var.generated:
                lines.append("# 生成：python3 -c 'import secrets; print(secrets.token_urlsafe(32))'")
            lines.append(f"#{var.name}=")
        elif var.example is not None:
            lines.append(f"{var.name}={var.example}")
        else:
            lines.append(f"#{var.name}={var.default}")
    return "\n".join(lines).strip() + "\n"
