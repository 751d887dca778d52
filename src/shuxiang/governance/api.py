"""Grids and patrols over the API: `/api/v1/grids/` (list, `?format=geojson`, detail by code) and
`/api/v1/grids/patrols/` (list, detail, the phone's submission with route, events and photos);
disputes at `/api/v1/mediation/disputes/`; legal help at `/api/v1/legal/advisers/` and
`/api/v1/legal/consultations/` (with `{id}/answer/`); party and village affairs at
`/api/v1/affairs/meetings/` and `/api/v1/affairs/decisions/` (with `{id}/advance/`, the next step of
四议两公开). People appear masked; every list is region-scoped and paginated."""

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from shuxiang.core.api.base import (
    BoundedDateField,
    BoundedDateTimeField,
    JSONField,
    PlaceCodeField,
    ScopedViewSetMixin,
    in_scope,
    validated,
)
from shuxiang.core.api.renderers import GeoJSONRenderer
from shuxiang.core.errors import ServiceError
from shuxiang.core.pii import mask_name
from shuxiang.governance import affairs, legal, mediation, services
from shuxiang.governance.choices import CHECKLIST, DISPUTE_KINDS, MEETING_KINDS, SIDES
from shuxiang.governance.filtersets import (
    AdviserFilterSet,
    BranchFilterSet,
    ConsultationFilterSet,
    DecisionFilterSet,
    DisputeFilterSet,
    GridFilterSet,
    MeetingFilterSet,
    PatrolFilterSet,
)
from shuxiang.governance.models import (
    Consultation,
    Dispute,
    Grid,
    LegalAdviser,
    PartyBranch,
    PartyMeeting,
    PartyMember,
    Patrol,
    VillageDecision,
)


class GridSerializer(serializers.ModelSerializer):
    village = PlaceCodeField(read_only=True)
    hamlets = PlaceCodeField(many=True, read_only=True)
    workers = serializers.SerializerMethodField()

    class Meta:
        model = Grid
        fields = ["code", "name", "village", "hamlets", "workers", "geometry"]

    def get_workers(self, obj) -> list[str]:
        return [w.display_name or w.username for w in obj.workers.all()]


class GridViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """网格：列表（`?format=geojson` 返回有范围的网格面要素）、详情（按网格编码）。"""

    queryset = Grid.objects.select_related("village").prefetch_related("hamlets", "workers").order_by("code")
    serializer_class = GridSerializer
    filterset_class = GridFilterSet
    lookup_field = "code"
    lookup_value_regex = r"\d{14}"
    renderer_classes = [JSONRenderer, GeoJSONRenderer]

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        if request.accepted_renderer.format == "geojson":
            data = response.data
            response.data = {
                "type": "FeatureCollection",
                "count": data["count"],
                "next": data.get("next"),
                "previous": data.get("previous"),
                "features": [
                    {
                        "type": "Feature",
                        "id": g["code"],
                        "geometry": g["geometry"],
                        "properties": {k: v for k, v in g.items() if k != "geometry"},
                    }
                    for g in data["results"]
                ],
            }
        return response


class PatrolSerializer(serializers.ModelSerializer):
    grid = serializers.CharField(source="grid.code", read_only=True)
    worker = serializers.SerializerMethodField()
    cases = serializers.SerializerMethodField()

    class Meta:
        model = Patrol
        fields = [
            "id",
            "grid",
            "worker",
            "started_at",
            "ended_at",
            "seen",
            "checked",
            "route",
            "distance_m",
            "cases",
        ]

    def get_worker(self, obj) -> str | None:
        return (obj.worker.display_name or obj.worker.username) if obj.worker_id else None

    def get_cases(self, obj) -> list[str]:
        return [c.tracking_number for c in obj.cases.all()]


