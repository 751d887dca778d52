from django.apps import AppConfig, apps


class MachineryConfig(AppConfig):
    name = "shuxiang.machinery"
    label = "machinery"
    verbose_name = "农机"

    def ready(self):
        from shuxiang.iot.kinds import register_device_kind

        register_device_kind("jt808_farm", "农机北斗终端")
        register_device_kind("jt808_bus", "客运车辆北斗终端")

        from shuxiang.core.actors import SYSTEM_LABELS
        from shuxiang.core.choices import Role
        from shuxiang.core.navigation import MenuItem, register_menu
        from shuxiang.core.permissions import default_grant, define, system_grant
        from shuxiang.iot.jt808_server import terminal_registered
        from shuxiang.machinery import services

        # Staff roles view machines, fields, operations and requests in their region by the core staff
        # rule; client roles get nothing here. The district's and the townships' farm-machinery
        # stations keep the registry and record operations; villages and grid workers file their
        # farmers' requests and fields; the service centres (township role) dispatch.
        define(None, "machinery.servicerequest", "assign", "派单")
        define(None, "machinery.subsidyapplication", "check", "乡镇审核")
        define(None, "machinery.subsidyapplication", "approve", "审批")
        define(None, "machinery.subsidyapplication", "pay", "兑付")
        # Subsidies: villages and grid workers file a farmer's claim on a phone, the township checks it
        # (or returns it), the district (the agriculture bureau) approves or returns it and records payment.
        default_grant((Role.VILLAGE, Role.GRID, Role.TOWNSHIP), "machinery.subsidyapplication", ["add"])
        default_grant(Role.TOWNSHIP, "machinery.subsidyapplication", ["check"])
        default_grant(
            (Role.ADMIN, Role.DISTRICT, Role.DEPARTMENT), "machinery.subsidyapplication", ["approve", "pay"]
        )
        keepers = (Role.ADMIN, Role.DISTRICT, Role.DEPARTMENT, Role.TOWNSHIP)
        default_grant(keepers, "machinery.machine", ["add", "change"])
        default_grant(keepers, "machinery.field", ["add", "change"])
        default_grant(keepers, "machinery.operation", ["add"])
        default_grant(keepers, "machinery.servicerequest", ["add", "change", "assign"])
        default_grant((Role.VILLAGE, Role.GRID), "machinery.field", ["add"])
        default_grant((Role.VILLAGE, Role.GRID), "machinery.servicerequest", ["add", "change"])
        default_grant(keepers, "machinery.busroute", ["add", "change"])
        # Roads: the district and townships keep the register; villages and grid workers patrol.
        default_grant(keepers, "machinery.road", ["add", "change"])
        default_grant((*keepers, Role.VILLAGE, Role.GRID), "machinery.roadinspection", ["add"])
        if apps.is_installed("shuxiang.cases"):
            system_grant("machinery", "case.open")  # damage found on patrol → a 道路破损 case
        # The three-level sharing API: outside systems (the province's platform) read operations and the
        # machines behind them with a data-feed token, in the region of the token's user.
        default_grant(Role.FEED, "machinery.operation", ["view"])
        default_grant(Role.FEED, "machinery.machine", ["view"])
        # The app's own system actor (registered into core's vocabulary, as apps register into engines):
        # it keeps the plate and maker a terminal reports in its 0x0100 registration on its machine, and
        # when a job is finished it records the operation measured from the track (whoever pressed
        # "finish"), so a settlement is never typed.
        SYSTEM_LABELS.setdefault("machinery", "农机作业联动")
        system_grant("machinery", "machinery.machine.change", "machinery.operation.add")
        terminal_registered.connect(
            services.on_terminal_registered, dispatch_uid="machinery_terminal_registered"
        )
        if apps.is_installed("shuxiang.indicators"):
            from shuxiang.machinery import indicators  # noqa: F401  (registers the computed figures)
        register_menu(
            "农机",
            MenuItem("农机", "machinery:machine_list"),
            MenuItem("作业记录", "machinery:operation_list"),
            MenuItem("作业调度", "machinery:dispatch"),
            MenuItem("作业地块", "machinery:field_list"),
            MenuItem("购置补贴", "machinery:subsidy_list"),
            MenuItem("农村公路", "roads:road_list"),
            MenuItem("城乡客运", "transport:route_list"),
            order=37,
        )
