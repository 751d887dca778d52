"""A second county (南县, 430921) onboarded by files alone, into a database that already holds 赫山区.

The sequence is docs/onboarding.md's: divisions from the statistics bureau's table as published,
units, users, the county's plan file (with its targets), a quarter's ledgers — then its admin works in
the dashboard, ledgers and every module page, and sees nothing of 赫山区 (nor 赫山区 anything of it).
"""

import csv
import io
from datetime import date, datetime, timedelta

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from openpyxl import Workbook

from shuxiang.core import services
from shuxiang.core.actors import OPERATOR
from shuxiang.core.choices import PlaceKind
from shuxiang.core.errors import ServiceError
from shuxiang.core.importers import ImportRejected, run_import
from shuxiang.core.models import AuditEntry, Person, Place, User
from shuxiang.testing import PASSWORD

# 统计用区划代码, 城乡分类代码, 名称 — as the bureau publishes them (committee names, province and
# prefecture rows included), plus the groups (村民小组, village code + 2 digits) a county adds.
NANXIAN_TABLE = [
    ("统计用区划代码", "城乡分类代码", "名称"),
    ("430000000000", "", "湖南省"),
    ("430900000000", "", "益阳市"),
    ("430921000000", "", "南县"),
    ("430921100000", "", "南洲镇"),
    ("430921103000", "", "三仙湖镇"),
    ("430921100001", "111", "城西社区居委会"),
    ("430921100201", "220", "新港村委会"),
    ("430921103201", "220", "东胜村村民委员会"),
    ("43092110020101", "", "新港村第1村民小组"),
    ("43092110020102", "", "新港村第2村民小组"),
    ("43092110320101", "", "东胜村第1村民小组"),
]

UNITS = [
    ("名称", "类型", "所在区划", "负责领域"),
    ("县委网信办", "区直部门", "430921000000", ""),
    ("县农业农村局", "区直部门", "430921000000", "cases"),
    ("南洲镇人民政府", "乡镇政府/街道办", "430921100000", ""),
    ("三仙湖镇人民政府", "乡镇政府/街道办", "430921103000", ""),
]

USERS = [
    ("用户名", "姓名", "角色", "所属区划", "单位", "密码"),
    ("nx_admin", "南县管理员", "系统管理员", "430921000000", "县委网信办", PASSWORD),
    ("nx_agri", "南县农业农村局", "区直部门", "430921000000", "县农业农村局", PASSWORD),
    ("nx_nanzhou", "南洲镇干部", "乡镇", "430921100000", "南洲镇人民政府", PASSWORD),
    ("nx_grid", "新港村网格员", "网格员", "430921100201", "", PASSWORD),
]


def xlsx(rows):
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_bytes(rows, encoding="utf-8"):
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode(encoding)


def plan_file(*, code, district, prefix, townships):
    """A small plan file in the shuxiang-plan/1 format: two tasks, one reported indicator, targets
    for the county and one township."""
    return yaml.safe_dump(
        {
            "format": "shuxiang-plan/1",
            "code": code,
            "version": "1",
            "title": f"{prefix}数字乡村建设工作方案",
            "district": district,
            "start_year": 2023,
            "end_year": 2025,
            "units": [
                {"short": f"{prefix}网信办", "name": f"{prefix}委网信办", "kind": "bureau"},
                {"short": f"{prefix}农业农村局", "name": f"{prefix}农业农村局", "kind": "bureau"},
            ],
            "indicators": [
                {
                    "code": "cold_chain_pilots",
                    "name": "标准化冷链仓储物流示范点",
                    "kind": "number",
                    "unit": "个",
                    "source": "reported",
                    "entry_level": 2,
                    "decimals": 0,
                    "min_value": 0,
                    "max_value": 50,
                    "period_aggregation": "last",
                    "order": 10,
                }
            ],
            "sections": [
                {
                    "code": "一",
                    "title": "行动目标",
                    "text": "到2025年建成冷链示范点。",
                    "targets": [
                        {
                            "indicator": "cold_chain_pilots",
                            "quote": "建成冷链示范点2个",
                            "year": 2025,
                            "value": 2,
                            "place": "district",
                        }
                    ],
                },
                {"code": "二", "title": "重点任务", "text": ""},
                {"code": "二.1", "title": "数字基础设施", "parent": "二", "text": ""},
            ],
            "tasks": [
                {
                    "number": 1,
                    "section": "二.1",
                    "title": "冷链物流信息化",
                    "text": f"在{townships[0][1]}试点建设冷链示范点（牵头单位：{prefix}农业农村局）",
                    "lead_units": [f"{prefix}农业农村局"],
                    "responsible_units": [f"{prefix}网信办"],
                    "all_townships": True,
                    "village_reporting": False,
                    "indicators": ["cold_chain_pilots"],
                    "targets": [
                        {
                            "indicator": "cold_chain_pilots",
                            "quote": f"在{townships[0][1]}试点",
                            "year": 2025,
                            "value": 1,
                            "place": townships[0][0],
                        }
                    ],
                },
                {
                    "number": 2,
                    "section": "二.1",
                    "title": "乡村数字治理",
                    "text": f"推进数字治理（牵头单位：{prefix}网信办）",
                    "lead_units": [f"{prefix}网信办"],
                    "all_townships": True,
                },
            ],
        },
        allow_unicode=True,
    )


