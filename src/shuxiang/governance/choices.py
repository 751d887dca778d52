"""The grid worker's standard checklist (网格化服务管理标准化) as data.

We had no standard text at hand; these are the duties county grid-management rules commonly list for a
rural grid, written in our words. A patrol ticks the items it covered; the list is the one place to
change them (codes stay, labels may be reworded).
"""

CHECKLIST = [
    ("population", "人口信息采集核实（常住、流动、出租屋）"),
    ("special_groups", "特殊人群走访（独居老人、留守儿童、残疾人、监测户）"),
    ("safety", "安全隐患排查（消防、用电、燃气、危房）"),
    ("disputes", "矛盾纠纷排查与化解"),
    ("environment", "人居环境与卫生"),
    ("flood_fire", "防汛、森林防火巡查"),
    ("anti_fraud", "反诈、法治宣传"),
    ("policy", "政策宣传与民生诉求收集"),
]
CHECKLIST_CODES = [code for code, _ in CHECKLIST]
CHECKLIST_LABELS = dict(CHECKLIST)
# A patrol longer than this is a mistake in the times, not a patrol.
MAX_PATROL_HOURS = 12
MAX_ROUTE_POINTS = 2000
# Two grids overlap when they share more than this part of the smaller one's area.
OVERLAP_SHARE = 0.01

DISPUTE_KINDS = [
    ("neighbour", "邻里纠纷"),
    ("land", "土地（山林、宅基地）纠纷"),
    ("family", "婚姻家庭纠纷"),
    ("labour", "劳动争议"),
    ("contract", "合同债务纠纷"),
    ("damage", "损害赔偿纠纷"),
    ("other", "其他纠纷"),
]
SIDES = [("applicant", "申请人"), ("respondent", "被申请人")]
OUTCOMES = [("agreed", "调解成功"), ("failed", "调解不成"), ("withdrawn", "申请人撤回")]

MEETING_KINDS = [
    ("assembly", "支部党员大会"),
    ("committee", "支部委员会"),
    ("group", "党小组会"),
    ("lecture", "党课"),
    ("remote", "远程教育学习"),
]
# 四议两公开: the steps of a village decision, in the only order they may happen.
DECISION_STAGES = [
    ("proposal", "村党组织提议"),
    ("discussion", "村“两委”会议商议"),
    ("review", "党员大会审议"),
    ("resolution", "村民会议或村民代表会议决议"),
    ("disclosure", "决议公开"),
    ("result", "实施结果公开"),
]
STAGE_ORDER = [code for code, _ in DECISION_STAGES]
# A resolution is disclosed on time within this many days (the county's rule; our figure).
DISCLOSE_WITHIN_DAYS = 7

BRANCH_KINDS = [("branch", "党支部"), ("general", "党总支"), ("joint", "联合党支部")]
MEMBER_STATUSES = [("full", "正式党员"), ("probationary", "预备党员")]
CONSULTATION_MODES = [("written", "书面答复"), ("appointment", "预约面谈")]
