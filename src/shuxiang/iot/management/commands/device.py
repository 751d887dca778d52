from django.core.management.base import BaseCommand, CommandError

from shuxiang.core.actors import OPERATOR
from shuxiang.core.context import origin
from shuxiang.core.errors import ServiceError
from shuxiang.core.services import resolve_place
from shuxiang.iot import broker, services
from shuxiang.iot.choices import BrokerState, Protocol
from shuxiang.iot.models import BrokerAccount, Device


class Command(BaseCommand):
    help = (
        "设备登记：shuxiang device add CODE --protocol http|mqtt|sl651|jt808|hj212 --place 区划代码 [--name 名称] "
        "[--password 监测站访问密码]；"
        "shuxiang device rotate CODE [--token] 轮换 MQTT 密码（--token：轮换 HTTP 上报令牌）"
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="登记设备并打印其凭据（只显示这一次）")
        add.add_argument("code")
        add.add_argument("--protocol", required=True, choices=Protocol.values)
        add.add_argument("--place", required=True, help="所在区划的统计用区划代码")
        add.add_argument("--name", default="")
        add.add_argument("--kind", default="")
        add.add_argument("--sl651-password", default="", help="SL 651 密码（4 位十六进制，可空）")
        add.add_argument(
            "--password",
            default="",
            help="HJ 212 监测站的访问密码 PW（监测站已配置的密码；不给则生成 6 位数字密码并打印）",
        )
        rotate = sub.add_parser("rotate", help="为 MQTT 设备生成新密码并打印（只显示这一次），旧密码失效")
        rotate.add_argument("code")
        rotate.add_argument(
            "--token", action="store_true", help="改为轮换 HTTP 上报令牌（任何接入方式的设备）"
        )

    def handle(self, *args, action, **opts):
        try:
            with origin("cli"):
                if action == "rotate" and opts["token"]:
                    self.rotate_token(opts["code"])
                elif action == "rotate":
                    self.rotate(opts["code"])
                else:
                    self.add(opts)
        except ServiceError as exc:
            details = "；".join(f"{k}: {'、'.join(v)}" for k, v in exc.fields.items())
            raise CommandError(f"{exc.message}（{exc.code}）{('：' + details) if details else ''}") from None

    def add(self, opts):
        place = resolve_place(opts["place"])
        device, creds = services.do_register_device(
            actor=OPERATOR,
            code=opts["code"],
            protocol=opts["protocol"],
            place=place,
            name=opts["name"],
            kind=opts["kind"],
            sl651_password=opts["sl651_password"],
            hj212_password=opts["password"],
        )
        out = self.stdout.write
        out(f"已登记设备 {device.code}（{device.name}，{device.get_protocol_display()}，{place.name}）")
        out(f"token: {creds['token']}")
        out(f"  HTTP: POST /api/v1/iot/telemetry  Authorization: Token {creds['token']}")
        if "mqtt_password" in creds:
            self.mqtt_credentials(device, creds)
            if not broker.enabled():
                out("  在 Mosquitto 动态安全插件中开通（只允许发布到自己的主题）：")
                out(f"  mosquitto_ctrl dynsec createClient {device.code} -p '{creds['mqtt_password']}'")
                out(f"  mosquitto_ctrl dynsec createRole device-{device.code}")
                out(
                    f"  mosquitto_ctrl dynsec addRoleACL device-{device.code} publishClientSend "
                    f"{creds['mqtt_topic']} allow 5"
                )
                out(f"  mosquitto_ctrl dynsec addClientRole {device.code} device-{device.code} 5")
        if "jt808_phone" in creds:
            out(f"jt808_phone: {creds['jt808_phone']}")
            out(
                f"jt808_auth_code: {creds['jt808_auth_code']}（终端注册 0x0100 时由 0x8100 下发，也可手工配置）"
            )
        if "sl651_address" in creds:
            out(f"sl651_address: {creds['sl651_address']}")
            out(f"sl651_password: {creds['sl651_password']}")
        if "hj212_mn" in creds:
            out(f"hj212_mn: {creds['hj212_mn']}")
            out(f"hj212_password: {creds['hj212_password']}")
            out("  监测站按 HJ 212-2017 连接 shuxiang hj212 serve，MN 与访问密码 PW 如上")
        out("凭据只显示这一次，平台只保存其摘要。")

    def rotate_token(self, code):
        device = Device.objects.filter(code=code).first()
        if device is None:
            raise CommandError(f"设备 {code} 未登记")
        creds = services.do_rotate_device_token(device, actor=OPERATOR)
        self.stdout.write(f"已为设备 {device.code} 生成新的上报令牌，旧令牌失效")
        self.stdout.write(f"token: {creds['token']}")
        self.stdout.write("凭据只显示这一次，平台只保存其摘要。")

    def rotate(self, code):
        device = Device.objects.filter(code=code).first()
        if device is None:
            raise CommandError(f"设备 {code} 未登记")
        creds = services.do_rotate_mqtt_password(device, actor=OPERATOR)
        self.stdout.write(f"已为设备 {device.code} 生成新的 MQTT 密码，旧密码失效")
        self.mqtt_credentials(device, creds)
        if not broker.enabled():
            self.stdout.write("  在 Mosquitto 动态安全插件中更新：")
            self.stdout.write(
                f"  mosquitto_ctrl dynsec setClientPassword {device.code} '{creds['mqtt_password']}'"
            )
        self.stdout.write("密码只显示这一次，平台只保存其摘要。")

    def mqtt_credentials(self, device, creds):
        out = self.stdout.write
        out(f"mqtt_username: {creds['mqtt_username']}")
        out(f"mqtt_password: {creds['mqtt_password']}")
        out(f"mqtt_topic: {creds['mqtt_topic']}")
        if not broker.enabled():
            return
        account = BrokerAccount.objects.get(pk=device.pk)
        if account.state == BrokerState.OK:
            out("  已写入 MQTT 代理（动态安全插件）：只允许发布到自己的主题")
        else:
            out(f"  MQTT 代理账号{account.get_state_display()}：{account.message}")
            out("  平台每分钟自动重试，结果见设备详情页")
