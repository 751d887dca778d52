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
