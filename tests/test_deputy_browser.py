"""A deputy's day in real headless Chromium, on 360-px phones in WeChat: a villager opens the
deputy's card (/d/CODE) and sends an opinion; the deputy signs in, finds it first, marked as
addressed to them; records a home visit, types in two opinions heard there, shows each
receipt large for the villager to photograph, and the visit lists both."""

from __future__ import annotations

import re

import pytest

from feedback.db import connect
from tests.conftest import WECHAT_UA, feedback_cli

pytestmark = pytest.mark.browser
VILLAGER = "六龙村村口的路灯坏了三个月,晚上走路看不见"
HEARD = ("三组的水渠堵了,一下雨就淹到菜地", "三组到村部的路上缺一盏路灯")


def fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 360


def new_phone(browser):
    return browser.new_context(
        viewport={"width": 360, "height": 640},
        user_agent=WECHAT_UA,
        locale="zh-CN",
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )


def test_a_villager_writes_to_the_deputy_who_visits_and_types_in_two(
    browser, phone, live_server, instance
):
    for args, stdin in (
        (("station", "add", "ll-01", "六龙村议事亭", "--town", "甲镇"), None),
        (("deputy", "add", "wang-li", "王丽", "--town", "甲镇", "--level", "县",
          "--station", "ll-01"), None),
        (("user", "add", "wl", "--role", "deputy", "--deputy", "wang-li", "--password-stdin"),
         "correct horse\n"),
    ):  # fmt: skip
        done = feedback_cli(*args, stdin=stdin)
        assert done.returncode == 0, done.stderr

    phone.goto(f"{live_server}/d/wang-li")
    assert phone.locator("#deputy").inner_text() == "王丽 代表" and fits_the_phone(phone)
    phone.fill("#body", VILLAGER)
    phone.click("#send")
    phone.wait_for_url(re.compile(r".*/t/[A-Z0-9]{4}-[A-Z0-9]{4}$"))
    villager_receipt = phone.locator("#receipt").inner_text()

    context = new_phone(browser)
    deputy = context.new_page()
    deputy.goto(f"{live_server}/admin/")
    deputy.fill("#username", "wl")
    deputy.fill("#password", "correct horse")
    deputy.click("button[type=submit]")
    deputy.wait_for_url(f"{live_server}/admin/deputy/")
    first = deputy.locator("#opinions li.opinion").first
    assert "提给我的" in first.inner_text() and VILLAGER[:10] in first.inner_text()
    assert fits_the_phone(deputy)
    first.locator("a").click()
    assert deputy.locator("#body").inner_text() == VILLAGER

    deputy.goto(f"{live_server}/admin/deputy/")
    deputy.click("#new-activity")
    deputy.select_option("#kind", label="走访")
    deputy.fill("#place", "六龙村三组")
    deputy.fill("#people", "2")  # forgot the date: it is prefilled with today
    deputy.fill("#notes", "入户夜访两户")
    deputy.click("#activity button[type=submit]")
    assert deputy.locator("h1").inner_text() == "走访 · 六龙村三组" and fits_the_phone(deputy)
    activity_url = deputy.url

    receipts = []
    deputy.click("#enter-here")
    for number, body in enumerate(HEARD):
        assert "走访 · 六龙村三组" in deputy.locator("#activity option:checked").inner_text()
        deputy.fill("#place", f"三组{'张李'[number]}家")
        deputy.fill("#body", body)
        if number == 0:  # a name and phone, with consent asked on the spot
            deputy.fill("#name", "张大爷")
            deputy.fill("#phone", "13812345678")
            deputy.click("#heard button[type=submit]")
            assert "请先问村民是否同意" in deputy.locator("#heard").inner_text()
            assert deputy.locator("#body").input_value() == body  # nothing lost
            deputy.check("#consent")
        deputy.click("#heard button[type=submit]")
        receipt = deputy.locator("#receipt")
        size = receipt.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        box = receipt.bounding_box()
        assert size >= 40 and box["x"] >= 0 and box["x"] + box["width"] <= 360
        assert fits_the_phone(deputy)
        receipts.append(receipt.inner_text())
        slip = context.request.get(live_server + deputy.locator("#slip").get_attribute("href"))
        assert slip.ok and slip.body().startswith(b"%PDF")
        if number == 0:
            deputy.click("#again")

    deputy.goto(activity_url)
    listed = deputy.locator("#activity-opinions").inner_text()
    assert "这次收集的意见(2)" in listed and all(r in listed for r in receipts)
    deputy.goto(f"{live_server}/admin/deputy/")
    assert deputy.locator("#opinions li.opinion").count() == 3
    assert "138****5678" in deputy.locator("#opinions").inner_text()
    context.close()

    db = connect(instance / "feedback.db")
    rows = db.execute(
        "select receipt, channel, place, deputy_id, activity_id is not null from opinions "
        "order by id"
    ).fetchall()
    db.close()
    assert [(r[0][:4] + "-" + r[0][4:], *r[1:]) for r in rows] == [
        (villager_receipt, "form", None, 1, 0),
        (receipts[0], "visit", "三组张家", 1, 1),
        (receipts[1], "visit", "三组李家", 1, 1),
    ]