def open_round(plan, actor):
    from shuxiang.plan.services import do_open_round

    deadline = timezone.make_aware(datetime(2025, 4, 15, 17, 0))
    return do_open_round(plan, year=2025, quarter=1, deadline=deadline, actor=actor)


@pytest.fixture
def heshan(cast, tmp_path):
    """赫山区 as it runs: its people, its own plan and a quarter of ledgers."""
    from shuxiang.plan.loader import load_file

    Person.objects.create(name="赫山居民甲", place=cast.admin.place.children.first())
    path = tmp_path / "heshan.yaml"
    path.write_text(
        plan_file(
            code="heshan-test",
            district="430903000000",
            prefix="区",
            townships=[("430903103000", "泉交河镇")],
        ),
        encoding="utf-8",
    )
    plan = load_file(path, actor=OPERATOR).plan
    open_round(plan, OPERATOR)
    return cast


def onboard_nanxian(tmp_path):
    """The documented sequence, by the commands an operator types."""
    out = io.StringIO()
    places = tmp_path / "南县区划.csv"
    places.write_bytes(csv_bytes(NANXIAN_TABLE, "gbk"))  # as a spreadsheet saves it on a Chinese desktop
    call_command("import", "places", str(places), stdout=out)
    units = tmp_path / "units.csv"
    units.write_bytes(csv_bytes(UNITS))
    call_command("import", "units", str(units), stdout=out)
    users = tmp_path / "users.xlsx"
    users.write_bytes(xlsx(USERS))
    call_command("import", "users", str(users), stdout=out)
    plan = tmp_path / "nanxian.yaml"
    plan.write_text(
        plan_file(
            code="nanxian-2023-2025",
            district="430921000000",
            prefix="县",
            townships=[("430921100000", "南洲镇")],
        ),
        encoding="utf-8",
    )
    call_command("plan", "load", str(plan), stdout=out)
    return out.getvalue()


HESHAN_WORDS = ("赫山区", "泉交河镇", "兰溪镇", "清水村", "荷花村", "赫山居民甲", "区农业农村局")
NANXIAN_WORDS = ("南县", "南洲镇", "三仙湖镇", "新港村", "县委网信办", "县农业农村局")
# Pages of other apps that still show another county's objects (docs/onboarding.md, "Known limits"):
# no page may join this list; remove a page once its app scopes it.
# Pages that still show another county's names (none: unit choices and the plan follow the user's county).
KNOWN_CROSS_COUNTY_PAGES: set[str] = set()


def pages_showing(client, user, words, extra=()) -> set[str]:
    """GETs every signed-in page of the user's menu (and `extra`): each must answer 200. Returns the
    pages showing any of `words`. Public pages are the same for everyone and are not counted."""
    from django.urls import resolve, reverse

    from shuxiang.core.access import PUBLIC, declaration
    from shuxiang.core.navigation import menu_for

    urls = [*extra, *(reverse(i.url_name) for g in menu_for(user) for i in g.items)]
    showing = set()
    for url in dict.fromkeys(urls):
        response = client.get(url)
        assert response.status_code == 200, url
        if declaration(resolve(url.split("?")[0]).func) == PUBLIC:
            continue
        if any(w in response.content.decode() for w in words):
            showing.add(url)
    return showing


