from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class GovernanceConfig(AppConfig):
    name = "shuxiang.governance"
    label = "governance"
    verbose_name = "基层治理"

    def ready(self):
        from shuxiang.core.choices import Role
        from shuxiang.core.navigation import MenuItem, register_menu
        from shuxiang.core.permissions import default_grant, system_grant
        from shuxiang.governance import services  # noqa: F401  (registers the on-behalf label)

        # Staff see grids and patrols in their region by the core staff rule; client roles get nothing.
        # Townships and district roles draw grids and name their workers; grid workers and village
        # cadres log patrols (a worker only on their own grids, checked in the service).
        default_grant(
            (Role.ADMIN, Role.DISTRICT, Role.TOWNSHIP), "governance.grid", ["add", "change", "export"]
        )
        default_grant((Role.ADMIN, Role.DISTRICT, Role.TOWNSHIP), "governance.patrol", ["export"])
        default_grant((Role.GRID, Role.VILLAGE), "governance.patrol", ["add"])
        # Mediation: village cadres, township officers and district roles register and mediate disputes;
        # grid workers register what they hear of. The governance system actor carries the case steps.
        default_grant(
            (Role.ADMIN, Role.DISTRICT, Role.TOWNSHIP, Role.VILLAGE), "governance.dispute", ["add", "change"]
        )
        default_grant((Role.ADMIN, Role.DISTRICT, Role.TOWNSHIP), "governance.dispute", ["export"])
        default_grant(Role.GRID, "governance.dispute", ["add"])
        # Legal help: townships and the district appoint advisers; cadres and grid workers book
        # consultations for villagers and record the adviser's answer (advisers have no account).
        default_grant(
            (Role.ADMIN, Role.DISTRICT, Role.TOWNSHIP), "governance.legaladviser", ["add", "change"]
        )
        default_grant(
            (Role.ADMIN, Role.DISTRICT, Role.TOWNSHIP, Role.VILLAGE, Role.GRID),
            "governance.consultation",
            ["add"],
        )
        default_grant(
            (Role.ADMIN, Role.DISTRICT, Role.TOWNSHIP, Role.VILLAGE), "governance.consultation", ["change"]
        )
        # Village cadres keep the party meetings and village decisions; townships and the district too.
        # Branches and their rolls (members masked everywhere) likewise.
        for object_type in (
            "governance.partymeeting",
            "governance.villagedecision",
            "governance.partybranch",
            "governance.partymember",
        ):
            default_grant(
                (Role.ADMIN, Role.DISTRICT, Role.TOWNSHIP, Role.VILLAGE), object_type, ["add", "change"]
            )
        if apps.is_installed("shuxiang.cases"):
            from shuxiang.governance import mediation

            system_grant("governance", "case.accept", "case.handle", "case.close")
            post_migrate.connect(
                mediation.ensure_case_category, sender=self, dispatch_uid="governance_mediation"
            )
            mediation.register()
        if apps.is_installed("shuxiang.warnings"):
            from shuxiang.governance import awareness
            from shuxiang.warnings.registry import register_signal_type

            register_signal_type(awareness.SIGNAL_TYPE, order=910)
        if apps.is_installed("shuxiang.indicators"):
            from shuxiang.governance import indicators

            post_migrate.connect(
                indicators.ensure_indicators, sender=self, dispatch_uid="governance_indicators"
            )
        register_menu(
            "基层治理",
            MenuItem("网格与巡查", "governance:grid_list"),
            MenuItem("矛盾纠纷调解", "governance:dispute_list"),
            MenuItem("法律咨询", "governance:consultation_list"),
            MenuItem("党务村务", "governance:decision_list"),
            MenuItem("党组织与党员", "governance:branch_list"),
            MenuItem(
                "反诈普法提示", "governance:awareness_notice", perm="warnings.warning.add", domain="warnings"
            ),
            order=46,
        )
