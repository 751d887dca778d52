"""Layer kinds, seasons, crops and land uses as the county's farmland work names them."""

from django.db import models

# 1 亩 = 10 000 / 15 m² (the unit every farmland table in the county uses).
M2_PER_MU = 10_000 / 15


def mu(area_m2) -> float:
    return round((area_m2 or 0) / M2_PER_MU, 2)


class Kind(models.TextChoices):
    CULTIVATED = "cultivated", "耕地"
    PERMANENT = "permanent", "永久基本农田"
    HIGH_STANDARD = "high_standard", "高标准农田"


KIND_COLOUR = {"cultivated": "#ca8a04", "permanent": "#15803d", "high_standard": "#1d4ed8"}


class SeasonPart(models.TextChoices):
    """The county's double-cropping rice year: early season, late (or single) season, winter."""

    EARLY = "early", "早季（3–7月）"
    LATE = "late", "晚季/一季（7–11月）"
    WINTER = "winter", "冬季（11月–次年3月）"


SEASON_SHORT = {"early": "早季", "late": "晚季", "winter": "冬季"}


def season_code(year: int, part: str) -> str:
    return f"{year}-{part}"


def season_label(code: str) -> str:
    year, _, part = (code or "").partition("-")
    return f"{year}年{SEASON_SHORT.get(part, part)}" if year else ""


def season_from_text(text) -> str:
    """ "2026年早季" (as a table writes it) → "2026-early"; a season code stays as it is."""
    text = str(text or "").strip()
    for part, short in SEASON_SHORT.items():
        if text.endswith(short) and text[:4].isdigit():
            return season_code(int(text[:4]), part)
    return text


def parse_season(code) -> tuple[int, str] | None:
    """(year, part) of "2026-early", or None when it is not a season code."""
    year, _, part = str(code or "").partition("-")
    if not (year.isdigit() and len(year) == 4 and 2000 <= int(year) <= 2100) or part not in SeasonPart.values:
        return None
    return int(year), part


class CropCategory(models.TextChoices):
    GRAIN = "grain", "粮食作物"
    OIL = "oil", "油料"
    VEGETABLE = "vegetable", "蔬菜"
    FRUIT = "fruit", "果树"
    NURSERY = "nursery", "苗木花卉"
    TEA = "tea", "茶叶"
    FORAGE = "forage", "饲草"
    OTHER = "other", "其他经济作物"


class Crop(models.TextChoices):
    RICE = "rice", "水稻"
    WHEAT = "wheat", "小麦"
    MAIZE = "maize", "玉米"
    SOYBEAN = "soybean", "大豆"
    SWEET_POTATO = "sweet_potato", "红薯"
    RAPESEED = "rapeseed", "油菜"
    PEANUT = "peanut", "花生"
    VEGETABLES = "vegetables", "蔬菜"
    LOTUS = "lotus", "莲藕"
    CITRUS = "citrus", "柑橘"
    PEACH = "peach", "桃"
    SEEDLINGS = "seedlings", "苗木"
    FLOWERS = "flowers", "花卉"
    TEA = "tea", "茶叶"
    FORAGE = "forage", "饲草"
    TOBACCO = "tobacco", "烟叶"
    HERBS = "herbs", "中药材"


CROP_CATEGORY = {
    "rice": "grain",
    "wheat": "grain",
    "maize": "grain",
    "soybean": "grain",
    "sweet_potato": "grain",
    "rapeseed": "oil",
    "peanut": "oil",
    "vegetables": "vegetable",
    "lotus": "vegetable",
    "citrus": "fruit",
    "peach": "fruit",
    "seedlings": "nursery",
    "flowers": "nursery",
    "tea": "tea",
    "forage": "forage",
    "tobacco": "other",
    "herbs": "other",
}
GRAIN_CROPS = [c for c, cat in CROP_CATEGORY.items() if cat == "grain"]