def test_a_second_county_is_onboarded_from_its_files_and_its_admin_sees_only_it(heshan, tmp_path, client_for):
    from shuxiang.plan.models import LedgerEntry, Plan

    output = onboard_nanxian(tmp_path)
    assert "新增 9 条" in output  # the province and prefecture rows are skipped

    county = Place.objects.get(code="430921000000")
    assert (county.level, county.kind, county.parent) == (1, PlaceKind.COUNTY, None)
    assert Place.objects.get(code="430921103000").kind == PlaceKind.TOWN
    community = Place.objects.get(code="430921100001")
    assert (community.name, community.kind) == ("城西社区", PlaceKind.COMMUNITY)
    village = Place.objects.get(code="430921103201")
    assert (village.name, village.kind, village.parent.name) == ("东胜村", PlaceKind.VILLAGE, "三仙湖镇")
    group = Place.objects.get(code="43092110020102")
    assert group.path == "/430921000000/430921100000/430921100201/43092110020102/"
    admin = User.objects.get(username="nx_admin")
    assert admin.unit.name == "县委网信办" and admin.place == county

    plan = Plan.objects.get(code="nanxian-2023-2025")
    assert plan.district == county
    round_ = open_round(plan, admin)
    entries = LedgerEntry.objects.filter(round=round_)
    assert {e.place.code for e in entries} <= {"430921000000", "430921100000", "430921103000"}
    assert entries.filter(place__code="430921100000").exists()

    # Every page of its menu works for the new county's admin, and shows nothing of 赫山区.
    client = client_for(admin)
    first_form = entries.filter(place__code="430921100000").first()
    extra = ["/", "/places/", "/places/430921100000/", f"/plan/ledgers/{first_form.pk}/"]
    assert pages_showing(client, admin, HESHAN_WORDS, extra) == KNOWN_CROSS_COUNTY_PAGES
    dashboard = client.get("/plan/dashboard/").content.decode()
    assert "南洲镇" in dashboard and "三仙湖镇" in dashboard

    # 赫山区's objects are not found for them; 南县's are not found for 赫山区's admin.
    heshan_person = Person.objects.get(name="赫山居民甲")
    heshan_entry = LedgerEntry.objects.filter(place__code="430903103000").first()
    for url in (
        "/places/430903000000/",
        "/places/430903103000/edit/",
        f"/people/{heshan_person.pk}/",
        f"/plan/ledgers/{heshan_entry.pk}/",
        "/plan/dashboard/?place=430903000000",
    ):
        assert client.get(url).status_code == 404, url
    heshan_client = client_for(heshan.admin)
    assert pages_showing(heshan_client, heshan.admin, NANXIAN_WORDS) <= KNOWN_CROSS_COUNTY_PAGES
    assert heshan_client.get("/places/430921000000/").status_code == 404
    assert "南洲镇" not in heshan_client.get("/places/?page_size=200").content.decode()


def test_reimporting_the_same_table_changes_nothing_and_the_county_row_is_no_longer_a_type_error(cast):
    data = csv_bytes(NANXIAN_TABLE)
    first = run_import("places", data, "table.csv", actor=OPERATOR)
    again = run_import("places", data, "table.csv", actor=OPERATOR)
    assert (first.created, first.skipped) == (9, 2)
    assert (again.created, again.updated) == (0, 0)


def test_the_table_may_come_as_xlsx_in_any_row_order(cast):
    rows = [NANXIAN_TABLE[0], *reversed(NANXIAN_TABLE[1:])]
    result = run_import("places", xlsx(rows), "table.xlsx", actor=OPERATOR)
    assert result.created == 9
    assert Place.objects.get(code="43092110320101").parent.code == "430921103201"


def test_a_county_level_city_and_a_district_are_told_apart_by_name(cast):
    rows = [
        ("统计用区划代码", "名称"),
        ("430981000000", "沅江市"),
        ("430923000000", "安化县"),
        ("430902000000", "资阳区"),
    ]
    run_import("places", csv_bytes(rows), "t.csv", actor=OPERATOR)
    kinds = dict(Place.objects.filter(level=1).values_list("code", "kind"))
    assert kinds["430981000000"] == PlaceKind.COUNTY_CITY
    assert kinds["430923000000"] == PlaceKind.COUNTY
    assert kinds["430902000000"] == PlaceKind.DISTRICT


