"""The land API: parcels (GeoJSON with ?format=geojson), contracts, transfers, exchange listings with
bids, cooperative members, dividend runs with compute/approve/payout-file. Configuration, not logic."""

from decimal import Decimal

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, renderers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from shuxiang.core.api.base import (
    BoundedDateField,
    JSONField,
    PlaceCodeField,
    ScopedViewSetMixin,
    in_scope,
    validated,
)
from shuxiang.core.api.renderers import GeoJSONRenderer
from shuxiang.core.errors import ServiceError
from shuxiang.core.exports import export_response
from shuxiang.core.models import Place
from shuxiang.land import coop, exchange, parcels, services
from shuxiang.land.choices import (
    AssetKind,
    BidMode,
    ContractMethod,
    LandUse,
    MemberBasis,
    ParcelKind,
    RentKind,
    ShareKind,
    ShareManagement,
    TransfereeKind,
    TransferMode,
)
from shuxiang.land.filtersets import (
    ContractFilterSet,
    CooperativeFilterSet,
    DistributionFilterSet,
    ListingFilterSet,
    MemberFilterSet,
    ParcelFilterSet,
    TransferFilterSet,
)
from shuxiang.land.models import (
    Bidder,
    Contract,
    Cooperative,
    Distribution,
    Listing,
    Member,
    Parcel,
    Transfer,
)

GEOJSON_LIMIT = 20_000


class LandParcelSerializer(serializers.ModelSerializer):
    issuer = PlaceCodeField(read_only=True)
    village = PlaceCodeField(read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    registered_mu = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True, allow_null=True)
    measured_mu = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True, allow_null=True)

    class Meta:
        model = Parcel
        fields = [
            "code",
            "name",
            "issuer",
            "village",
            "kind",
            "kind_display",
            "land_use",
            "basic_farmland",
            "registered_area_m2",
            "registered_mu",
            "measured_area_m2",
            "measured_mu",
            "area_flagged",
            "east",
            "south",
            "west",
            "north",
            "longitude",
            "latitude",
            "geometry",
        ]


class LandParcelWriteSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40, help_text="19位地块编码：发包方编码14位 + 顺序号5位")
    name = serializers.CharField(max_length=60, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=ParcelKind.choices, required=False)
    land_use = serializers.ChoiceField(choices=LandUse.choices, required=False)
    registered_area_m2 = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    east = serializers.CharField(max_length=100, required=False, allow_blank=True)
    south = serializers.CharField(max_length=100, required=False, allow_blank=True)
    west = serializers.CharField(max_length=100, required=False, allow_blank=True)
    north = serializers.CharField(max_length=100, required=False, allow_blank=True)
    geometry = JSONField(help_text="GeoJSON Polygon/MultiPolygon，CGCS2000 经纬度")


def feature_collection(rows) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": p.code,
                "geometry": p.geometry,
                "properties": {
                    "code": p.code,
                    "name": p.name,
                    "kind": p.kind,
                    "village": p.village.code,
                    "registered_area_m2": None if p.registered_area_m2 is None else str(p.registered_area_m2),
                    "measured_area_m2": None if p.measured_area_m2 is None else str(p.measured_area_m2),
                    "area_flagged": p.area_flagged,
                },
            }
            for p in rows
        ],
    }


class ParcelViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """地块：列表（`?format=geojson` 为 GeoJSON FeatureCollection，`properties.code` 为19位地块编码）、详情、登记。"""

    queryset = Parcel.objects.select_related("issuer", "village")
    serializer_class = LandParcelSerializer
    filterset_class = ParcelFilterSet
    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    renderer_classes = [renderers.JSONRenderer, renderers.BrowsableAPIRenderer, GeoJSONRenderer]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "format", str, enum=["json", "geojson"], description="geojson：GeoJSON 要素集合（不分页）"
            )
        ]
    )
    def list(self, request, *args, **kwargs):
        if getattr(request.accepted_renderer, "format", "") == "geojson":
            qs = self.filter_queryset(self.get_queryset()).order_by("code")[:GEOJSON_LIMIT]
            return Response(feature_collection(qs))
        return super().list(request, *args, **kwargs)

    @extend_schema(request=LandParcelWriteSerializer, responses={201: LandParcelSerializer})
    def create(self, request, *args, **kwargs):
        values = validated(LandParcelWriteSerializer, request)
        shape = values.pop("geometry")
        area = values.pop("registered_area_m2", None)
        props = {k: v for k, v in values.items() if k != "code"}
        if area is not None:
            props["SCMJ"] = str(area)
        parcel = parcels.do_create_parcel(
            actor=request.user, code=values["code"], issuer=None, geometry_json=shape, **props
        )
        return Response(LandParcelSerializer(parcel).data, status=status.HTTP_201_CREATED)