class PatrolWriteSerializer(serializers.Serializer):
    grid = serializers.CharField(max_length=20, help_text="网格编码")
    started_at = BoundedDateTimeField()
    ended_at = BoundedDateTimeField()
    seen = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    checked = serializers.ListField(child=serializers.ChoiceField(choices=CHECKLIST), required=False)
    route = JSONField(required=False, help_text="[[经度, 纬度, Unix时间戳], …]（手机允许定位时）")
    events = JSONField(
        required=False, help_text='巡查发现的问题：[{"category": "类别代码", "description": "…"}]'
    )
    photos = serializers.ListField(child=serializers.ImageField(), required=False, max_length=9)
    submission_key = serializers.CharField(max_length=64, required=False, allow_blank=True)


class PatrolViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """网格巡查：列表、详情、手机提交（发现的问题按类别生成事件）。"""

    queryset = Patrol.objects.select_related("grid", "worker").prefetch_related("cases")
    serializer_class = PatrolSerializer
    filterset_class = PatrolFilterSet

    @extend_schema(request=PatrolWriteSerializer, responses={201: PatrolSerializer})
    def create(self, request, *args, **kwargs):
        values = validated(PatrolWriteSerializer, request)
        grid = in_scope(Grid.objects, request.user, "grid", "网格", code=values.pop("grid"))
        route, events = values.pop("route", []), values.pop("events", [])
        if not isinstance(events, list):
            raise ServiceError("invalid", "事件应为数组", {"events": ["应为数组"]})
        patrol = services.do_record_patrol(
            grid,
            actor=request.user,
            route=route if isinstance(route, list) else None,
            events=events,
            submission_key=values.pop("submission_key", "") or None,
            **values,
        )
        return Response(PatrolSerializer(patrol).data, status=status.HTTP_201_CREATED)


class PartySerializer(serializers.Serializer):
    side = serializers.CharField()
    name = serializers.CharField(help_text="姓名（脱敏）")
    id_number = serializers.CharField(help_text="身份证号（脱敏）")


class DisputeSerializer(serializers.ModelSerializer):
    place = PlaceCodeField(read_only=True)
    tracking_number = serializers.CharField(source="case.tracking_number", read_only=True)
    state = serializers.CharField(source="case.state", read_only=True)
    parties = serializers.SerializerMethodField()
    sessions = serializers.IntegerField(source="sessions.count", read_only=True)

    class Meta:
        model = Dispute
        fields = [
            "id",
            "tracking_number",
            "place",
            "kind",
            "state",
            "outcome",
            "concluded_on",
            "follow_up_on",
            "sessions",
            "parties",
            "created_at",
        ]

    @extend_schema_field(PartySerializer(many=True))
    def get_parties(self, obj):
        from shuxiang.core.pii import mask_name

        return [
            {"side": p.side, "name": mask_name(p.person.name), "id_number": p.person.id_number_masked}
            for p in obj.parties.all()
        ]


class PartyWriteSerializer(serializers.Serializer):
    side = serializers.ChoiceField(choices=SIDES)
    name = serializers.CharField(max_length=50)
    id_number = serializers.CharField(max_length=20)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)


class DisputeWriteSerializer(serializers.Serializer):
    place = PlaceCodeField()
    kind = serializers.ChoiceField(choices=DISPUTE_KINDS)
    description = serializers.CharField(max_length=2000)
    parties = PartyWriteSerializer(many=True)


class DisputeViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """矛盾纠纷：列表、详情（当事人脱敏）、登记（当事人身份证号校验后加密保存，生成调解事件）。"""

    queryset = Dispute.objects.select_related("case", "place").prefetch_related("parties__person")
    serializer_class = DisputeSerializer
    filterset_class = DisputeFilterSet

    @extend_schema(request=DisputeWriteSerializer, responses={201: DisputeSerializer})
    def create(self, request, *args, **kwargs):
        values = validated(DisputeWriteSerializer, request)
        dispute = mediation.do_register_dispute(
            actor=request.user,
            place=values["place"],
            kind=values["kind"],
            description=values["description"],
            parties=[dict(p) for p in values["parties"]],
        )
        return Response(DisputeSerializer(dispute).data, status=status.HTTP_201_CREATED)


class CreateListRetrieveViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    pass


# --- legal help (一村一法律顾问) -------------------------------------------------------------------


class AdviserSerializer(serializers.ModelSerializer):
    village = PlaceCodeField(read_only=True)
    name = serializers.SerializerMethodField(help_text="姓名（脱敏）")
    in_office = serializers.SerializerMethodField(help_text="今天是否在聘")

    class Meta:
        model = LegalAdviser
        fields = ["id", "village", "name", "firm", "since", "until", "in_office"]

    def get_name(self, obj) -> str:
        return mask_name(obj.person.name)

    def get_in_office(self, obj) -> bool:
        from django.utils import timezone

        today = timezone.localdate()
        return obj.since <= today and (obj.until is None or obj.until >= today)


class AdviserWriteSerializer(serializers.Serializer):
    village = PlaceCodeField(help_text="村（社区）的区划代码")
    name = serializers.CharField(max_length=50)
    id_number = serializers.CharField(max_length=20, help_text="身份证号（校验后加密保存）")
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    firm = serializers.CharField(max_length=80)
    since = BoundedDateField()
    until = BoundedDateField(required=False, allow_null=True)


class AdviserViewSet(CreateListRetrieveViewSet):
    """村法律顾问：列表、详情（姓名脱敏）、聘任（乡镇、区级）。"""

    queryset = LegalAdviser.objects.select_related("village", "person").order_by("village__code", "-since")
    serializer_class = AdviserSerializer
    filterset_class = AdviserFilterSet

    @extend_schema(request=AdviserWriteSerializer, responses={201: AdviserSerializer})
    def create(self, request, *args, **kwargs):
        data = validated(AdviserWriteSerializer, request)
        adviser = legal.do_appoint_adviser(actor=request.user, **data)
        return Response(AdviserSerializer(adviser).data, status=status.HTTP_201_CREATED)


class ConsultationSerializer(serializers.ModelSerializer):
    village = PlaceCodeField(read_only=True)
    adviser = serializers.SerializerMethodField(help_text="法律顾问（姓名脱敏）及所在机构")
    asker = serializers.SerializerMethodField(help_text="咨询人（脱敏）")

    class Meta:
        model = Consultation
        fields = [
            "id",
            "village",
            "adviser",
            "asker",
            "topic",
            "question",
            "mode",
            "appointment_at",
            "answer",
            "answered_at",
            "created_at",
        ]

    def get_adviser(self, obj) -> str:
        return f"{mask_name(obj.adviser.person.name)}（{obj.adviser.firm}）"

    def get_asker(self, obj) -> str:
        return mask_name(obj.asker.name)


class ConsultationWriteSerializer(serializers.Serializer):
    village = PlaceCodeField(help_text="村（社区）的区划代码；由该村在聘的法律顾问答复")
    name = serializers.CharField(max_length=50, help_text="咨询人姓名")
    id_number = serializers.CharField(max_length=20, help_text="咨询人身份证号（校验后加密保存）")
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    topic = serializers.CharField(max_length=100)
    question = serializers.CharField(max_length=2000)
    mode = serializers.ChoiceField(choices=Consultation.MODES)
    appointment_at = BoundedDateTimeField(required=False, allow_null=True, help_text="预约面谈时必填")


class ConsultationAnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(max_length=4000, help_text="法律顾问的书面答复或面谈意见（至少10个字）")