def test_every_bad_row_of_a_table_is_listed_and_nothing_is_written(cast):
    rows = [
        ("统计用区划代码", "城乡分类代码", "名称"),
        ("430921000000", "", "南县"),
        ("430921100000", "", "南洲镇"),
        ("4309211002", "220", "短码村委会"),  # neither 12 nor 14 digits
        ("430921100202", "999", "新港村委会"),  # not an urban-rural class
        ("430921777201", "220", "孤村村委会"),  # its township is nowhere
        ("430921100203", "220", ""),  # no name
        ("430921100000", "", "南洲镇"),  # twice
        ("430921104000", "", "某某处"),  # kind cannot be told from the name
        ("43092110020301", "", "孤组"),  # its village's row is bad
    ]
    before = (Place.objects.count(), AuditEntry.objects.count())
    with pytest.raises(ImportRejected) as exc:
        run_import("places", csv_bytes(rows, "gbk"), "bad.csv", actor=OPERATOR)
    texts = [p.as_text() for p in exc.value.problems]
    for row in range(4, 11):
        assert any(t.startswith(f"第{row}行") for t in texts), (row, texts)
    assert not any(t.startswith(("第2行", "第3行")) for t in texts)
    joined = "\n".join(texts)
    assert "430921777000" in joined and "城乡分类代码" in joined and "重复" in joined and "类型" in joined
    assert (Place.objects.count(), AuditEntry.objects.count()) == before
    assert not Place.objects.filter(code__startswith="430921").exists()


def test_the_import_command_lists_every_bad_row_and_writes_nothing(cast, tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes([NANXIAN_TABLE[0], ("430921000000", "", "南县"), ("12", "", "坏")]))
    with pytest.raises(CommandError) as exc:
        call_command("import", "places", str(path))
    assert "未写入任何数据" in str(exc.value)
    assert "第3行" in capsys.readouterr().err
    assert not Place.objects.filter(code="430921000000").exists()


def test_a_county_admin_cannot_import_another_county_nor_create_one(cast):
    with pytest.raises(ImportRejected) as exc:
        run_import("places", csv_bytes(NANXIAN_TABLE), "t.csv", actor=cast.admin)
    texts = " ".join(p.as_text() for p in exc.value.problems)
    assert "管辖范围" in texts or "平台运维" in texts
    assert not Place.objects.filter(code__startswith="430921").exists()
    with pytest.raises(ServiceError) as exc:
        services.do_create_place(actor=cast.admin, code="430921000000", name="南县", level=1, kind="county")
    assert "平台运维" in exc.value.message


def test_a_users_unit_is_found_in_the_users_own_county(cast):
    run_import("places", csv_bytes(NANXIAN_TABLE), "t.csv", actor=OPERATOR)
    for code in ("430903000000", "430921000000"):
        services.do_create_unit(
            actor=OPERATOR, name="农业农村局", kind="bureau", place=Place.objects.get(code=code)
        )
    rows = [USERS[0], ("nx_agri2", "", "区直部门", "430921000000", "农业农村局", PASSWORD)]
    run_import("users", xlsx(rows), "u.xlsx", actor=OPERATOR)
    assert User.objects.get(username="nx_agri2").unit.place.code == "430921000000"


# --- places in the UI ---------------------------------------------------------------------------


def test_an_admin_adds_a_village_and_a_group_in_the_ui_and_it_is_audited(cast, client_for):
    client = client_for(cast.admin)
    page = client.get("/places/add/?parent=430903103000")
    assert page.status_code == 200 and "泉交河镇" in page.content.decode()
    response = client.post(
        "/places/add/?parent=430903103000",
        {"parent": "430903103000", "code": "430903103299", "name": "新建村", "kind": "village"},
    )
    assert response.status_code == 302
    village = Place.objects.get(code="430903103299")
    assert village.path == "/430903000000/430903103000/430903103299/"
    assert AuditEntry.objects.filter(action="create", object_type="core.place", object_id=village.pk).exists()
    response = client.post(
        "/places/add/", {"parent": "430903103299", "code": "43090310329901", "name": "一组", "kind": "hamlet"}
    )
    assert response.status_code == 302
    assert Place.objects.get(code="43090310329901").parent == village


def test_a_place_code_that_does_not_fit_its_parent_is_refused_with_the_reason(cast, client_for):
    client = client_for(cast.admin)
    response = client.post(
        "/places/add/", {"parent": "430903103000", "code": "430903111299", "name": "错村", "kind": "village"}
    )
    assert response.status_code == 400
    assert "前9位应与所属乡镇一致" in response.content.decode()
    assert not Place.objects.filter(code="430903111299").exists()


