"""Kinds and states of the villager services, as named constants (label per value)."""

from django.db import models


class PostingKind(models.TextChoices):
    JOB = "job", "招聘"
    JOB_WANTED = "job_wanted", "求职"
    RENTAL = "rental", "租赁"
    SERVICE = "service", "服务"
    SUPPLY = "supply", "供应"
    PURCHASE = "purchase", "采购"


class Category(models.TextChoices):
    """What a posting is about, within its kind (KIND_CATEGORIES says which fit which kind)."""

    FARM_WORK = "farm_work", "农业用工"
    FACTORY = "factory", "企业用工"
    CONSTRUCTION = "construction", "建筑用工"
    SHOP = "shop", "商贸餐饮"
    PUBLIC_POST = "public_post", "公益性岗位"
    MACHINE = "machine", "农机具"
    LAND = "land", "土地"
    COLD_STORAGE = "cold_storage", "冷库仓储"
    HOUSING = "housing", "房屋"
    PLOUGHING = "ploughing", "机耕机收"
    TRANSPORT = "transport", "运输"
    REPAIR = "repair", "维修"
    PRODUCE = "produce", "农产品"
    INPUTS = "inputs", "农资"
    OTHER = "other", "其他"


JOB_CATEGORIES = ("farm_work", "factory", "construction", "shop", "public_post", "other")
KIND_CATEGORIES = {
    PostingKind.JOB: JOB_CATEGORIES,
    PostingKind.JOB_WANTED: JOB_CATEGORIES,
    PostingKind.RENTAL: ("machine", "land", "cold_storage", "housing", "other"),
    PostingKind.SERVICE: ("ploughing", "transport", "repair", "other"),
    PostingKind.SUPPLY: ("produce", "inputs", "other"),
    PostingKind.PURCHASE: ("produce", "inputs", "other"),
}


class PostingStatus(models.TextChoices):
    PENDING = "pending", "待审核"
    PUBLISHED = "published", "已发布"
    REJECTED = "rejected", "未通过"
    WITHDRAWN = "withdrawn", "已撤回"
    EXPIRED = "expired", "已过期"


STATUS_TAG = {
    PostingStatus.PENDING: "tag-warn",
    PostingStatus.PUBLISHED: "tag-ok",
    PostingStatus.REJECTED: "tag-danger",
    PostingStatus.WITHDRAWN: "",
    PostingStatus.EXPIRED: "",
}


class PosterKind(models.TextChoices):
    RESIDENT = "resident", "群众（未核实）"
    VILLAGER = "villager", "本村村民（村委核实）"
    BUSINESS = "business", "经营主体（名录核实）"
    STAFF = "staff", "政府部门"


VERIFIED_KINDS = (PosterKind.VILLAGER, PosterKind.BUSINESS, PosterKind.STAFF)


class ReportReason(models.TextChoices):
    FRAUD = "fraud", "涉嫌诈骗"
    FALSE = "false", "信息虚假"
    ILLEGAL = "illegal", "违法违规"
    PERSONAL = "personal", "泄露他人信息"
    OTHER = "other", "其他"


class Group(models.TextChoices):
    """The groups whose employment the plan watches (task 24)."""

    POVERTY_EXITED = "poverty_exited", "脱贫人口"
    MONITORED = "monitored", "防返贫监测对象"
    MIGRANT = "migrant", "农民工"
    YOUTH = "youth", "乡村青年"


class EmploymentStatus(models.TextChoices):
    LOCAL = "local", "县内就业"
    OUT_OF_COUNTY = "out_of_county", "县外务工"
    PUBLIC_POST = "public_post", "公益性岗位"
    SELF_EMPLOYED = "self_employed", "自主创业"
    NOT_WORKING = "not_working", "未就业"


EMPLOYED = (
    EmploymentStatus.LOCAL,
    EmploymentStatus.OUT_OF_COUNTY,
    EmploymentStatus.PUBLIC_POST,
    EmploymentStatus.SELF_EMPLOYED,
)


class Sector(models.TextChoices):
    AGRICULTURE = "agriculture", "农林牧渔"
    MANUFACTURING = "manufacturing", "制造业"
    CONSTRUCTION = "construction", "建筑业"
    TRADE = "trade", "批发零售住宿餐饮"
    TRANSPORT = "transport", "交通运输物流"
    SERVICES = "services", "居民服务"
    PUBLIC = "public", "公益性岗位"
    OTHER = "other", "其他"


# a job posting's category → the sector an unemployed person's wish is matched on
CATEGORY_SECTOR = {
    "farm_work": Sector.AGRICULTURE,
    "factory": Sector.MANUFACTURING,
    "construction": Sector.CONSTRUCTION,
    "shop": Sector.TRADE,
    "public_post": Sector.PUBLIC,
    "other": Sector.OTHER,
}


class RecordSource(models.TextChoices):
    IMPORT = "import", "人社局台账导入"
    CADRE = "cadre", "干部更新"
    API = "api", "接口"


MAX_DAYS_CHOICES = [(7, "7天"), (15, "15天"), (30, "30天"), (60, "60天"), (90, "90天")]


class HeritageKind(models.TextChoices):
    INTANGIBLE = "intangible", "非物质文化遗产"
    RELIC = "relic", "文物"


class HeritageCategory(models.TextChoices):
    """The ten categories of the national intangible-heritage list, and the relic kinds."""

    FOLK_LITERATURE = "folk_literature", "民间文学"
    MUSIC = "music", "传统音乐"
    DANCE = "dance", "传统舞蹈"
    OPERA = "opera", "传统戏剧"
    QUYI = "quyi", "曲艺"
    SPORTS = "sports", "传统体育、游艺与杂技"
    ART = "art", "传统美术"
    CRAFT = "craft", "传统技艺"
    MEDICINE = "medicine", "传统医药"
    CUSTOM = "custom", "民俗"
    SITE = "site", "古遗址"
    TOMB = "tomb", "古墓葬"
    BUILDING = "building", "古建筑"
    CARVING = "carving", "石窟寺及石刻"
    MODERN = "modern", "近现代重要史迹及代表性建筑"
    OTHER_RELIC = "other_relic", "其他文物"


RELIC_CATEGORIES = ("site", "tomb", "building", "carving", "modern", "other_relic")


class HeritageLevel(models.TextChoices):
    NATIONAL = "national", "国家级"
    PROVINCIAL = "provincial", "省级"
    MUNICIPAL = "municipal", "市级"
    COUNTY = "county", "区级"
    NONE = "none", "未定级"


class Condition(models.TextChoices):
    GOOD = "good", "完好"
    FAIR = "fair", "基本完好"
    POOR = "poor", "较差"
    DAMAGED = "damaged", "损毁"


class MediaKind(models.TextChoices):
    IMAGE = "image", "图片"
    AUDIO = "audio", "音频"
    VIDEO = "video", "视频"


class SiteKind(models.TextChoices):
    SCENIC = "scenic", "景区"
    KEY_VILLAGE = "key_village", "乡村旅游重点村"
    HOMESTAY = "homestay", "民宿"
    FARM_STAY = "farm_stay", "农家乐"


class CountSource(models.TextChoices):
    MANUAL = "manual", "人工填报"
    COUNTER = "counter", "客流计数器"


CROWDED_SHARE = 0.8  # a day's visitors at this share of the capacity: the township is warned
