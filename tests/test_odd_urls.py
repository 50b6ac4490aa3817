"""Odd but harmless requests, and what every answer carries.

A number beyond SQLite's 64-bit range, a date the inbox cannot count to, a NUL character:
each gets a Chinese 400 or 404 page, never a 500. And every response carries the security
headers; its inline scripts and styles carry the nonce its Content-Security-Policy allows.
"""

from __future__ import annotations

import re

import pytest

from feedback import suggestions, users
from feedback.access import Access
from tests.conftest import STAFF_PASSWORD, sign_in
from tests.helpers_intake import jpeg_bytes, post_opinion, receipt_of

BIG = "9" * 20
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def office(db, two_town_stations):
    users.add(db, "boss", STAFF_PASSWORD, "admin", None)
    users.add(db, "jia", STAFF_PASSWORD, "clerk", "甲镇")
    return db


@pytest.fixture
def clerk(app, office):
    client = app.test_client()
    assert sign_in(client, "jia").status_code == 303
    return client


@pytest.fixture
def admin(app, office):
    client = app.test_client()
    assert sign_in(client, "boss").status_code == 303
    return client


ODD_URLS = [
    f"/admin/opinions?page={BIG}",
    f"/admin/opinions?status=all&page={BIG}",
    f"/admin/opinions?station={BIG}",
    f"/admin/opinions?page={'9' * 5000}",  # more digits than int() reads
    f"/admin/opinions/{BIG}",
    f"/admin/opinions/{'9' * 5000}",
    f"/admin/opinions/{BIG}/entered",
    f"/admin/opinions/{BIG}/slip.pdf",
    f"/admin/opinions/{BIG}/photos/{BIG}",
    f"/admin/opinions/1/photos/{BIG}",
    "/admin/opinions?from=9999-12-31",
    "/admin/opinions?to=9999-12-31",
    "/admin/opinions?status=all&from=2026-01-01&to=9999-12-31",
    "/admin/opinions?q=%00%00%00",
    "/admin/opinions?q=a%00b",
    "/admin/opinions?status=all&q=%00",
    f"/admin/suggestions/{BIG}",
    f"/admin/stations/{BIG}/poster.pdf",
    f"/admin/stations/{BIG}/poster.png",
    f"/admin/imports/{BIG}",
    f"/admin/imports/{BIG}/slips.pdf",
    "/admin/reports/?month=9999-12",
    f"/admin/reports/?month={BIG}",
    "/admin/reports/?month=%00",
    "/admin/reports/report.csv?month=9999-12",
    "/admin/reports/opinions.csv?month=9999-12",
    "/admin/groups?town=%00",
    "/admin/stations/?town=%00",
]


@pytest.mark.parametrize("url", ODD_URLS)
def test_odd_urls_are_a_chinese_400_or_404_for_a_clerk(clerk, url):
    response = clerk.get(url)
    assert response.status_code in (400, 404), (url, response.status_code)
    assert CHINESE.search(text(response))


@pytest.mark.parametrize(
    "url", [f"/admin/users/{BIG}", f"/admin/opinions?station={BIG}", "/admin/opinions?q=%00"]
)
def test_odd_urls_are_a_chinese_400_or_404_for_an_admin(admin, url):
    response = admin.get(url)
    assert response.status_code in (400, 404)
    assert CHINESE.search(text(response))


@pytest.mark.parametrize(
    "url",
    [
        f"/admin/stations/{BIG}/disable",
        f"/admin/suggestions/{BIG}/advance",
        f"/admin/suggestions/1/remove/{BIG}",
        f"/admin/opinions/{BIG}/answer",
        f"/admin/opinions/{BIG}/reveal",
        f"/admin/departments/{BIG}/rename",
        f"/admin/users/{BIG}/disable",
    ],
)
def test_posts_to_ids_beyond_range_are_404(admin, url):
    from tests.conftest import csrf_of

    token = csrf_of(text(admin.get("/admin/opinions")))
    response = admin.post(url, data={"csrf_token": token})
    assert response.status_code == 404
    assert "没有找到这个页面" in text(response)


def test_merging_ids_beyond_range_is_no_crash(clerk):
    from tests.conftest import csrf_of

    token = csrf_of(text(clerk.get("/admin/opinions")))
    response = clerk.post("/admin/suggestions/merge", data={"csrf_token": token, "ids": BIG})
    assert response.status_code < 500


def test_the_messages_say_what_was_wrong(clerk):
    page = clerk.get(f"/admin/opinions?page={BIG}")
    assert "没有这一页" in text(page)
    dated = clerk.get("/admin/opinions?to=9999-12-31")
    assert "日期 9999-12-31 超出了能查询的范围" in text(dated)
    nul = clerk.get("/admin/opinions?q=%00%00%00")
    assert "链接里有无效的字符" in text(nul)
    month = clerk.get("/admin/reports/?month=9999-12")
    assert "9999-12 还没有到" in text(month)


