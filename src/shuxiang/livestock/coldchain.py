"""Writes of cold stores and refrigerated vehicles: a store with its temperature logger, a vehicle
with its JT/T 808 terminal, each with the class's excursion rule (data/standards.yaml); lots going in
and out of a store (occupancy never past capacity), onto and off a vehicle (never past its load)."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from shuxiang.core import audit
from shuxiang.core.errors import ServiceError
from shuxiang.core.permissions import require
from shuxiang.iot import services as iot
from shuxiang.livestock import standards
from shuxiang.livestock.choices import ColdClass
from shuxiang.livestock.models import ColdStore, ColdVehicle
from shuxiang.livestock.services import ALARM_ACTIONS, _fail, _number, _place, _producer, into_iot


@transaction.atomic
def do_create_cold_store(
    *, actor, code, name, producer, place, temp_class, capacity_t, occupied_t=0, device_code=None
) -> ColdStore:
    place = _place(place)
    require(actor, "livestock.coldstore.add", place)
    errors = {}
    producer = _producer(producer, errors)
    if not (code or "").strip():
        errors["code"] = ["冷库编码必填"]
    elif ColdStore.objects.filter(code=code.strip()).exists():
        errors["code"] = [f"冷库编码 {code} 已存在"]
    if not (name or "").strip():
        errors["name"] = ["名称必填"]
    if temp_class not in ColdClass.values:
        errors["temp_class"] = ["温区无效"]
    capacity = _number({"capacity_t": capacity_t}, errors, "capacity_t", "库容", positive=True)
    occupied = _number({"occupied_t": occupied_t}, errors, "occupied_t", "在库量")
    if capacity and occupied is not None and occupied > capacity:
        errors["occupied_t"] = ["在库量不能超过库容"]
    if errors:
        _fail("invalid", "冷库信息有误", errors)
    store = ColdStore(
        code=code.strip(),
        name=name.strip(),
        producer=producer,
        place=place,
        temp_class=temp_class,
        capacity_t=capacity,
        occupied_t=occupied,
        latitude=place.latitude,
        longitude=place.longitude,
    )
    if device_code:
        cls = standards.cold_class(temp_class)
        store.device, _ = iot.do_register_device(
            actor=into_iot(actor),
            code=device_code,
            protocol="mqtt",
            place=place,
            name=f"{store.name}温度记录仪",
            kind="cold_logger",
            sensors=[{"key": "T", "name": "库温", "unit": "℃", "min_value": -60, "max_value": 50}],
        )
        iot.do_create_rule(
            actor=into_iot(actor),
            device=store.device,
            name="库温超标",
            key="T",
            kind="above",
            threshold=cls["limit"],
            duration_minutes=cls["minutes"],
            severity="major",
            actions=["livestock.cold_excursion", *ALARM_ACTIONS],
        )
    store.save()
    audit.record_create(actor, store)
    return store


@transaction.atomic
def do_store_lot(store: ColdStore, *, actor, lot, quantity_t, stored_at=None):
    """A traceability lot goes into the store (occupancy rises; never past capacity)."""
    from shuxiang.livestock.models import StoredLot

    require(actor, "livestock.coldstore.change", store)
    errors = {}
    quantity = _number({"q": quantity_t}, errors, "q", "数量", positive=True)
    if errors:
        _fail("invalid", "入库信息有误", {"quantity_t": errors["q"]})
    current = ColdStore.objects.select_for_update().values_list("occupied_t", flat=True).get(pk=store.pk)
    if current + quantity > store.capacity_t:
        _fail(
            "over_capacity",
            f"{store.name}剩余库容 {store.capacity_t - current:g} 吨，放不下 {quantity:g} 吨",
            {"quantity_t": ["超过剩余库容"]},
        )
    stay = StoredLot.objects.create(
        store=store, lot=lot, quantity_t=quantity, stored_at=stored_at or timezone.now()
    )
    ColdStore.objects.filter(pk=store.pk).update(occupied_t=F("occupied_t") + quantity)
    store.refresh_from_db(fields=["occupied_t"])
    audit.record_create(actor, stay)
    return stay


@transaction.atomic
def do_remove_lot(stay, *, actor, removed_at=None):
    require(actor, "livestock.coldstore.change", stay.store)
    if stay.removed_at is not None:
        _fail("already_removed", "该批次已出库", {})
    before = audit.snapshot(stay)
    stay.removed_at = removed_at or timezone.now()
    stay.save(update_fields=["removed_at"])
    ColdStore.objects.filter(pk=stay.store_id).update(occupied_t=F("occupied_t") - stay.quantity_t)
    audit.record_update(actor, stay, before)
    return stay


# --- refrigerated vehicles (冷藏车) -----------------------------------------------------------------

VEHICLE_TEMP_KEY = "cargo_temp"  # the JT/T 808 vendor item 0xE3 (iot.jt808.VENDOR_EXTRAS)
PLATE_RE = r"^[\u4e00-\u9fa5][A-Z][A-Z0-9]{5,6}$"


@transaction.atomic
def do_register_vehicle(
    *, actor, plate, name, producer, place, temp_class, capacity_t, terminal=None
) -> ColdVehicle:
    """A refrigerated vehicle and, with `terminal` (the phone number in its JT/T 808 header: 12
    digits for a 2013 terminal, 20 for 2019), the terminal as an iot device of kind `cold_vehicle` and
    the class's excursion rule on its cargo temperature."""
    import re

    place = _place(place)
    require(actor, "livestock.coldvehicle.add", place)
    errors = {}
    producer = _producer(producer, errors)
    plate = (plate or "").strip().upper()
    if not plate:
        errors["plate"] = ["车牌号必填"]
    elif not re.match(PLATE_RE, plate):
        errors["plate"] = ["车牌号格式应如 湘H12345"]
    elif ColdVehicle.objects.filter(plate=plate).exists():
        errors["plate"] = [f"车牌 {plate} 已登记"]
    if not (name or "").strip():
        errors["name"] = ["名称必填"]
    if temp_class not in ColdClass.values:
        errors["temp_class"] = ["温区无效"]
    capacity = _number({"capacity_t": capacity_t}, errors, "capacity_t", "载重", positive=True)
    if errors:
        _fail("invalid", "冷藏车信息有误", errors)
    vehicle = ColdVehicle(
        plate=plate,
        name=name.strip(),
        producer=producer,
        place=place,
        temp_class=temp_class,
        capacity_t=capacity,
    )
    if terminal:
        cls = standards.cold_class(temp_class)
        try:
            vehicle.device, _ = iot.do_register_device(
                actor=into_iot(actor),
                code=terminal,
                protocol="jt808",
                place=place,
                name=f"冷藏车 {plate} 车载终端",
                kind="cold_vehicle",
            )
        except ServiceError as exc:
            # the terminal's fields under the vehicle form's name for them
            raise ServiceError(
                exc.code, exc.message, {"terminal": exc.fields.get("code", [exc.message])}
            ) from None
        iot.do_create_rule(
            actor=into_iot(actor),
            device=vehicle.device,
            name="车厢温度超标",
            key=VEHICLE_TEMP_KEY,
            kind="above",
            threshold=cls["limit"],
            duration_minutes=cls["minutes"],
            severity="major",
            actions=["livestock.cold_excursion", *ALARM_ACTIONS],
        )
    vehicle.save()
    audit.record_create(actor, vehicle)
    return vehicle


