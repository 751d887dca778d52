"""Domain apps add their own signal types through the engine's registry, never the other way round."""


def test_the_types_apps_register_exist_and_a_countys_edit_stays(db):
    from shuxiang.warnings.apps import ensure_signal_types
    from shuxiang.warnings.models import SignalType
    from shuxiang.warnings.registry import registered

    codes = {row["code"] for row in registered()}
    assert {"farm_price", "animal_epidemic"} <= codes  # markets and livestock registered theirs
    assert set(SignalType.objects.filter(code__in=codes).values_list("code", flat=True)) == codes

    SignalType.objects.filter(code="farm_price").update(name="价格提示")  # the county renamed it
    SignalType.objects.filter(code="animal_epidemic").delete()  # as after a flush
    ensure_signal_types()
    assert SignalType.objects.get(code="farm_price").name == "价格提示"
    assert SignalType.objects.get(code="animal_epidemic").name == "动物疫情"
