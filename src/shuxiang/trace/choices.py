from django.db import models


class ProducerKind(models.TextChoices):
    COMPANY = "company", "农业企业"
    COOPERATIVE = "cooperative", "农民专业合作社"
    FAMILY_FARM = "family_farm", "家庭农场"
    INDIVIDUAL_BUSINESS = "individual_business", "个体工商户"
    HOUSEHOLD = "household", "种养殖户"


# Kinds registered with a market regulator, so they must have a unified social credit code.
REGISTERED_KINDS = {ProducerKind.COMPANY, ProducerKind.COOPERATIVE, ProducerKind.INDIVIDUAL_BUSINESS}


class BaseKind(models.TextChoices):
    PLANTING = "planting", "种植基地"
    LIVESTOCK = "livestock", "畜禽养殖场"
    AQUACULTURE = "aquaculture", "水产养殖基地"


class ProductCategory(models.TextChoices):
    RICE = "rice", "稻米"
    VEGETABLE = "vegetable", "蔬菜"
    FRUIT = "fruit", "水果"
    TEA = "tea", "茶叶"
    HERB = "herb", "中药材"
    LIVESTOCK = "livestock", "畜禽"
    EGG = "egg", "禽蛋"
    AQUATIC = "aquatic", "水产品"
    OTHER = "other", "其他"


class BizStep(models.TextChoices):
    """What happened to a lot (EPCIS "why": bizStep). CBV names where CBV has one."""

    PLANTING = "planting", "种植/播种"
    STOCKING = "stocking", "投苗/入栏"
    INPUT_USE = "input_use", "投入品使用"
    HARVESTING = "harvesting", "采收/出栏/捕捞"
    INSPECTING = "inspecting", "检测"
    PROCESSING = "processing", "加工"
    PACKING = "packing", "包装"
    SHIPPING = "shipping", "发货"
    RECEIVING = "receiving", "收货"


# The EPCIS action per step: the steps that bring the lot into being ADD it, the rest OBSERVE it.
ADDING_STEPS = {BizStep.PLANTING, BizStep.STOCKING}
DISPOSITION_BY_STEP = {
    BizStep.PLANTING: "active",
    BizStep.STOCKING: "active",
    BizStep.INPUT_USE: "in_progress",
    BizStep.HARVESTING: "in_progress",
    BizStep.PROCESSING: "in_progress",
    BizStep.PACKING: "in_progress",
    BizStep.SHIPPING: "in_transit",
    BizStep.RECEIVING: "in_progress",
}


class Disposition(models.TextChoices):
    ACTIVE = "active", "生产中"
    IN_PROGRESS = "in_progress", "在途加工"
    CONFORMANT = "conformant", "合格"
    NON_CONFORMANT = "non_conformant", "不合格"
    IN_TRANSIT = "in_transit", "运输中"


class InputKind(models.TextChoices):
    FERTILIZER = "fertilizer", "肥料"
    PESTICIDE = "pesticide", "农药"
    VET_DRUG = "vet_drug", "兽药/渔药"
    FEED = "feed", "饲料"


class EnvKind(models.TextChoices):
    SOIL = "soil", "土壤检测"
    WATER = "water", "灌溉/养殖用水检测"


class LotStage(models.TextChoices):
    GROWING = "growing", "生产中"
    HARVESTED = "harvested", "已采收"
    PACKED = "packed", "已包装"
    SHIPPED = "shipped", "已发货"
