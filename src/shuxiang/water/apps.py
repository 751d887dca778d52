from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class WaterConfig(AppConfig):
    name = "shuxiang.water"
    label = "water"
    verbose_name = "水利"

    def ready(self):
        from shuxiang.core.choices import Role
        from shuxiang.core.navigation import MenuItem, register_menu
        from shuxiang.core.permissions import default_grant, define, system_grant
        from shuxiang.iot.kinds import register_device_kind
        from shuxiang.water import alarm_actions

        # Short names kept for the actions people know them by.
        define("water.change", "water.reservoir", "change")
        define("water.maintain", "water.pumpstation", "maintain", "记录维护")
        # Staff roles view reservoirs and pump stations in their region by the core staff rule; client
        # roles (bank, producer, gateway, feed) get nothing here. Registering stations (with their iot
        # devices and rules) and changing a reservoir's characteristic levels are district-wide duties;
        # townships also record pump maintenance.
        keepers = (Role.ADMIN, Role.DISTRICT, Role.DEPARTMENT)
        default_grant(keepers, "water.reservoir", ["add", "change"])
        default_grant(keepers, "water.pumpstation", ["add", "change", "maintain"])
        default_grant(Role.TOWNSHIP, "water.pumpstation", ["maintain"])
        # The alarm actions run as the system actor "water": cases and warnings declare its grants
        # (cases.case.add, warnings.warning.add) next to their own; a repeated or cleared alarm is a
        # line on the case it opened, which is a handler's step (cases.case.handle).
        if apps.is_installed("shuxiang.cases"):
            system_grant("water", "cases.case.handle")
            post_migrate.connect(
                alarm_actions.ensure_case_category, sender=self, dispatch_uid="water_case_category"
            )
        if apps.is_installed("shuxiang.indicators"):
            from shuxiang.water import indicators  # noqa: F401  (registers the telemetry counts)
        register_menu(
            "水利",
            MenuItem("水库水情", "water:reservoir_list"),
            MenuItem("泵站", "water:pump_list"),
            order=35,
        )
        alarm_actions.register()
        register_device_kind("reservoir_rtu", "水库遥测站")
        register_device_kind("pump", "泵站监测终端")
