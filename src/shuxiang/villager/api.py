"""The API: the public market (`/api/v1/market/postings/`, no account needed to read or post) and the
staff's employment records (`/api/v1/employment/records/`)."""

from django.core.cache import cache
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings

from shuxiang.core.access import PUBLIC
from shuxiang.core.api.base import BoundedDateField, PlaceCodeField, ScopedViewSetMixin, validated
from shuxiang.core.api.renderers import GeoJSONRenderer
from shuxiang.core.errors import ServiceError
from shuxiang.core.middleware import client_ip
from shuxiang.core.models import Attachment
from shuxiang.villager import employment, land_link, market, tourism
from shuxiang.villager.choices import (
    MAX_DAYS_CHOICES,
    Category,
    CountSource,
    EmploymentStatus,
    Group,
    PosterKind,
    PostingKind,
    RecordSource,
    Sector,
)
from shuxiang.villager.filtersets import (
    EmploymentRecordFilterSet,
    HeritageItemFilterSet,
    PublicPostingFilterSet,
    TouristSiteFilterSet,
    VisitCountFilterSet,
)
from shuxiang.villager.models import EmploymentRecord, HeritageItem, Posting, TouristSite, VisitCount


class PostingSerializer(serializers.ModelSerializer):
    """A live posting as the public sees it: no phone, no poster account."""

    place = PlaceCodeField(read_only=True)
    place_name = serializers.SerializerMethodField()
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    category_display = serializers.CharField(source="get_category_display", read_only=True)
    poster_kind_display = serializers.CharField(source="get_poster_kind_display", read_only=True)
    verified = serializers.BooleanField(source="is_verified", read_only=True)
    url = serializers.CharField(source="get_absolute_url", read_only=True)
    exchange_url = serializers.SerializerMethodField(
        help_text="已转入农村产权交易中心的土地出租需求：挂牌项目的公开页面"
    )

    class Meta:
        model = Posting
        fields = [
            "id",
            "kind",
            "kind_display",
            "category",
            "category_display",
            "title",
            "body",
            "price",
            "place",
            "place_name",
            "contact_name",
            "poster_kind",
            "poster_kind_display",
            "verified",
            "published_at",
            "expires_on",
            "url",
            "exchange_code",
            "exchange_url",
        ]

    def get_exchange_url(self, obj) -> str:
        return f"/land/exchange/{obj.exchange_code}/" if obj.exchange_code else ""

    def get_place_name(self, obj) -> str:
        parent = obj.place.parent.name if obj.place.parent_id and obj.place.level > 2 else ""
        return f"{parent}{obj.place.name}"


class PostingCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=PostingKind.choices)
    category = serializers.ChoiceField(choices=Category.choices)
    title = serializers.CharField(max_length=40)
    body = serializers.CharField(max_length=1000)
    price = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    place = serializers.CharField(max_length=14, help_text="村（社区）或乡镇的区划代码")
    contact_name = serializers.CharField(max_length=20)
    phone = serializers.CharField(max_length=20, write_only=True, help_text="不公开，仅用于平台转达")
    days = serializers.ChoiceField(choices=MAX_DAYS_CHOICES, required=False, default=30, help_text="有效天数")
    poster_kind = serializers.ChoiceField(
        choices=PosterKind.choices, required=False, help_text="仅审核人员代发布时有效"
    )
    verified_note = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class PostingCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    manage_url = serializers.CharField(help_text="发布人的私密管理链接（查看留言、撤回），请妥善保存")
    message = serializers.CharField()


class PostingExchangeSerializer(serializers.Serializer):
    consent = serializers.CharField(
        max_length=100, help_text="出租方如何同意挂牌（如：户主签字同意书已存村委）"
    )
    parcels = serializers.ListField(
        child=serializers.CharField(max_length=19), min_length=1, max_length=50, help_text="19位地块编码"
    )
    reserve_price = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, help_text="元/年")
    term_years = serializers.IntegerField(min_value=1, max_value=30)
    mode = serializers.ChoiceField(
        choices=[("open", "公开竞价（递增）"), ("sealed", "密封报价")], default="open"
    )
    conditions = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class PostingExchangedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    exchange_code = serializers.CharField(help_text="产权交易挂牌编号（待挂牌）")
    exchange_url = serializers.CharField()
    listing_status = serializers.CharField()


class PostingViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """网上需求集市: live postings for anyone (filters: place = division code, kind, q, verified);
    POST a posting without an account (rate-limited, then moderated)."""

    access = PUBLIC
    scope_public = True
    queryset = Posting.objects.select_related("place", "place__parent")
    serializer_class = PostingSerializer
    filterset_class = PublicPostingFilterSet

    def get_queryset(self):
        return (
            market.live_postings().select_related("place", "place__parent").order_by("-published_at", "-pk")
        )

    def list(self, request, *args, **kwargs):
        """Anonymous callers share one cached answer per query for a minute (any write moves it on)."""
        # The cache holds the JSON bytes as sent: a hit is one cache read, no unpickling of fifty
        # serialised postings and no rendering (that, and resolving the URL last, was the API's cost).
        if request.user.is_authenticated or request.query_params.get("format") not in (None, "json"):
            return super().list(request, *args, **kwargs)
        key = market.public_cache_key("api", request.query_params.urlencode())
        body = cache.get(key)
        if body is None:
            response = super().list(request, *args, **kwargs)
            if response.status_code != 200:
                return response
            body = JSONRenderer().render(response.data)
            cache.set(key, body, market.PUBLIC_CACHE_SECONDS)
        return HttpResponse(body, content_type="application/json")

    @extend_schema(request=PostingCreateSerializer, responses={201: PostingCreatedSerializer})
    def create(self, request, *args, **kwargs):
        values = validated(PostingCreateSerializer, request)
        values["days"] = int(values["days"])
        if not request.user.is_authenticated:
            values.pop("poster_kind", None)
            values.pop("verified_note", None)
        actor = request.user if request.user.is_authenticated else market.PUBLIC
        posting = market.do_create_posting(actor=actor, source=client_ip(request), **values)
        body = {
            "id": posting.pk,
            "status": posting.status,
            "manage_url": request.build_absolute_uri(f"/market/mine/{posting.key}/"),
            "message": "已发布" if posting.status == "published" else "已提交，审核通过后公开",
        }
        return Response(body, status=status.HTTP_201_CREATED)


class PostingExchangeViewSet(viewsets.GenericViewSet):
    """转入产权交易 (staff): only the `exchange` action on a posting in the caller's region."""

    queryset = Posting.objects.all()
    serializer_class = PostingExchangeSerializer
    required_perms = {"exchange": "villager.posting.exchange"}

    @extend_schema(request=PostingExchangeSerializer, responses={201: PostingExchangedSerializer})
    @action(detail=True, methods=["post"])
    def exchange(self, request, pk=None):
        """转入产权交易: a land-rental need (any status but closed, in the caller's region) becomes a
        listing on the rural property-rights exchange (待挂牌), with the holder's consent."""
        posting = Posting.objects.restrict(request.user).filter(pk=pk).first() if str(pk).isdigit() else None
        if posting is None:
            raise NotFound("信息不存在")
        data = validated(PostingExchangeSerializer, request)
        posting = land_link.do_list_on_exchange(posting, actor=request.user, **data)
        listing = land_link.listing_of(posting) or {}
        body = {
            "id": posting.pk,
            "exchange_code": posting.exchange_code,
            "exchange_url": f"/land/exchange/{posting.exchange_code}/",
            "listing_status": listing.get("status", ""),
        }
        return Response(body, status=status.HTTP_201_CREATED)


class EmploymentRecordSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name", read_only=True)
    place = PlaceCodeField(read_only=True)
    period = serializers.CharField(read_only=True)

    class Meta:
        model = EmploymentRecord
        fields = [
            "id",
            "person",
            "person_name",
            "place",
            "group",
            "year",
            "quarter",
            "period",
            "status",
            "sector",
            "employer",
            "wanted_sector",
            "source",
            "recorded_at",
        ]
        read_only_fields = fields


class EmploymentRecordWriteSerializer(serializers.Serializer):
    id_number = serializers.CharField(max_length=32, help_text="人员的身份证号（人员库须已登记）")
    group = serializers.ChoiceField(choices=Group.choices)
    year = serializers.IntegerField(min_value=2020, max_value=2100)
    quarter = serializers.IntegerField(min_value=1, max_value=4)
    status = serializers.ChoiceField(choices=EmploymentStatus.choices)
    sector = serializers.ChoiceField(choices=Sector.choices, required=False, allow_blank=True, default="")
    employer = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    wanted_sector = serializers.ChoiceField(
        choices=Sector.choices, required=False, allow_blank=True, default=""
    )


class EmploymentRecordViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """就业监测记录 in the caller's region (filters: place, group, status, year, quarter, q = name).
    POST records one person's quarter by ID number; a person the registry does not hold is refused."""

    queryset = EmploymentRecord.objects.select_related("person", "place")
    serializer_class = EmploymentRecordSerializer
    filterset_class = EmploymentRecordFilterSet

    def get_queryset(self):
        return super().get_queryset().order_by("-year", "-quarter", "pk")

    @extend_schema(request=EmploymentRecordWriteSerializer, responses={201: EmploymentRecordSerializer})
    def create(self, request, *args, **kwargs):
        values = validated(EmploymentRecordWriteSerializer, request)
        person = employment.person_by_id_number(values.pop("id_number"), actor=request.user)
        record = employment.do_record_employment(
            actor=request.user, person=person, source=RecordSource.API, **values
        )
        return Response(EmploymentRecordSerializer(record).data, status=status.HTTP_201_CREATED)