class LandContractSerializer(serializers.ModelSerializer):
    contractor = serializers.CharField(source="contractor.code", read_only=True)
    household = serializers.CharField(source="contractor.name", read_only=True)
    parcels = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")

    class Meta:
        model = Contract
        fields = [
            "code",
            "contractor",
            "household",
            "method",
            "parcels",
            "start",
            "end",
            "certificate_no",
            "status",
            "ended_on",
            "end_reason",
        ]


class LandContractWriteSerializer(serializers.Serializer):
    contractor = serializers.CharField(max_length=18, min_length=18, help_text="18位承包方编码")
    method = serializers.ChoiceField(choices=ContractMethod.choices, required=False)
    parcels = serializers.ListField(child=serializers.CharField(max_length=19), min_length=1, max_length=500)
    start = BoundedDateField()
    end = BoundedDateField()
    certificate_no = serializers.CharField(max_length=30, required=False, allow_blank=True)


class LandContractChangeSerializer(serializers.Serializer):
    parcels = serializers.ListField(
        child=serializers.CharField(max_length=19), min_length=1, max_length=500, required=False
    )
    end = BoundedDateField(required=False)
    certificate_no = serializers.CharField(max_length=30, required=False, allow_blank=True)


class LandContractTerminateSerializer(serializers.Serializer):
    ended_on = BoundedDateField()
    reason = serializers.CharField(max_length=200)


def _parcels_in_scope(user, codes):
    found = list(Parcel.objects.restrict(user).filter(code__in=codes))
    missing = sorted(set(codes) - {p.code for p in found})
    if missing:
        raise ServiceError("invalid", "地块不存在或不在您的管辖范围内", {"parcels": [", ".join(missing)]})
    return found


class ContractViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """承包合同：列表、详情、登记（编码为承包方编码 + J/Q）、修改（PATCH：终止日期、经营权证、地块）、`terminate/` 提前终止。"""

    queryset = Contract.objects.select_related("contractor__head").prefetch_related("parcels")
    serializer_class = LandContractSerializer
    filterset_class = ContractFilterSet
    lookup_field = "code"
    http_method_names = ["get", "post", "patch", "head", "options"]
    required_perms = {"terminate": "land.contract.change"}

    @extend_schema(request=LandContractWriteSerializer, responses={201: LandContractSerializer})
    def create(self, request, *args, **kwargs):
        v = validated(LandContractWriteSerializer, request)
        from shuxiang.land.models import Contractor

        contractor = in_scope(
            Contractor.objects,
            request.user,
            "contractor",
            "承包方",
            code=v.pop("contractor"),
            reason="未登记",
        )
        contract = services.do_create_contract(
            actor=request.user,
            contractor=contractor,
            parcels=_parcels_in_scope(request.user, v.pop("parcels")),
            **v,
        )
        return Response(LandContractSerializer(contract).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=LandContractChangeSerializer, responses=LandContractSerializer)
    def partial_update(self, request, *args, **kwargs):
        contract = self.get_object()
        v = validated(LandContractChangeSerializer, request)
        if "parcels" in v:
            v["parcels"] = _parcels_in_scope(request.user, v["parcels"])
        contract = services.do_change_contract(contract, actor=request.user, **v)
        return Response(LandContractSerializer(contract).data)

    @extend_schema(request=LandContractTerminateSerializer, responses=LandContractSerializer)
    @action(detail=True, methods=["post"])
    def terminate(self, request, code=None):
        contract = self.get_object()
        data = validated(LandContractTerminateSerializer, request)
        contract = services.do_terminate_contract(
            contract,
            actor=request.user,
            on=data["ended_on"],
            reason=data["reason"],
        )
        return Response(LandContractSerializer(contract).data)


