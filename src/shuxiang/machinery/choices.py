from django.db import models


class MachineKind(models.TextChoices):
    TRACTOR = "tractor", "拖拉机"
    TRANSPLANTER = "transplanter", "插秧机"
    SEEDER = "seeder", "播种机"
    SPRAYER = "sprayer", "植保机械（含无人机）"
    HARVESTER = "harvester", "联合收割机"
    SUBSOILER = "subsoiler", "深松机"
    DRYER = "dryer", "烘干机"


class OwnerKind(models.TextChoices):
    FARMER = "farmer", "农户"
    COOPERATIVE = "cooperative", "农机合作社"
    CENTRE = "centre", "农机服务中心"


class OperationKind(models.TextChoices):
    TILL = "till", "耕"
    SOW = "sow", "种"
    TRANSPLANT = "transplant", "插秧"
    SPRAY = "spray", "植保"
    HARVEST = "harvest", "收获"
    SUBSOIL = "subsoil", "深松"
    DRY = "dry", "烘干"


class RequestStatus(models.TextChoices):
    OPEN = "open", "待派单"
    ASSIGNED = "assigned", "已派单"
    STARTED = "started", "作业中"
    DONE = "done", "已完成"
    CANCELLED = "cancelled", "已取消"


# 深松 target depth (cm): practice in the subsidy programmes is ≥ 25 cm [U: provincial rules differ].
SUBSOIL_TARGET_CM = 25.0


def season_of(day) -> str:
    """The farming season a day belongs to: 早稻 (Mar–Jul), 晚稻 (Jul 16–Nov), 冬季 otherwise; with its year."""
    if (3, 1) <= (day.month, day.day) <= (7, 15):
        return f"{day.year}早稻"
    if (7, 16) <= (day.month, day.day) <= (11, 30):
        return f"{day.year}晚稻"
    year = day.year if day.month == 12 else day.year - 1
    return f"{year}冬季"


class SubsidyStatus(models.TextChoices):
    SUBMITTED = "submitted", "已申请，待乡镇审核"
    CHECKED = "checked", "乡镇已审核，待区级审批"
    APPROVED = "approved", "已批准，待兑付"
    RETURNED = "returned", "已退回"
    PAID = "paid", "已兑付"


class RoadGrade(models.TextChoices):
    COUNTY = "county", "县道"
    TOWNSHIP = "township", "乡道"
    VILLAGE = "village", "村道"
    SPECIAL = "special", "专用公路"


class RoadCondition(models.TextChoices):
    GOOD = "good", "优"
    FAIR = "fair", "良"
    MEDIOCRE = "mediocre", "中"
    POOR = "poor", "次"
    BAD = "bad", "差"


class Direction(models.TextChoices):
    """A bus departure's direction: from the first stop (去程) or from the last (返程)."""

    OUT = "out", "去程"
    BACK = "back", "返程"
