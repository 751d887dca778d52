from django.db import models


class PlaceLevel(models.IntegerChoices):
    DISTRICT = 1, "区县"
    TOWNSHIP = 2, "乡镇/街道"
    VILLAGE = 3, "村/社区"
    HAMLET = 4, "自然村/村民小组"


LEVEL_BY_NAME = {"district": 1, "township": 2, "village": 3, "hamlet": 4}
NAME_BY_LEVEL = {v: k for k, v in LEVEL_BY_NAME.items()}


class PlaceKind(models.TextChoices):
    """What a place is called. The top of a tree is a county-level division: 区 (市辖区), 县 or 县级市."""

    DISTRICT = "district", "区"
    COUNTY = "county", "县"
    COUNTY_CITY = "county_city", "县级市"
    SUBDISTRICT = "subdistrict", "街道"
    TOWN = "town", "镇"
    TOWNSHIP = "township", "乡"
    PARK = "park", "园区"
    COMMUNITY = "community", "社区"
    VILLAGE = "village", "村"
    HAMLET = "hamlet", "村民小组"


KINDS_BY_LEVEL = {
    1: {PlaceKind.DISTRICT, PlaceKind.COUNTY, PlaceKind.COUNTY_CITY},
    2: {PlaceKind.SUBDISTRICT, PlaceKind.TOWN, PlaceKind.TOWNSHIP, PlaceKind.PARK},
    3: {PlaceKind.COMMUNITY, PlaceKind.VILLAGE},
    4: {PlaceKind.HAMLET},
}


class UnitKind(models.TextChoices):
    BUREAU = "bureau", "区直部门"
    TOWNSHIP_GOV = "township_gov", "乡镇政府/街道办"
    VILLAGE_COMMITTEE = "village_committee", "村(居)委会"
    COMPANY = "company", "企业"
    OTHER = "other", "其他"


class Role(models.TextChoices):
    """What a user may see is their role plus their place: see core.scope."""

    ADMIN = "admin", "系统管理员"
    DISTRICT = "district", "区级"
    DEPARTMENT = "department", "区直部门"
    TOWNSHIP = "township", "乡镇"
    VILLAGE = "village", "村干部"
    GRID = "grid", "网格员"
    CLIENT = "client", "接口客户端"
    # Outside clients, each seeing only its own object types (see core.permissions defaults).
    BANK = "bank", "金融机构（名录查询）"
    PRODUCER = "producer", "经营主体填报员"
    GATEWAY = "gateway", "预警播发网关"
    FEED = "feed", "部门数据接口"


# Roles whose scope is the whole district, whatever place they are attached to.
DISTRICT_WIDE_ROLES = {Role.ADMIN, Role.DISTRICT, Role.DEPARTMENT}
# The place level a role must be attached to.
ROLE_PLACE_LEVEL = {
    Role.ADMIN: 1,
    Role.DISTRICT: 1,
    Role.DEPARTMENT: 1,
    Role.TOWNSHIP: 2,
    Role.VILLAGE: 3,
    Role.GRID: 3,
    Role.CLIENT: None,
    Role.BANK: None,
    Role.PRODUCER: None,
    Role.GATEWAY: None,
    Role.FEED: None,
}
# Roles of people who work in the platform every day (staff), as opposed to outside clients.
STAFF_ROLES = (Role.ADMIN, Role.DISTRICT, Role.DEPARTMENT, Role.TOWNSHIP, Role.VILLAGE, Role.GRID)
CLIENT_ROLES = (Role.CLIENT, Role.BANK, Role.PRODUCER, Role.GATEWAY, Role.FEED)


class AuditAction(models.TextChoices):
    CREATE = "create", "新增"
    UPDATE = "update", "修改"
    DELETE = "delete", "删除"
    REVEAL = "reveal", "查看敏感信息"
    LOGIN = "login", "登录"
    LOGIN_FAILED = "login_failed", "登录失败"
    LOGOUT = "logout", "退出"
    EXPORT = "export", "导出"
    IMPORT = "import", "导入"
    TRANSITION = "transition", "状态变更"
    TOKEN = "token", "接口令牌"
    REFUSED = "refused", "拒绝访问"
    GRANT = "grant", "授权变更"
    TWO_FACTOR_ENROL = "two_factor_enrol", "启用两步验证"
    TWO_FACTOR_OK = "two_factor_ok", "两步验证通过"
    TWO_FACTOR_FAILED = "two_factor_failed", "动态验证码错误"
    RECOVERY_CODE_USED = "recovery_code_used", "使用恢复码"
    RECOVERY_REGENERATED = "recovery_regenerated", "重新生成恢复码"
    TWO_FACTOR_DISABLED = "two_factor_disabled", "停用两步验证"
    TWO_FACTOR_RESET = "two_factor_reset", "重置两步验证"
