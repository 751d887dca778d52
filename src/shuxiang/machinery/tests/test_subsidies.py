"""农机购置补贴: filed on a phone, checked, approved (machine registered) or returned, paid; one claim per serial."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from shuxiang.core.errors import ServiceError
from shuxiang.core.models import Person
from shuxiang.machinery import services
from shuxiang.machinery.models import Machine, SubsidyApplication

pytestmark = pytest.mark.django_db
ID = "430903199001011234"


def _id_number():
    from shuxiang.core.pii import id_check_char

    first = "43090319900101123"
    return first + id_check_char(first)


def claim(actor, place, serial="WD2026000123", **extra):
    fields = {
        "place": place,
        "applicant_name": "李秋生",
        "id_number": _id_number(),
        "kind": "harvester",
        "make": "沃得",
        "model": "4LZ-6.0EQ",
        "serial_number": serial,
        "implement_width_m": 2.2,
        "price": Decimal("128000"),
        "subsidy": Decimal("28000"),
    }
    fields.update(extra)
    return services.do_apply_subsidy(actor=actor, **fields)


def test_a_claim_goes_from_the_village_to_payment_and_the_machine_is_registered(places, cast):
    app = claim(cast.village_a, places.village_a)
    from django.db import connection

    with connection.cursor() as cursor:  # what the database holds: no ID number in clear
        cursor.execute("SELECT * FROM core_person WHERE id = %s", [app.applicant_id])
        stored = " ".join(str(v) for v in cursor.fetchone())
    assert _id_number() not in stored and Person.objects.get(pk=app.applicant_id).id_number == _id_number()
    services.do_check_subsidy(app, actor=cast.township_a)
    services.do_approve_subsidy(app, actor=cast.district)
    app.refresh_from_db()
    assert app.status == "approved" and app.machine.serial_number == "WD2026000123"
    assert Machine.objects.get(pk=app.machine_id).owner_name == "李秋生"
    services.do_pay_subsidy(app, actor=cast.district, amount="28000", paid_on=timezone.localdate())
    assert SubsidyApplication.objects.get(pk=app.pk).status == "paid"


def test_a_second_claim_for_the_same_serial_is_refused_until_the_first_is_returned(places, cast):
    first = claim(cast.village_a, places.village_a)
    with pytest.raises(ServiceError) as exc:
        claim(cast.grid_a, places.village_a)
    assert "serial_number" in exc.value.fields
    services.do_return_subsidy(first, actor=cast.township_a, reason="发票与机具铭牌不符")
    again = claim(cast.grid_a, places.village_a)
    assert again.status == "submitted" and SubsidyApplication.objects.count() == 2


def test_bad_claims_and_steps_out_of_order_or_role_write_nothing(places, cast):
    with pytest.raises(ServiceError) as exc:
        claim(cast.village_a, places.village_a, id_number="123", subsidy=Decimal("200000"), kind="ufo")
    assert {"id_number", "subsidy", "kind"} <= set(exc.value.fields)
    assert not SubsidyApplication.objects.exists()
    app = claim(cast.village_a, places.village_a)
    with pytest.raises(ServiceError):
        services.do_approve_subsidy(app, actor=cast.district)  # not checked yet
    with pytest.raises(Exception):  # noqa: B017  (Forbidden: a village may not check)
        services.do_check_subsidy(app, actor=cast.village_a)
    with pytest.raises(ServiceError):
        services.do_return_subsidy(app, actor=cast.township_a, reason="  ")
    services.do_check_subsidy(app, actor=cast.township_a)
    services.do_approve_subsidy(app, actor=cast.district)
    with pytest.raises(ServiceError):
        services.do_pay_subsidy(app, actor=cast.district, amount="99999", paid_on=timezone.localdate())
    with pytest.raises(ServiceError):
        services.do_pay_subsidy(
            app, actor=cast.district, amount="100", paid_on=timezone.localdate() + timedelta(days=3)
        )
    assert SubsidyApplication.objects.get(pk=app.pk).status == "approved"


def test_the_applicant_follows_the_claim_on_a_link_without_their_id(places, cast, client, client_for):
    app = claim(cast.village_a, places.village_a)
    page = client.get(f"/machinery/s/{app.status_token}/").content.decode()
    assert "待乡镇审核" in page and _id_number() not in page and "李秋生" not in page
    c = client_for(cast.township_a)
    c.post(f"/machinery/subsidies/{app.pk}/return/", {"reason": "缺发票照片"})
    assert "缺发票照片" in client.get(f"/machinery/s/{app.status_token}/").content.decode()
    assert client_for(cast.township_b).get(f"/machinery/subsidies/{app.pk}/").status_code == 404


def test_filing_on_a_phone_with_an_invoice_photo(places, cast, client_for):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, "JPEG")
    c = client_for(cast.grid_a)
    assert c.get("/machinery/subsidies/new/", HTTP_USER_AGENT="Mobile").status_code == 200
    response = c.post(
        "/machinery/subsidies/new/",
        {
            "place": places.village_a.code,
            "applicant_name": "张满仓",
            "id_number": _id_number(),
            "kind": "transplanter",
            "make": "久保田",
            "model": "2ZGQ-8D1",
            "serial_number": "KB-8D1-0042",
            "implement_width_m": "2.4",
            "price": "56000",
            "subsidy": "12000",
            "invoice": SimpleUploadedFile("invoice.jpg", buffer.getvalue(), content_type="image/jpeg"),
        },
    )
    assert response.status_code == 302
    app = SubsidyApplication.objects.get()
    detail = c.get(f"/machinery/subsidies/{app.pk}/").content.decode()
    assert "invoice" in detail and "待乡镇审核" in detail
    api = c.get("/api/v1/machinery/subsidies/")
    assert api.status_code == 200 and api.json()["results"][0]["applicant"] != "张满仓"
