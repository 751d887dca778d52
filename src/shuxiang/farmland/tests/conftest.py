import pytest

from shuxiang.farmland.tests.layerfiles import import_fields, lonlat_field


@pytest.fixture
def fields_a(places):
    """Three permanent-farmland polygons in 清水村 (泉交河镇): P0001–P0003, ~1 ha each."""
    import_fields(
        places.village_a,
        "permanent",
        [lonlat_field(0.000, 0.0), lonlat_field(0.002, 0.0), lonlat_field(0.004, 0.0)],
        prefix="P",
    )
    from shuxiang.farmland.models import Parcel

    return list(Parcel.objects.filter(kind="permanent", place=places.village_a).order_by("code"))


@pytest.fixture
def field_b(places):
    """One permanent-farmland polygon in 荷花村 (兰溪镇)."""
    import_fields(places.village_b, "permanent", [lonlat_field(0.0, 0.0, lng=112.52, lat=28.69)], prefix="B")
    from shuxiang.farmland.models import Parcel

    return Parcel.objects.get(code="B0001")
