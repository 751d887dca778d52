"""The whole chain on phones and desks, in Debian's chromium: a resident declares,
the village verifies and holds the review and notice, the township and the
county approve; months later the same chain marks the risk eliminated."""

from datetime import timedelta

import pytest
from django.utils import timezone

from shuxiang import testing
from shuxiang.conftest import login
from shuxiang.core import services as core_services
from shuxiang.core.actors import OPERATOR
from shuxiang.core.choices import Role, UnitKind
from shuxiang.monitoring import services
from shuxiang.monitoring.models import Household, Visit
from shuxiang.monitoring.tests.helpers import household, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
HEAD_ID = "430903198005170012"


def page_for(chromium, base, username=None, phone=True):
    options = {"locale": "zh-CN", "timezone_id": "Asia/Shanghai"}
    if phone:
        options.update(viewport={"width": 360, "height": 780}, is_mobile=True, has_touch=True)
    else:
        options.update(viewport={"width": 1280, "height": 900})
    page = chromium.new_context(**options).new_page()
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(base) else None)
    page.outside = outside
    if username:
        login(page, base, username, testing.PASSWORD)
        page.wait_for_url(lambda url: "/login/" not in url)
    return page


def photo(tmp_path):
    from PIL import Image

    path = tmp_path / "consent.jpg"
    Image.new("RGB", (40, 30), (120, 160, 200)).save(path, "JPEG")
    return str(path)


def run_chain(chromium, base, tmp_path, procedure_url, identification=True):
    today = timezone.localdate()
    cadre = page_for(chromium, base, "t_cadre")
    cadre.goto(procedure_url)
    cadre.fill("input[name=visited_on]", (today - timedelta(days=8)).isoformat())
    cadre.fill("textarea[name=notes]", "入户查看，了解家庭收支和困难情况")
    cadre.check("input[name=consent_signed]")
    cadre.set_input_files("input[name=photos]", photo(tmp_path))
    if identification:
        cadre.select_option("select[name=proposed_type]", "marginal")
        cadre.check("input[name=risk_types][value=illness]")
        cadre.check("input[name=risk_types][value=unstable_job]")
        cadre.select_option("select[name=primary_risk]", "illness")
    cadre.click("#submit-step")
    cadre.wait_for_selector("#stage:has-text('村级民主评议和公示')")
    cadre.fill("textarea[name=notes]", "村民代表会议评议同意")
    cadre.fill("input[name=notice_from]", (today - timedelta(days=7)).isoformat())
    cadre.fill("input[name=notice_to]", (today - timedelta(days=2)).isoformat())
    cadre.click("#submit-step")
    cadre.wait_for_selector("#stage:has-text('乡镇审核')")
    notice_url = cadre.get_attribute("#notice-link", "href")
    assert cadre.outside == []
    cadre.context.close()

    public = page_for(chromium, base)
    public.goto(base + notice_url)
    text = public.inner_text("#notice")
    assert "王*山" in text
    for secret in ("430903", "13800001234", "因病", "大病", "住院"):
        assert secret not in text
    public.context.close()

    township = page_for(chromium, base, "t_quanjiaohe", phone=False)
    township.goto(procedure_url)
    township.check("input[name=approve][value='1']")
    township.fill("textarea[name=notes]", "材料齐全，同意上报")
    township.click("#submit-step")
    township.wait_for_selector("#stage:has-text('县级审定')")
    township.context.close()

    county = page_for(chromium, base, "t_district", phone=False)
    county.goto(procedure_url)
    county.check("input[name=approve][value='1']")
    county.fill("textarea[name=notes]", "同意")
    county.click("#submit-step")
    county.wait_for_selector("#outcome:has-text('通过')")
    county.context.close()


def test_declaration_identification_and_elimination_in_the_browser(live_server, chromium, tmp_path):
    places = testing.build_places()
    cast = testing.build_cast(places)
    bureau = core_services.do_create_unit(
        actor=OPERATOR,
        name="区乡村振兴局",
        kind=UnitKind.BUREAU,
        place=places.district,
        domains=["monitoring"],
    )
    core_services.do_create_user(
        actor=OPERATOR,
        username="t_rural",
        role=Role.DEPARTMENT,
        place=places.district,
        unit=bureau,
        password=testing.PASSWORD,
    )
    year = timezone.localdate().year
    for y in (year - 1, year):
        services.do_set_threshold(
            actor=OPERATOR, province="43", province_name="湖南省", year=y, amount="7000"
        )
    hh = household(
        places.hamlet_a,
        members=[member("王大山", id_number=HEAD_ID, phone="13800001234"), member("李秀英", "spouse")],
        incomes={year - 1: {"wage": "30000"}},
        housing_grade="B",
    )
    base = live_server.url

    # a resident, no account, on a phone
    resident = page_for(chromium, base)
    resident.goto(f"{base}/monitoring/declare/")
    resident.select_option("select[name=place]", places.village_a.code)
    resident.fill("input[name=name]", "王大山")
    resident.fill("input[name=id_number]", HEAD_ID)
    resident.fill("textarea[name=description]", "我住院做了手术，几个月不能出去打工")
    resident.click("#submit-declaration")
    resident.wait_for_selector("#field-consent .error")  # refused without consent
    resident.check("input[name=consent]")
    resident.fill("input[name=id_number]", HEAD_ID)
    resident.click("#submit-declaration")
    resident.wait_for_selector("#declare-done")
    assert resident.outside == []
    resident.context.close()

    # the village cadre finds the clue in the worklist and starts identification
    cadre = page_for(chromium, base, "t_cadre")
    cadre.goto(f"{base}/monitoring/")
    cadre.click("#clues-to-verify a")
    cadre.click("#start-identification")
    cadre.wait_for_selector("#stage:has-text('入户核实')")
    procedure_url = cadre.url
    cadre.context.close()
    run_chain(chromium, base, tmp_path, procedure_url)
    hh.refresh_from_db()
    assert hh.status == "monitored" and hh.monitored_type == "marginal"

    # six months of follow-ups with income above the line, then elimination
    Household.objects.filter(pk=hh.pk).update(identified_on=timezone.localdate() - timedelta(days=200))
    d = timezone.localdate()
    for _ in range(6):
        Visit.objects.create(
            household=hh,
            purpose="follow_up",
            visitor=cast.village_a,
            visited_on=d,
            notes="回访",
            income_estimate=9000,
        )
        d = (d.replace(day=1) - timedelta(days=1)).replace(day=min(d.day, 28))
    cadre = page_for(chromium, base, "t_cadre")
    cadre.goto(f"{base}/monitoring/households/{hh.pk}/")
    assert "因病" in cadre.inner_text("#risks")
    cadre.click("#start-elimination")
    cadre.wait_for_selector("#stage:has-text('入户核实')")
    procedure_url = cadre.url
    cadre.context.close()
    run_chain(chromium, base, tmp_path, procedure_url, identification=False)
    hh.refresh_from_db()
    assert hh.status == "eliminated"
