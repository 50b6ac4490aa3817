"""Journeys in a real headless Chromium, as a phone in WeChat meets them."""

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image

from feedback.db import connect
from tests.conftest import WECHAT_UA, feedback_cli
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
    # A locator wait: wait_for_function evals its string, which the page's CSP forbids.
    phone.locator("#photo-note", has_text="已选").wait_for()
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


def test_clerk_types_in_a_paper_opinion_and_gets_a_slip(clerk_page, live_server, instance):
    page = clerk_page
    page.click("text=录入意见")
    page.select_option("#station", label="甲镇 · 六龙村议事亭")
    page.select_option("#channel", label="赶圩日摊位")
    page.fill("#collected_by", "李代表")
    page.fill("#created_at", "2026/3/1 9:30")
    page.fill("#body", "赶圩日摊位反映:大塘村垃圾没人清运,堆成山了")
    page.click("main button[type=submit]")
    receipt = page.locator("#receipt").inner_text()
    assert len(receipt) == 9 and "已录入" in page.locator("main").inner_text()
    slip = page.request.get(live_server + page.locator("#slip-a6").get_attribute("href"))
    assert slip.status == 200 and slip.body().startswith(b"%PDF")
    page.goto(f"{live_server}/t/{receipt}")
    assert "大塘村垃圾没人清运" in page.locator("main").inner_text()


def test_clerk_upload_preview_shows_the_bad_row_and_stores_nothing(clerk_page, tmp_path, instance):
    page = clerk_page
    sheet = tmp_path / "赶圩日.csv"
    sheet.write_bytes(
        "内容,时间,电话\n村口路灯坏了三个月,2026-03-01,13812345678\n短,,123\n".encode("gbk")
    )
    page.click("text=批量导入")
    page.select_option("#station", label="甲镇 · 大塘村人大代表联络站")
    page.set_input_files("#file", str(sheet))
    page.click("main button[type=submit]")
    assert "整个文件都没有保存" in page.locator("#verdict").inner_text()
    bad_row = page.locator("#rows tr.bad")
    assert bad_row.count() == 1 and "内容只有 1 个字" in bad_row.inner_text()
    assert "138****5678" in page.locator("#rows").inner_text()
    assert page.locator("#confirm").count() == 0
    assert connect(instance / "feedback.db")["opinions"].count == 0

    sheet.write_bytes("内容,时间\n村口路灯坏了三个月,2026-03-01\n垃圾没人清运,\n".encode("gbk"))
    page.click("text=重新选择文件")
    page.select_option("#station", label="甲镇 · 大塘村人大代表联络站")
    page.set_input_files("#file", str(sheet))
    page.click("main button[type=submit]")
    page.click("#confirm")
    assert "已保存 2 条意见" in page.locator("main").inner_text()
    assert connect(instance / "feedback.db")["opinions"].count == 2


def test_clerk_merges_a_similar_group_handles_it_then_the_villager_rates(
    clerk_page, browser, live_server, station
):
    villager = browser.new_context(viewport={"width": 360, "height": 640}, user_agent=WECHAT_UA)
    phone = villager.new_page()
    receipts = []
    for body in ("村口路灯坏了三个月,晚上看不见", "我们村路口的灯一直不亮"):
        phone.goto(station)
        phone.fill("#body", body)
        phone.click("#send")
        phone.wait_for_url("**/t/*")
        receipts.append(phone.locator("#receipt").inner_text())

    page = clerk_page
    page.click("text=相似分组")
    group = page.locator("form.group", has_text="村口路灯坏了三个月")
    assert "我们村路口的灯一直不亮" in group.inner_text()
    # Grouped (by words, before the embedder reached them) or offered beside the first as
    # 可能也是这件事 (by meaning, once it has): either way the clerk ticks both.
    for box in group.locator("input[name=ids]").all():
        box.check()
    group.locator("button[value=new]").click()
    page.click("#notice a")
    assert "背后的 2 条群众意见" in page.locator("main").inner_text()
    page.click("#edit-card summary")
    page.fill("#e-title", "六龙村路灯不亮")
    page.click("#edit button[type=submit]")
    # One form from here on: each step saves what was typed and moves on in one page load.
    page.select_option("#tier", "微事")
    page.fill("#department", "镇城建办")
    page.click("#save-advance")  # 已交办
    assert "已交办 · 微事" in page.locator("#facts").inner_text()
    page.fill("#progress", "已联系供电所,灯具在路上")
    page.click("#save-advance")  # 办理中
    assert "已联系供电所,灯具在路上" in page.locator("#notes").inner_text()
    page.click("#save-advance")  # 已办结 without an answer: refused, nothing stored
    assert "办结需要填写最终答复" in page.locator("main").inner_text()
    assert "办理中" in page.locator("#facts").inner_text()
    page.fill("#answer", "村口三盏路灯已于本周修好")
    page.click("#save-advance")  # 已办结
    assert "已办结" in page.locator("#facts").inner_text()

    phone.goto(f"{live_server}/t/{receipts[1]}")
    status = phone.locator("main").inner_text()
    assert "已并入代表建议" in status and "村口三盏路灯已于本周修好" in status
    assert status.count("村口三盏路灯已于本周修好") == 1  # the answer card, not the timeline too
    phone.check("input[value=满意]")
    phone.click("main button[type=submit]")
    assert "您的评价:满意" in phone.locator("main").inner_text()
    villager.close()