class LandTransferSerializer(serializers.ModelSerializer):
    village = PlaceCodeField(read_only=True)
    contractor = serializers.CharField(source="contractor.code", read_only=True, default=None)
    parcels = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")
    area_mu = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = Transfer
        fields = [
            "id",
            "code",
            "village",
            "contractor",
            "parcels",
            "transferee",
            "transferee_kind",
            "mode",
            "start",
            "end",
            "area_m2",
            "area_mu",
            "rent_kind",
            "annual_rent",
            "grain_kg_per_mu",
            "grain_price",
            "signed_on",
            "status",
        ]


class LandTransferWriteSerializer(serializers.Serializer):
    parcels = serializers.ListField(child=serializers.CharField(max_length=19), min_length=1, max_length=500)
    contractor = serializers.CharField(max_length=18, required=False, allow_blank=True)
    transferee = serializers.CharField(max_length=100)
    transferee_kind = serializers.ChoiceField(choices=TransfereeKind.choices)
    mode = serializers.ChoiceField(choices=TransferMode.choices, required=False)
    start = BoundedDateField()
    end = BoundedDateField()
    rent_kind = serializers.ChoiceField(choices=RentKind.choices, required=False)
    annual_rent = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False)
    grain_kg_per_mu = serializers.DecimalField(max_digits=8, decimal_places=2, min_value=0, required=False)
    grain_price = serializers.DecimalField(max_digits=8, decimal_places=2, min_value=0, required=False)


class TransferViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """土地流转：列表（`expiring=true` 为90天内到期）、详情、登记。"""

    queryset = Transfer.objects.select_related("village", "contractor").prefetch_related("parcels")
    serializer_class = LandTransferSerializer
    filterset_class = TransferFilterSet

    @extend_schema(request=LandTransferWriteSerializer, responses={201: LandTransferSerializer})
    def create(self, request, *args, **kwargs):
        v = validated(LandTransferWriteSerializer, request)
        codes = v.pop("parcels")
        found = list(Parcel.objects.restrict(request.user).filter(code__in=codes).select_related("village"))
        missing = sorted(set(codes) - {p.code for p in found})
        if missing:
            raise ServiceError("invalid", "地块不存在或不在您的管辖范围内", {"parcels": [", ".join(missing)]})
        contractor = None
        if v.get("contractor"):
            from shuxiang.land.models import Contractor

            contractor = in_scope(
                Contractor.objects, request.user, "contractor", "承包方", code=v["contractor"]
            )
        v.pop("contractor", None)
        transfer = services.do_record_transfer(actor=request.user, parcels=found, contractor=contractor, **v)
        return Response(LandTransferSerializer(transfer).data, status=status.HTTP_201_CREATED)


class LandListingSerializer(serializers.ModelSerializer):
    village = PlaceCodeField(read_only=True)
    parcels = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")
    best_bid = serializers.SerializerMethodField()
    bids = serializers.IntegerField(source="bids.count", read_only=True)

    class Meta:
        model = Listing
        fields = [
            "code",
            "village",
            "title",
            "asset_kind",
            "parcels",
            "area_m2",
            "reserve_price",
            "min_increment",
            "term_years",
            "conditions",
            "mode",
            "publish_from",
            "publish_until",
            "notice_days",
            "status",
            "bids",
            "best_bid",
        ]

    def get_best_bid(self, obj) -> str | None:
        if obj.mode == BidMode.SEALED and obj.status == "published":
            return None  # sealed bids stay hidden until the close
        best = max((b.amount for b in obj.bids.all()), default=None)
        return None if best is None else str(best)


class LandListingWriteSerializer(serializers.Serializer):
    village = serializers.CharField(max_length=12)
    title = serializers.CharField(max_length=100)
    asset_kind = serializers.ChoiceField(choices=AssetKind.choices, required=False)
    parcels = serializers.ListField(
        child=serializers.CharField(max_length=19), required=False, max_length=500
    )
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    conditions = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    reserve_price = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    min_increment = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False)
    term_years = serializers.IntegerField(min_value=1, max_value=30)
    mode = serializers.ChoiceField(choices=BidMode.choices, required=False)
    notice_days = serializers.IntegerField(min_value=1, max_value=30, required=False)


