"""Chinese pages speak Chinese: a walk over every HTML page fails on visible English words.

Issue 14 found raw codes and English on staff pages ("district/township/village 或 1–4", "(descending)",
"guarantee-failing…", "core.user", "web/task/cli", "---------", "未知" for a yes/no filter). The walk
renders every HTML route as the admin (lists, dashboards, forms, and the detail pages of the samples
every app registers), strips tags, scripts and styles, and reports ASCII words outside an allow-list
of units, formats and standards a county user reads as they are.
"""

import re

import pytest

from shuxiang.core.tests.pagetext import visible_text
from shuxiang.core.tests.test_access_matrix import is_api, iter_routes, url_for
from shuxiang.core.tests.test_scope_walk import load_samples

# Words a Chinese page may show as they are: units, file formats, standards and protocols by their names.
ALLOWED_WORDS = """
m mm cm km kg mg mL L ha kW kWh MB KB GB min h s ms Mbps V ppm
API CSV XLSX Excel PDF PNG JPG JPEG WebP WebM JSON GeoJSON XML CAP MQTT SL HTTP HTTPS URL ID QR GPS TOTP SMS IP Token
OpenAPI Open311 EPCIS GS1 GTIN HMAC Ed25519 SHA SHA-256 WGS84 CGCS2000 GCJ-02 KPI UTC Shapefile GeoPackage XYZ
App APP Wi-Fi WiFi VPN TLS IPv4 IPv6 UUID RTU IoT NB-IoT LoRa LTE UDP TCP JT/T HJ pH
ALPS IFPA
Shuxiang Google Microsoft Authenticator FreeOTP
"""  # units; formats, standards, protocols; price-warning methods (WFP ALPS, FAO IFPA); the product's name
# beside 数乡; authenticator apps
ALLOWED = set(ALLOWED_WORDS.split())
# The grant editor is where an administrator writes permission codes and JSON constraints; the codes are
# its vocabulary (each shown beside its Chinese name).
CODE_PAGES = re.compile(r"^/(grants/|users/[^/]+/permissions/)")
DATA = re.compile(r"^(t_\w+|u\d+)$")  # the test cast's usernames are data, not UI text
WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_.][A-Za-z0-9]+)*")
NOT_WORDS = [
    re.compile(r"https?://\S+"),  # addresses shown as they are (endpoints, QR targets)
    re.compile(r"(?<![\w.])\.[a-z0-9]{2,5}\b"),  # file extensions: .xlsx, .csv
    re.compile(r"\{[^{}]*\}"),  # JSON examples in placeholders and help texts
    re.compile(r"（[a-z0-9_]+(?:\.[a-z0-9_]+)+）"),  # a code after its Chinese name: 用户（core.user）
]
RAW_EMPTY = "---------"


def english_in(text: str) -> list[str]:
    for pattern in NOT_WORDS:
        text = pattern.sub(" ", text)
    found = []
    for word in WORD.findall(text):
        if len(word) < 2 or word in ALLOWED or DATA.match(word):
            continue
        if re.search(r"\d", word) or re.fullmatch(r"[A-Z]{1,3}", word):
            continue  # codes (device, lot, SL 651 element codes such as VT), not words
        found.append(word)
    if RAW_EMPTY in text:
        found.append(RAW_EMPTY)
    return found


def test_the_scan_finds_what_issue_14_saw():
    page = (
        "<h1>层级（district/township/village 或 1–4）</h1><select><option>---------</option>"
        "<option>提交时间 (descending)</option></select><p>规则 guarantee-failing</p>"
        "<script>var x = 'ignored';</script><p>库水位 123.11 m，MQTT，t_admin，用户（core.user）</p>"
        '<p>文件（.xlsx 或 .csv）<a>http://example.org/x</a><span class="mono">reservoir_rtu</span></p>'
    )
    found = english_in(visible_text(page, skip_codes=True))
    assert found == ["district", "township", "village", "descending", "guarantee-failing", RAW_EMPTY]


@pytest.mark.django_db
def test_no_html_page_shows_english_words_outside_the_allow_list(cast, places, client_for):
    objects = {}
    for model, factory in load_samples().items():
        objects[model] = factory(places.hamlet_a, f"语言样本{len(objects) + 1}号")
    web = client_for(cast.admin)
    problems, pages = [], 0
    for route, callback in iter_routes():
        if is_api(route, callback) or route.lstrip("^").startswith(("api/", "open311/", "__bench__")):
            continue
        url = url_for(route, callback, objects)
        if url is None or CODE_PAGES.match(url):
            continue
        response = web.get(url)
        if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
            continue
        pages += 1
        words = english_in(visible_text(response.content.decode("utf-8", "replace"), skip_codes=True))
        if words:
            problems.append(f"{url}: {sorted(set(words))[:12]}")
    assert pages > 40
    assert problems == [], f"{len(problems)} pages show English:\n" + "\n".join(problems)


@pytest.mark.django_db
def test_forms_offer_an_empty_choice_in_chinese_and_units_pick_duties_by_name(cast, places, client_for):
    from shuxiang.core.models import Unit

    web = client_for(cast.admin)
    text = visible_text(web.get("/users/add/").content.decode())
    assert RAW_EMPTY not in text and "不指定" in text
    page = visible_text(web.get("/units/add/").content.decode())
    assert "水利" in page and "防返贫监测" in page and "cases" not in page
    answer = web.post(
        "/units/add/",
        {
            "name": "区水利局测试",
            "kind": "bureau",
            "place": places.district.code,
            "domains": ["water", "iot"],
        },
    )
    assert answer.status_code == 302
    unit = Unit.objects.get(name="区水利局测试")
    assert unit.domains == ["water", "iot"]
    edit = web.get(f"/units/{unit.pk}/edit/").content.decode()
    assert re.search(r'value="water"[^>]*checked', edit) and not re.search(r'value="cases"[^>]*checked', edit)
