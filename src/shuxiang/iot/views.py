import json

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from shuxiang.core.access import requires
from shuxiang.core.errors import ServiceError
from shuxiang.core.generic import (
    Column,
    ObjectDetailView,
    ObjectListView,
    form_page,
    object_or_404,
    object_view,
    submit_form,
)
from shuxiang.core.permissions import has_perm
from shuxiang.iot import broker, charts, services, sl651_commands
from shuxiang.iot.actions import alarm_links, get_action
from shuxiang.iot.choices import SEVERITY_TAG, Protocol
from shuxiang.iot.filtersets import AlarmFilterSet, DeviceFilterSet, RuleFilterSet
from shuxiang.iot.forms import DeviceForm, RotateMqttPasswordForm, RotateTokenForm, RuleForm, SensorForm
from shuxiang.iot.kinds import kind_label
from shuxiang.iot.models import Alarm, AlarmRule, BrokerAccount, Device, Rejection, Sensor, Sl651Command


class DeviceListView(ObjectListView):
    model = Device
    filterset_class = DeviceFilterSet
    title = "设备"
    select_related = ("place", "owner_unit")
    create_url_name = "iot:device_create"
    create_permission = "iot.device.add"
    create_label = "登记设备"
    columns = [
        Column("设备编码", "code", link=True),
        Column("名称", "name", link=True),
        Column("接入方式", "get_protocol_display"),
        Column("类别", lambda d: kind_label(d.kind)),
        Column("所在区划", "place.name"),
        Column("在线", "is_online"),
        Column("最后通信", "last_seen_at"),
    ]

    detail_route = "iot:device_detail"
    detail_field = "code"


class DeviceDetailView(ObjectDetailView):
    model = Device
    lookup_field = "code"
    template_name = "iot/device_detail.html"
    select_related = ("place", "owner_unit")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        sensors = list(Sensor.objects.restrict(user).filter(device=self.object))
        context.update(
            sensors=sensors,
            pending_sensors=[s for s in sensors if s.is_pending],
            can_learn=has_perm(user, "iot.device.learn", self.object),
            rejections=Rejection.objects.restrict(user).filter(device=self.object),
            alarms=Alarm.objects.restrict(user)
            .filter(sensor__device=self.object)
            .select_related("rule", "sensor")[:20],
            rules=AlarmRule.objects.restrict(user).filter(device=self.object),
        )
        can_change = has_perm(user, "iot.device.change", self.object)
        if self.object.protocol == Protocol.SL651:
            context.update(
                sl651_queries=Sl651Command.objects.restrict(user).filter(device=self.object)[:10],
                sl651_functions=sl651_commands.function_choices() if can_change else [],
            )
        if self.object.protocol == Protocol.HJ212:
            from shuxiang.iot.models import FlaggedReading

            # values the station flagged other than N/S: kept, shown here, never averaged nor seen by rules
            context["flagged"] = FlaggedReading.objects.restrict(user).filter(device=self.object)[:20]
        if can_change:
            context["can_change"] = True
            context["sensor_form"] = SensorForm()
            if self.object.protocol == Protocol.MQTT:
                context["rotate_form"] = RotateMqttPasswordForm(
                    initial={"stamp": services.credential_stamp(self.object.mqtt_password_digest)}
                )
            context["rotate_token_form"] = RotateTokenForm(
                initial={"stamp": services.credential_stamp(self.object.token_digest)}
            )
        return context