class ConsultationViewSet(CreateListRetrieveViewSet):
    """法律咨询：列表（`?answered=true|false`）、详情（咨询人脱敏）、登记、`answer/` 登记答复。"""

    queryset = Consultation.objects.select_related("village", "adviser__person", "asker")
    serializer_class = ConsultationSerializer
    filterset_class = ConsultationFilterSet
    required_perms = {"answer": "governance.consultation.change"}

    @extend_schema(request=ConsultationWriteSerializer, responses={201: ConsultationSerializer})
    def create(self, request, *args, **kwargs):
        data = validated(ConsultationWriteSerializer, request)
        consultation = legal.do_book_consultation(actor=request.user, **data)
        return Response(ConsultationSerializer(consultation).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ConsultationAnswerSerializer, responses={200: ConsultationSerializer})
    @action(detail=True, methods=["post"], url_path="answer")
    def answer(self, request, pk=None):
        consultation = self.get_object()
        data = validated(ConsultationAnswerSerializer, request)
        consultation = legal.do_answer_consultation(consultation, actor=request.user, answer=data["answer"])
        return Response(ConsultationSerializer(consultation).data)


# --- party and village affairs (三会一课, 四议两公开) ---------------------------------------------


class MeetingSerializer(serializers.ModelSerializer):
    village = PlaceCodeField(read_only=True)

    class Meta:
        model = PartyMeeting
        fields = [
            "id",
            "village",
            "kind",
            "held_on",
            "topic",
            "attended",
            "expected",
            "minutes",
            "created_at",
        ]


class MeetingWriteSerializer(serializers.Serializer):
    village = PlaceCodeField(help_text="村（社区）的区划代码")
    kind = serializers.ChoiceField(choices=MEETING_KINDS)
    held_on = BoundedDateField()
    topic = serializers.CharField(max_length=120)
    attended = serializers.IntegerField(min_value=0, max_value=10000, help_text="实到人数")
    expected = serializers.IntegerField(min_value=1, max_value=10000, help_text="应到人数")
    minutes = serializers.CharField(max_length=10000, required=False, allow_blank=True)


class MeetingViewSet(CreateListRetrieveViewSet):
    """党组织会议（三会一课、远程教育）：列表、详情、记录。出勤只记人数，不列党员姓名。"""

    queryset = PartyMeeting.objects.select_related("village")
    serializer_class = MeetingSerializer
    filterset_class = MeetingFilterSet

    @extend_schema(request=MeetingWriteSerializer, responses={201: MeetingSerializer})
    def create(self, request, *args, **kwargs):
        data = validated(MeetingWriteSerializer, request)
        meeting = affairs.do_record_meeting(actor=request.user, **data)
        return Response(MeetingSerializer(meeting).data, status=status.HTTP_201_CREATED)


class DecisionVotesSerializer(serializers.Serializer):
    yes = serializers.IntegerField(source="votes_for", allow_null=True)
    no = serializers.IntegerField(source="votes_against", allow_null=True)
    abstain = serializers.IntegerField(source="votes_abstain", allow_null=True)


class DecisionSerializer(serializers.ModelSerializer):
    village = PlaceCodeField(read_only=True)
    votes = DecisionVotesSerializer(source="*", read_only=True)
    disclosed_on_time = serializers.BooleanField(read_only=True, allow_null=True)
    public_url = serializers.SerializerMethodField(help_text="该村党务村务公开页")

    class Meta:
        model = VillageDecision
        fields = [
            "id",
            "village",
            "title",
            "content",
            "stage",
            "proposed_on",
            "discussed_on",
            "reviewed_on",
            "resolved_on",
            "votes",
            "disclosed_on",
            "disclosed_on_time",
            "result",
            "result_disclosed_on",
            "public_url",
            "created_at",
        ]

    def get_public_url(self, obj) -> str:
        return f"/affairs/{obj.village.code}/"


class DecisionWriteSerializer(serializers.Serializer):
    village = PlaceCodeField(help_text="村（社区）的区划代码")
    title = serializers.CharField(max_length=120)
    content = serializers.CharField(max_length=5000)
    proposed_on = BoundedDateField(help_text="村党组织提议日期")


