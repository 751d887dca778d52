from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class EcologyConfig(AppConfig):
    name = "shuxiang.ecology"
    label = "ecology"
    verbose_name = "生态环境"

    def ready(self):
        from shuxiang.iot.kinds import register_device_kind

        register_device_kind("hj212_station", "水质在线监测站")
        register_device_kind("jt808_truck", "垃圾清运车北斗终端")

        from shuxiang.ecology import hj212_commands
        from shuxiang.iot.hj212_server import register_command_handler

        register_command_handler(hj212_commands)  # the HJ 212 listener sends and matches our commands

        from shuxiang.core.choices import STAFF_ROLES, Role
        from shuxiang.core.navigation import MenuItem, register_menu
        from shuxiang.core.permissions import default_grant, define, system_grant
        from shuxiang.ecology import case_actions, standards

        # Staff roles view points, samples, standards, sources and garbage collection in their region by
        # the core staff rule; client roles get nothing. Monitoring points, pollution sources and the
        # standards' limits are district duties (生态环境分局, 农业农村局); samples are entered by them and
        # by township environment officers; collection points are kept by townships, and every emptying
        # is recorded by whoever sees it done — township, village cadre, grid worker.
        keepers = (Role.ADMIN, Role.DISTRICT, Role.DEPARTMENT)
        # The standards, their limits and the factor table are county-wide reference data (not scoped).
        for reference in (
            "ecology.standard",
            "ecology.limit",
            "ecology.factor",
            "ecology.beautyitem",
            "ecology.river",
        ):
            default_grant(STAFF_ROLES, reference, ["view"])
        default_grant((Role.ADMIN, Role.DISTRICT), "ecology.standard", ["add", "change"])
        # the county's 美丽屋场 checklist is loaded from its file by the district (replaces the placeholders)
        default_grant((Role.ADMIN, Role.DISTRICT), "ecology.beautyitem", ["change"])
        # the river network (水系) for tracing is loaded from the county's file by the district
        default_grant((Role.ADMIN, Role.DISTRICT), "ecology.river", ["change"])
        default_grant(keepers, "ecology.monitoringpoint", ["add", "change"])
        default_grant((*keepers, Role.TOWNSHIP), "ecology.sample", ["add"])
        default_grant(keepers, "ecology.pollutionsource", ["add", "change"])
        # The forest layer (林业资源数据库) is the forestry bureau's annual file: the district's staff load
        # it; everyone on the staff sees the stands of their region.
        define("ecology.forest_import", "ecology.foreststand", "import", "导入图层")
        default_grant(keepers, "ecology.foreststand", ["import"])
        # Commands to an online station (set its clock, its password, start real-time data) are the
        # district's: they change what the station does. `hj212 serve` moves them on as the listener.
        default_grant(keepers, "ecology.stationcommand", ["add"])
        system_grant("listener", "ecology.stationcommand.change")
        default_grant((*keepers, Role.TOWNSHIP), "ecology.collectionpoint", ["add", "change"])
        default_grant((*keepers, Role.TOWNSHIP, Role.VILLAGE, Role.GRID), "ecology.collectionrecord", ["add"])
        # Garbage trucks are run by the township's sanitation station or the district's contractor: the
        # township and the district register them and fit their JT/T 808 terminals (as collection points).
        default_grant((*keepers, Role.TOWNSHIP), "ecology.truck", ["add", "change"])
        # 美丽屋场 assessments are the township's (and the district's) to score, village by village.
        default_grant((*keepers, Role.TOWNSHIP), "ecology.beautyassessment", ["add", "change"])
        # The platform acting for ecology: cases for exceedances and overdue collections, lines on them,
        # and the hourly look at which collection points are overdue.
        if apps.is_installed("shuxiang.cases"):
            system_grant("ecology", "case.open", "case.handle", "ecology.collectionpoint.view")
            post_migrate.connect(
                case_actions.ensure_case_categories, sender=self, dispatch_uid="ecology_case_categories"
            )
        post_migrate.connect(standards.ensure_standards, sender=self, dispatch_uid="ecology_standards")
        if apps.is_installed("shuxiang.indicators"):
            from shuxiang.ecology import indicators  # noqa: F401  (registers the computed sources)
        register_menu(
            "生态环境",
            MenuItem("水质监测", "ecology:index"),
            MenuItem("水质样品", "ecology:sample_list"),
            MenuItem("生态一张图", "ecology:map"),
            MenuItem("污染源", "ecology:source_list"),
            MenuItem("林地小班", "ecology:forest_list"),
            MenuItem("水系表", "ecology:river_list"),
            MenuItem("垃圾收运", "sanitation:index"),
            MenuItem("清运车辆", "sanitation:truck_list"),
            MenuItem("美丽屋场", "sanitation:beauty_list"),
            MenuItem("美丽屋场细则", "sanitation:beauty_items"),
            order=37,
        )
        case_actions.register()
