import django_filters as filters

from shuxiang.core.filtersets import FilterSet, WithinPlaceFilter
from shuxiang.governance.choices import DECISION_STAGES, DISPUTE_KINDS, MEETING_KINDS, OUTCOMES
from shuxiang.governance.models import (
    Consultation,
    Dispute,
    Grid,
    LegalAdviser,
    PartyBranch,
    PartyMeeting,
    Patrol,
    VillageDecision,
)


class GridFilterSet(FilterSet):
    q = filters.CharFilter(field_name="name", lookup_expr="contains", label="搜索（网格名称）")
    place = WithinPlaceFilter(scope_field="village")

    class Meta:
        model = Grid
        fields = ["q", "place"]


class PatrolFilterSet(FilterSet):
    place = WithinPlaceFilter(scope_field="grid__village")
    grid = filters.CharFilter(field_name="grid__code", label="网格编码")
    since = filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="gte", label="开始时间起")

    class Meta:
        model = Patrol
        fields = ["place", "grid", "since"]


class DisputeFilterSet(FilterSet):
    place = WithinPlaceFilter(scope_field="place")
    kind = filters.ChoiceFilter(choices=DISPUTE_KINDS, label="纠纷类型")
    outcome = filters.ChoiceFilter(choices=OUTCOMES, label="调解结果")

    class Meta:
        model = Dispute
        fields = ["place", "kind", "outcome"]


class DecisionFilterSet(FilterSet):
    place = WithinPlaceFilter(scope_field="village")
    stage = filters.ChoiceFilter(choices=DECISION_STAGES, label="当前环节")

    class Meta:
        model = VillageDecision
        fields = ["place", "stage"]


class ConsultationFilterSet(FilterSet):
    place = WithinPlaceFilter(scope_field="village")
    answered = filters.BooleanFilter(
        field_name="answered_at", lookup_expr="isnull", exclude=True, label="已答复"
    )

    class Meta:
        model = Consultation
        fields = ["place", "answered"]


class MeetingFilterSet(FilterSet):
    place = WithinPlaceFilter(scope_field="village")
    kind = filters.ChoiceFilter(choices=MEETING_KINDS, label="会议类型")
    since = filters.DateFilter(field_name="held_on", lookup_expr="gte", label="日期起")

    class Meta:
        model = PartyMeeting
        fields = ["place", "kind", "since"]


class AdviserFilterSet(FilterSet):
    place = WithinPlaceFilter(scope_field="village")

    class Meta:
        model = LegalAdviser
        fields = ["place"]


class BranchFilterSet(FilterSet):
    place = WithinPlaceFilter(scope_field="village")

    class Meta:
        model = PartyBranch
        fields = ["place"]
