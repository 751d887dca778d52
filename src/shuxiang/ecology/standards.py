"""The national water-quality standards as data, and how a sample is judged against them.

The tables below are what `ensure_standards` writes after every migrate when a standard's edition is
not in the database yet; from then on they are data an administrator edits (/admin/, or the API),
and a new edition is a new row beside the old one. Values marked [U] could not be checked against
the standard's own text (docs/ecology.md says which) — that is why they are data, not code.

Judging (`judge`): each factor of a sample is compared with the limit of the point's standard at the
point's grade.
- GB 3838 (surface water): a factor's class is the best class (I first) whose limit it meets, 劣V
  when it meets none (a pH outside 6–9, say); the sample's class is its worst factor's class; the
  sample meets the standard when every factor is at the point's target class or better. A value on a
  class boundary belongs to that class (COD 15 mg/L is class I). Lakes and reservoirs use the lake
  limits for TP and TN. The water-quality index is the CWQI: Σ Ci / Ci,III over the factors with a
  class III limit; for DO Ci,III / Ci; for pH (7 − pH)/(7 − 6) below 7 and (pH − 7)/(9 − 7) above.
- the others (GB 5084 by crop group, GB 5749, discharge limits): a factor meets its limit or not.
Factors without a limit in the standard (water temperature, conductivity) are kept, not judged.
"""

from dataclasses import dataclass, field

from shuxiang.ecology.choices import CLASSES, WORSE_THAN_V, grade_label

# code → (name, unit, higher is better). HJ 212-2017 codes; the ones not in the reference list [U].
FACTORS = {
    "w01001": ("pH值", "", False),
    "w01003": ("浑浊度", "NTU", False),  # [U] code
    "w01009": ("溶解氧", "mg/L", True),
    "w01010": ("水温", "℃", False),
    "w01012": ("悬浮物", "mg/L", False),  # [U] code
    "w01014": ("电导率", "μS/cm", False),
    "w01017": ("五日生化需氧量", "mg/L", False),
    "w01018": ("化学需氧量", "mg/L", False),
    "w01019": ("高锰酸盐指数", "mg/L", False),
    "w02003": ("粪大肠菌群", "个/L", False),  # [U] code
    "w02006": ("总大肠菌群", "MPN/100mL", False),  # [U] code
    "w20111": ("总汞", "mg/L", False),  # [U] code
    "w20115": ("总镉", "mg/L", False),  # [U] code
    "w20117": ("六价铬", "mg/L", False),  # [U] code
    "w20119": ("总砷", "mg/L", False),  # [U] code
    "w20120": ("总铅", "mg/L", False),  # [U] code
    "w21001": ("总氮", "mg/L", False),
    "w21003": ("氨氮", "mg/L", False),
    "w21007": ("硝酸盐氮", "mg/L", False),  # [U] code
    "w21011": ("总磷", "mg/L", False),
}

FIVE = CLASSES  # I … V


def _classes(values, lake=False, lower=False):
    """Per-class limits I…V as rows (grade, lake, min, max)."""
    return [(g, lake, v, None) if lower else (g, lake, None, v) for g, v in zip(FIVE, values, strict=True)]


def _same(grades, lo=None, hi=None):
    return [(g, False, lo, hi) for g in grades]


CROPS3 = ["paddy", "dryland", "vegetable"]

