from django.db import models


class StandardKind(models.TextChoices):
    SURFACE = "surface", "地表水环境质量（分类）"
    IRRIGATION = "irrigation", "农田灌溉水质"
    DRINKING = "drinking", "生活饮用水卫生"
    DISCHARGE = "discharge", "排放标准或排污许可限值"


class PointKind(models.TextChoices):
    DRINKING_SOURCE = "drinking_source", "集中式饮用水水源地"
    IRRIGATION_INTAKE = "irrigation_intake", "农田灌溉取水口"
    SEWAGE_OUTLET = "sewage_outlet", "生活污水处理设施出水口"
    LIVESTOCK_OUTFALL = "livestock_outfall", "畜禽规模养殖场排污口"
    SURFACE_SECTION = "surface_section", "地表水监测断面"


class SampleSource(models.TextChoices):
    MANUAL = "manual", "手工采样"
    IMPORT = "import", "实验室报告导入"


class ExceedanceStatus(models.TextChoices):
    OPEN = "open", "超标未消除"
    CLOSED = "closed", "复测达标"


class SourceKind(models.TextChoices):
    LIVESTOCK_FARM = "livestock_farm", "畜禽规模养殖场"
    SEWAGE_FACILITY = "sewage_facility", "农村生活污水处理设施"
    FERTILISER_AREA = "fertiliser_area", "化肥农药施用集中区"
    AQUACULTURE = "aquaculture", "水产养殖集中区"
    OTHER = "other", "其他"


# Water classes of GB 3838, best to worst; "劣V" is worse than every class.
CLASSES = ["I", "II", "III", "IV", "V"]
WORSE_THAN_V = "劣V"
CLASS_LABELS = {"I": "Ⅰ类", "II": "Ⅱ类", "III": "Ⅲ类", "IV": "Ⅳ类", "V": "Ⅴ类", WORSE_THAN_V: "劣Ⅴ类"}
CLASS_COLOURS = {
    "I": "#1e88e5",
    "II": "#43a047",
    "III": "#9ccc65",
    "IV": "#fdd835",
    "V": "#fb8c00",
    WORSE_THAN_V: "#e53935",
}
# GB 5084 crop groups
CROPS = {"paddy": "水田作物", "dryland": "旱地作物", "vegetable": "蔬菜"}


def grade_label(grade: str) -> str:
    return CLASS_LABELS.get(grade) or CROPS.get(grade) or grade or "—"


class CommandStatus(models.TextChoices):
    """Where a platform → station HJ 212 command is (ecology.StationCommand)."""

    PENDING = "pending", "待发送"
    SENT = "sent", "已发送，等待应答"
    ACCEPTED = "accepted", "现场机已接受（9011），等待执行结果"
    DONE = "done", "执行成功"
    FAILED = "failed", "被拒绝或执行失败"
    EXPIRED = "expired", "已过期"


# --- the forest-resource layer (林业资源数据库) -------------------------------------------------------

# 1 亩 = 10 000 / 15 m², the unit every county table uses (farmland's too).
M2_PER_MU = 10_000 / 15
M2_PER_HECTARE = 10_000


def mu(area_m2) -> float:
    return round((area_m2 or 0) / M2_PER_MU, 2)


class ForestType(models.TextChoices):
    """林地 as the third land survey (三调, GB/T 21010-2017 工作分类) divides it: the classes a county's
    forest layer and its 国土 layer agree on. 红树林地 and the swamp classes do not occur in Hunan's hills."""

    ARBOR = "arbor", "乔木林地"
    BAMBOO = "bamboo", "竹林地"
    SHRUB = "shrub", "灌木林地"
    OTHER = "other", "其他林地"


FOREST_TYPE_CODES = {"0301": "arbor", "0302": "bamboo", "0305": "shrub", "0307": "other"}
FOREST_COLOURS = {"arbor": "#166534", "bamboo": "#65a30d", "shrub": "#a16207", "other": "#a8a29e"}
# How files write the type: the 三调 names, the forestry inventory's finer names (纯林, 疏林地, 迹地…)
# folded into the 三调 class that holds them (三调: 其他林地 = 疏林地、未成林地、迹地、苗圃等).
FOREST_TYPE_NAMES = {
    **{label: value for value, label in ForestType.choices},
    "乔木林": "arbor",
    "纯林": "arbor",
    "混交林": "arbor",
    "竹林": "bamboo",
    "灌木林": "shrub",
    "特殊灌木林地": "shrub",
    "国家特别规定灌木林地": "shrub",
    "一般灌木林地": "shrub",
    "其他灌木林地": "shrub",
    "疏林地": "other",
    "未成林造林地": "other",
    "未成林地": "other",
    "苗圃地": "other",
    "迹地": "other",
    "采伐迹地": "other",
    "火烧迹地": "other",
    "无立木林地": "other",
    "宜林地": "other",
}


class ForestCategory(models.TextChoices):
    """森林类别: ecological (公益林, protected, no commercial felling) or commercial (商品林)."""

    PUBLIC_WELFARE = "public_welfare", "公益林"
    COMMERCIAL = "commercial", "商品林"


FOREST_CATEGORY_NAMES = {
    "公益林": "public_welfare",
    "生态公益林": "public_welfare",
    "国家级公益林": "public_welfare",
    "省级公益林": "public_welfare",
    "地方公益林": "public_welfare",
    "市县级公益林": "public_welfare",
    "重点公益林": "public_welfare",
    "一般公益林": "public_welfare",
    "商品林": "commercial",
    "重点商品林": "commercial",
    "一般商品林": "commercial",
}


class ForestOrigin(models.TextChoices):
    NATURAL = "natural", "天然林"
    PLANTED = "planted", "人工林"


FOREST_ORIGIN_NAMES = {
    "天然林": "natural",
    "天然": "natural",
    "天然更新": "natural",
    "天然下种": "natural",
    "人工林": "planted",
    "人工": "planted",
    "植苗": "planted",
    "人工造林": "planted",
    "直播": "planted",
    "飞播": "planted",
    "人工更新": "planted",
}