class PlantingSource(models.TextChoices):
    DECLARED = "declared", "农户/村申报"
    IMPORTED = "imported", "表格导入"
    MACHINERY = "machinery", "农机作业"
    PATROL = "patrol", "巡查核实"


class LandUse(models.TextChoices):
    """What a field inspector finds on a polygon."""

    GRAIN = "grain", "种植粮食作物"
    NON_GRAIN = "non_grain", "种植非粮作物"
    POND = "pond", "挖塘养鱼（坑塘）"
    ORCHARD = "orchard", "果园"
    NURSERY = "nursery", "苗圃、花卉"
    BUILDING = "building", "建房、硬化、堆放"
    IDLE = "idle", "撂荒"


class FindingType(models.TextChoices):
    NON_GRAIN = "non_grain", "非粮化"
    NON_AGRI = "non_agri", "非农化"
    IDLE = "idle", "撂荒"


class RuleCondition(models.TextChoices):
    """How a rule recognises a case; its parameters (crop categories, land uses) are the rule's data."""

    PLANTED_CATEGORY = "planted_category", "申报种植的作物类别属于所列类别"
    OBSERVED_USE = "observed_use", "巡查发现的现状属于所列用途"
    NO_PLANTING = "no_planting", "整季无任何种植（撂荒）"


class FindingStatus(models.TextChoices):
    OPEN = "open", "待整改"
    RECTIFIED = "rectified", "已整改"
    DISMISSED = "dismissed", "核实无问题"


FINDING_TAG = {"open": "tag-danger", "rectified": "tag-ok", "dismissed": ""}


class Transplant(models.TextChoices):
    MACHINE = "machine", "机插秧"
    THROWING = "throwing", "抛秧"
    MANUAL = "manual", "人工插秧"
    DIRECT = "direct", "直播"


class RiceType(models.TextChoices):
    EARLY = "early", "早稻"
    LATE = "late", "晚稻"
    SINGLE = "single", "一季稻（中稻）"


class BatchStatus(models.TextChoices):
    SOWN = "sown", "已播种"
    GROWING = "growing", "育秧中"
    READY = "ready", "待出圃"
    DELIVERED = "delivered", "已交付"
    FAILED = "failed", "质检不合格"


# The month each season's sowing starts: a period counts the seasons sown by its end.
SEASON_START_MONTH = {"early": 3, "late": 6, "winter": 10}


def current_season(today) -> str:
    """The season a date falls in: March–June early, July–October late, November–February winter."""
    if 3 <= today.month <= 6:
        return season_code(today.year, "early")
    if 7 <= today.month <= 10:
        return season_code(today.year, "late")
    return season_code(today.year if today.month >= 11 else today.year - 1, "winter")


def season_choices(today, years_back=1) -> list[tuple[str, str]]:
    codes = [
        season_code(y, p)
        for y in range(today.year + 1, today.year - years_back - 1, -1)
        for p in ("winter", "late", "early")
    ]
    return [(c, season_label(c)) for c in codes]


class FacilityKind(models.TextChoices):
    """What a high-standard farmland project builds (农田建设项目 建设内容): the O&M register's kinds."""

    PUMP = "pump", "泵站"
    CHANNEL = "channel", "灌排渠道"
    ROAD = "road", "机耕路"
    GATE = "gate", "涵闸"
    WELL = "well", "机井"
    SENSOR = "sensor", "田间监测设施"
    OTHER = "other", "其他设施"


class FacilityStatus(models.TextChoices):
    NORMAL = "normal", "正常"
    DAMAGED = "damaged", "损坏待修"


class RiceInputKind(models.TextChoices):
    FERTILIZER = "fertilizer", "肥料"
    PESTICIDE = "pesticide", "农药"


class AdvisoryStatus(models.TextChoices):
    DRAFT = "draft", "待审核"
    ISSUED = "issued", "已发布"
    DISMISSED = "dismissed", "不发布"


ADVISORY_TAG = {"draft": "tag-warn", "issued": "tag-ok", "dismissed": ""}
