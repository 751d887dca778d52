import io
import re

import pytest
from openpyxl import Workbook

from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import AuditEntry, Person
from shuxiang.housing import services
from shuxiang.housing.models import House
from shuxiang.housing.tests.helpers import house, id_number, photo


def xlsx(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


HEADER = [
    "房屋编码",
    "村民小组代码",
    "门牌地址",
    "户主姓名",
    "户主身份证号",
    "户编号",
    "结构类型",
    "层数",
    "建成年份",
    "建筑面积",
    "用途",
    "经营类型",
    "经营名称",
    "重点对象类别",
]


def test_a_house_gets_its_hamlet_s_next_code_and_edits_are_audited(places):
    first = house(places.hamlet_a)
    second = house(places.hamlet_a)
    assert first.code == places.hamlet_a.code + "-0001" and second.code == places.hamlet_a.code + "-0002"
    services.do_update_house(first, actor=OPERATOR, floors=3, use="business", business_kind="restaurant")
    entry = AuditEntry.objects.filter(
        object_type="housing.house", object_id=str(first.pk), action="update"
    ).latest("at")
    assert "floors" in entry.changes and "use" in entry.changes


def test_a_house_is_registered_in_a_hamlet_only(places):
    with pytest.raises(ServiceError) as exc:
        house(places.village_a)
    assert "place" in exc.value.fields and not House.objects.exists()


def test_a_house_in_two_households_is_refused(places):
    from shuxiang.monitoring import services as monitoring

    one = monitoring.do_create_household(
        actor=OPERATOR,
        place=places.hamlet_a,
        category="ordinary",
        members=[{"name": "周一", "id_number": id_number(11), "relation": "head"}],
    )
    other = monitoring.do_create_household(
        actor=OPERATOR,
        place=places.hamlet_a,
        category="ordinary",
        members=[{"name": "周二", "id_number": id_number(12), "relation": "head"}],
    )
    owner = one.members.get().person
    with pytest.raises(ServiceError) as exc:
        services.do_register_house(
            actor=OPERATOR, place=places.hamlet_a, structure="frame", floors=2, owner=owner, household=other
        )
    assert "两户" in exc.value.fields["household"][0]
    assert not House.objects.exists()


def test_a_wrong_owner_id_number_is_refused_and_nothing_is_written(places):
    with pytest.raises(ServiceError) as exc:
        house(places.hamlet_a, owner_name="张三", owner_id_number="430903198001010000")
    assert "owner_id_number" in exc.value.fields
    assert not House.objects.exists() and not Person.objects.filter(name="张三").exists()


def test_an_owner_is_stored_as_a_person_with_the_id_number_encrypted(places, cast, client_for):
    number = id_number(21)
    h = house(places.hamlet_a, owner_name="刘春花", owner_id_number=number)
    assert h.owner.name == "刘春花" and h.owner.id_number_digest
    page = client_for(cast.township_a).get(f"/housing/houses/{h.code}/").content.decode()
    assert "刘春花" in page and number not in page and number[:6] in page


def test_import_writes_every_row_or_none(places, cast, client_for):
    web = client_for(cast.township_a)
    good = xlsx(
        [
            HEADER,
            [
                "",
                places.hamlet_a.code,
                "清水村1组3号",
                "陈建国",
                id_number(31),
                "",
                "砖混",
                2,
                1998,
                120.5,
                "自住",
                "",
                "",
                "低保",
            ],
            [
                "",
                places.hamlet_a.code,
                "清水村1组5号",
                "陈小红",
                id_number(32),
                "",
                "框架结构",
                3,
                2012,
                260,
                "自住兼经营",
                "民宿",
                "清水人家",
                "",
            ],
        ]
    )
    bad = xlsx(
        [
            HEADER,
            [
                "",
                places.hamlet_a.code,
                "甲",
                "甲",
                id_number(33),
                "",
                "砖混",
                2,
                1998,
                "",
                "自住",
                "",
                "",
                "",
            ],
            [
                "",
                places.hamlet_a.code,
                "乙",
                "乙",
                "4309031980",
                "",
                "砖混",
                30,
                1998,
                "",
                "自住",
                "",
                "",
                "",
            ],
            [
                "",
                places.hamlet_b.code,
                "丙",
                "丙",
                id_number(34),
                "",
                "砖混",
                2,
                1998,
                "",
                "自住",
                "",
                "",
                "",
            ],
        ]
    )
    r = web.post("/housing/import/", {"file": _upload("bad.xlsx", bad)})
    text = r.content.decode()
    assert r.status_code == 200 and "第3行" in text and "第4行" in text and "未写入任何数据" in text
    assert not House.objects.exists() and not Person.objects.filter(name="甲").exists()
    r = web.post("/housing/import/", {"file": _upload("good.xlsx", good)})
    assert r.status_code == 302
    houses = {h.address: h for h in House.objects.all()}
    assert (
        houses["清水村1组3号"].key_group == "dibao" and houses["清水村1组3号"].structure == "brick_concrete"
    )
    assert houses["清水村1组5号"].is_business and houses["清水村1组5号"].business_kind == "homestay"
    # the same file with codes updates, not duplicates
    code = houses["清水村1组3号"].code
    again = xlsx(
        [
            HEADER,
            [
                code,
                places.hamlet_a.code,
                "清水村1组3号",
                "陈建国",
                id_number(31),
                "",
                "砖混",
                3,
                1998,
                120.5,
                "自住",
                "",
                "",
                "低保",
            ],
        ]
    )
    assert web.post("/housing/import/", {"file": _upload("again.xlsx", again)}).status_code == 302
    assert House.objects.count() == 2 and House.objects.get(code=code).floors == 3


def _upload(name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_qr_plate_sheet_for_a_village(places, cast, client_for):
    for _ in range(9):
        house(places.hamlet_a)
    web = client_for(cast.township_a)
    r = web.get(f"/housing/plates.pdf?place={places.village_a.code}")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page(?!s)", r.content)) == 2  # 8 plates a page
    # another township's village is not printed for this officer
    assert web.get(f"/housing/plates.pdf?place={places.village_b.code}").status_code == 400


def test_list_map_and_detail_pages_render_for_a_phone_user(places, cast, client_for):
    h = house(places.hamlet_a, photos=[photo()], address="清水村1组8号")
    web = client_for(cast.grid_a)
    page = web.get("/housing/?grade=none").content.decode()
    assert h.code in page and 'name="viewport"' in page
    data = web.get("/housing/map.json?grade=none").json()
    assert data["houses"][0]["code"] == h.code
    detail = web.get(f"/housing/houses/{h.code}/").content.decode()
    assert "<svg" in detail and "清水村1组8号" in detail and "安全鉴定" in detail


def test_the_plate_s_vector_qr_draws_exactly_the_code_of_the_house_s_page():
    import segno

    from shuxiang.housing import plates

    class Recorder:
        def __init__(self):
            self.literal = ""

        def addLiteral(self, text):  # noqa: N802 (reportlab's name)
            self.literal += text

        def __getattr__(self, name):
            return lambda *a, **k: None

    pdf = Recorder()
    code = "43090310320101-0007"
    plates._draw_qr(pdf, code, 0, 0, 100)
    matrix = segno.make(plates.house_url(code), error="m", mask=plates.MASK).matrix
    side = len(matrix) + 2 * plates.QUIET
    drawn = [[0] * len(matrix) for _ in matrix]
    for op in pdf.literal.split("\n")[:-1]:
        x, y, w, _h, _re = op.split()
        row = side - plates.QUIET - int(y) - 1
        for col in range(int(x) - plates.QUIET, int(x) - plates.QUIET + int(w)):
            drawn[row][col] = 1
    assert drawn == [[int(bool(v)) for v in row] for row in matrix]
    assert plates.house_url(code).endswith(f"/housing/houses/{code}/")