def _credentials_page(request, device, credentials, *, title, rotated=False):
    """The only response that carries a device's secrets: not cached, not kept in a message or the session.

    Reloading it does not show them again (the platform keeps digests only); a browser that resubmits
    the form registers nothing twice (the code is taken) or rotates the password once more.
    """
    account = BrokerAccount.objects.filter(pk=device.pk).first() if "mqtt_password" in credentials else None
    response = render(
        request,
        "iot/credentials.html",
        {
            "title": title,
            "device": device,
            "credentials": credentials,
            "telemetry_url": request.build_absolute_uri(reverse("iot-telemetry")),
            "broker_account": account,
            "broker_managed": broker.enabled(),
            "rotated": rotated,
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@requires("iot.device.add")
def device_create(request):
    """Staff register a device; its credentials are shown on the answer page, once."""
    form = DeviceForm(request.POST or None, user=request.user)
    saved, result = submit_form(
        request,
        form,
        lambda data: services.do_register_device(actor=request.user, **data),
        success=None,
    )
    if saved:
        device, credentials = result
        return _credentials_page(request, device, credentials, title=f"设备 {device.code} 已登记")
    return form_page(request, form, "登记设备", submit="登记")


@requires("iot.device.change")
@require_POST
@object_view(Device, "code")
def device_set_active(request, code):
    """Take a device out of service (its telemetry is refused from then on) or back into it."""
    device = object_or_404(Device, request.user, code=code)
    wanted = request.POST.get("is_active")
    if wanted not in ("true", "false"):
        messages.error(request, "请选择启用或停用")
        return redirect("iot:device_detail", code=code)
    try:
        services.do_set_device_active(device, actor=request.user, is_active=wanted == "true")
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "设备已启用" if device.is_active else "设备已停用，其上报数据将被拒收")
    return redirect("iot:device_detail", code=code)


@requires("iot.device.change")
@require_POST
@object_view(Device, "code")
def device_define_sensor(request, code):
    """Register a key the device reports (or change its name, unit and range): until then it is refused."""
    device = object_or_404(Device, request.user, code=code)
    form = SensorForm(request.POST)
    if not form.is_valid():
        problems = "；".join(
            f"{form.fields[f].label}：{m}" if f in form.fields else m
            for f, ms in form.errors.items()
            for m in ms
        )
        messages.error(request, f"传感器信息有误：{problems}")
        return redirect("iot:device_detail", code=code)
    try:
        sensor = services.do_define_sensor(device, actor=request.user, **form.cleaned_data)
    except ServiceError as exc:
        details = "；".join(m for ms in exc.fields.values() for m in ms)
        messages.error(request, f"{exc.message}{'：' + details if details else ''}")
    else:
        messages.success(request, f"传感器 {sensor.key} 已登记")
    return redirect("iot:device_detail", code=code)


@requires("iot.device.learn")
@require_POST
@object_view(Device, "code")
def device_set_learning(request, code):
    """Learning mode on (unregistered keys become pending sensors for review) or off (refused)."""
    device = object_or_404(Device, request.user, code=code)
    wanted = request.POST.get("learning")
    if wanted not in ("true", "false"):
        messages.error(request, "请选择开启或关闭学习模式")
        return redirect("iot:device_detail", code=code)
    try:
        services.do_set_device_learning(device, actor=request.user, learning=wanted == "true")
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            "学习模式已开启：未登记的要素将作为待审核传感器入库"
            if device.learning
            else "学习模式已关闭：未登记的要素将被拒收",
        )
    return redirect("iot:device_detail", code=code)


def _review_sensor(request, code, review, done):
    device = object_or_404(Device, request.user, code=code)
    key = request.POST.get("key", "").strip()
    try:
        review(device, actor=request.user, key=key)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done.format(key=key))
    return redirect("iot:device_detail", code=code)


@requires("iot.device.learn")
@require_POST
@object_view(Device, "code")
def device_approve_sensor(request, code):
    """A pending sensor approved: alarm rules see its readings from now on."""
    return _review_sensor(
        request, code, services.do_approve_sensor, "要素 {key} 已审核通过，此后的读数参与告警"
    )


@requires("iot.device.learn")
@require_POST
@object_view(Device, "code")
def device_reject_sensor(request, code):
    """A pending sensor rejected: it and its readings are removed."""
    return _review_sensor(request, code, services.do_reject_sensor, "要素 {key} 已驳回，其读数已删除")


@requires("iot.device.change")
@require_POST
@object_view(Device, "code")
def device_rotate_mqtt_password(request, code):
    """A new broker password for an MQTT device, shown once; the old one stops working at once."""
    return _rotate(
        request,
        code,
        RotateMqttPasswordForm,
        "mqtt_password_digest",
        services.do_rotate_mqtt_password,
        "MQTT 密码",
    )


@requires("iot.device.change")
@require_POST
@object_view(Device, "code")
def device_rotate_token(request, code):
    """A new telemetry token, shown once; the old one stops working at once."""
    return _rotate(
        request, code, RotateTokenForm, "token_digest", services.do_rotate_device_token, "上报令牌"
    )


