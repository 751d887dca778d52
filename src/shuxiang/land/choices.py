"""Kinds and states of the land and collective-economy records, each a named constant with its label."""

from decimal import Decimal

from django.db import models


class ParcelKind(models.TextChoices):
    """地块类别 as the 确权 database codes it (NY/T 2539: 10, 21, 22, 23, 99)."""

    CONTRACTED = "10", "承包地块"
    PRIVATE_PLOT = "21", "自留地"
    RESERVE = "22", "机动地"
    RECLAIMED = "23", "开荒地"
    OTHER = "99", "其他集体土地"


class LandUse(models.TextChoices):
    """土地利用类型 (first-level classes of GB/T 21010 that collective land parcels carry)."""

    PADDY = "0101", "水田"
    IRRIGATED = "0102", "水浇地"
    DRY = "0103", "旱地"
    ORCHARD = "0201", "果园"
    TEA = "0202", "茶园"
    FOREST = "0301", "乔木林地"
    POND = "1104", "坑塘水面"
    OTHER = "9999", "其他"


class ContractMethod(models.TextChoices):
    FAMILY = "J", "家庭承包"
    OTHER = "Q", "其他方式承包"


class ContractStatus(models.TextChoices):
    ACTIVE = "active", "有效"
    ENDED = "ended", "已终止"


class TransfereeKind(models.TextChoices):
    PERSON = "person", "个人（农户）"
    COOPERATIVE = "cooperative", "农民专业合作社"
    COMPANY = "company", "企业"
    FAMILY_FARM = "family_farm", "家庭农场"


class TransferMode(models.TextChoices):
    LEASE = "lease", "出租（转包）"
    SHARE = "share", "入股"
    OTHER = "other", "其他"


class RentKind(models.TextChoices):
    CASH = "cash", "现金"
    GRAIN = "grain", "实物折价（稻谷）"


class TransferStatus(models.TextChoices):
    ACTIVE = "active", "履行中"
    ENDED = "ended", "已到期"
    TERMINATED = "terminated", "已解除"


class ListingStatus(models.TextChoices):
    DRAFT = "draft", "待挂牌"
    PUBLISHED = "published", "挂牌中"
    DEAL = "deal", "已成交（公示中）"
    CONTRACTED = "contracted", "已签约"
    FAILED = "failed", "流拍"
    WITHDRAWN = "withdrawn", "已撤牌"


class BidMode(models.TextChoices):
    OPEN = "open", "公开竞价（递增）"
    SEALED = "sealed", "密封报价"


class AssetKind(models.TextChoices):
    LAND = "land", "土地经营权"
    POND = "pond", "养殖水面"
    BUILDING = "building", "集体经营性资产（房屋、厂房）"
    FOREST = "forest", "林地经营权"
    OTHER = "other", "其他集体资产"


class ShareManagement(models.TextChoices):
    STATIC = "static", "静态管理（增人不增股、减人不减股）"
    PERIODIC = "periodic", "定期调整"


class ShareKind(models.TextChoices):
    POPULATION = "population", "人口股"
    LABOUR = "labour", "农龄股"
    LAND = "land", "土地入股"
    COLLECTIVE = "collective", "集体股"


class MemberStatus(models.TextChoices):
    PROPOSED = "proposed", "待村审核"
    VILLAGE_APPROVED = "village", "村已审核（待乡镇审核）"
    CONFIRMED = "confirmed", "已确认"
    LEFT = "left", "已退出"


class MemberBasis(models.TextChoices):
    HUKOU = "hukou", "户籍在本村并承包集体土地"
    BIRTH = "birth", "父母一方为成员，出生落户"
    MARRIAGE = "marriage", "婚入落户"
    CONTRIBUTION = "contribution", "对集体积累有贡献（成员大会议定）"
    OTHER = "other", "其他（成员大会议定）"


class DistributionStatus(models.TextChoices):
    COMPUTED = "computed", "已测算"
    VILLAGE_APPROVED = "village", "村已审批"
    TOWNSHIP_APPROVED = "township", "乡镇已审批（公示中）"
    PAID = "paid", "已发放"


class EntryKind(models.TextChoices):
    INCOME = "income", "收入"
    EXPENSE = "expense", "支出"


class EntryCategory(models.TextChoices):
    """Categories of a village collective's books as the disclosure table groups them."""

    LAND_RENT = "land_rent", "土地发包及流转收入"
    ASSET = "asset", "资产经营收入"
    SUBSIDY = "subsidy", "补助收入"
    INVESTMENT = "investment", "投资收益"
    OTHER_INCOME = "other_income", "其他收入"
    ADMIN = "admin", "管理费用"
    PUBLIC_WORKS = "public_works", "公益及公共设施支出"
    OPERATING = "operating", "经营支出"
    DIVIDEND = "dividend", "成员分红"
    OTHER_EXPENSE = "other_expense", "其他支出"


INCOME_CATEGORIES = ("land_rent", "asset", "subsidy", "investment", "other_income")

# 1 亩 = 10000/15 m² exactly.
MU_M2 = Decimal(10000) / Decimal(15)
# A parcel whose computed area differs from the registered one by more than this share is flagged.
AREA_TOLERANCE = Decimal("0.05")
FEN = Decimal("0.01")