class HeritageItemSerializer(serializers.ModelSerializer):
    place = PlaceCodeField(read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    category_display = serializers.CharField(source="get_category_display", read_only=True)
    level_display = serializers.CharField(source="get_level_display", read_only=True)
    media = serializers.SerializerMethodField()
    url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = HeritageItem
        fields = [
            "id",
            "kind",
            "kind_display",
            "category",
            "category_display",
            "name",
            "place",
            "level",
            "level_display",
            "inheritors",
            "description",
            "condition",
            "latitude",
            "longitude",
            "media",
            "url",
        ]

    def get_media(self, obj) -> list[dict]:
        media = self.context.get("media", {}).get(str(obj.pk), [])
        return [
            {"url": f"/attachments/{m.pk}", "content_type": m.content_type, "size": m.size} for m in media
        ]


class HeritageItemViewSet(viewsets.ReadOnlyModelViewSet):
    """非遗与文物 on public exhibition (filters: place, kind, category, level, q); media are public files."""

    access = PUBLIC
    scope_public = True
    queryset = HeritageItem.objects.select_related("place")
    serializer_class = HeritageItemSerializer
    filterset_class = HeritageItemFilterSet

    def get_queryset(self):
        return HeritageItem.objects.filter(is_published=True).select_related("place").order_by("pk")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        page = getattr(self, "_page_ids", None)
        rows = Attachment.objects.filter(owner_type="villager.heritageitem", is_public=True)
        if page is not None:
            rows = rows.filter(owner_id__in=[str(i) for i in page])
        media: dict[str, list] = {}
        for row in rows.order_by("pk"):
            media.setdefault(row.owner_id, []).append(row)
        context["media"] = media
        return context

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None:
            self._page_ids = [i.pk for i in page]
        return page

    def retrieve(self, request, *args, **kwargs):
        self._page_ids = [kwargs.get("pk")]
        return super().retrieve(request, *args, **kwargs)


class TouristSiteSerializer(serializers.ModelSerializer):
    place = PlaceCodeField(read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    today_count = serializers.IntegerField(read_only=True, allow_null=True)
    url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = TouristSite
        fields = [
            "id",
            "kind",
            "kind_display",
            "name",
            "place",
            "grade",
            "licence_no",
            "licence_valid_until",
            "rating",
            "capacity",
            "today_count",
            "latitude",
            "longitude",
            "url",
        ]


class TouristSiteViewSet(viewsets.ReadOnlyModelViewSet):
    """Published tourist sites with today's visitors (filters: place, kind, q); `?format=geojson` for the map."""

    access = PUBLIC
    scope_public = True
    queryset = TouristSite.objects.select_related("place")
    serializer_class = TouristSiteSerializer
    filterset_class = TouristSiteFilterSet
    renderer_classes = [*api_settings.DEFAULT_RENDERER_CLASSES, GeoJSONRenderer]

    def get_queryset(self):
        from shuxiang.villager.tourism_views import with_today

        return with_today(TouristSite.objects.filter(is_published=True).select_related("place")).order_by(
            "pk"
        )

    def list(self, request, *args, **kwargs):
        if getattr(request.accepted_renderer, "format", "") == "geojson":
            qs = self.filter_queryset(self.get_queryset())[:2000]
            features = [
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [s.longitude, s.latitude]},
                    "properties": {"id": s.pk, "name": s.name, "kind": s.kind, "capacity": s.capacity},
                }
                for s in qs
                if s.latitude is not None and s.longitude is not None
            ]
            return Response({"type": "FeatureCollection", "features": features})
        return super().list(request, *args, **kwargs)


class VisitCountSerializer(serializers.ModelSerializer):
    site_name = serializers.CharField(source="site.name", read_only=True)
    crowd = serializers.SerializerMethodField()

    class Meta:
        model = VisitCount
        fields = ["id", "site", "site_name", "day", "count", "source", "recorded_at", "crowd"]
        read_only_fields = fields

    def get_crowd(self, obj) -> str:
        return tourism.crowd_level(obj.site, obj.count)


class VisitCountWriteSerializer(serializers.Serializer):
    site = serializers.IntegerField(help_text="旅游点编号")
    day = BoundedDateField()
    count = serializers.IntegerField(min_value=0, max_value=1_000_000)
    source = serializers.ChoiceField(choices=CountSource.choices, required=False, default="manual")


class VisitCountViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Daily visitors per site in the caller's region (filter: site, day range); POST one day's count
    (a counter or a person; a repeat for the same day replaces it). Crowded days warn the township."""

    queryset = VisitCount.objects.select_related("site")
    serializer_class = VisitCountSerializer
    filterset_class = VisitCountFilterSet

    def get_queryset(self):
        return super().get_queryset().order_by("-day", "site_id")

    @extend_schema(request=VisitCountWriteSerializer, responses={201: VisitCountSerializer})
    def create(self, request, *args, **kwargs):
        values = validated(VisitCountWriteSerializer, request)
        site = TouristSite.objects.restrict(request.user).filter(pk=values.pop("site")).first()
        if site is None:
            raise ServiceError("unknown_site", "旅游点不存在", {"site": ["旅游点不存在"]})
        visit = tourism.do_record_visits(site, actor=request.user, **values)
        return Response(VisitCountSerializer(visit).data, status=status.HTTP_201_CREATED)
