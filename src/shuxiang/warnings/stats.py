"""Warning statistics by signal type, colour, township and month (climweb #536 asks for the same)."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone

from shuxiang.core.models import Place
from shuxiang.warnings.choices import COLOUR_ORDER, PUBLISHED, Colour, DeliveryStatus, MsgType
from shuxiang.warnings.models import Delivery, Warning


@dataclass
class Stats:
    total: int = 0
    by_type: list = field(default_factory=list)  # [(type name, [count per colour], total)]
    by_township: list = field(default_factory=list)  # [(township, count, red+orange)]
    by_month: list = field(default_factory=list)  # [(YYYY-MM, count)]
    colours: list = field(default_factory=list)
    deliveries: dict = field(default_factory=dict)
    rows: list = field(default_factory=list)  # one per warning, for export


def compute(user, *, start=None, end=None, township=None) -> Stats:
    """Alerts (not their Updates/Cancels) published in the period, inside the user's region."""
    qs = (
        Warning.objects.restrict(user)
        .filter(msg_type=MsgType.ALERT, status__in=PUBLISHED)
        .select_related("signal_type")
        .prefetch_related("areas")
        .order_by("issued_at")
    )
    if start:
        qs = qs.filter(issued_at__date__gte=start)
    if end:
        qs = qs.filter(issued_at__date__lte=end)
    townships = {p.path: p for p in Place.objects.restrict(user).filter(level=2)}
    warnings = []
    for w in qs:
        covered = set()
        for area in w.areas.all():
            for path, t in townships.items():
                if area.path.startswith(path) or path.startswith(area.path):
                    covered.add(t)
        if township and township not in {t.code for t in covered}:
            continue
        warnings.append((w, covered))
    stats = Stats(total=len(warnings), colours=[Colour(c).label for c in COLOUR_ORDER])
    per_type = defaultdict(Counter)
    per_township = Counter()
    severe_township = Counter()
    per_month = Counter()
    for w, covered in warnings:
        per_type[w.signal_type.name][w.colour] += 1
        per_month[timezone.localtime(w.issued_at).strftime("%Y-%m")] += 1
        for t in covered:
            per_township[t] += 1
            if w.colour in (Colour.ORANGE, Colour.RED):
                severe_township[t] += 1
    stats.by_type = [
        (name, [c[col] for col in COLOUR_ORDER], sum(c.values())) for name, c in sorted(per_type.items())
    ]
    stats.by_township = [
        (t, per_township[t], severe_township[t]) for t in sorted(per_township, key=lambda t: t.code)
    ]
    stats.by_month = sorted(per_month.items())
    ids = [w.pk for w, _ in warnings]
    counts = Counter()
    per_warning = defaultdict(Counter)
    for start_i in range(0, len(ids), 900):
        rows = (
            Delivery.objects.filter(warning_id__in=ids[start_i : start_i + 900])
            .values("warning_id", "status")
            .annotate(n=Count("pk"))
        )
        for r in rows:
            counts[r["status"]] += r["n"]
            per_warning[r["warning_id"]][r["status"]] += r["n"]
    targeted = sum(counts.values())
    reached = counts[DeliveryStatus.DELIVERED] + counts[DeliveryStatus.PLAYED]
    stats.deliveries = {
        "targeted": targeted,
        "reached": reached,
        "played": counts[DeliveryStatus.PLAYED],
        "failed": counts[DeliveryStatus.FAILED],
        "rate": f"{reached / targeted:.1%}" if targeted else "—",
    }
    for w, covered in warnings:
        c = per_warning[w.pk]
        stats.rows.append(
            [
                w.identifier,
                w.signal_type.name,
                w.get_colour_display(),
                w.headline,
                "、".join(t.name for t in sorted(covered, key=lambda t: t.code)),
                timezone.localtime(w.issued_at).strftime("%Y-%m-%d %H:%M"),
                w.get_status_display(),
                sum(c.values()),
                c[DeliveryStatus.DELIVERED] + c[DeliveryStatus.PLAYED],
                c[DeliveryStatus.FAILED],
            ]
        )
    return stats


EXPORT_HEADERS = [
    "标识符",
    "信号类型",
    "颜色",
    "标题",
    "涉及乡镇",
    "发布时间",
    "状态",
    "目标终端",
    "已送达",
    "失败",
]


def overlapping(place) -> Q:
    """Warnings whose target areas overlap `place` (inside it or containing it)."""
    parts = [p for p in place.path.split("/") if p]
    ancestors = ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
    return Q(areas__path__startswith=place.path) | Q(areas__path__in=ancestors)
