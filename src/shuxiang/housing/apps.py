from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class HousingConfig(AppConfig):
    name = "shuxiang.housing"
    label = "housing"
    verbose_name = "农房安全"

    def ready(self):
        from shuxiang.core.choices import Role
        from shuxiang.core.navigation import MenuItem, register_menu, register_pending
        from shuxiang.core.permissions import default_grant, define, system_grant
        from shuxiang.housing import casework, views

        define(None, "housing.renovation", "approve", "竣工验收")
        # Staff view houses, appraisals, renovations and inspections in their region by the core staff
        # rule; client roles get nothing. District roles keep the registry; townships and village
        # cadres register and change houses in their region, import them and accept renovations
        # (township only); grid workers and village cadres appraise and inspect on the phone.
        district = (Role.ADMIN, Role.DISTRICT, Role.DEPARTMENT)
        default_grant(district, "housing.house", ["add", "change", "export"])
        default_grant(district, "housing.appraisal", ["add", "export"])
        default_grant(district, "housing.renovation", ["change", "approve", "export"])
        default_grant(district, "housing.businessinspection", ["add", "change", "export"])
        default_grant(Role.TOWNSHIP, "housing.house", ["add", "change", "export"])
        default_grant(Role.TOWNSHIP, "housing.appraisal", ["add", "export"])
        default_grant(Role.TOWNSHIP, "housing.renovation", ["change", "approve", "export"])
        default_grant(Role.TOWNSHIP, "housing.businessinspection", ["add", "change", "export"])
        default_grant(Role.VILLAGE, "housing.house", ["add", "change"])
        default_grant((Role.VILLAGE, Role.GRID), "housing.appraisal", ["add"])
        default_grant(Role.VILLAGE, "housing.renovation", ["change"])
        default_grant((Role.VILLAGE, Role.GRID), "housing.businessinspection", ["add", "change"])
        # The housing system actor opens renovations for key households' dangerous houses, carries
        # them and rectifications on the case engine, and writes a household's housing grade.
        system_grant("housing", "housing.renovation.add", "housing.house.change")
        if apps.is_installed("shuxiang.cases"):
            system_grant("housing", "case.open", "case.accept", "case.handle", "case.close")
            post_migrate.connect(
                casework.ensure_case_categories, sender=self, dispatch_uid="housing_case_categories"
            )
            casework.register()
        if apps.is_installed("shuxiang.monitoring"):
            system_grant("housing", "monitoring.household.change")
        if apps.is_installed("shuxiang.indicators"):
            from shuxiang.housing import indicators  # noqa: F401  (registers the computed sources)

            post_migrate.connect(indicators.ensure_indicators, sender=self, dispatch_uid="housing_indicators")
        register_menu(
            "农房安全",
            MenuItem("农房台账", "housing:house_list"),
            MenuItem("危房改造", "housing:renovation_list"),
            MenuItem("经营性自建房", "housing:business_list"),
            MenuItem("农房导入", "housing:import", perm="housing.house.add"),
            order=45,
        )
        register_pending(views.pending)
