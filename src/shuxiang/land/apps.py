from django.apps import AppConfig, apps


class LandConfig(AppConfig):
    name = "shuxiang.land"
    label = "land"
    verbose_name = "土地与集体经济"

    def ready(self):
        from shuxiang.core.navigation import MenuItem, register_menu, register_pending
        from shuxiang.land import (
            permissions,  # noqa: F401  (grants)
            proof,
        )

        if apps.is_installed("shuxiang.ledger"):
            from shuxiang.ledger import services as ledger

            ledger.register_source(proof.STREAM, proof.fetch, proof.every)
        if apps.is_installed("shuxiang.indicators"):
            from shuxiang.land import indicators  # noqa: F401  (registers the computed sources)
        register_pending(pending)
        register_menu(
            "土地与集体经济",
            MenuItem("地块", "land:parcel_list"),
            MenuItem("承包合同", "land:contract_list"),
            MenuItem("土地流转", "land:transfer_list"),
            MenuItem("产权交易", "land:listing_list"),
            MenuItem("股份合作社", "land:coop_list"),
            MenuItem("村集体收支", "land:finance_list"),
            MenuItem("发布财务公开", "land:disclose"),
            order=45,
        )


def pending(user):
    """Home-page reminders: transfers ending within 90 days, dividend runs awaiting this user's approval."""
    from django.urls import reverse

    from shuxiang.core.navigation import PendingItem
    from shuxiang.core.permissions import has_perm
    from shuxiang.land.models import Distribution, Transfer
    from shuxiang.land.services import expiring

    items = []
    if has_perm(user, "land.transfer.change"):
        n = expiring(Transfer.objects.restrict(user)).count()
        if n:
            items.append(
                PendingItem(
                    "90天内到期的土地流转合同", n, reverse("land:transfer_list") + "?expiring=true", "warning"
                )
            )
    for perm, status, title in (
        ("land.distribution.approve", "computed", "待村审批的分红方案"),
        ("land.distribution.confirm", "village", "待乡镇审批的分红方案"),
    ):
        if has_perm(user, perm):
            n = Distribution.objects.restrict(user).filter(status=status).count()
            if n:
                items.append(PendingItem(title, n, reverse("land:coop_list"), "info"))
    from shuxiang.land.models import Member

    for perm, status, title in (
        ("land.member.approve", "proposed", "待村审核的合作社成员"),
        ("land.member.confirm", "village", "待乡镇审核的合作社成员"),
    ):
        if has_perm(user, perm):
            n = Member.objects.restrict(user).filter(status=status).count()
            if n:
                items.append(PendingItem(title, n, reverse("land:coop_list"), "info"))
    return items