def _lot_of(lot, actor):
    """A lot object, or its lot number looked up among the lots the actor may see."""
    from shuxiang.trace.models import Lot

    if isinstance(lot, Lot):
        return lot
    number = str(lot or "").strip()
    found = Lot.objects.restrict(actor).filter(lot_number=number).first() if number else None
    if found is None:
        _fail(
            "invalid", "批次不存在", {"lot": [f"没有批次号为“{number}”的批次" if number else "请填写批次号"]}
        )
    return found


@transaction.atomic
def do_load_lot(vehicle: ColdVehicle, *, actor, lot, quantity_t, destination="", loaded_at=None):
    """A traceability lot goes onto the vehicle (never past its load capacity)."""
    from shuxiang.livestock.models import VehicleLoad

    require(actor, "livestock.coldvehicle.change", vehicle)
    errors = {}
    quantity = _number({"q": quantity_t}, errors, "q", "数量", positive=True)
    if errors:
        _fail("invalid", "装车信息有误", {"quantity_t": errors["q"]})
    lot = _lot_of(lot, actor)
    ColdVehicle.objects.select_for_update().filter(pk=vehicle.pk).first()
    on_board = sum(
        VehicleLoad.objects.filter(vehicle=vehicle, unloaded_at__isnull=True).values_list(
            "quantity_t", flat=True
        )
    )
    if on_board + quantity > vehicle.capacity_t:
        _fail(
            "over_capacity",
            f"{vehicle.plate}剩余载重 {vehicle.capacity_t - on_board:g} 吨，装不下 {quantity:g} 吨",
            {"quantity_t": ["超过剩余载重"]},
        )
    if VehicleLoad.objects.filter(vehicle=vehicle, lot=lot, unloaded_at__isnull=True).exists():
        _fail("already_loaded", f"批次 {lot.lot_number} 已在车上", {"lot": ["已在车上"]})
    load = VehicleLoad.objects.create(
        vehicle=vehicle,
        lot=lot,
        quantity_t=quantity,
        destination=(destination or "").strip()[:100],
        loaded_at=loaded_at or timezone.now(),
    )
    audit.record_create(actor, load)
    return load


@transaction.atomic
def do_unload_lot(load, *, actor, unloaded_at=None):
    require(actor, "livestock.coldvehicle.change", load.vehicle)
    if load.unloaded_at is not None:
        _fail("already_unloaded", "该批次已卸车", {})
    before = audit.snapshot(load)
    load.unloaded_at = unloaded_at or timezone.now()
    load.save(update_fields=["unloaded_at"])
    audit.record_update(actor, load, before)
    return load
