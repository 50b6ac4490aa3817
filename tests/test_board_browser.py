"""Issue 16 in real headless Chromium on a 360-px phone with WeChat's user agent: the public
board shows no villager's words or contact (planted markers), 我也遇到 counts once per
phone, 补充说明 with a photo reaches staff and bad input keeps what was typed, and every
public page in both text sizes is measured: computed font sizes, tap-target boxes, and the
WCAG contrast of every visible text from its computed colours."""

from __future__ import annotations

from pathlib import Path

import pytest

from feedback import clock, receipts, suggestions
from feedback.access import Access
from feedback.db import connect
from tests.conftest import WECHAT_UA, feedback_cli
from tests.photo_samples import phone_jpeg

pytestmark = pytest.mark.browser

BODY_MARK, NAME_MARK, PHONE_MARK = "标记子丑寅村口路灯坏了", "钱标记", "13987654321"
STAFF_TITLE_MARK = "标记子丑寅"
ANSWER = "村口三盏路灯已于本周更换,晚上已经亮了"


def seed(instance) -> dict:
    """Three opinions of 六龙村 with planted markers: one open suggestion (its staff title
    copied from an opinion, as older drafts did), one closed with an answer, one opinion
    still pending; written straight into the served database."""
    db = connect(instance / "feedback.db")
    station = db.execute("select id from stations where code = 'liulong-ting'").fetchone()[0]
    rows = {}
    for key, body in (("open", BODY_MARK), ("closed", "六龙村的垃圾堆成山了"), ("new", "桥面开裂")):
        receipt = receipts.new_code()
        rows[key] = (
            db["opinions"]
            .insert(
                {
                    "receipt": receipt,
                    "station_id": station,
                    "body": body,
                    "name": NAME_MARK,
                    "phone": PHONE_MARK,
                    "consent": 1,
                    "category": "cityscape",
                    "created_at": clock.stamp(),
                }
            )
            .last_pk
        )
        rows[f"{key}_receipt"] = receipts.display(receipt)
    admin, days = Access("admin", username="admin"), {"一般": 30}
    fields = {"title": STAFF_TITLE_MARK, "body": BODY_MARK, "category": "cityscape", "tier": "一般"}
    rows["lamps"] = suggestions.create(db, admin, [rows["open"]], fields, days)
    rubbish = suggestions.create(db, admin, [rows["closed"]], dict(fields, title="垃圾"), days)
    suggestions.update(db, admin, rubbish, {}, department="甲镇环卫站")
    for status in ("待交办", "已交办", "办理中"):
        suggestions.advance(db, admin, rubbish, status, ANSWER)
    db.close()
    return rows


@pytest.fixture
def world(live_server, instance):
    assert feedback_cli("demo").returncode == 0
    return seed(instance)


def villager(browser, **options):
    context = browser.new_context(
        viewport={"width": 360, "height": 640},
        user_agent=WECHAT_UA,
        locale="zh-CN",
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        **options,
    )
    return context, context.new_page()


def supporters_shown(page, suggestion_id: int) -> str:
    return page.locator(f"#s-{suggestion_id} .supporters").inner_text()


def test_the_board_shows_no_villager_text_and_counts_support_once_per_phone(
    browser, phone, clerk_page, live_server, world
):
    lamps = world["lamps"]
    phone.goto(f"{live_server}/s/liulong-ting")
    phone.click("text=看看甲镇正在办的事")
    html = phone.content()
    for mark in (BODY_MARK, STAFF_TITLE_MARK, NAME_MARK, PHONE_MARK, PHONE_MARK[-4:]):
        assert mark not in html
    card = phone.locator(f"#s-{lamps}")
    assert "关于六龙村的市容市貌问题" in card.inner_text()
    assert ANSWER in phone.locator("article", has_text="已办结").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    card.locator("button.support").click()
    assert "已记下" in phone.locator(f"#s-{lamps} .alert").inner_text()
    assert not [t for t in measured(phone, "contrast") if t["ratio"] < 4.5]
    assert supporters_shown(phone, lamps) == "1"
    phone.locator(f"#s-{lamps} button.support").click()
    assert "已经登记过" in phone.locator(f"#s-{lamps} .alert").inner_text()
    assert supporters_shown(phone, lamps) == "1"
    phone.locator(f"#s-{lamps} summary").click()
    phone.fill(f"#phone-{lamps}", "139 0000 7777")
    phone.locator(f"#s-{lamps} .check").click()
    phone.locator(f"#s-{lamps} button.support").click()
    assert "已记下您的手机号" in phone.locator(f"#s-{lamps} .alert").inner_text()
    assert supporters_shown(phone, lamps) == "1"

    for number, expected in (("13900007777", "1"), ("13900008888", "2")):
        context, other = villager(browser)
        other.goto(f"{live_server}/board/甲镇")
        other.locator(f"#s-{lamps} summary").click()
        other.fill(f"#phone-{lamps}", number)
        other.locator(f"#s-{lamps} button.support").click()  # no consent yet: kept, explained
        assert "请勾选同意" in other.locator(f"#s-{lamps} .err").inner_text()
        assert not [t for t in measured(other, "contrast") if t["ratio"] < 4.5]
        assert other.input_value(f"#phone-{lamps}") == number
        other.locator(f"#s-{lamps} .check").click()
        other.locator(f"#s-{lamps} button.support").click()
        assert supporters_shown(other, lamps) == expected
        context.close()

    clerk_page.goto(f"{live_server}/admin/suggestions/{lamps}")
    counted = clerk_page.locator("#supporter-count").inner_text()
    assert "2 人" in counted and "其中 2 人留了手机号" in counted
    assert "139****7777" in clerk_page.locator("#supporters").inner_text()


