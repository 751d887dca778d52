from django.db import models


class DamType(models.TextChoices):
    EARTH = "earth", "均质土坝"
    CORE = "core", "心墙土石坝"
    ROCKFILL = "rockfill", "堆石坝"
    MASONRY = "masonry", "浆砌石坝"
    CONCRETE = "concrete", "混凝土坝"


class Scale(models.TextChoices):
    SMALL_1 = "small1", "小(1)型"
    SMALL_2 = "small2", "小(2)型"


class LevelStatus(models.TextChoices):
    NORMAL = "normal", "正常"
    NEAR = "near", "接近汛限"
    OVER = "over", "超汛限"
    DANGER = "danger", "接近坝顶"
    UNKNOWN = "unknown", "无数据"


LEVEL_TAG = {
    "normal": "tag-ok",
    "near": "tag-warn",
    "over": "tag-danger",
    "danger": "tag-danger",
    "unknown": "",
}
# Within this many metres below the flood-limit level a reservoir is shown as "near".
NEAR_MARGIN_M = 0.5
