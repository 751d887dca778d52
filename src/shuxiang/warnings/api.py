"""The warnings API: authoring and workflow, CAP in and out, deliveries, endpoints, receipts.

Places are division codes everywhere. Viewsets parse and call services; the services check
permission and scope and refuse with {"code","message","fields"}.
"""

from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework import mixins, parsers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from shuxiang.core.access import PUBLIC
from shuxiang.core.api.base import BoundedDateTimeField, PlaceCodeField, ScopedViewSetMixin, validated
from shuxiang.core.middleware import client_ip
from shuxiang.core.models import Place
from shuxiang.warnings import cap, services
from shuxiang.warnings.choices import (
    PUBLISHED,
    Adapter,
    CapStatus,
    Certainty,
    Colour,
    DeliveryStatus,
    Urgency,
)
from shuxiang.warnings.filtersets import DeliveryFilterSet, EndpointFilterSet, WarningFilterSet
from shuxiang.warnings.models import Delivery, Endpoint, SignalType, Warning
from shuxiang.warnings.services import APPROVE, AUTHOR, RECEIPT
from shuxiang.warnings.speech import speech_of

STATUS_COUNTS = {s: Count("deliveries", filter=Q(deliveries__status=s)) for s in DeliveryStatus.values}


def with_delivery_counts(qs):
    return qs.annotate(**{f"n_{s}": c for s, c in STATUS_COUNTS.items()})


def delivery_summary(warning) -> dict:
    if hasattr(warning, "n_pending"):
        counts = {s: getattr(warning, f"n_{s}") for s in DeliveryStatus.values}
    else:
        rows = Delivery.objects.filter(warning=warning).values("status").annotate(n=Count("pk"))
        counts = dict.fromkeys(DeliveryStatus.values, 0) | {r["status"]: r["n"] for r in rows}
    counts["total"] = sum(counts[s] for s in DeliveryStatus.values)
    counts["reached"] = counts["delivered"] + counts["played"]
    return counts


# --- serializers ----------------------------------------------------------------------------


class AreaSerializer(serializers.ModelSerializer):
    class Meta:
        model = Place
        fields = ["code", "name", "level"]


class WarningSerializer(serializers.ModelSerializer):
    signal_type = serializers.SlugRelatedField(slug_field="code", read_only=True)
    signal_name = serializers.CharField(read_only=True)
    severity = serializers.CharField(read_only=True)
    areas = AreaSerializer(many=True, read_only=True)
    place = PlaceCodeField(read_only=True)
    references = serializers.SerializerMethodField()
    deliveries = serializers.SerializerMethodField()
    author = serializers.CharField(source="author_label", read_only=True)
    approver = serializers.CharField(source="approver.username", read_only=True, default=None)

    class Meta:
        model = Warning
        fields = [
            "id",
            "identifier",
            "sender",
            "sender_name",
            "msg_type",
            "cap_status",
            "status",
            "signal_type",
            "signal_name",
            "colour",
            "severity",
            "urgency",
            "certainty",
            "headline",
            "description",
            "instruction",
            "effective",
            "onset",
            "expires",
            "references",
            "place",
            "areas",
            "polygons",
            "source",
            "author",
            "approver",
            "approved_at",
            "review_note",
            "issued_at",
            "deliveries",
        ]

    def get_references(self, obj) -> str | None:
        return obj.references.identifier if obj.references_id else None

    def get_deliveries(self, obj) -> dict:
        return delivery_summary(obj)


class WarningWriteSerializer(serializers.Serializer):
    signal_type = serializers.CharField()
    colour = serializers.ChoiceField(choices=Colour.choices)
    headline = serializers.CharField(max_length=200)
    description = serializers.CharField()
    instruction = serializers.CharField(required=False, allow_blank=True, allow_null=True, default=None)
    areas = serializers.ListField(child=serializers.CharField(max_length=14), min_length=1)
    effective = BoundedDateTimeField(required=False, allow_null=True)
    onset = BoundedDateTimeField(required=False, allow_null=True)
    expires = BoundedDateTimeField()
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.EXPECTED)
    certainty = serializers.ChoiceField(choices=Certainty.choices, default=Certainty.LIKELY)
    cap_status = serializers.ChoiceField(choices=CapStatus.choices, default=CapStatus.ACTUAL)
    submit = serializers.BooleanField(default=False, help_text="橙色、红色预警直接提交审批")


