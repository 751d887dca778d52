"""Sample objects of core's URL-reachable models, for the scope walk."""

from shuxiang.core import audit, services
from shuxiang.core.actors import OPERATOR
from shuxiang.core.choices import PlaceKind, Role, UnitKind
from shuxiang.core.models import Attachment, AuditEntry, Person, Place, Unit, User
from shuxiang.testing import sample


@sample(Place)
def make_place(place, marker):
    village = place.parent
    code = f"{village.code}{Place.objects.filter(parent=village).count() + 10:02d}"
    return services.do_create_place(
        actor=OPERATOR, code=code, name=marker, level=4, kind=PlaceKind.HAMLET, parent=village
    )


@sample(Unit)
def make_unit(place, marker):
    return services.do_create_unit(
        actor=OPERATOR, name=marker, kind=UnitKind.VILLAGE_COMMITTEE, place=place.parent
    )


@sample(Person)
def make_person(place, marker):
    return services.do_create_person(actor=OPERATOR, name=marker, place=place, phone="13900001111")


@sample(User)
def make_user(place, marker):
    username = f"u{abs(hash(marker)) % 10**8}"
    return services.do_create_user(
        actor=OPERATOR,
        username=username,
        role=Role.GRID,
        place=place.parent,
        password="Sample-pass-1",
        display_name=marker,
    )


@sample(AuditEntry)
def make_audit_entry(place, marker):
    return audit.record(
        OPERATOR, "update", object_type="core.place", object_id=place.pk, object_repr=marker, place=place
    )


@sample(Attachment)
def make_attachment(place, marker):
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buf, format="PNG")
    buf.name = f"{marker}.png"
    from shuxiang.core.files import store_attachment

    return store_attachment(buf, owner=place, place=place, actor=OPERATOR, name=f"{marker}.png")