def test_ordinary_filters_still_work(clerk, office):
    office["opinions"].insert(
        {
            "receipt": "CCCCCCC2",
            "station_id": 1,
            "body": "村口路灯坏了",
            "category": "cityscape",
            "created_at": "2026-03-01T09:00:00+08:00",
        }
    )
    for query in (
        "status=all&from=2026-03-01&to=2026-03-01",
        "status=all&to=9999-12-30",
        "status=all&station=1&page=1",
        "status=all&page=abc&station=x",
        "status=all&q=路灯",
    ):
        page = clerk.get("/admin/opinions?" + query)
        assert page.status_code == 200, query
        assert "村口路灯坏了" in text(page), query
    assert "村口路灯坏了" not in text(clerk.get("/admin/opinions?status=all&page=2"))


# --- security headers and nonces -----------------------------------------------------------

TAGS = re.compile(r"<(script|style)\b([^>]*)>", re.IGNORECASE)


def nonce_of(response) -> str:
    policy = response.headers["Content-Security-Policy"]
    return re.search(r"'nonce-([A-Za-z0-9_\-]+)'", policy).group(1)


def assert_secure(response) -> None:
    """The headers, a nonce on every inline script and style, and no style attributes."""
    headers = response.headers
    policy = headers["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "img-src 'self' data: blob:",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
    ):
        assert directive in policy
    nonce = nonce_of(response)
    assert f"script-src 'self' 'nonce-{nonce}'" in policy
    assert f"style-src 'self' 'nonce-{nonce}'" in policy
    assert "unsafe-inline" not in policy
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    if response.mimetype == "text/html":
        page = text(response)
        for tag, attributes in TAGS.findall(page):
            assert f'nonce="{nonce}"' in attributes, (tag, attributes)
        assert "style=" not in page


@pytest.fixture
def villager(app, office):
    client = app.test_client()
    response = post_opinion(client, "ll-01", photos=[jpeg_bytes()])
    return client, receipt_of(response)


def test_villager_pages_are_secured(villager):
    client, receipt = villager
    form = client.get("/s/ll-01")
    assert_secure(form)
    assert TAGS.search(text(form)), "the form has its script and style"
    assert len(form.get_data()) < 15 * 1024
    status = client.get(f"/t/{receipt}")  # right after submitting: with the draft-clearing script
    assert "localStorage.removeItem" in text(status)
    assert_secure(status)
    assert_secure(client.get(f"/t/{receipt}"))
    assert_secure(client.get("/t"))
    photo = re.search(r'<img src="([^"]+)"', text(client.get(f"/t/{receipt}"))).group(1)
    assert_secure(client.get(photo))


def test_each_response_has_its_own_nonce(client, office):
    first, second = client.get("/admin/login"), client.get("/admin/login")
    assert nonce_of(first) != nonce_of(second)


def test_error_pages_are_secured(client, clerk):
    missing = client.get("/s/no-such-station")
    assert missing.status_code == 404
    assert_secure(missing)
    refused = clerk.get("/admin/opinions?q=%00")
    assert refused.status_code == 400
    assert_secure(refused)
    assert_secure(client.get("/healthz"))


def test_staff_pages_are_secured(app, clerk, admin, villager, office):
    _client, receipt = villager
    opinion_id = office.execute("select id from opinions").fetchone()[0]
    fields = {
        "title": "路灯不亮",
        "body": "路灯不亮\n第二行",
        "category": "cityscape",
        "tier": "一般",
    }
    suggestion = suggestions.create(
        office,
        Access("clerk", "甲镇", "jia"),
        [opinion_id],
        fields,
        app.config["FEEDBACK_TIER_DAYS"],
    )
    assert_secure(app.test_client().get("/admin/login"))
    clerk_pages = [
        "/admin/",
        "/admin/opinions",
        "/admin/opinions?status=all",
        f"/admin/opinions/{opinion_id}",
        "/admin/groups",
        "/admin/suggestions/",
        f"/admin/suggestions/{suggestion}",
        "/admin/stations/",
        "/admin/opinions/new",
        "/admin/imports/new",
        "/admin/reports/",
        "/admin/departments",
    ]
    for url in clerk_pages:
        response = clerk.get(url)
        assert response.status_code == 200, url
        assert_secure(response)
    for url in ("/admin/users", "/admin/users/2", "/admin/reports/?town=甲镇"):
        response = admin.get(url)
        assert response.status_code == 200, url
        assert_secure(response)
    assert 'class="thumb"' in text(clerk.get(f"/admin/opinions/{opinion_id}"))
