from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class FarmlandConfig(AppConfig):
    name = "shuxiang.farmland"
    label = "farmland"
    verbose_name = "耕地与种植"

    def ready(self):
        from shuxiang.core.choices import Role
        from shuxiang.core.navigation import MenuItem, register_menu
        from shuxiang.core.permissions import default_grant, define, system_grant
        from shuxiang.farmland import cases_link, facilities, rules

        # Staff roles view and export every farmland object in their region by the core staff rule;
        # client roles get nothing. Layers are the natural-resources and agriculture bureaus' data:
        # importing them is a district duty. Plantings are declared by villages and grid workers (for
        # growers), patrols by field inspectors (grid workers, village cadres, township staff).
        define("farmland.import", "farmland.parcel", "import", "导入图层")
        district = (Role.ADMIN, Role.DISTRICT, Role.DEPARTMENT)
        field = (Role.TOWNSHIP, Role.VILLAGE, Role.GRID)
        default_grant(district, "farmland.parcel", ["import"])
        default_grant(district, "farmland.project", ["add", "change"])
        # Facilities are registered by the bureau and the townships that manage the projects; anybody in
        # the field reports a damaged one (which opens a repair case for the township).
        define("farmland.facility.report", "farmland.facility", "report", "报修")
        default_grant((*district, Role.TOWNSHIP), "farmland.facility", ["add"])
        default_grant((*district, *field), "farmland.facility", ["report"])
        default_grant((*district, *field), "farmland.planting", ["add"])
        default_grant((*district, *field), "farmland.patrolreport", ["add"])
        default_grant((*district, Role.TOWNSHIP), "farmland.finding", ["change"])
        default_grant(district, "farmland.findingrule", ["change"])
        default_grant((*district, *field), "farmland.riceseason", ["add", "change"])
        default_grant((*district, *field), "farmland.riceinput", ["add"])
        default_grant((*district, Role.TOWNSHIP), "farmland.seedlingfactory", ["add"])
        default_grant((*district, Role.TOWNSHIP), "farmland.seedlingbatch", ["add", "change"])
        # The monitoring run opens cases of its own type and notes on them, as the system actor.
        system_grant("farmland", "farmland.finding.add", "farmland.finding.change")
        system_grant("tasks", "farmland.riceseason.change")  # the daily rice-calendar reminders
        system_grant("tasks", "farmland.planting.add")  # plantings taken from machinery operations
        if apps.is_installed("shuxiang.cases"):
            system_grant("farmland", "case.open", "cases.case.handle")
            post_migrate.connect(
                cases_link.ensure_case_category, sender=self, dispatch_uid="farmland_case_category"
            )
            cases_link.register()
            post_migrate.connect(
                facilities.ensure_case_category, sender=self, dispatch_uid="farmland_facility_category"
            )
        facilities.register()
        # Air temperature for degree-day stages: weather stations' daily means (thermal.py), by a task.
        system_grant("tasks", "farmland.dailyairtemperature.add")
        if apps.is_installed("shuxiang.iot"):
            from shuxiang.farmland.thermal import STATION_KIND
            from shuxiang.iot.kinds import register_device_kind

            register_device_kind(STATION_KIND, "农业气象站")
        if apps.is_installed("shuxiang.warnings"):
            from shuxiang.core.actors import SYSTEM_LABELS, Actor
            from shuxiang.core.navigation import register_pending
            from shuxiang.farmland import rice_weather
            from shuxiang.warnings.registry import register_on_issued, register_signal_type

            register_signal_type(rice_weather.SIGNAL_TYPE, order=910)
            # A meteorological warning issued or imported drafts the rice stage advisory it calls for;
            # the bureau issues the draft as a person (the warnings engine's own gate).
            SYSTEM_LABELS.setdefault("rice", "水稻生育期气象提示起草")
            rice_weather.RICE = Actor.system("rice")
            system_grant("rice", "farmland.riceadvisory.add", "farmland.riceadvisory.change")
            default_grant(district, "farmland.riceadvisory", ["change"])
            register_on_issued(rice_weather.on_warning_issued)
            register_pending(rice_weather.pending_items)
        post_migrate.connect(rules.ensure_default_rules, sender=self, dispatch_uid="farmland_default_rules")
        if apps.is_installed("shuxiang.indicators"):
            from shuxiang.farmland import indicators  # noqa: F401  (registers the computed sources)
        register_menu(
            "耕地与种植",
            MenuItem("耕地保护", "farmland:home"),
            MenuItem("农田图层", "farmland:layer_index"),
            MenuItem("种植记录", "farmland:planting_list"),
            MenuItem("非农化非粮化问题", "farmland:finding_list"),
            MenuItem("高标准农田管护", "farmland:facility_list"),
            MenuItem("水稻平台", "farmland:rice_home"),
            MenuItem("育秧工厂", "farmland:seedling_home"),
            order=36,
        )