class DecisionAdvanceSerializer(serializers.Serializer):
    on = BoundedDateField(help_text="该环节的日期（不早于上一环节，不晚于今天）")
    votes = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=100000),
        min_length=3,
        max_length=3,
        required=False,
        help_text="进入“决议”时必填：[赞成, 反对, 弃权]",
    )
    result = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, help_text="结果公开时必填"
    )


class DecisionViewSet(CreateListRetrieveViewSet):
    """村级重大事项（四议两公开）：列表（`?stage=`）、详情、提议、`advance/` 进入下一环节（不能跳过）。"""

    queryset = VillageDecision.objects.select_related("village")
    serializer_class = DecisionSerializer
    filterset_class = DecisionFilterSet
    required_perms = {"advance": "governance.villagedecision.change"}

    @extend_schema(request=DecisionWriteSerializer, responses={201: DecisionSerializer})
    def create(self, request, *args, **kwargs):
        data = validated(DecisionWriteSerializer, request)
        decision = affairs.do_propose_decision(actor=request.user, **data)
        return Response(DecisionSerializer(decision).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DecisionAdvanceSerializer, responses={200: DecisionSerializer})
    @action(detail=True, methods=["post"], url_path="advance")
    def advance(self, request, pk=None):
        decision = self.get_object()
        values = validated(DecisionAdvanceSerializer, request)
        decision = affairs.do_advance_decision(
            decision,
            actor=request.user,
            on=values["on"],
            votes=values.get("votes"),
            result=values.get("result", ""),
        )
        return Response(DecisionSerializer(decision).data)


class PartyMemberSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField(help_text="姓名（脱敏）")
    id_number = serializers.CharField(
        source="person.id_number_masked", read_only=True, help_text="身份证号（脱敏）"
    )

    class Meta:
        model = PartyMember
        fields = ["id", "name", "id_number", "status", "joined_on"]

    def get_name(self, obj) -> str:
        return mask_name(obj.person.name)


class BranchSerializer(serializers.ModelSerializer):
    village = PlaceCodeField(read_only=True)
    members = PartyMemberSerializer(many=True, read_only=True)
    member_count = serializers.IntegerField(source="members.count", read_only=True)

    class Meta:
        model = PartyBranch
        fields = ["id", "village", "name", "kind", "founded_on", "member_count", "members"]


class BranchWriteSerializer(serializers.Serializer):
    village = PlaceCodeField(help_text="村（社区）的区划代码")
    name = serializers.CharField(max_length=60)
    kind = serializers.ChoiceField(choices=PartyBranch.KINDS, required=False)
    founded_on = BoundedDateField(required=False, allow_null=True)


class PartyMemberWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=50)
    id_number = serializers.CharField(max_length=20, help_text="身份证号（校验后加密保存）")
    status = serializers.ChoiceField(choices=PartyMember.STATUSES, required=False)
    joined_on = BoundedDateField()


class BranchViewSet(CreateListRetrieveViewSet):
    """党组织：列表、详情（党员名册脱敏）、新增；`members/` 登记党员（一人只在一个党组织）。"""

    queryset = PartyBranch.objects.select_related("village").prefetch_related("members__person")
    serializer_class = BranchSerializer
    filterset_class = BranchFilterSet
    required_perms = {"members": "governance.partymember.add"}

    @extend_schema(request=BranchWriteSerializer, responses={201: BranchSerializer})
    def create(self, request, *args, **kwargs):
        data = validated(BranchWriteSerializer, request)
        branch = affairs.do_create_branch(actor=request.user, **data)
        return Response(BranchSerializer(branch).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PartyMemberWriteSerializer, responses={201: PartyMemberSerializer})
    @action(detail=True, methods=["post"], url_path="members")
    def members(self, request, pk=None):
        branch = self.get_object()
        data = validated(PartyMemberWriteSerializer, request)
        member = affairs.do_add_member(actor=request.user, branch=branch, **data)
        return Response(PartyMemberSerializer(member).data, status=status.HTTP_201_CREATED)
