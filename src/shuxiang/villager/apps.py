from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class VillagerConfig(AppConfig):
    name = "shuxiang.villager"
    label = "villager"
    verbose_name = "便民服务"

    def ready(self):
        from shuxiang.core.choices import Role
        from shuxiang.core.navigation import MenuItem, register_menu, register_pending
        from shuxiang.core.permissions import anonymous_grant, default_grant, define, system_grant

        define(None, "villager.posting", "moderate", "审核")
        define(None, "villager.posting", "exchange", "转产权交易")
        # The needs market: anyone may browse, post (into the queue), contact a poster and report abuse
        # without an account. Township officers and village cadres moderate in their region (and post
        # for villagers, published at once); grid workers post for villagers into the queue.
        anonymous_grant("public", "villager.posting.add", "villager.inquiry.add", "villager.report.add")
        moderators = (Role.ADMIN, Role.DISTRICT, Role.TOWNSHIP, Role.VILLAGE)
        default_grant(moderators, "villager.posting", ["add", "change", "moderate"])
        default_grant(Role.GRID, "villager.posting", ["add"])
        # A land-rental need goes to the property-rights exchange through the village (with the
        # holder's consent) or the township; the exchange's own grant (land.listing.add) is checked too.
        default_grant(moderators, "villager.posting", ["exchange"])
        default_grant((*moderators, Role.GRID), "villager.inquiry", ["add"])
        default_grant((*moderators, Role.GRID), "villager.report", ["add", "change"])
        # Employment monitoring: the human-resources bureau (a department) imports its sheets, cadres
        # update people on the phone; courses are run by the bureau and the townships.
        recorders = (Role.ADMIN, Role.DISTRICT, Role.DEPARTMENT, Role.TOWNSHIP, Role.VILLAGE, Role.GRID)
        default_grant(recorders, "villager.employmentrecord", ["add", "change"])
        trainers = (Role.ADMIN, Role.DISTRICT, Role.DEPARTMENT, Role.TOWNSHIP)
        default_grant(trainers, "villager.trainingcourse", ["add", "change"])
        default_grant(trainers, "villager.enrollment", ["add", "change"])
        system_grant("tasks", "villager.posting.change", "villager.visitcount.add")
        # Culture and tourism: the culture-and-tourism bureau (a department) and the townships keep the
        # registries; village cadres and grid workers inspect relics and enter visitor counts.
        keepers = (Role.ADMIN, Role.DISTRICT, Role.DEPARTMENT, Role.TOWNSHIP)
        default_grant(keepers, "villager.heritageitem", ["add", "change"])
        default_grant(keepers, "villager.touristsite", ["add", "change"])
        default_grant((*keepers, Role.VILLAGE, Role.GRID), "villager.inspection", ["add"])
        default_grant((*keepers, Role.VILLAGE), "villager.visitcount", ["add", "change"])
        if apps.is_installed("shuxiang.cases"):
            from shuxiang.villager import culture

            post_migrate.connect(
                culture.ensure_case_categories, sender=self, dispatch_uid="villager_case_categories"
            )
        if apps.is_installed("shuxiang.warnings"):
            from shuxiang.villager import health
            from shuxiang.warnings.registry import register_signal_type

            register_signal_type(health.SIGNAL_TYPE, order=900)
        if apps.is_installed("shuxiang.indicators"):
            from shuxiang.villager import indicators  # noqa: F401  (registers the computed figures)
        from shuxiang.villager import pending, tasks  # noqa: F401  (tasks: the nightly expiry)

        register_pending(pending.pending_items)
        register_menu(
            "便民服务",
            MenuItem("需求集市审核", "villager:queue"),
            MenuItem("需求信息", "villager:posting_list"),
            MenuItem("就业监测", "villager:employment"),
            MenuItem("技能培训", "villager:course_list"),
            MenuItem("非遗与文物", "villager:culture_manage"),
            MenuItem("旅游点", "villager:tourism_manage"),
            MenuItem("卫生健康提示", "villager:health_notice"),
            order=60,
        )
