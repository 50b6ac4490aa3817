"""The monthly report in a real headless Chromium: the charts are drawn, nothing is fetched
from another host, and printing gives A4 pages without the staff navigation."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from feedback import clock
from feedback.db import connect
from tests.conftest import feedback_cli

pytestmark = pytest.mark.browser

CATEGORIES = ["cityscape", "cityscape", "pollution", "rural", "cityscape"]


@pytest.fixture
def report_data(live_server, instance):
    """This month's opinions at the demo stations (甲镇), two of them rated, and an admin."""
    assert feedback_cli("demo").returncode == 0
    added = feedback_cli(
        "user", "add", "boss", "--role", "admin", "--password-stdin", stdin="correct horse\n"
    )
    assert added.returncode == 0, added.stderr
    db = connect(instance / "feedback.db")
    now = clock.stamp()
    db["opinions"].insert_all(
        {
            "receipt": f"RPTX{'ABCDE'[n]}XXX",
            "station_id": 1 + n % 2,
            "body": f"第{n}条:村口路灯坏了",
            "category": category,
            "created_at": now,
            "channel": "form" if n % 2 else "paper",
            "status": "answered" if n < 2 else "new",
            "answered_at": now if n < 2 else None,
            "rating": "满意" if n < 2 else None,
            "rated_at": now if n < 2 else None,
        }
        for n, category in enumerate(CATEGORIES)
    )
    db.close()
    return clock.now().strftime("%Y-%m")


@pytest.fixture
def admin_page(browser, live_server, report_data):
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="zh-CN")
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{live_server}/admin/login")
    page.fill("#username", "boss")
    page.fill("#password", "correct horse")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/admin/")
    yield page, requests
    context.close()


def bar_widths(page, chart: str) -> dict[str, float]:
    """Each bar's drawn width on screen, by its data value."""
    bars = page.locator(f"{chart} rect.bar")
    return {
        bars.nth(i).get_attribute("data-value"): bars.nth(i).bounding_box()["width"]
        for i in range(bars.count())
    }


def test_staff_report_draws_charts_from_this_host_only(admin_page, live_server, report_data):
    page, requests = admin_page
    page.click("text=报表")
    page.wait_for_load_state("networkidle")
    assert page.locator("#month").input_value() == report_data
    assert page.locator("#k-received").inner_text() == "5"
    assert page.locator("#k-satisfaction").inner_text() == "100.0%"

    charts = page.locator("#bulletin svg.chart")
    assert charts.count() == 4 and all(charts.nth(i).is_visible() for i in range(4))
    category = page.locator("svg.bars[aria-label=按类别]")
    assert category.locator("rect.bar").count() == 7  # every configured category
    widths = bar_widths(page, "svg.bars[aria-label=按类别]")
    assert widths["3"] > widths["1"] > 0 and widths["0"] == 0  # 市容市貌 3, 污染防治 1
    trend = page.locator("svg.trend")
    assert trend.locator("polyline.line").count() == 2
    assert trend.locator("circle.point").count() == 24

    hosts = {urlsplit(url).netloc for url in requests}
    assert hosts == {urlsplit(live_server).netloc}, requests


def test_printing_hides_the_navigation_and_uses_a4(admin_page, live_server, report_data):
    page, _requests = admin_page
    page.goto(f"{live_server}/admin/reports/?month={report_data}")
    assert page.locator("header").is_visible() and page.locator("#picker").is_visible()
    page.emulate_media(media="print")
    assert not page.locator("header").is_visible()
    assert not page.locator("#picker").is_visible()
    assert page.locator("#bulletin svg.trend").is_visible()
    pdf = page.pdf(prefer_css_page_size=True)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert boxes and all(abs(float(w) - 595.3) < 2 and abs(float(h) - 841.9) < 2 for w, h in boxes)


def test_cli_html_file_renders_offline(browser, report_data, tmp_path):
    out = tmp_path / "bulletin.html"
    result = feedback_cli(
        "report", "--month", report_data, "--town", "甲镇", "--format", "html", "--out", str(out)
    )
    assert result.returncode == 0, result.stderr
    context = browser.new_context(viewport={"width": 900, "height": 1200})
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(out.as_uri())
    page.wait_for_load_state("networkidle")
    assert requests == [out.as_uri()]
    assert "甲镇" in page.locator("h1").inner_text()
    assert page.locator("svg.bars rect.bar").count() >= 7
    assert bar_widths(page, "svg.bars[aria-label=按类别]")["3"] > 0
    context.close()
