"""Grades, parts, kinds and groups of rural housing safety, with the words the county's forms use."""

from django.db import models


class Grade(models.TextChoices):
    """农村住房安全性鉴定 grades (JGJ/T 363-2014's four levels, in our words)."""

    A = "A", "A级（安全）"
    B = "B", "B级（基本安全）"
    C = "C", "C级（局部危房）"
    D = "D", "D级（整幢危房）"


DANGEROUS = (Grade.C, Grade.D)
GRADE_TAG = {"A": "tag-ok", "B": "tag-ok", "C": "tag-warn", "D": "tag-danger", "": ""}


class Structure(models.TextChoices):
    BRICK_CONCRETE = "brick_concrete", "砖混结构"
    BRICK_WOOD = "brick_wood", "砖木结构"
    EARTH_WOOD = "earth_wood", "土木结构"
    FRAME = "frame", "框架结构"
    STEEL = "steel", "钢结构"
    STONE = "stone", "石结构"
    OTHER = "other", "其他"


class Use(models.TextChoices):
    LIVING = "living", "自住"
    BUSINESS = "business", "经营"
    MIXED = "mixed", "自住兼经营"


# Uses that make a house a 经营性自建房 of the 2022 campaign.
BUSINESS_USES = (Use.BUSINESS, Use.MIXED)


class BusinessKind(models.TextChoices):
    RESTAURANT = "restaurant", "餐饮"
    HOMESTAY = "homestay", "民宿/旅馆"
    SHOP = "shop", "商超/零售"
    WORKSHOP = "workshop", "生产加工"
    WAREHOUSE = "warehouse", "仓储物流"
    EDUCATION = "education", "培训/托管"
    RENTAL = "rental", "出租居住"
    OTHER = "other", "其他经营"


class KeyGroup(models.TextChoices):
    """The low-income groups whose C/D houses must all be renovated (应改尽改、动态清零)."""

    MONITORED = "monitored", "易返贫致贫户（监测对象）"
    DIBAO = "dibao", "农村低保户"
    DIBAO_EDGE = "dibao_edge", "低保边缘户"
    TEKUN = "tekun", "分散供养特困人员"
    SUDDEN = "sudden", "突发严重困难户"
    LIFTED = "lifted", "其他脱贫户"


class Part(models.TextChoices):
    """What an appraisal judges, part by part; foundation and upper structure separately."""

    FOUNDATION = "foundation", "地基基础"
    LOAD_BEARING = "load_bearing", "承重结构（墙、柱、梁）"
    FLOOR_ROOF = "floor_roof", "楼屋盖"
    ENCLOSURE = "enclosure", "围护结构"


REQUIRED_PARTS = (Part.FOUNDATION, Part.LOAD_BEARING)


class Finding(models.TextChoices):
    NONE = "none", "未见危险"
    POINT = "point", "个别构件危险"
    LOCAL = "local", "局部危险"
    WHOLE = "whole", "整体危险"


class AppraisalKind(models.TextChoices):
    SURVEY = "survey", "排查鉴定"
    ACCEPTANCE = "acceptance", "改造竣工验收"


class RenovationKind(models.TextChoices):
    REBUILD = "rebuild", "拆除重建"
    REPAIR = "repair", "维修改造"
    REINFORCE = "reinforce", "加固改造"


class RenovationStatus(models.TextChoices):
    PLANNED = "planned", "待开工"
    IN_PROGRESS = "in_progress", "施工中"
    ACCEPTED = "accepted", "已验收"


# How long a key household's C/D house may stay open before the district calls it overdue (days).
RENOVATION_DAYS = {"rebuild": 180, "repair": 90, "reinforce": 90}


class Hazard(models.TextChoices):
    """What an inspection of a self-built business house can find, in three groups."""

    STRUCTURE_CRACK = "structure_crack", "结构：承重构件开裂变形"
    STRUCTURE_ADDED_FLOOR = "structure_added_floor", "结构：擅自加层、改变承重结构"
    STRUCTURE_FOUNDATION = "structure_foundation", "结构：地基沉降"
    BUSINESS_LICENCE = "business_licence", "经营：无营业执照或许可"
    BUSINESS_FIRE = "business_fire", "经营：消防通道堵塞或无消防设施"
    BUSINESS_CROWD = "business_crowd", "经营：人员密集超出设计用途"
    LEGAL_LAND = "legal_land", "合法性：无用地审批"
    LEGAL_PLANNING = "legal_planning", "合法性：无规划许可"
    LEGAL_CONSTRUCTION = "legal_construction", "合法性：无施工许可或竣工验收"


HAZARD_GROUPS = {"structure": "结构安全", "business": "经营安全", "legal": "建设合法性"}


def hazard_group(code: str) -> str:
    return code.split("_", 1)[0]


class InspectionResult(models.TextChoices):
    SAFE = "safe", "未发现隐患"
    HAZARD = "hazard", "存在隐患，需整治"
    RECTIFIED = "rectified", "隐患已整改销号"
