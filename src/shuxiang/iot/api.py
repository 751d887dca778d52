"""Telemetry API for people and systems (user tokens). Devices use only /iot/telemetry."""

from datetime import datetime

from django.db import models
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from shuxiang.core.api.base import BooleanField, JSONField, PlaceCodeField, ScopedViewSetMixin, validated
from shuxiang.core.errors import ServiceError
from shuxiang.core.generic import object_or_404
from shuxiang.core.services import resolve_place
from shuxiang.iot import services, sl651_commands
from shuxiang.iot.filtersets import AlarmFilterSet, DeviceFilterSet, RuleFilterSet
from shuxiang.iot.models import Alarm, AlarmRule, BrokerAccount, Device, Reading, Sensor, Sl651Command


class SensorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Sensor
        fields = ["key", "name", "unit", "min_value", "max_value", "status", "last_value", "last_ts"]


class DeviceSerializer(serializers.ModelSerializer):
    place = PlaceCodeField(read_only=True)
    owner_unit = serializers.CharField(source="owner_unit.name", read_only=True, default=None)
    is_online = serializers.BooleanField(read_only=True)
    sensors = SensorSerializer(many=True, read_only=True)

    class Meta:
        model = Device
        fields = [
            "code",
            "name",
            "protocol",
            "kind",
            "place",
            "owner_unit",
            "is_active",
            "learning",
            "is_online",
            "last_seen_at",
            "sensors",
        ]


class LearningSerializer(serializers.Serializer):
    learning = BooleanField(help_text="true 开启学习模式，false 关闭")


class SensorKeySerializer(serializers.Serializer):
    key = serializers.CharField(max_length=40, help_text="待审核传感器的要素名")


class SensorSpecSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=40, help_text="要素名，如 Z")
    name = serializers.CharField(max_length=60, required=False, allow_blank=True)
    unit = serializers.CharField(max_length=20, required=False, allow_blank=True)
    min_value = serializers.FloatField(required=False, allow_null=True, help_text="量程下限")
    max_value = serializers.FloatField(required=False, allow_null=True, help_text="量程上限")


class DeviceRegistrationSerializer(serializers.Serializer):
    """What a caller sends to register a device; the service checks code, protocol, password and scope."""

    code = serializers.CharField(max_length=40, help_text="设备编码；SL 651 遥测站为 10 位测站地址")
    protocol = serializers.CharField(max_length=8, help_text="http、mqtt、sl651、jt808 或 hj212")
    place = PlaceCodeField(help_text="所在区划代码")
    name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    kind = serializers.CharField(max_length=40, required=False, allow_blank=True)
    sl651_password = serializers.CharField(max_length=4, required=False, allow_blank=True)
    hj212_password = serializers.CharField(
        max_length=16, required=False, allow_blank=True, help_text="HJ 212 监测站的访问密码 PW；不给则生成"
    )
    sensors = SensorSpecSerializer(many=True, required=False)


class RegisteredDeviceSerializer(DeviceSerializer):
    credentials = serializers.DictField(
        read_only=True,
        help_text="token；MQTT 用户名、密码、主题；SL 651 地址与密码；HJ 212 的 MN 与访问密码。只在此应答中出现一次",
    )

    class Meta(DeviceSerializer.Meta):
        fields = [*DeviceSerializer.Meta.fields, "credentials"]


class Sl651QuerySerializer(serializers.Serializer):
    function = serializers.CharField(help_text="功能码（十六进制），如 37 查询实时数据、51 查询时钟")