def _rotate(request, code, form_class, digest_field, rotate, what):
    """Confirmed, not stale (the form's stamp is of the credential the page showed), then the new
    credential on the no-store page; everything else goes back to the device page with a message."""
    device = object_or_404(Device, request.user, code=code)
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, f"请先勾选确认：{form.warning}")
        return redirect("iot:device_detail", code=code)
    stamp = form.cleaned_data.get("stamp")
    if stamp and stamp != services.credential_stamp(getattr(device, digest_field)):
        messages.warning(request, f"该设备的{what}在本页打开后已经重置过（可能是重复提交），这次未再重置")
        return redirect("iot:device_detail", code=code)
    try:
        credentials = rotate(device, actor=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("iot:device_detail", code=code)
    return _credentials_page(
        request, device, credentials, title=f"设备 {device.code} 的新{what}", rotated=True
    )


@requires("iot.reading.view")
@require_GET
@object_view(Device, "code")
def sensor_series(request, code):
    """Chart data for one sensor: raw readings for short ranges, hourly/daily rollups for long ones."""
    device = object_or_404(Device, request.user, code=code)
    sensor = Sensor.objects.filter(device=device, key=request.GET.get("key", "")).first()
    if sensor is None:
        return JsonResponse({"code": "unknown_key", "message": "没有该要素", "fields": {}}, status=404)
    return JsonResponse(charts.series(sensor, request.GET.get("range", "24h")))


def _alarm_severity(alarm):
    return alarm.get_severity_display()


class AlarmListView(ObjectListView):
    model = Alarm
    filterset_class = AlarmFilterSet
    title = "告警"
    select_related = ("rule", "sensor__device__place", "acknowledged_by")
    columns = [
        Column("级别", _alarm_severity),
        Column("内容", "message", link=True),
        Column("设备", "sensor.device.code"),
        Column("区划", "sensor.device.place.name"),
        Column("开始时间", "started_at"),
        Column("触发次数", "repeat_count"),
        Column("状态", "get_status_display"),
        Column("确认时间", "acknowledged_at"),
    ]

    def get_queryset(self):
        return super().get_queryset().order_by("status", "-started_at")

    detail_route = "iot:alarm_detail"


class AlarmDetailView(ObjectDetailView):
    model = Alarm
    template_name = "iot/alarm_detail.html"
    select_related = ("rule", "sensor__device__place", "acknowledged_by", "cleared_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_handle"] = has_perm(self.request.user, "iot.alarm.handle", self.object)
        context["severity_tag"] = SEVERITY_TAG.get(self.object.severity, "")
        context["links"] = alarm_links(self.object, self.request.user)
        return context


@requires("iot.alarm.handle")
@require_POST
@object_view(Alarm)
def alarm_acknowledge(request, pk):
    alarm = object_or_404(Alarm, request.user, pk=pk)
    try:
        services.do_acknowledge_alarm(alarm, actor=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "告警已确认")
    return redirect("iot:alarm_detail", pk=pk)


@requires("iot.alarm.handle")
@require_POST
@object_view(Alarm)
def alarm_clear(request, pk):
    alarm = object_or_404(Alarm, request.user, pk=pk)
    try:
        services.do_clear_alarm(alarm, actor=request.user, note=request.POST.get("note", "").strip())
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "告警已解除")
    return redirect("iot:alarm_detail", pk=pk)


class RuleListView(ObjectListView):
    model = AlarmRule
    filterset_class = RuleFilterSet
    title = "告警规则"
    select_related = ("place", "device")
    create_url_name = "iot:rule_create"
    create_permission = "iot.alarmrule.add"
    columns = [
        Column("规则名称", "name", link=True),
        Column("条件", lambda r: r.describe()),
        Column("级别", "get_severity_display"),
        Column("设备", "device.code"),
        Column("适用区划", "place.name"),
        Column("联动动作", lambda r: "、".join(a.label if (a := get_action(c)) else c for c in r.actions)),
        Column("启用", "is_active"),
    ]

    detail_route = "iot:rule_edit"


@object_view(AlarmRule)
def rule_form(request, pk=None):
    """New rule (routed as iot.alarmrule.add) or one rule edited (iot.alarmrule.change): see urls.py."""
    rule = object_or_404(AlarmRule, request.user, pk=pk) if pk else None
    initial = {}
    if rule is not None:
        initial = {f: getattr(rule, f) for f in services.RULE_FIELDS}
        initial["action_config"] = (
            json.dumps(rule.action_config, ensure_ascii=False) if rule.action_config else ""
        )
    form = RuleForm(request.POST or None, initial=initial, editing=rule is not None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            if rule is not None:
                services.do_update_rule(rule, actor=request.user, **data)
            else:
                code = data.pop("device", "").strip()
                place = data.pop("place", None)
                device = object_or_404(Device, request.user, code=code) if code else None
                services.do_create_rule(actor=request.user, device=device, place=place, **data)
        except ServiceError as exc:
            form.apply_service_error(exc)
        else:
            messages.success(request, "告警规则已保存")
            return redirect("iot:rule_list")
    title = f"编辑告警规则：{rule.name}" if rule else "新增告警规则"
    return form_page(request, form, title)


@requires("iot.device.change")
@require_POST
@object_view(Device, "code")
def device_sl651_query(request, code):
    """Staff ask an SL 651 station for its real-time data, clock…; the running server sends it."""
    device = object_or_404(Device, request.user, code=code)
    try:
        command = sl651_commands.do_request_sl651_query(
            device, actor=request.user, function=request.POST.get("function", "")
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已登记召测：{command.function_label}，测站在线时发出")
    return redirect("iot:device_detail", code=code)
