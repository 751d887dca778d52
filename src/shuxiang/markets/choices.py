"""Kinds and levels of the markets app, each with its Chinese label."""

from django.db import models


class Level(models.TextChoices):
    """One warning scale for every method (WFP ALPS's four bands; the other methods map onto them)."""

    NORMAL = "normal", "正常"
    STRESS = "stress", "关注"
    ALERT = "alert", "警戒"
    CRISIS = "crisis", "危机"


LEVEL_RANK = {"normal": 0, "stress": 1, "alert": 2, "crisis": 3}
LEVEL_TAG = {"normal": "tag-ok", "stress": "tag-warn", "alert": "tag-danger", "crisis": "tag-danger"}


class MethodKind(models.TextChoices):
    WOW = "wow", "周环比"
    YOY = "yoy", "同比"
    ALPS = "alps", "WFP ALPS 价格异常指数"
    IFPA = "ifpa", "FAO IFPA 价格异常指标"
    HOG_GRAIN = "hog_grain", "猪粮比"


class PointKind(models.TextChoices):
    FARMERS_MARKET = "farmers", "农贸市场"
    WHOLESALE = "wholesale", "批发市场"
    SUPERMARKET = "supermarket", "超市"
    FARM_GATE = "farm_gate", "田头（出场）"


class ProductCategory(models.TextChoices):
    GRAIN = "grain", "粮油"
    LIVESTOCK = "livestock", "畜禽肉蛋"
    VEGETABLE = "vegetable", "蔬菜"
    FRUIT = "fruit", "水果"
    AQUATIC = "aquatic", "水产品"
    INPUT = "input", "农资"


class Source(models.TextChoices):
    PHONE = "phone", "手机填报"
    API = "api", "接口推送"
    IMPORT = "import", "表格导入"


class StationKind(models.TextChoices):
    CENTRE = "centre", "区级电商服务中心"
    TOWNSHIP = "township", "乡镇电商服务站"
    VILLAGE = "village", "村级电商服务站"
    PICKUP = "pickup", "快递收投点"


class StationStatus(models.TextChoices):
    OPEN = "open", "运营中"
    BUILDING = "building", "建设中"
    CLOSED = "closed", "已停业"


class Platform(models.TextChoices):
    TAOBAO = "taobao", "淘宝/天猫"
    JD = "jd", "京东"
    PINDUODUO = "pdd", "拼多多"
    DOUYIN = "douyin", "抖音"
    KUAISHOU = "kuaishou", "快手"
    WECHAT = "wechat", "微信小程序/社群"
    XINGSHENG = "xingsheng", "兴盛优选"
    MEITUAN = "meituan", "美团优选"
    OTHER = "other", "其他"


class BuyerKind(models.TextChoices):
    DEPOT = "depot", "国有粮库"
    ENTERPRISE = "enterprise", "粮食加工企业"
    BROKER = "broker", "粮食经纪人"


class GrainVariety(models.TextChoices):
    EARLY_INDICA = "early_indica", "早籼稻"
    MID_LATE_INDICA = "late_indica", "中晚籼稻"
    JAPONICA = "japonica", "粳稻"
    WHEAT = "wheat", "小麦"
    MAIZE = "maize", "玉米"
    RAPESEED = "rapeseed", "油菜籽"


class GrainGrade(models.IntegerChoices):
    G1 = 1, "一等"
    G2 = 2, "二等"
    G3 = 3, "三等"
    G4 = 4, "四等"
    G5 = 5, "五等"


class Consent(models.TextChoices):
    GIVEN = "given", "已同意"
    REVOKED = "revoked", "已撤回"


class LookupOutcome(models.TextChoices):
    SERVED = "served", "已提供"
    NO_CONSENT = "no_consent", "未授权（无同意）"
    RATE_LIMITED = "rate_limited", "超过频率"
    NOT_FOUND = "not_found", "不存在"


class BrandKind(models.TextChoices):
    TOWNSHIP = "township", "一镇一品"
    REGIONAL = "regional", "区域公用品牌"


class ClientKind(models.TextChoices):
    """What a directory client is: an insurer may also report its own policies (保单报送)."""

    BANK = "bank", "银行"
    INSURER = "insurer", "保险机构"
    OTHER = "other", "其他机构"


class InsuranceKind(models.TextChoices):
    """险种 of a policy-based agricultural insurance policy (政策性农业保险), as the county's catalogue
    names them; 其他 for anything else a county adds (the subject says what)."""

    RICE = "rice", "水稻种植保险"
    RAPESEED = "rapeseed", "油菜种植保险"
    VEGETABLE = "vegetable", "蔬菜种植保险"
    HOG = "hog", "生猪养殖保险"
    SOW = "sow", "能繁母猪保险"
    AQUACULTURE = "aquaculture", "水产养殖保险"
    MACHINERY = "machinery", "农机具保险"
    PRICE_INDEX = "price_index", "价格指数保险"
    INCOME = "income", "收入保险"
    OTHER = "other", "其他"


class InsuredUnit(models.TextChoices):
    MU = "mu", "亩"
    HEAD = "head", "头"
    BIRD = "bird", "羽"
    SET = "set", "台"
    TONNE = "tonne", "吨"
    BOX = "box", "箱"
    OTHER = "other", "份"
