from django.db import models


class Protocol(models.TextChoices):
    HTTP = "http", "HTTP"
    MQTT = "mqtt", "MQTT"
    SL651 = "sl651", "SL 651-2014"
    JT808 = "jt808", "JT/T 808"
    HJ212 = "hj212", "HJ 212-2017"


class RuleKind(models.TextChoices):
    ABOVE = "above", "高于阈值"
    BELOW = "below", "低于阈值"
    RATE = "rate", "变化率超限（每分钟）"
    NO_DATA = "no_data", "无数据（离线）"


class Severity(models.TextChoices):
    CRITICAL = "critical", "紧急"
    MAJOR = "major", "严重"
    MINOR = "minor", "次要"
    WARNING = "warning", "提示"


SEVERITY_TAG = {"critical": "tag-danger", "major": "tag-danger", "minor": "tag-warn", "warning": "tag-warn"}
SEVERITY_ORDER = {"critical": 0, "major": 1, "minor": 2, "warning": 3}


class AlarmStatus(models.TextChoices):
    ACTIVE = "active", "告警中"
    CLEARED = "cleared", "已解除"


class RejectReason(models.TextChoices):
    BAD_JSON = "bad_json", "报文不是合法 JSON"
    BAD_PAYLOAD = "bad_payload", "报文结构不符合要求"
    BAD_FRAME = "bad_frame", "报文格式错误"
    BAD_CRC = "bad_crc", "校验码错误"
    UNKNOWN_DEVICE = "unknown_device", "设备未登记"
    WRONG_TOKEN = "wrong_token", "设备令牌错误"
    WRONG_PASSWORD = "wrong_password", "密码或鉴权码错误"
    UNAUTHENTICATED = "unauthenticated", "终端未鉴权"
    BAD_POSITION = "bad_position", "位置不可能（越界或跳变）"
    INACTIVE = "inactive", "设备已停用"
    BAD_KEY = "bad_key", "要素名不合法"
    NOT_NUMERIC = "not_numeric", "数值不是数字"
    BOOLEAN = "boolean", "数值为布尔值（true/false）"
    UNKNOWN_KEY = "unknown_key", "要素未登记"
    OUT_OF_RANGE = "out_of_range", "数值超出传感器量程"
    FUTURE = "future", "时间戳晚于当前时间"
    TOO_OLD = "too_old", "时间戳早于保留期限"
    UNSUPPORTED = "unsupported", "不支持的报文类型"
    INCOMPLETE = "incomplete", "SL 651 多包报文不完整"


class SensorStatus(models.TextChoices):
    ACTIVE = "active", "已启用"
    PENDING = "pending", "待审核"


class BrokerState(models.TextChoices):
    PENDING = "pending", "待写入代理"
    OK = "ok", "已写入代理"
    FAILED = "failed", "写入失败，每分钟自动重试"


class Sl651CommandStatus(models.TextChoices):
    PENDING = "pending", "待发送"
    SENT = "sent", "已发送，等待应答"
    ANSWERED = "answered", "已应答"
    EXPIRED = "expired", "已过期"
