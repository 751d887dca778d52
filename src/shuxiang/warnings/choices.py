"""States and kinds of warnings and their deliveries, with Chinese labels.

Signal *types* and which colours each may take are data (models.SignalType);
the four colours themselves are the national scale (CMA order no. 16) and CAP's
severity mapping, so they are constants here.
"""

from django.db import models


class Colour(models.TextChoices):
    BLUE = "blue", "蓝色"
    YELLOW = "yellow", "黄色"
    ORANGE = "orange", "橙色"
    RED = "red", "红色"


COLOUR_ORDER = [Colour.BLUE, Colour.YELLOW, Colour.ORANGE, Colour.RED]
# Ⅳ 一般 … Ⅰ 特别严重, and CAP <severity> as Chinese issuers map it (standards-cn.md §5.2).
COLOUR_LEVEL = {
    Colour.BLUE: "Ⅳ级（一般）",
    Colour.YELLOW: "Ⅲ级（较重）",
    Colour.ORANGE: "Ⅱ级（严重）",
    Colour.RED: "Ⅰ级（特别严重）",
}
COLOUR_SEVERITY = {
    Colour.BLUE: "Minor",
    Colour.YELLOW: "Moderate",
    Colour.ORANGE: "Severe",
    Colour.RED: "Extreme",
}
SEVERITY_COLOUR = {v: k for k, v in COLOUR_SEVERITY.items()}
# Orange and red go out only after a second person has approved them.
APPROVAL_REQUIRED = {Colour.ORANGE, Colour.RED}


class MsgType(models.TextChoices):
    ALERT = "Alert", "发布"
    UPDATE = "Update", "更新"
    CANCEL = "Cancel", "解除"


class CapStatus(models.TextChoices):
    ACTUAL = "Actual", "正式"
    EXERCISE = "Exercise", "演练"
    TEST = "Test", "测试"
    SYSTEM = "System", "系统"


class CapCategory(models.TextChoices):
    MET = "Met", "气象"
    GEO = "Geo", "地质"
    SAFETY = "Safety", "安全"
    RESCUE = "Rescue", "救援"
    FIRE = "Fire", "火灾"
    HEALTH = "Health", "卫生"
    ENV = "Env", "环境"
    TRANSPORT = "Transport", "交通"
    INFRA = "Infra", "基础设施"
    OTHER = "Other", "其他"


class Urgency(models.TextChoices):
    IMMEDIATE = "Immediate", "立即"
    EXPECTED = "Expected", "预期"
    FUTURE = "Future", "将来"
    PAST = "Past", "已过去"
    UNKNOWN = "Unknown", "未知"


class Certainty(models.TextChoices):
    OBSERVED = "Observed", "已观测"
    LIKELY = "Likely", "很可能"
    POSSIBLE = "Possible", "可能"
    UNLIKELY = "Unlikely", "不太可能"
    UNKNOWN = "Unknown", "未知"


class WarningStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已审批"
    ISSUED = "issued", "已发布"
    UPDATED = "updated", "已更新"
    CANCELLED = "cancelled", "已解除"


# Statuses a warning has once it went out to the public.
PUBLISHED = {WarningStatus.ISSUED, WarningStatus.UPDATED, WarningStatus.CANCELLED}
STATUS_TAG = {
    WarningStatus.DRAFT: "",
    WarningStatus.PENDING: "tag-warn",
    WarningStatus.APPROVED: "tag-warn",
    WarningStatus.ISSUED: "tag-danger",
    WarningStatus.UPDATED: "",
    WarningStatus.CANCELLED: "tag-ok",
}


class Adapter(models.TextChoices):
    HTTP = "http", "HTTP 推送"
    MQTT = "mqtt", "MQTT 主题"
    FILE = "file", "文件投递"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "待发送"
    SENDING = "sending", "发送中"
    DELIVERED = "delivered", "已送达"
    PLAYED = "played", "已播放"
    FAILED = "failed", "失败"
    SKIPPED = "skipped", "已撤回"


# A delivery still owed to its endpoint.
OPEN_DELIVERY = {DeliveryStatus.PENDING, DeliveryStatus.SENDING}
# The endpoint has the message.
REACHED = {DeliveryStatus.DELIVERED, DeliveryStatus.PLAYED}
DELIVERY_TAG = {
    DeliveryStatus.PENDING: "",
    DeliveryStatus.SENDING: "tag-warn",
    DeliveryStatus.DELIVERED: "tag-ok",
    DeliveryStatus.PLAYED: "tag-ok",
    DeliveryStatus.FAILED: "tag-danger",
    DeliveryStatus.SKIPPED: "",
}