# --- 适老化: measured from what the browser computes ----------------------------------------
MEASURES = (Path(__file__).with_name("page_measures.js")).read_text(encoding="utf-8")


def measured(page, what: str):
    """Run one of page_measures.js's measures on the page as it is now."""
    return page.evaluate(f"(() => {{ {MEASURES}\n return measures.{what}(); }})()")


def public_pages(live_server: str, world: dict) -> list[str]:
    return [
        f"{live_server}/s/liulong-ting",
        f"{live_server}/t/{world['open_receipt']}",  # 补充说明 form
        f"{live_server}/t/{world['closed_receipt']}",  # the answer and the rating choices
        f"{live_server}/t",
        f"{live_server}/board/甲镇",
        f"{live_server}/s/no-such-station",  # the Chinese 404
    ]


def test_large_text_tap_targets_and_contrast_on_every_public_page(browser, live_server, world):
    context, page = villager(browser)
    for big in (False, True):
        for url in public_pages(live_server, world):
            page.goto(url)
            low = [t for t in measured(page, "contrast") if t["ratio"] < 4.5]
            assert not low, (url, big, low)
            if big:
                sizes = measured(page, "sizes")
                small = [f for f in sizes["fonts"] if f["px"] < 24]
                assert not small, (url, small)
                tight = [t for t in sizes["targets"] if t["w"] < 60 or t["h"] < 60]
                assert not tight, (url, tight)
                assert sizes["width"] <= 360, url
        page.goto(f"{live_server}/s/liulong-ting")
        if not big:
            assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") < 24
            page.click("#big")  # a link: on, for every page from now on
            assert page.locator("html.big").count() == 1
    # An error is said in words and with a sign, not in red alone.
    page.goto(f"{live_server}/s/liulong-ting")
    page.fill("#body", "短")
    page.click("#send")
    error = page.locator("#body-err")
    assert "至少写" in error.inner_text()
    assert not [t for t in measured(page, "contrast") if t["ratio"] < 4.5]
    assert "⚠" in error.evaluate("e => getComputedStyle(e, '::before').content")
    assert page.input_value("#body") == "短"
    page.click("#big")  # and off again
    assert page.locator("html.big").count() == 0
    context.close()


def test_the_switch_works_without_javascript_and_read_aloud_only_with_speech(
    browser, live_server, world
):
    context, page = villager(browser, java_script_enabled=False)
    page.goto(f"{live_server}/s/liulong-ting")
    assert not page.locator("#speak").is_visible()
    page.click("#big")
    page.goto(f"{live_server}/board/甲镇")
    assert page.locator("html.big").count() == 1
    assert page.locator("#big").inner_text() == "标准字"
    context.close()

    context, page = villager(browser)
    page.add_init_script(
        "window.spoken = [];"
        "Object.defineProperty(window, 'speechSynthesis', {value: {speaking: false,"
        " speak(u) { window.spoken.push(u.text); this.speaking = true; },"
        " cancel() { this.speaking = false; }}});"
    )
    page.goto(f"{live_server}/board/甲镇")
    page.click("#speak")
    spoken = page.evaluate("window.spoken")
    assert len(spoken) == 1 and "群众意见办理公开栏" in spoken[0]
    assert page.locator("#speak").inner_text() == "停止朗读"
    context.close()

    context, page = villager(browser)
    page.add_init_script("Object.defineProperty(window, 'speechSynthesis', {value: undefined});")
    page.goto(f"{live_server}/board/甲镇")
    assert not page.locator("#speak").is_visible()
    context.close()


def test_an_addition_with_a_photo_reaches_staff_and_bad_input_keeps_the_text(
    browser, phone, clerk_page, live_server, world, tmp_path
):
    phone.goto(f"{live_server}/t/{world['new_receipt']}")
    typed = "桥在六龙村小学门口,裂缝越来越宽" * 40  # over 500 characters
    phone.fill("#more", typed)
    phone.click("#more-send")
    assert (
        "最多 500 字" in phone.locator("#more-card .alert, #more-card .err").all_inner_texts()[-1]
    )
    assert phone.input_value("#more") == typed

    typed = "桥在六龙村小学门口,裂缝越来越宽"
    phone.fill("#more", typed)
    phone.evaluate("document.querySelector('#more-form [name=csrf_token]').value = 'expired'")
    phone.click("#more-send")
    assert "页面停留太久已过期" in phone.locator("#more-card .alert").inner_text()
    assert phone.input_value("#more") == typed

    big = {"name": "big.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8\xff" + bytes(12 << 20)}
    phone.set_input_files("#more-photos", big)
    phone.click("#more-send")
    assert "照片太大了" in phone.locator("#more-photos-err").inner_text()
    assert phone.input_value("#more") == typed

    picture = tmp_path / "bridge.jpg"
    picture.write_bytes(phone_jpeg(1200, 900))
    phone.set_input_files("#more-photos", str(picture))
    phone.click("#more-send")
    assert typed in phone.locator("#more-card .addition").inner_text()
    assert "您补充了说明" in phone.locator("ol").inner_text()

    clerk_page.goto(f"{live_server}/admin/opinions/{world['new']}")
    shown = clerk_page.locator("#additions")
    assert typed in shown.inner_text()
    image = shown.locator("img")
    image.wait_for()
    assert image.evaluate("i => i.complete && i.naturalWidth") > 0
