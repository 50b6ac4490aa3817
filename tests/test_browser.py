"""Journeys in a real headless Chromium, as a phone in WeChat meets them."""

from urllib.parse import urlsplit

import pytest

from tests.conftest import feedback_cli

pytestmark = pytest.mark.browser


def test_scanned_station_opens_a_chinese_page_from_this_host_only(live_server, phone):
    assert feedback_cli("demo").returncode == 0
    hosts = set()
    phone.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    response = phone.goto(f"{live_server}/s/liulong-ting")
    assert response.status == 200
    assert phone.locator("h2").inner_text() == "六龙村议事亭"
    assert "甲镇" in phone.locator("main").inner_text()
    assert hosts == {urlsplit(live_server).netloc}
    # Fits a 360-px screen: nothing to scroll sideways.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360


def test_unknown_station_shows_chinese_404(live_server, phone):
    response = phone.goto(f"{live_server}/s/no-such-place")
    assert response.status == 404
    assert "没有找到这个页面" in phone.locator("main").inner_text()