class LandBidWriteSerializer(serializers.Serializer):
    bidder = serializers.IntegerField(min_value=1, max_value=2**31 - 1, help_text="已登记竞买人的编号")
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)


class LandBidSerializer(serializers.Serializer):
    listing = serializers.CharField(source="listing.code")
    bidder = serializers.CharField(source="bidder.name")
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    placed_at = serializers.DateTimeField()


class LandPublishSerializer(serializers.Serializer):
    days = serializers.IntegerField(min_value=5, max_value=60, default=10)


class ListingViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """产权交易挂牌：列表、详情、新建；`publish/` 挂牌，`bid/` 报价，`close/` 截止成交。"""

    queryset = Listing.objects.select_related("village").prefetch_related("parcels", "bids")
    serializer_class = LandListingSerializer
    filterset_class = ListingFilterSet
    lookup_field = "code"
    required_perms = {"bid": "land.bid.add", "publish": "land.listing.change", "close": "land.listing.change"}

    @extend_schema(request=LandListingWriteSerializer, responses={201: LandListingSerializer})
    def create(self, request, *args, **kwargs):
        v = validated(LandListingWriteSerializer, request)
        village = in_scope(Place.objects, request.user, "village", "村", code=v.pop("village"), level=3)
        codes = v.pop("parcels", [])
        found = list(Parcel.objects.restrict(request.user).filter(code__in=codes))
        if len(found) != len(set(codes)):
            raise ServiceError("invalid", "地块不存在或不在您的管辖范围内", {"parcels": ["不存在"]})
        listing = exchange.do_create_listing(actor=request.user, village=village, parcels=found, **v)
        return Response(LandListingSerializer(listing).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=LandBidWriteSerializer, responses={201: LandBidSerializer})
    @action(detail=True, methods=["post"])
    def bid(self, request, code=None):
        listing = self.get_object()
        data = validated(LandBidWriteSerializer, request)
        bidder = Bidder.objects.restrict(request.user).filter(pk=data["bidder"]).first()
        if bidder is None:
            raise ServiceError("invalid", "竞买人未登记或不在您的管辖范围内", {"bidder": ["未登记"]})
        bid = exchange.do_place_bid(listing, actor=request.user, bidder=bidder, amount=data["amount"])
        return Response(LandBidSerializer(bid).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=LandPublishSerializer, responses=LandListingSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, code=None):
        data = validated(LandPublishSerializer, request)
        listing = exchange.do_publish_listing(self.get_object(), actor=request.user, days=data["days"])
        return Response(LandListingSerializer(listing).data)

    @extend_schema(request=None, responses=LandListingSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, code=None):
        listing = self.get_object()
        exchange.do_close_listing(listing, actor=request.user)
        listing.refresh_from_db()
        return Response(LandListingSerializer(listing).data)


class LandMemberSerializer(serializers.ModelSerializer):
    village = serializers.CharField(source="cooperative.village.code", read_only=True)
    name = serializers.CharField(source="person.name", read_only=True)
    id_number = serializers.CharField(source="person.id_number_masked", read_only=True)
    household = serializers.CharField(source="household.code", read_only=True, default=None)
    bank_account = serializers.CharField(source="account_masked", read_only=True)
    shares = serializers.SerializerMethodField()

    class Meta:
        model = Member
        fields = [
            "code",
            "village",
            "name",
            "id_number",
            "household",
            "basis",
            "status",
            "bank_name",
            "bank_account",
            "shares",
        ]

    def get_shares(self, obj) -> dict[str, str]:
        return {h.kind: str(h.shares) for h in obj.holdings.all()}