class WarningUpdateSerializer(serializers.Serializer):
    colour = serializers.ChoiceField(choices=Colour.choices, required=False)
    headline = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False)
    instruction = serializers.CharField(required=False, allow_blank=True)
    areas = serializers.ListField(child=serializers.CharField(max_length=14), min_length=1, required=False)
    onset = BoundedDateTimeField(required=False, allow_null=True)
    expires = BoundedDateTimeField(required=False)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    certainty = serializers.ChoiceField(choices=Certainty.choices, required=False)
    submit = serializers.BooleanField(default=False)


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ResendSerializer(serializers.Serializer):
    deliveries = serializers.ListField(child=serializers.IntegerField(), required=False)


class DeliverySerializer(serializers.ModelSerializer):
    endpoint = serializers.IntegerField(source="endpoint_id", read_only=True)
    endpoint_name = serializers.CharField(source="endpoint.name", read_only=True)
    adapter = serializers.CharField(source="endpoint.adapter", read_only=True)
    place = serializers.CharField(source="endpoint.place.code", read_only=True)
    place_name = serializers.CharField(source="endpoint.place.name", read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "endpoint",
            "endpoint_name",
            "adapter",
            "place",
            "place_name",
            "status",
            "attempts",
            "last_error",
            "next_attempt_at",
            "delivered_at",
            "receipt_at",
            "receipt_note",
        ]


class EndpointSerializer(serializers.ModelSerializer):
    place = PlaceCodeField()
    place_name = serializers.CharField(source="place.name", read_only=True)
    adapter = serializers.ChoiceField(choices=Adapter.choices)

    class Meta:
        model = Endpoint
        fields = [
            "id",
            "name",
            "place",
            "place_name",
            "adapter",
            "url",
            "topic",
            "directory",
            "is_active",
            "note",
        ]


class SignalTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = SignalType
        fields = ["code", "name", "category", "colours", "guides"]


class ReceiptSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=32)
    status = serializers.ChoiceField(choices=["delivered", "played", "failed"])
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


# --- viewsets --------------------------------------------------------------------------------


class WarningViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Warnings in the user's region. Create writes a draft; workflow actions as POSTs."""

    queryset = Warning.objects.select_related(
        "signal_type", "place", "references", "approver"
    ).prefetch_related("areas")
    serializer_class = WarningSerializer
    filterset_class = WarningFilterSet
    lookup_value_regex = r"\d+"
    required_perms = {
        "submit": AUTHOR,
        "approve": APPROVE,
        "reject": APPROVE,
        "issue": AUTHOR,
        "update_warning": AUTHOR,
        "cancel": AUTHOR,
        "resend": AUTHOR,
        "deliveries": "warnings.delivery.view",
    }

    def get_queryset(self):
        qs = super().get_queryset()
        if self.action in ("list", "retrieve"):
            return with_delivery_counts(qs).order_by("-issued_at", "-created_at")
        return qs

    def _out(self, warning, code=status.HTTP_200_OK):
        fresh = with_delivery_counts(self.queryset.filter(pk=warning.pk)).get()
        return Response(WarningSerializer(fresh).data, status=code)

    @extend_schema(request=WarningWriteSerializer, responses={201: WarningSerializer})
    def create(self, request, *args, **kwargs):
        s = validated(WarningWriteSerializer, request)
        warning = services.do_create_warning(actor=request.user, **s)
        return self._out(warning, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: WarningSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._out(services.do_submit_warning(self.get_object(), actor=request.user))

    @extend_schema(request=NoteSerializer, responses={200: WarningSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        s = validated(NoteSerializer, request)
        return self._out(services.do_approve_warning(self.get_object(), actor=request.user, **s))

    @extend_schema(request=NoteSerializer, responses={200: WarningSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        s = validated(NoteSerializer, request)
        return self._out(services.do_reject_warning(self.get_object(), actor=request.user, **s))

    @extend_schema(request=None, responses={200: WarningSerializer})
    @action(detail=True, methods=["post"])
    def issue(self, request, pk=None):
        return self._out(services.do_issue_warning(self.get_object(), actor=request.user))

    @extend_schema(request=WarningUpdateSerializer, responses={201: WarningSerializer})
    @action(detail=True, methods=["post"], url_path="update")
    def update_warning(self, request, pk=None):
        """Write an Update of this issued warning (a new draft referring to it)."""
        s = validated(WarningUpdateSerializer, request)
        warning = services.do_update_warning(self.get_object(), actor=request.user, **s)
        return self._out(warning, status.HTTP_201_CREATED)

    @extend_schema(request=CancelSerializer, responses={201: WarningSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Lift this warning now: a Cancel to every endpoint that was sent it."""
        s = validated(CancelSerializer, request)
        warning = services.do_cancel_warning(self.get_object(), actor=request.user, **s)
        return self._out(warning, status.HTTP_201_CREATED)

    @extend_schema(request=ResendSerializer, responses={200: dict})
    @action(detail=True, methods=["post"])
    def resend(self, request, pk=None):
        s = validated(ResendSerializer, request)
        count = services.do_resend(self.get_object(), actor=request.user, **s)
        return Response({"resent": count})

    @extend_schema(responses={200: DeliverySerializer(many=True)})
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        """Per endpoint: endpoint, place, status, attempts, last_error."""
        warning = self.get_object()
        qs = Delivery.objects.restrict(request.user).filter(warning=warning).select_related("endpoint__place")
        qs = DeliveryFilterSet(request.GET, queryset=qs, request=request).qs
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)


class EndpointViewSet(
    ScopedViewSetMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Broadcast endpoints: `place` (division code), `adapter` (http/mqtt/file), `url` or `topic`."""

    queryset = Endpoint.objects.select_related("place")
    serializer_class = EndpointSerializer
    filterset_class = EndpointFilterSet

    def get_success_headers(self, data):
        """Location is the endpoint just registered (DRF's default takes a field named `url` —
        here the loudspeaker's push address)."""
        return {"Location": reverse("warning-endpoint-detail", args=[data["id"]], request=self.request)}

    def perform_create(self, serializer):
        serializer.instance = services.do_create_endpoint(
            actor=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.do_update_endpoint(
            serializer.instance, actor=self.request.user, **serializer.validated_data
        )


class SignalTypeViewSet(viewsets.ReadOnlyModelViewSet):
    """Signal types, the colours each may take and their defence guides (national reference data,
    the same for every region; staff roles hold `warnings.signaltype.view`)."""

    queryset = SignalType.objects.filter(is_active=True)
    serializer_class = SignalTypeSerializer
    lookup_field = "code"
    pagination_class = None


class CapParser(parsers.BaseParser):
    media_type = "application/xml"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read()


class CapPlusXmlParser(CapParser):
    media_type = "application/cap+xml"


class CapImportView(APIView):
    """POST a CAP 1.2 document (application/xml or application/cap+xml) → 201 {"id"}."""

    parser_classes = [CapParser, CapPlusXmlParser]
    required_perm = AUTHOR

    @extend_schema(request={"application/cap+xml": OpenApiTypes.STR}, responses={201: dict})
    def post(self, request):
        warning = services.do_import_cap(request.data, actor=request.user)
        return Response(
            {"id": warning.pk, "identifier": warning.identifier, "status": warning.status},
            status=status.HTTP_201_CREATED,
        )


class CapExportView(APIView):
    """A warning as CAP 1.2 XML. Published warnings are public (the message carries nothing else:
    no author, approver or review note); a draft only for those who see it through restrict()."""

    access = PUBLIC
    scope_public = True  # issued warnings are public by nature; drafts are looked up through restrict()

    @extend_schema(responses={(200, "application/cap+xml"): OpenApiTypes.STR})
    def get(self, request, pk):
        qs = Warning.objects.select_related("signal_type", "references")
        warning = qs.filter(pk=pk, status__in=PUBLISHED).first()
        if warning is None and request.user.is_authenticated:
            warning = qs.restrict(request.user).filter(pk=pk).first()
        if warning is None:
            raise Http404
        audio = speech_of(warning)
        audio_url = request.build_absolute_uri(f"/attachments/{audio.pk}") if audio else None
        response = HttpResponse(
            cap.build(warning, audio_url=audio_url), content_type="application/cap+xml; charset=utf-8"
        )
        response["Content-Disposition"] = f'inline; filename="{warning.identifier or warning.pk}.xml"'
        return response


class ReceiptThrottle(SimpleRateThrottle):
    """Per gateway account and address: a runaway gateway cannot flood the table, and loudspeakers
    that share one account from many sites each keep their own allowance. The address is the one
    the audit log believes (core.middleware.client_ip), not a forwarded header the caller wrote."""

    scope = "warning_receipt"
    rate = "600/minute"

    def get_cache_key(self, request, view):
        ident = f"{request.user.pk}:{client_ip(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class ReceiptView(APIView):
    """A loudspeaker gateway reports delivered / played / failed (with reason).

    It signs in with its account's API token (role 预警播发网关, `warnings.delivery.receipt`) and
    names the delivery by the receipt token it was sent with."""

    required_perm = RECEIPT
    throttle_classes = [ReceiptThrottle]

    @extend_schema(request=ReceiptSerializer, responses={200: dict})
    def post(self, request):
        s = validated(ReceiptSerializer, request)
        delivery = services.do_record_receipt(actor=request.user, **s)
        return Response({"delivery": delivery.pk, "status": delivery.status})