def test_a_township_officer_may_not_add_move_or_retire_places(cast, client_for):
    client = client_for(cast.township_a)
    for url in ("/places/add/", "/places/430903103201/move/", "/places/430903103201/retire/"):
        assert client.get(url).status_code == 403, url


def test_an_admin_renames_a_place_and_the_rename_is_audited(cast, client_for):
    client = client_for(cast.admin)
    response = client.post("/places/430903103201/edit/", {"name": "清水湾村", "kind": "village"})
    assert response.status_code == 302
    assert Place.objects.get(code="430903103201").name == "清水湾村"
    entry = AuditEntry.objects.filter(action="update", object_type="core.place").latest("at")
    assert entry.changes["name"] == ["清水村", "清水湾村"]


def test_a_place_with_children_in_use_cannot_be_retired_until_they_are(cast, places, client_for):
    client = client_for(cast.admin)
    response = client.post("/places/430903103201/retire/", {"valid_to": "2025-12-31"})
    assert response.status_code == 400
    assert "仍有下级区划在用" in response.content.decode()
    assert Place.objects.get(code="430903103201").valid_to is None
    assert client.post("/places/43090310320101/retire/", {"valid_to": "2025-12-31"}).status_code == 302
    assert client.post("/places/430903103201/retire/", {"valid_to": "2025-12-31"}).status_code == 302
    village = Place.objects.get(code="430903103201")
    assert village.valid_to == date(2025, 12, 31) and not village.is_current
    assert "已停用" in client.get("/places/430903103201/").content.decode()
    # Nothing new goes under a retired place.
    with pytest.raises(ServiceError):
        services.do_create_place(
            actor=cast.admin,
            code="43090310320109",
            name="九组",
            level=4,
            kind="hamlet",
            parent=village,
        )


def test_a_township_moves_to_another_county_with_its_villages(cast, places):
    """谢林港镇's case: a township administered by another county than its code says."""
    other = services.do_create_place(
        actor=OPERATOR, code="430972000000", name="高新区", level=1, kind="district"
    )
    services.do_move_place(places.township_a, actor=OPERATOR, parent=other)
    assert Place.objects.get(code="430903103000").path == "/430972000000/430903103000/"
    hamlet = Place.objects.get(code="43090310320101")
    assert hamlet.path == "/430972000000/430903103000/430903103201/43090310320101/"
    entry = AuditEntry.objects.filter(object_type="core.place", object_id=places.township_a.pk).latest("at")
    assert entry.changes["parent"] == ["赫山区（430903000000）", "高新区（430972000000）"]


def test_a_village_whose_code_does_not_fit_the_new_township_is_not_moved(cast, places, client_for):
    client = client_for(cast.admin)
    response = client.post("/places/430903103201/move/", {"parent": "430903111000"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "与兰溪镇（430903111000）不一致" in text and "新增" in text
    assert Place.objects.get(code="430903103201").parent == places.township_a


def test_a_move_never_makes_a_cycle_skips_a_level_or_moves_a_county(cast, places):
    other_county = services.do_create_place(
        actor=OPERATOR, code="430921000000", name="南县", level=1, kind="county"
    )
    with pytest.raises(ServiceError) as exc:
        services.do_move_place(places.township_a, actor=OPERATOR, parent=places.hamlet_a)
    assert "不能迁到自己或自己的下级之下" in exc.value.message
    with pytest.raises(ServiceError) as exc:
        services.do_move_place(places.village_a, actor=OPERATOR, parent=other_county)
    assert "上级应为乡镇" in exc.value.message
    with pytest.raises(ServiceError) as exc:
        services.do_move_place(places.district, actor=OPERATOR, parent=other_county)
    assert "最上级" in exc.value.message
    assert Place.objects.get(code="430903103201").path == "/430903000000/430903103000/430903103201/"


def test_a_county_admin_cannot_move_a_place_out_of_their_county(cast, places):
    other = services.do_create_place(actor=OPERATOR, code="430921000000", name="南县", level=1, kind="county")
    with pytest.raises(ServiceError) as exc:
        services.do_move_place(places.township_a, actor=cast.admin, parent=other)
    assert exc.value.code == "out_of_scope"
    assert Place.objects.get(code="430903103000").parent == places.district


def test_place_services_refuse_a_string_actor(places):
    with pytest.raises(TypeError):
        services.do_move_place(places.township_a, actor="cli", parent=places.district)
    with pytest.raises(TypeError):
        services.do_retire_place(places.hamlet_a, actor="cli", valid_to=date.today() + timedelta(days=1))