class LandMemberWriteSerializer(serializers.Serializer):
    village = serializers.CharField(max_length=12, help_text="合作社所在行政村的12位区划代码")
    name = serializers.CharField(max_length=50)
    id_number = serializers.CharField(max_length=18, min_length=18)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    household = serializers.CharField(max_length=18, required=False, allow_blank=True, help_text="承包方编码")
    basis = serializers.ChoiceField(choices=MemberBasis.choices)
    basis_note = serializers.CharField(max_length=200, required=False, allow_blank=True)
    bank_name = serializers.CharField(max_length=60, required=False, allow_blank=True)
    bank_account = serializers.CharField(max_length=30, required=False, allow_blank=True)


class LandSharesWriteSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[c for c in ShareKind.choices if c[0] != ShareKind.COLLECTIVE])
    shares = serializers.DecimalField(max_digits=14, decimal_places=4, min_value=0)
    basis = serializers.CharField(max_length=100, required=False, allow_blank=True)


class MemberViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """合作社成员（身份证号、账号脱敏）与各类股份：列表、详情、新增（成员身份确认，待村审核）；
    `approve/` 审核一步（村审核，然后乡镇审核）；`shares/` 配股（设定该成员某类股份的股数）。"""

    queryset = Member.objects.select_related("cooperative__village", "person", "household").prefetch_related(
        "holdings"
    )
    serializer_class = LandMemberSerializer
    filterset_class = MemberFilterSet
    lookup_field = "code"
    # approve/: each step's own permission (村审核 land.member.approve, 乡镇审核 land.member.confirm) is
    # checked by the service; the route needs the view permission.
    required_perms = {"approve": "land.member.view", "shares": "land.member.add"}

    @extend_schema(request=LandMemberWriteSerializer, responses={201: LandMemberSerializer})
    def create(self, request, *args, **kwargs):
        v = validated(LandMemberWriteSerializer, request)
        cooperative = (
            Cooperative.objects.restrict(request.user).filter(village__code=v.pop("village")).first()
        )
        if cooperative is None:
            raise ServiceError(
                "invalid", "该村没有股份经济合作社或不在您的管辖范围内", {"village": ["没有合作社"]}
            )
        member = coop.do_propose_member_by_id(cooperative, actor=request.user, **v)
        return Response(LandMemberSerializer(member).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=LandMemberSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, code=None):
        member = coop.do_approve_member(self.get_object(), actor=request.user)
        return Response(LandMemberSerializer(member).data)

    @extend_schema(request=LandSharesWriteSerializer, responses=LandMemberSerializer)
    @action(detail=True, methods=["post"])
    def shares(self, request, code=None):
        member = self.get_object()
        data = validated(LandSharesWriteSerializer, request)
        coop.do_set_holding(member, actor=request.user, **data)
        member = self.get_queryset().get(pk=member.pk)
        return Response(LandMemberSerializer(member).data)


class LandCooperativeSerializer(serializers.ModelSerializer):
    village = PlaceCodeField(read_only=True)
    members = serializers.SerializerMethodField()

    class Meta:
        model = Cooperative
        fields = ["village", "name", "credit_code", "management", "cutoff_date", "reserve_rate", "members"]

    def get_members(self, obj) -> int:
        return obj.members.filter(status="confirmed").count()


class LandCooperativeWriteSerializer(serializers.Serializer):
    village = serializers.CharField(max_length=12, help_text="行政村的12位区划代码")
    name = serializers.CharField(max_length=100)
    credit_code = serializers.CharField(max_length=18, required=False, allow_blank=True)
    management = serializers.ChoiceField(choices=ShareManagement.choices, required=False)
    cutoff_date = BoundedDateField()
    reserve_rate = serializers.DecimalField(
        max_digits=5, decimal_places=4, min_value=0, max_value=Decimal("0.9999"), required=False
    )


class CooperativeViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """村股份经济合作社：列表、详情（按村区划代码）、设立（每个行政村一个）。"""

    queryset = Cooperative.objects.select_related("village")
    serializer_class = LandCooperativeSerializer
    filterset_class = CooperativeFilterSet
    lookup_field = "village__code"
    lookup_url_kwarg = "code"

    @extend_schema(request=LandCooperativeWriteSerializer, responses={201: LandCooperativeSerializer})
    def create(self, request, *args, **kwargs):
        v = validated(LandCooperativeWriteSerializer, request)
        village = in_scope(Place.objects, request.user, "village", "村", code=v.pop("village"), level=3)
        cooperative = coop.do_create_cooperative(actor=request.user, village=village, **v)
        return Response(LandCooperativeSerializer(cooperative).data, status=status.HTTP_201_CREATED)


