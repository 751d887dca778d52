"""Demo warnings for Heshan: a loudspeaker endpoint in every village (file drop under the
var dir, so deliveries really happen on this machine), one emergency-broadcast adapter (on MQTT when
MQTT_URL names a broker; otherwise a file drop too, so `make run` without a broker shows no failed
delivery), an issued gale warning, a red rainstorm warning waiting for approval, a lifted heat
warning and a draft."""

from datetime import timedelta

from django.utils import timezone

from shuxiang.core.actors import OPERATOR
from shuxiang.warnings import conf, dispatch, services
from shuxiang.warnings.models import Endpoint


def deliver_now(warning):
    """File drops happen on this machine: deliver at once so the boards show the last mile without
    waiting for a worker; an MQTT adapter's retries (with a broker configured) continue in the worker."""
    dispatch.run_dispatch(warning.pk, inline_wait=0)


def build(ctx):
    weather, emergency = ctx.users["weather"], ctx.users["emergency"]
    by_name = {t.name: t for t in ctx.townships}
    quanjiaohe, lanxi = by_name["泉交河镇"], by_name["兰溪镇"]
    Endpoint.objects.bulk_create(
        [
            Endpoint(
                name=f"{v.name}村村响",
                place=v,
                adapter="file",
                directory=f"{v.parent.code}/{v.code}",
                note="演示：投递到本机的广播投递目录",
            )
            for v in ctx.villages
        ]
    )
    if conf.mqtt_url():
        reach = {"adapter": "mqtt", "topic": f"shuxiang/broadcast/{quanjiaohe.code}"}
    else:
        reach = {"adapter": "file", "directory": f"{quanjiaohe.code}/emergency-broadcast"}
    services.do_create_endpoint(
        actor=OPERATOR,
        name="泉交河镇应急广播适配器",
        place=quanjiaohe,
        note="县应急广播平台的镇级适配器",
        **reach,
    )
    now = timezone.now()
    lanxi_villages = [v for v in ctx.villages if v.parent_id == lanxi.pk]

    gale = services.do_create_warning(
        actor=weather,
        signal_type="gale",
        colour="yellow",
        headline="赫山区气象台发布大风黄色预警",
        description="受冷空气影响，预计今天夜间兰溪镇、泉交河镇将出现8级以上阵风，请注意防范。",
        areas=[lanxi.code, quanjiaohe.code],
        expires=now + timedelta(hours=18),
        urgency="Expected",
        certainty="Likely",
    )
    services.do_issue_warning(gale, actor=weather)
    deliver_now(gale)

    heat = services.do_create_warning(
        actor=weather,
        signal_type="heat",
        colour="orange",
        headline="赫山区气象台发布高温橙色预警",
        description="预计未来3天全区最高气温将升至37℃以上。",
        areas=[ctx.district.code],
        expires=now + timedelta(days=3),
        submit=True,
    )
    services.do_approve_warning(heat, actor=emergency, note="同意发布")
    services.do_issue_warning(heat, actor=emergency)
    deliver_now(heat)
    deliver_now(services.do_cancel_warning(heat, actor=weather, reason="受降雨影响，气温明显下降"))

    services.do_create_warning(
        actor=weather,
        signal_type="rainstorm",
        colour="red",
        headline="赫山区气象台发布暴雨红色预警",
        description="过去3小时泉交河镇、兰溪镇部分村降雨量已达100毫米以上，预计降雨仍将持续。",
        areas=[
            quanjiaohe.code,
            *[v.code for v in ctx.rng.sample(lanxi_villages, min(2, len(lanxi_villages)))],
        ],
        expires=now + timedelta(hours=12),
        urgency="Immediate",
        certainty="Observed",
        submit=True,
    )
    services.do_create_warning(
        actor=weather,
        signal_type="frost",
        colour="blue",
        headline="赫山区气象台发布霜冻蓝色预警（草稿）",
        description="预计明晨最低气温降至0℃以下，有霜冻。",
        areas=[quanjiaohe.code],
        expires=now + timedelta(days=1),
    )
    _gateway_account(ctx)


def _gateway_account(ctx):
    """A loudspeaker gateway's API account: it posts delivery receipts for its district and nothing else."""
    from shuxiang.core import services as core_services
    from shuxiang.core.choices import Role
    from shuxiang.demo.builder import DEMO_PASSWORD

    gateway = core_services.do_create_user(
        actor=OPERATOR,
        username="gateway",
        role=Role.GATEWAY,
        place=ctx.district,
        password=DEMO_PASSWORD,
        display_name="应急广播网关 接口账号",
    )
    ctx.users["gateway"] = gateway
    ctx.credentials.append(("gateway", DEMO_PASSWORD, "预警播发网关 · 只能回传播发回执（接口令牌）"))
