"""The public proof: anyone may ask the platform to recompute its chains, check them against the signed
checkpoints and reconcile them with the apps' rows (a public route)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from shuxiang.core.access import PUBLIC
from shuxiang.ledger import services


class VerifyThrottle(AnonRateThrottle):
    """Verification reads every entry; unauthenticated callers get it a few times a minute."""

    scope = "ledger_verify"
    rate = "30/min"

    def get_rate(self):
        return self.rate


class ProblemSerializer(serializers.Serializer):
    stream = serializers.CharField()
    seq = serializers.IntegerField()
    reason = serializers.CharField()
    message = serializers.CharField()
    key = serializers.CharField()


class CheckpointLogSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    count = serializers.IntegerField()
    latest = serializers.IntegerField(allow_null=True)
    key = serializers.CharField(help_text="签名公钥标识（/ledger/public-key）")
    mirror = serializers.BooleanField()


class VerifySerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    entries = serializers.IntegerField()
    head = serializers.CharField()
    first_bad = ProblemSerializer(allow_null=True)
    streams = serializers.DictField()
    checkpoints = CheckpointLogSerializer()


class VerifyView(APIView):
    access = PUBLIC
    throttle_classes = [VerifyThrottle]

    @extend_schema(
        summary="重新计算哈希链并报告第一条异常记录",
        parameters=[OpenApiParameter("stream", str, description="只核验一个账本流，如 trace")],
        responses=VerifySerializer,
    )
    def get(self, request):
        stream = request.query_params.get("stream") or None
        if stream is not None and not services.stream_exists(stream):
            return Response(
                {
                    "code": "unknown_stream",
                    "message": f"账本流 {stream} 不存在",
                    "fields": {"stream": ["不存在"]},
                },
                status=404,
            )
        return Response(services.verify(stream).as_dict())
