"""Journeys in a real headless Chromium, as a phone in WeChat meets them."""

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image

from feedback.db import connect
from tests.conftest import feedback_cli
from tests.photo_samples import has_gps, phone_jpeg

pytestmark = pytest.mark.browser

OPINION = "村口路灯坏了三个月,晚上走路看不见,老人小孩都怕摔跤。"


@pytest.fixture
def station(live_server):
    assert feedback_cli("demo").returncode == 0
    return f"{live_server}/s/liulong-ting"


@pytest.fixture
def gps_photo(tmp_path) -> Path:
    path = tmp_path / "IMG_20261123_093000.jpg"
    path.write_bytes(phone_jpeg())
    assert has_gps(path.read_bytes()) and path.stat().st_size > 400_000
    return path


def stored_photos(instance: Path) -> list[Image.Image]:
    db = connect(instance / "feedback.db")
    names = [row["filename"] for row in db["photos"].rows]
    return [Image.open(instance / "photos" / name) for name in names]


def test_form_page_is_small_and_from_this_host_only(station, phone):
    hosts, sizes = set(), []
    phone.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    phone.on("requestfinished", lambda request: sizes.append(request.sizes()))
    response = phone.goto(station)
    phone.wait_for_load_state("networkidle")
    assert response.status == 200
    assert phone.locator("h2").first.inner_text() == "六龙村议事亭"
    assert hosts == {urlsplit(station).netloc}
    transferred = sum(s["responseBodySize"] + s["responseHeadersSize"] for s in sizes)
    print(f"\nform page: {len(sizes)} request(s), {transferred} bytes transferred")
    assert transferred < 15 * 1024
    # Fits a 360-px screen: nothing to scroll sideways, and the button is big enough to hit.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert phone.locator("#send").bounding_box()["height"] >= 44


def test_submit_with_a_gps_photo_then_follow_up(station, phone, gps_photo, instance):
    phone.goto(station)
    phone.fill("#body", OPINION)
    assert phone.locator("#count").inner_text() == f"{len(OPINION)}/2000 字"
    phone.select_option("#category", label="市容市貌")
    phone.set_input_files("#photos", str(gps_photo))
    phone.wait_for_function("document.getElementById('photo-note').textContent.includes('已选')")
    shrunk_kb = int(phone.locator("#photo-note").inner_text().split("共 ")[1].split(" KB")[0])
    assert shrunk_kb * 1024 < gps_photo.stat().st_size  # shrunk on the phone before upload
    phone.fill("#phone", "138 1234 5678")
    phone.check("input[name=consent]")
    phone.click("#send")
    phone.wait_for_url("**/t/*")
    receipt = phone.locator("#receipt").inner_text()
    assert len(receipt) == 9 and receipt[4] == "-"
    assert "提交成功" in phone.locator("main").inner_text()
    assert "请截图保存" in phone.locator("main").inner_text()
    assert phone.evaluate("localStorage.getItem('fb-draft-liulong-ting')") is None

    (photo,) = stored_photos(instance)
    assert max(photo.size) <= 1600
    assert not photo.getexif() and "exif" not in photo.info

    # Later: the villager types the code (in lower case) on the lookup page.
    phone.goto(f"{urlsplit(station)._replace(path='/t').geturl()}")
    phone.fill("#code", receipt.lower())
    phone.click("button[type=submit]")
    phone.wait_for_url(f"**/t/{receipt}")
    text = phone.locator("main").inner_text()
    assert OPINION in text and "已收到" in text and "市容市貌" in text
    assert "138" not in text  # contact details are never shown on the public page
    assert phone.locator(".photos img").evaluate("img => img.naturalWidth") > 0


def test_without_javascript_a_mistake_keeps_the_text(browser, station, instance):
    context = browser.new_context(
        viewport={"width": 360, "height": 640}, java_script_enabled=False, locale="zh-CN"
    )
    page = context.new_page()
    page.goto(station)
    page.fill("#body", OPINION)
    page.fill("#phone", "12345")
    page.click("#send")
    assert "请填写 11 位手机号码" in page.locator("main").inner_text()
    assert page.input_value("#body") == OPINION
    assert page.input_value("#phone") == "12345"
    page.fill("#phone", "13812345678")
    page.check("input[name=consent]")
    page.click("#send")
    page.wait_for_url("**/t/*")
    assert "提交成功" in page.locator("main").inner_text()
    assert connect(instance / "feedback.db")["opinions"].count == 1
    context.close()


def test_draft_survives_a_reload_until_submitted(station, phone):
    phone.goto(station)
    phone.fill("#body", OPINION)
    phone.fill("#name", "王大爷")
    phone.reload()
    assert phone.input_value("#body") == OPINION
    assert phone.input_value("#name") == "王大爷"


def test_unknown_station_shows_chinese_404(live_server, phone):
    response = phone.goto(f"{live_server}/s/no-such-place")
    assert response.status == 404
    assert "没有找到这个页面" in phone.locator("main").inner_text()