# (code, edition) → name, kind, grades, note, {factor: [(grade, lake, min, max), …]}
STANDARDS = {
    ("GB 3838", "2002"): (
        "地表水环境质量标准",
        "surface",
        FIVE,
        "基本项目：溶解氧、高锰酸盐指数、化学需氧量、五日生化需氧量、氨氮、总磷（湖库另列）、总氮（湖库）、pH、粪大肠菌群",
        {
            "w01001": _same(FIVE, 6, 9),
            "w01009": _classes([7.5, 6, 5, 3, 2], lower=True),
            "w01019": _classes([2, 4, 6, 10, 15]),
            "w01018": _classes([15, 15, 20, 30, 40]),
            "w01017": _classes([3, 3, 4, 6, 10]),
            "w21003": _classes([0.15, 0.5, 1.0, 1.5, 2.0]),
            "w21011": _classes([0.02, 0.1, 0.2, 0.3, 0.4])
            + _classes([0.01, 0.025, 0.05, 0.1, 0.2], lake=True),
            "w21001": _classes([0.2, 0.5, 1.0, 1.5, 2.0], lake=True),
            "w02003": _classes([200, 2000, 10000, 20000, 40000]),
        },
    ),
    ("GB 5084", "2021"): (
        "农田灌溉水质标准",
        "irrigation",
        CROPS3,
        "[U] 部分限值未能与标准原文核对；按水田作物、旱地作物、蔬菜分列",
        {
            "w01017": [
                ("paddy", False, None, 60),
                ("dryland", False, None, 100),
                ("vegetable", False, None, 40),
            ],
            "w01018": [
                ("paddy", False, None, 150),
                ("dryland", False, None, 200),
                ("vegetable", False, None, 100),
            ],
            "w01012": [
                ("paddy", False, None, 80),
                ("dryland", False, None, 100),
                ("vegetable", False, None, 60),
            ],
            "w01001": _same(CROPS3, 5.5, 8.5),
            "w20111": _same(CROPS3, None, 0.001),
            "w20115": _same(CROPS3, None, 0.01),
            "w20119": [
                ("paddy", False, None, 0.05),
                ("dryland", False, None, 0.1),
                ("vegetable", False, None, 0.05),
            ],
            "w20117": _same(CROPS3, None, 0.1),
            "w20120": _same(CROPS3, None, 0.2),
        },
    ),
    ("GB 5749", "2022"): (
        "生活饮用水卫生标准",
        "drinking",
        [""],
        "[U] 所列限值取自 2006 版文本，2022 版如有调整请在此修改",
        {
            "w02006": _same([""], None, 0),
            "w01003": _same([""], None, 1),
            "w01001": _same([""], 6.5, 8.5),
            "w01019": _same([""], None, 3),
            "w21007": _same([""], None, 10),
            "w20119": _same([""], None, 0.01),
            "w20120": _same([""], None, 0.01),
        },
    ),
    ("GB 18918", "2002"): (
        "城镇污水处理厂污染物排放标准",
        "discharge",
        ["1A", "1B"],
        "乡镇污水处理设施出水按一级 A / 一级 B 评价；氨氮取水温 > 12 ℃ 时的限值",
        {
            "w01018": [("1A", False, None, 50), ("1B", False, None, 60)],
            "w01017": [("1A", False, None, 10), ("1B", False, None, 20)],
            "w01012": [("1A", False, None, 10), ("1B", False, None, 20)],
            "w21001": [("1A", False, None, 15), ("1B", False, None, 20)],
            "w21003": [("1A", False, None, 5), ("1B", False, None, 8)],
            "w21011": [("1A", False, None, 0.5), ("1B", False, None, 1)],
            "w01001": _same(["1A", "1B"], 6, 9),
        },
    ),
    ("GB 18596", "2001"): (
        "畜禽养殖业污染物排放标准",
        "discharge",
        [""],
        "[U] 集约化畜禽养殖业水污染物最高允许日均排放浓度；有排污许可的，以许可限值另建一条标准",
        {
            "w01017": _same([""], None, 150),
            "w01018": _same([""], None, 400),
            "w01012": _same([""], None, 200),
            "w21003": _same([""], None, 80),
            "w21011": _same([""], None, 8),
        },
    ),
}


# 美丽屋场 "六个一" [U: the county's own checklist was not available; these six items and their weights are
# a placeholder set of data, marked `placeholder` in their rows and on the pages; the county's checklist is
# loaded from a CSV/XLSX file (`ecology.importers.import_beauty_items`, `shuxiang beauty_items FILE`, or
# the checklist page), which deactivates these].
PLACEHOLDER_SOURCE = "平台占位示例（非本区正式细则）"
BEAUTY_ITEMS = [
    ("space", "一处公共活动空间（整洁、有人管护）", 20),
    ("toilet", "一户一座无害化卫生厕所", 20),
    ("sewage", "一套生活污水处理设施正常运行", 15),
    ("garbage", "一套垃圾分类收集设施并按期清运", 20),
    ("greening", "一片庭院或屋场绿化美化", 15),
    ("rules", "一份村规民约（含门前三包）并公示", 10),
]


