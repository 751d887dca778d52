from django.db import models


class UnitRole(models.TextChoices):
    LEAD = "lead", "牵头单位"
    RESPONSIBLE = "responsible", "责任单位"


class EntryStatus(models.TextChoices):
    DRAFT = "draft", "待填报"
    SUBMITTED = "submitted", "已报送"
    RETURNED = "returned", "已退回"
    APPROVED = "approved", "已审定"


STATUS_TAG = {
    EntryStatus.DRAFT: "",
    EntryStatus.SUBMITTED: "tag-warn",
    EntryStatus.RETURNED: "tag-danger",
    EntryStatus.APPROVED: "tag-ok",
}


class ApprovalLevel(models.IntegerChoices):
    """The place level whose approval an entry holds (DHIS2 approval levels bound to org-unit levels)."""

    DISTRICT = 1, "区级审定"
    TOWNSHIP = 2, "乡镇审核"


class ServicePointKind(models.TextChoices):
    LOGISTICS = "logistics", "村级电商物流服务点"
    CULTURE_BRANCH = "culture_branch", "区文化馆分馆"
    LIBRARY_BRANCH = "library_branch", "区图书馆分馆"
    REMOTE_MEDICAL = "remote_medical", "远程医疗点"
    SCHOOL_NETWORK = "school_network", "中小学校宽带接入（百兆以上）"
    REMOTE_CLASSROOM = "remote_classroom", "远程同步课堂教学点"
    INSURANCE_SETTLEMENT = "insurance_settlement", "医保结算点"
    SOCIAL_SECURITY = "social_security", "社保服务点"


class Verdict(models.TextChoices):
    COMMEND = "commend", "表彰奖励"
    CRITICIZE = "criticize", "通报批评"
    NONE = "none", "—"