class LandPayoutSerializer(serializers.Serializer):
    member = serializers.SerializerMethodField()
    shares = serializers.DecimalField(max_digits=14, decimal_places=4)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)

    def get_member(self, obj) -> str:
        return obj.member.code if obj.member_id else coop.COLLECTIVE


class LandDistributionSerializer(serializers.ModelSerializer):
    village = serializers.CharField(source="cooperative.village.code", read_only=True)
    payouts = serializers.SerializerMethodField()

    class Meta:
        model = Distribution
        fields = [
            "id",
            "village",
            "period",
            "income",
            "reserves",
            "amount",
            "total_shares",
            "per_share",
            "inputs_digest",
            "status",
            "notice_until",
            "ledger_hash",
            "payouts",
        ]

    def get_payouts(self, obj) -> list[dict]:
        if not self.context.get("with_lines"):
            return []
        return LandPayoutSerializer(
            obj.payouts.select_related("member").order_by("member__code"), many=True
        ).data


class LandComputeSerializer(serializers.Serializer):
    village = serializers.CharField(max_length=12)
    period = serializers.CharField(max_length=20, help_text="如 2025、2025-Q4")
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, help_text="分红总额（提取公积公益金后）"
    )


class DistributionViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """收益分配：`compute/` 测算（同输入同结果），`approve/` 村审批→乡镇审批，`payout-file/` 银行发放文件。"""

    conflicting_reads = ("payout_file",)  # 409 until the run is approved (core.api.schema)

    queryset = Distribution.objects.select_related("cooperative__village")
    serializer_class = LandDistributionSerializer
    filterset_class = DistributionFilterSet
    required_perms = {
        "compute": "land.distribution.add",
        "approve": "land.distribution.view",
        "payout_file": "land.distribution.pay",
    }

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "with_lines": self.action != "list"}

    @extend_schema(request=LandComputeSerializer, responses={201: LandDistributionSerializer})
    @action(detail=False, methods=["post"])
    def compute(self, request):
        v = validated(LandComputeSerializer, request)
        cooperative = Cooperative.objects.restrict(request.user).filter(village__code=v["village"]).first()
        if cooperative is None:
            raise ServiceError(
                "invalid", "该村没有股份经济合作社或不在您的管辖范围内", {"village": ["没有合作社"]}
            )
        dist = coop.do_compute_distribution(
            cooperative, actor=request.user, period=v["period"], amount=v.get("amount")
        )
        return Response(
            LandDistributionSerializer(dist, context={"with_lines": True}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=None, responses=LandDistributionSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        dist = coop.do_approve_distribution(self.get_object(), actor=request.user)
        return Response(LandDistributionSerializer(dist, context={"with_lines": False}).data)

    @extend_schema(
        parameters=[OpenApiParameter("file_format", str, enum=["csv", "xlsx"], description="默认 xlsx")],
        responses={
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): bytes,
            (200, "text/csv"): bytes,
        },
    )
    @action(detail=True, methods=["get"], url_path="payout-file", pagination_class=None, filter_backends=[])
    def payout_file(self, request, pk=None):
        dist = self.get_object()
        coop.require_payable(dist, request.user)
        fmt = request.query_params.get("file_format", "xlsx")
        if fmt not in ("csv", "xlsx"):
            raise ServiceError("invalid", "文件格式应为 csv 或 xlsx", {"file_format": ["csv 或 xlsx"]})
        return payout_file_response(dist, request.user, fmt)


def payout_file_response(dist, user, fmt):
    return export_response(
        coop.payout_rows(dist),
        coop.PAYOUT_HEADERS,
        fmt=fmt,
        filename=f"dividends-{dist.cooperative.village.code}-{dist.period}",
        sheet_title="分红发放",
        actor=user,
        object_type="land.distribution",
        description=f"{dist.cooperative.name} {dist.period} 分红发放文件（{fmt}）",
        details={"distribution": dist.pk, "accounts": "full"},
    )