def ensure_standards(sender=None, using="default", **kwargs):
    """The factor table, the standards above and the 美丽屋场 checklist exist after every migrate and
    flush; what an administrator changed in existing rows stays."""
    from shuxiang.ecology.models import BeautyItem, Factor, Limit, Standard

    if not BeautyItem.objects.using(using).filter(placeholder=False).exists():
        # until the county loads its own checklist (`shuxiang beauty_items FILE`), the placeholder set,
        # marked as such on every page that scores with it
        for order, (code, name, score) in enumerate(BEAUTY_ITEMS):
            BeautyItem.objects.using(using).get_or_create(
                code=code,
                defaults={
                    "name": name,
                    "max_score": score,
                    "order": order,
                    "placeholder": True,
                    "source": PLACEHOLDER_SOURCE,
                },
            )

    factors = {}
    for order, (code, (name, unit, higher)) in enumerate(FACTORS.items()):
        factors[code], _ = Factor.objects.using(using).get_or_create(
            code=code, defaults={"name": name, "unit": unit, "higher_is_better": higher, "order": order}
        )
    for (code, edition), (name, kind, grades, note, limits) in STANDARDS.items():
        standard, created = Standard.objects.using(using).get_or_create(
            code=code, edition=edition, defaults={"name": name, "kind": kind, "grades": grades, "note": note}
        )
        if not created:
            continue
        Limit.objects.using(using).bulk_create(
            Limit(standard=standard, factor=factors[f], grade=g, lake=lake, min_value=lo, max_value=hi)
            for f, rows in limits.items()
            for g, lake, lo, hi in rows
        )


# --- judging ---------------------------------------------------------------------------------------


@dataclass
class FactorResult:
    factor: object  # ecology.models.Factor
    value: float
    water_class: str = ""  # GB 3838 only
    meets: bool = True
    limit: str = ""  # the limit it was judged against, as text
    judged: bool = False


@dataclass
class Judgement:
    water_class: str = ""
    wqi: float | None = None
    meets: bool = True
    results: list = field(default_factory=list)

    @property
    def exceeded(self) -> list:
        return [r for r in self.results if not r.meets]

    def summary(self) -> str:
        """ "氨氮 2.4 mg/L（Ⅲ类限值 ≤ 1 mg/L）、总磷 …" — what exceeded, in words."""
        parts = []
        for r in self.exceeded:
            unit = f" {r.factor.unit}" if r.factor.unit else ""
            cls = f"，{grade_label(r.water_class)}" if r.water_class else ""
            parts.append(f"{r.factor.name} {r.value:g}{unit}（限值 {r.limit}{cls}）")
        return "、".join(parts)


def limits_of(standard, lake: bool) -> dict:
    """{factor_id: {grade: Limit}} with the lake limits replacing the general ones at a lake point."""
    table: dict = {}
    rows = sorted(standard.limits.select_related("factor"), key=lambda lim: lim.lake)  # general first
    for limit in rows:
        if limit.lake and not lake:
            continue
        table.setdefault(limit.factor_id, {})[limit.grade] = limit
    return table


def class_of(value: float, by_grade: dict) -> str:
    for grade in CLASSES:
        limit = by_grade.get(grade)
        if limit is not None and limit.admits(value):
            return grade
    return WORSE_THAN_V


def _wqi_term(factor, value, limit_iii) -> float | None:
    if factor.code == "w01001":
        return (7 - value) / (7 - 6) if value <= 7 else (value - 7) / (9 - 7)
    if factor.higher_is_better:
        return limit_iii.min_value / value if value > 0 else None
    if not limit_iii.max_value:
        return None
    return value / limit_iii.max_value


def judge(standard, grade: str, lake: bool, values) -> Judgement:
    """`values`: [(Factor, value)]. The judgement of a sample at a point (see the module docstring)."""
    table = limits_of(standard, lake)
    out = Judgement()
    worst = -1
    wqi = 0.0
    wqi_terms = 0
    rank = {g: i for i, g in enumerate([*CLASSES, WORSE_THAN_V])}
    for factor, value in values:
        by_grade = table.get(factor.pk, {})
        result = FactorResult(factor, value)
        if standard.classifies and by_grade:
            result.judged = True
            result.water_class = class_of(value, by_grade)
            worst = max(worst, rank[result.water_class])
            target = by_grade.get(grade or "III")
            if target is not None:
                result.limit = target.text
                result.meets = rank[result.water_class] <= rank.get(grade or "III", 2)
            iii = by_grade.get("III")
            term = _wqi_term(factor, value, iii) if iii is not None else None
            if term is not None:
                wqi += term
                wqi_terms += 1
        elif by_grade:
            limit = by_grade.get(grade) or by_grade.get("")
            if limit is not None:
                result.judged = True
                result.limit = limit.text
                result.meets = limit.admits(value)
        out.results.append(result)
    if standard.classifies and worst >= 0:
        out.water_class = [*CLASSES, WORSE_THAN_V][worst]
        out.wqi = round(wqi, 2) if wqi_terms else None
    out.meets = all(r.meets for r in out.results)
    return out