class Sl651CommandSerializer(serializers.ModelSerializer):
    device = serializers.CharField(source="device.code", read_only=True)
    function = serializers.SerializerMethodField()
    function_label = serializers.CharField(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Sl651Command
        fields = [
            "id",
            "device",
            "function",
            "function_label",
            "status",
            "status_display",
            "requested_label",
            "created_at",
            "expires_at",
            "sent_at",
            "answered_at",
            "result",
            "detail",
        ]

    def get_function(self, obj) -> str:
        return f"{obj.function:02X}"


class DeviceViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Device.objects.select_related("place", "owner_unit").prefetch_related("sensors")
    serializer_class = DeviceSerializer
    filterset_class = DeviceFilterSet
    lookup_field = "code"
    lookup_value_regex = "[A-Za-z0-9_-]+"
    # list, retrieve: iot.device.view; create (registration): iot.device.add
    required_perms = {
        "latest": "iot.device.view",
        "activate": "iot.device.change",
        "deactivate": "iot.device.change",
        "sl651_query": "iot.device.change",
        "rotate_mqtt_password": "iot.device.change",
        "rotate_token": "iot.device.change",
        "define_sensor": "iot.device.change",
        "learning": "iot.device.learn",
        "approve_sensor": "iot.device.learn",
        "reject_sensor": "iot.device.learn",
    }

    @extend_schema(
        summary="登记设备：凭据只在此应答中出现一次（平台只保存摘要）",
        request=DeviceRegistrationSerializer,
        responses={201: RegisteredDeviceSerializer},
    )
    def create(self, request):
        body = validated(DeviceRegistrationSerializer, request)
        device, credentials = services.do_register_device(actor=request.user, **body)
        account = BrokerAccount.objects.filter(pk=device.pk).first()  # MQTT, when provisioning is on
        if account is not None:
            credentials["broker_state"] = account.state
            credentials["broker_message"] = account.message
        data = DeviceSerializer(self.get_queryset().get(pk=device.pk)).data
        return Response(
            {**data, "credentials": credentials}, status=201, headers={"Cache-Control": "no-store"}
        )

    @extend_schema(summary="启用设备", request=None, responses=DeviceSerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request, code=None):
        device = services.do_set_device_active(self.get_object(), actor=request.user, is_active=True)
        return Response(DeviceSerializer(device).data)

    @extend_schema(summary="停用设备：其后上报的数据一律拒收", request=None, responses=DeviceSerializer)
    @action(detail=True, methods=["post"])
    def deactivate(self, request, code=None):
        device = services.do_set_device_active(self.get_object(), actor=request.user, is_active=False)
        return Response(DeviceSerializer(device).data)

    @extend_schema(
        summary="登记（或修改）设备的传感器：设备只能上报已登记的要素（及其协议的标准要素）",
        request=SensorSpecSerializer,
        responses={201: SensorSerializer},
    )
    @action(detail=True, methods=["post"], url_path="sensors")
    def define_sensor(self, request, code=None):
        device = self.get_object()
        body = validated(SensorSpecSerializer, request)
        sensor = services.do_define_sensor(device, actor=request.user, **body)
        return Response(SensorSerializer(sensor).data, status=201)

    @extend_schema(
        summary="学习模式：开启后未登记的要素作为待审核传感器入库（不参与告警），关闭后一律拒收",
        request=LearningSerializer,
        responses=DeviceSerializer,
    )
    @action(detail=True, methods=["post"])
    def learning(self, request, code=None):
        body = validated(LearningSerializer, request)
        device = services.do_set_device_learning(
            self.get_object(), actor=request.user, learning=body["learning"]
        )
        return Response(DeviceSerializer(self.get_queryset().get(pk=device.pk)).data)

    @extend_schema(
        summary="审核通过待审核传感器：其后的读数参与告警",
        request=SensorKeySerializer,
        responses=SensorSerializer,
    )
    @action(detail=True, methods=["post"], url_path="approve-sensor")
    def approve_sensor(self, request, code=None):
        device = self.get_object()
        body = validated(SensorKeySerializer, request)
        sensor = services.do_approve_sensor(device, actor=request.user, key=body["key"])
        return Response(SensorSerializer(sensor).data)

    @extend_schema(
        summary="驳回待审核传感器：删除它及其读数",
        request=SensorKeySerializer,
        responses={204: None},
    )
    @action(detail=True, methods=["post"], url_path="reject-sensor")
    def reject_sensor(self, request, code=None):
        device = self.get_object()
        body = validated(SensorKeySerializer, request)
        services.do_reject_sensor(device, actor=request.user, key=body["key"])
        return Response(status=204)

    @extend_schema(summary="设备各要素的最新值", responses={200: dict})
    @action(detail=True, methods=["get"])
    def latest(self, request, code=None):
        device = self.get_object()
        values = {
            s.key: {"value": s.last_value, "ts": s.last_ts.isoformat() if s.last_ts else None}
            for s in device.sensors.all()
            if s.last_ts is not None
        }
        return Response({"device": device.code, "values": values})

    @extend_schema(
        summary="SL 651 召测：登记一条查询，测站在线时由 sl651 serve 发出",
        request=Sl651QuerySerializer,
        responses={202: Sl651CommandSerializer},
    )
    @action(detail=True, methods=["post"], url_path="sl651-query")
    def sl651_query(self, request, code=None):
        command = sl651_commands.do_request_sl651_query(
            self.get_object(),
            actor=request.user,
            function=request.data.get("function") if isinstance(request.data, dict) else None,
        )
        return Response(Sl651CommandSerializer(command).data, status=202)

    @extend_schema(
        summary="轮换 MQTT 设备的代理密码：新密码只在此应答中出现一次，旧密码随即失效",
        request=None,
        responses={200: dict},
    )
    @action(detail=True, methods=["post"], url_path="rotate-mqtt-password")
    def rotate_mqtt_password(self, request, code=None):
        device = self.get_object()
        credentials = services.do_rotate_mqtt_password(device, actor=request.user)
        account = BrokerAccount.objects.filter(pk=device.pk).first()  # absent when provisioning is off
        if account is not None:
            credentials["broker_state"] = account.state
            credentials["broker_message"] = account.message
        return Response(credentials, headers={"Cache-Control": "no-store"})

    @extend_schema(
        summary="轮换设备的上报令牌：新令牌只在此应答中出现一次，旧令牌随即失效",
        request=None,
        responses={200: dict},
    )
    @action(detail=True, methods=["post"], url_path="rotate-token")
    def rotate_token(self, request, code=None):
        device = self.get_object()
        return Response(
            services.do_rotate_device_token(device, actor=request.user), headers={"Cache-Control": "no-store"}
        )


class ReadingSerializer(serializers.Serializer):
    ts = serializers.DateTimeField()
    value = serializers.FloatField()


def _when(raw, field) -> datetime | None:
    if not raw:
        return None
    parsed = parse_datetime(raw)
    if parsed is None:
        raise ServiceError("invalid", f"{field} 应为 ISO 8601 时间", {field: ["时间格式错误"]})
    if parsed.tzinfo is None:
        from django.utils import timezone

        parsed = timezone.make_aware(parsed)
    return parsed


@extend_schema(
    summary="某设备某要素的历史读数（按时间升序）",
    parameters=[
        OpenApiParameter("device", str, required=True, description="设备编码"),
        OpenApiParameter("key", str, required=True, description="要素名，如 Z"),
        OpenApiParameter("start", str, description="起始时间（ISO 8601，含）"),
        OpenApiParameter("end", str, description="结束时间（ISO 8601，不含）"),
    ],
)
class ReadingListView(generics.ListAPIView):
    serializer_class = ReadingSerializer
    required_perm = "iot.reading.view"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Reading.objects.none()
        params = self.request.query_params
        code, key = params.get("device", "").strip(), params.get("key", "").strip()
        errors = {}
        if not code:
            errors["device"] = ["必填"]
        if not key:
            errors["key"] = ["必填"]
        if errors:
            raise ServiceError("invalid", "请指定设备编码和要素", errors)
        device = object_or_404(Device, self.request.user, code=code)
        sensor = Sensor.objects.filter(device=device, key=key).first()
        if sensor is None:
            raise ServiceError("unknown_key", f"设备 {code} 没有要素 {key}", {"key": ["不存在"]}, status=404)
        qs = Reading.objects.restrict(self.request.user).filter(sensor=sensor)
        start, end = _when(params.get("start"), "start"), _when(params.get("end"), "end")
        if start:
            qs = qs.filter(ts__gte=start)
        if end:
            qs = qs.filter(ts__lt=end)
        return qs.order_by("ts").only("ts", "value")

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        response.data["device"] = request.query_params.get("device")
        response.data["key"] = request.query_params.get("key")
        return response


class AlarmSerializer(serializers.ModelSerializer):
    device = serializers.CharField(source="sensor.device.code", read_only=True)
    place = PlaceCodeField(source="sensor.device.place", read_only=True)
    key = serializers.CharField(source="sensor.key", read_only=True)
    rule = serializers.CharField(source="rule.name", read_only=True)
    severity_display = serializers.CharField(source="get_severity_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    acknowledged_by = serializers.CharField(source="acknowledged_by.username", read_only=True, default=None)
    cleared_by = serializers.CharField(source="cleared_by.username", read_only=True, default=None)

    class Meta:
        model = Alarm
        fields = [
            "id",
            "device",
            "place",
            "key",
            "rule",
            "severity",
            "severity_display",
            "status",
            "status_display",
            "message",
            "started_at",
            "last_value",
            "last_at",
            "repeat_count",
            "acknowledged_at",
            "acknowledged_by",
            "cleared_at",
            "cleared_by",
            "clear_note",
            "escalated_at",
        ]


class ClearSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


class AlarmViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Alarm.objects.select_related(
        "rule", "sensor__device__place", "acknowledged_by", "cleared_by"
    ).order_by("-started_at")
    serializer_class = AlarmSerializer
    filterset_class = AlarmFilterSet
    required_perms = {"acknowledge": "iot.alarm.handle", "clear": "iot.alarm.handle"}

    @extend_schema(summary="确认告警", request=None, responses=AlarmSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        alarm = services.do_acknowledge_alarm(self.get_object(), actor=request.user)
        return Response(AlarmSerializer(alarm).data)

    @extend_schema(summary="解除告警", request=ClearSerializer, responses=AlarmSerializer)
    @action(detail=True, methods=["post"])
    def clear(self, request, pk=None):
        body = validated(ClearSerializer, request)
        alarm = services.do_clear_alarm(self.get_object(), actor=request.user, note=body.get("note", ""))
        return Response(AlarmSerializer(alarm).data)


class RuleSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.JSONField: JSONField,
    }
    place = serializers.CharField(source="place.code", required=False)
    device = serializers.CharField(source="device.code", required=False, allow_null=True, default=None)

    class Meta:
        model = AlarmRule
        fields = [
            "id",
            "name",
            "place",
            "device",
            "key",
            "kind",
            "threshold",
            "duration_minutes",
            "severity",
            "escalate_after_minutes",
            "auto_clear",
            "actions",
            "action_config",
            "is_active",
        ]


class RuleViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    queryset = AlarmRule.objects.select_related("place", "device")
    serializer_class = RuleSerializer
    filterset_class = RuleFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]
    # list, retrieve: iot.alarmrule.view; create: iot.alarmrule.add; update: iot.alarmrule.change

    def _targets(self, data):
        place = data.pop("place", None)
        device = data.pop("device", None)
        place = resolve_place(place["code"]) if place else None
        if device and device.get("code"):
            device = object_or_404(Device, self.request.user, code=device["code"])
        else:
            device = None
        return place, device

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        place, device = self._targets(data)
        serializer.instance = services.do_create_rule(
            actor=self.request.user, place=place, device=device, **data
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("place", None)
        data.pop("device", None)
        serializer.instance = services.do_update_rule(serializer.instance, actor=self.request.user, **data)
