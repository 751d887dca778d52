from django.db import models


class FarmKind(models.TextChoices):
    PIG = "pig", "生猪养殖场"
    FISH = "fish", "水产养殖场"


class Stage(models.TextChoices):
    """The stage a pig barn houses (its environment band comes from data/standards.yaml)."""

    FARROWING = "farrowing", "产房"
    NURSERY = "nursery", "保育舍"
    FINISHING = "finishing", "育肥舍"
    GESTATION = "gestation", "妊娠舍"


class EntryKind(models.TextChoices):
    """A change of a pen's head count. Signs: births and purchases add, sales and deaths remove, a move
    removes from one pen and adds to another (two entries, one submission)."""

    BIRTH = "birth", "出生"
    PURCHASE = "purchase", "购入"
    MOVE_IN = "move_in", "转入"
    MOVE_OUT = "move_out", "转出"
    SALE = "sale", "出栏销售"
    DEATH = "death", "死亡"


ENTRY_SIGN = {"birth": 1, "purchase": 1, "move_in": 1, "move_out": -1, "sale": -1, "death": -1}


class ManureType(models.TextChoices):
    NONE = "none", "无设施"
    LAGOON = "lagoon", "氧化塘/贮存池"
    BIOGAS = "biogas", "沼气工程"
    COMPOST = "compost", "堆肥发酵"
    BED = "bed", "发酵床"


class ManureKind(models.TextChoices):
    CLEANING = "cleaning", "清粪"
    TRANSPORT = "transport", "清运（还田/外运）"


class Species(models.TextChoices):
    YELLOW_CATFISH = "yellow_catfish", "黄颡鱼"
    BASS = "bass", "鲈鱼"
    MANDARIN_FISH = "mandarin_fish", "鳜鱼"
    GRASS_CARP = "grass_carp", "草鱼"
    CRAYFISH = "crayfish", "小龙虾"


class AnimalSpecies(models.TextChoices):
    PIG = "pig", "猪"
    CATTLE = "cattle", "牛"
    SHEEP = "sheep", "羊"
    POULTRY = "poultry", "禽"
    FISH = "fish", "鱼"


class DiseaseStage(models.TextChoices):
    """Where a report stands: the office moves it one stage at a time (data/standards.yaml keeps the
    order), or rules it out."""

    SUSPICIOUS = "suspicious", "可疑"
    SUSPECTED = "suspected", "疑似"
    CONFIRMED = "confirmed", "确诊"
    RULED_OUT = "ruled_out", "已排除"
    LIFTED = "lifted", "已解除封锁"


STAGE_TAG = {
    "suspicious": "tag-warn",
    "suspected": "tag-warn",
    "confirmed": "tag-danger",
    "ruled_out": "",
    "lifted": "tag-ok",
}


class ColdClass(models.TextChoices):
    CHILLED = "chilled", "冷藏（0～4 ℃）"
    FROZEN = "frozen", "冷冻（≤ −18 ℃）"
    DEEP = "deep", "深冷（≤ −25 ℃）"


class PondRecordKind(models.TextChoices):
    STOCKING = "stocking", "投苗"
    FEEDING = "feeding", "投喂"
    HARVEST = "harvest", "捕捞"
