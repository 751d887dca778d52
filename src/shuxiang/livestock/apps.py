from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class LivestockConfig(AppConfig):
    name = "shuxiang.livestock"
    label = "livestock"
    verbose_name = "畜牧水产与冷链"

    def ready(self):
        from shuxiang.iot.kinds import register_device_kind

        register_device_kind("feeder", "饲喂器/料塔")
        register_device_kind("barn_env", "栏舍环境传感器")
        register_device_kind("lagoon", "粪污池液位计")
        register_device_kind("pond", "池塘水质传感器")
        register_device_kind("cold_logger", "冷库温度记录仪")
        register_device_kind("cold_vehicle", "冷藏车车载终端（JT/T 808）")

        from shuxiang.core.actors import SYSTEM_LABELS
        from shuxiang.core.choices import Role
        from shuxiang.core.navigation import MenuItem, register_menu
        from shuxiang.core.permissions import default_grant, define, system_grant
        from shuxiang.livestock import alarm_actions, disease

        # The platform acting for this module (alarm follow-ups, derived telemetry, mortality clues):
        # registered here, next to its grants, so core keeps no list of domain apps.
        SYSTEM_LABELS.setdefault("livestock", "畜牧水产联动")
        define(None, "livestock.diseasereport", "confirm", "研判确认")
        define(None, "livestock.farm", "record", "记录台账")
        # Staff view everything in their region by the core staff rule; client roles get nothing.
        # Farms, pens, ponds and cold stores are registered by the district's agriculture bureau and
        # animal-husbandry centre; the herd book, pond records and disease reports are kept in the
        # field too (township staff, village cadres, grid workers on their phones). Only the
        # animal-health office (department, district) moves a report through its stages.
        keepers = (Role.ADMIN, Role.DISTRICT, Role.DEPARTMENT)
        for object_type in (
            "livestock.farm",
            "livestock.pen",
            "livestock.pond",
            "livestock.coldstore",
            "livestock.coldvehicle",
        ):
            default_grant(keepers, object_type, ["add", "change", "export"])
        # The barn environment standards by stage: edited by the animal-husbandry office, audited.
        default_grant(keepers, "livestock.stagestandard", ["view", "change"])
        field = (*keepers, Role.TOWNSHIP, Role.VILLAGE, Role.GRID)
        default_grant(field, "livestock.herdentry", ["add"])
        # Keeping a farm's herd book: staff for every farm in their region; a producer's recorder
        # (a cooperative's or family farm's own staff, `trace.Producer.operators`) only for the farms
        # of the producers it operates — it sees those farms, their barns and their herd book, and
        # records births, purchases, moves, sales and deaths there; nothing of any other farm.
        default_grant(field, "livestock.farm", ["record"])
        own = {"producer__operators": "$user"}
        default_grant(Role.PRODUCER, "livestock.farm", ["view", "record"], own)
        default_grant(Role.PRODUCER, "livestock.pen", ["view"], {"farm__producer__operators": "$user"})
        default_grant(
            Role.PRODUCER, "livestock.herdentry", ["view", "add"], {"pen__farm__producer__operators": "$user"}
        )
        default_grant(field, "livestock.pondrecord", ["add"])
        default_grant(field, "livestock.manurerecord", ["add"])
        default_grant(field, "livestock.diseasereport", ["add"])
        default_grant(keepers, "livestock.diseasereport", ["confirm", "export"])
        # The system actor: derived readings (FDROP, DOF) through the iot ingest path, mortality clues,
        # excursion records and the cases its alarms open (cases declares case.open for known labels;
        # this app declares it for itself).
        system_grant(
            "livestock",
            "iot.reading.add",
            "livestock.diseasereport.add",
            "livestock.coldexcursion.add",
            # an excursion goes onto the timeline of each lot in the store (a trace event)
            "trace.traceevent.add",
            "trace.producer.record",
            "trace.lot.view",
        )
        if apps.is_installed("shuxiang.cases"):
            system_grant("livestock", "case.open", "cases.case.handle")
            post_migrate.connect(
                alarm_actions.ensure_case_category, sender=self, dispatch_uid="livestock_case_category"
            )
        if apps.is_installed("shuxiang.warnings"):
            from shuxiang.warnings.registry import register_signal_type

            register_signal_type({"code": disease.SIGNAL_TYPE, **disease.SIGNAL_DEFAULTS}, order=100)
        if apps.is_installed("shuxiang.indicators"):
            from shuxiang.livestock import indicators  # noqa: F401  (registers the computed figures)
        register_menu(
            "畜牧水产",
            MenuItem("养殖场", "livestock:farm_list"),
            MenuItem("疫情报告", "livestock:outbreak_list"),
            MenuItem("养殖池塘", "fishery:pond_list"),
            MenuItem("渔业月报", "fishery:monthly"),
            MenuItem("冷库", "coldchain:store_list"),
            MenuItem("冷藏车", "coldchain:vehicle_list"),
            MenuItem("栏舍环境标准", "livestock:standards"),
            order=36,
        )
        alarm_actions.register()
