from django.apps import AppConfig


class WaterConfig(AppConfig):
    name = "shuxiang.water"
    label = "water"
    verbose_name = "水利"

    def ready(self):
        from shuxiang.core.choices import Role
        from shuxiang.core.navigation import MenuItem, register_menu
        from shuxiang.core.permissions import grant
        from shuxiang.water import alarm_actions

        grant(Role.ADMIN, "water.change", "water.maintain")
        grant(Role.DISTRICT, "water.change", "water.maintain")
        grant(Role.DEPARTMENT, "water.change", "water.maintain")
        grant(Role.TOWNSHIP, "water.maintain")
        register_menu(
            "水利",
            MenuItem("水库水情", "water:reservoir_list"),
            MenuItem("泵站", "water:pump_list"),
            order=35,
        )
        alarm_actions.register()
