"""States and kinds of return-to-poverty monitoring, with the labels the national system uses."""

from django.db import models


class Category(models.TextChoices):
    LIFTED = "lifted", "脱贫户"
    ORDINARY = "ordinary", "一般农户"


class MonitoringStatus(models.TextChoices):
    NONE = "none", "未纳入监测"
    IDENTIFYING = "identifying", "识别中"
    MONITORED = "monitored", "监测对象"
    ELIMINATING = "eliminating", "风险消除审核中"
    ELIMINATED = "eliminated", "风险已消除"


class MonitoredType(models.TextChoices):
    UNSTABLE = "unstable", "脱贫不稳定户"
    MARGINAL = "marginal", "边缘易致贫户"
    SUDDEN = "sudden", "突发严重困难户"


class RiskType(models.TextChoices):
    ILLNESS = "illness", "因病"
    DISABILITY = "disability", "因残"
    SCHOOLING = "schooling", "因学"
    DISASTER = "disaster", "因灾"
    ACCIDENT = "accident", "因意外事故"
    PROJECT_FAILURE = "project_failure", "因产业项目失败"
    UNSTABLE_JOB = "unstable_job", "因务工就业不稳"
    LACK_OF_LABOUR = "lack_of_labour", "缺劳动力"
    HOUSING = "housing", "住房出现安全问题"
    WATER = "water", "饮水安全问题"
    DROPOUT = "dropout", "义务教育阶段失学辍学"
    OTHER = "other", "其他"


class Relation(models.TextChoices):
    HEAD = "head", "户主"
    SPOUSE = "spouse", "配偶"
    CHILD = "child", "子女"
    PARENT = "parent", "父母"
    GRANDCHILD = "grandchild", "孙子女"
    SIBLING = "sibling", "兄弟姐妹"
    OTHER = "other", "其他"


class Labour(models.TextChoices):
    NORMAL = "normal", "普通劳动力"
    SKILLED = "skilled", "技能劳动力"
    WEAK = "weak", "弱劳动力或半劳动力"
    LOST = "lost", "丧失劳动力"
    NONE = "none", "无劳动力"


# Labour capacities that count as "has labour" when deciding whether a risk can be eliminated.
WITH_LABOUR = {Labour.NORMAL, Labour.SKILLED, Labour.WEAK}


class Health(models.TextChoices):
    HEALTHY = "healthy", "健康"
    CHRONIC = "chronic", "长期慢性病"
    SERIOUS = "serious", "患有大病"
    DISABLED = "disabled", "残疾"


class Schooling(models.TextChoices):
    NOT_APPLICABLE = "na", "非在校生"
    PRESCHOOL = "preschool", "学前教育"
    IN_SCHOOL = "in_school", "在校生"
    HOME_TEACHING = "home_teaching", "送教上门"
    DROPOUT = "dropout", "失学辍学"


class HousingGrade(models.TextChoices):
    A = "A", "A级（安全）"
    B = "B", "B级（基本安全）"
    C = "C", "C级（局部危险）"
    D = "D", "D级（整体危险）"


UNSAFE_HOUSING = ("C", "D")


class Channel(models.TextChoices):
    SELF_DECLARATION = "self_declaration", "农户自主申报"
    CADRE_SCREENING = "cadre_screening", "干部排查"
    DEPARTMENT_ALERT = "department_alert", "部门筛查预警"
    PLATFORM_RULE = "platform_rule", "平台规则预警"


class ClueStatus(models.TextChoices):
    NEW = "new", "待核实"
    IDENTIFYING = "identifying", "识别中"
    IDENTIFIED = "identified", "已纳入监测"
    DISMISSED = "dismissed", "核实排除"


OPEN_CLUE_STATUSES = (ClueStatus.NEW, ClueStatus.IDENTIFYING)


class RuleKind(models.TextChoices):
    INCOME_BELOW_THRESHOLD = "income_below_threshold", "人均纯收入低于监测标准"
    INCOME_DROP = "income_drop", "收入大幅下降"
    RIGID_EXPENSE = "rigid_expense", "刚性支出过大"
    GUARANTEE_FAILING = "guarantee_failing", "三保障或饮水安全未达标"


class AlertKind(models.TextChoices):
    """What a department's data says, and the risk type it suggests."""

    MEDICAL = "medical", "医保：大额医疗费用"
    CIVIL_AID = "civil_aid", "民政：救助对象"
    DISASTER = "disaster", "应急：受灾损失"
    DISABILITY = "disability", "残联：新增残疾"
    EDUCATION = "education", "教育：失学辍学"
    UNEMPLOYMENT = "unemployment", "人社：失业"


ALERT_RISK = {
    AlertKind.MEDICAL: RiskType.ILLNESS,
    AlertKind.CIVIL_AID: RiskType.OTHER,
    AlertKind.DISASTER: RiskType.DISASTER,
    AlertKind.DISABILITY: RiskType.DISABILITY,
    AlertKind.EDUCATION: RiskType.DROPOUT,
    AlertKind.UNEMPLOYMENT: RiskType.UNSTABLE_JOB,
}


class VisitPurpose(models.TextChoices):
    SCREENING = "screening", "排查走访"
    FOLLOW_UP = "follow_up", "帮扶回访"


class MeasureKind(models.TextChoices):
    INDUSTRY = "industry", "产业帮扶"
    EMPLOYMENT = "employment", "就业帮扶"
    PUBLIC_POST = "public_post", "公益性岗位"
    MICROCREDIT = "microcredit", "小额信贷"
    TRAINING = "training", "技能培训"
    CONSUMPTION = "consumption", "消费帮扶"
    DIBAO = "dibao", "低保"
    TEKUN = "tekun", "特困供养"
    TEMPORARY_RELIEF = "temporary_relief", "临时救助"
    DISABILITY_SUBSIDY = "disability_subsidy", "残疾人两项补贴"
    MEDICAL_AID = "medical_aid", "医疗救助"
    EDUCATION_AID = "education_aid", "教育资助"
    YULU = "yulu", "雨露计划"
    HOUSING_RENOVATION = "housing_renovation", "危房改造"
    WATER_PROJECT = "water_project", "饮水工程"
    OTHER = "other", "其他"


class ProcedureKind(models.TextChoices):
    IDENTIFICATION = "identification", "监测对象识别"
    ELIMINATION = "elimination", "风险消除"


class Stage(models.TextChoices):
    """The national procedure's steps, in the only order they may happen."""

    HOME_VISIT = "home_visit", "入户核实"
    VILLAGE_REVIEW = "village_review", "村级民主评议和公示"
    TOWNSHIP_REVIEW = "township_review", "乡镇审核"
    COUNTY_APPROVAL = "county_approval", "县级审定"
    DONE = "done", "已办结"


STAGE_ORDER = [
    Stage.HOME_VISIT,
    Stage.VILLAGE_REVIEW,
    Stage.TOWNSHIP_REVIEW,
    Stage.COUNTY_APPROVAL,
    Stage.DONE,
]
