"""The river network (水系) and where a pollution source lies along it, seen from a monitoring point.

A point sits on a river at a kilometre counted from the river's source (its 桩号); a source discharges
into a river at a kilometre; a river flows into another at a kilometre of that one. Water from a source
reaches a point when, following the rivers downstream, it enters the point's river at or above the
point's kilometre. That is all tracing needs to leave out what lies downstream or in another basin —
a river code system or a full hydrographic network would add nothing to this question.
"""

from dataclasses import dataclass

OWN = "own"
UPSTREAM = "upstream"
UNKNOWN = "unknown"
DOWNSTREAM = "downstream"
ELSEWHERE = "elsewhere"

LABELS = {
    OWN: "本排污口",
    UPSTREAM: "上游",
    UNKNOWN: "未标注河道位置",
    DOWNSTREAM: "下游",
    ELSEWHERE: "不汇入本点位所在河段",
}
# the ones a tracing list shows; the others are counted as left out
KEPT = (OWN, UPSTREAM, UNKNOWN)


@dataclass(frozen=True)
class Network:
    """name → (the river it flows into, the kilometre of that river where it enters)."""

    joins: dict

    @classmethod
    def load(cls) -> "Network":
        from shuxiang.ecology.models import River

        return cls(
            {
                name: (into, at)
                for name, into, at in River.objects.values_list("name", "flows_into__name", "joins_at_km")
            }
        )

    def entry_on(self, river: str, km: float, target: str) -> float | None:
        """The kilometre of `target` at which water from `km` of `river` enters it; None if it never
        does (it is downstream of the target's network, or in another basin, or the file is silent)."""
        seen = set()
        while river != target:
            if river in seen:
                return None
            seen.add(river)
            into, at = self.joins.get(river, (None, None))
            if into is None or at is None:
                return None
            river, km = into, at
        return km

    def relation(self, point, source) -> str:
        if source.outfall_id is not None and source.outfall_id == point.pk:
            return OWN
        if not (point.river and point.river_km is not None and source.river and source.river_km is not None):
            return UNKNOWN
        entry = self.entry_on(source.river, source.river_km, point.river)
        if entry is None:
            return ELSEWHERE
        return UPSTREAM if entry <= point.river_km else DOWNSTREAM


def cycle_in(joins: dict) -> list[str] | None:
    """A loop in `joins` (a river flowing, through others, into itself), as the names along it."""
    for start in joins:
        path, river = [], start
        while river in joins and joins[river][0] is not None:
            if river in path:
                return path[path.index(river) :] + [river]
            path.append(river)
            river = joins[river][0]
    return None
