"""Return visits in real headless Chromium (issue 16): a villager leaves their number, the
suggestion behind their opinion is answered and closed, a week later the clerk works the
回访 list on a 360-px phone in WeChat, shows the number on purpose, records 不满意 with the
reason and asks for 二次办理; the suggestion is open again and the villager's status page
says so."""

from __future__ import annotations

from datetime import timedelta

import pytest

from feedback import clock, suggestions
from feedback.access import Access
from feedback.db import connect
from tests.conftest import WECHAT_UA, feedback_cli, sign_in_page

pytestmark = pytest.mark.browser
JIA = Access("clerk", "甲镇", "jia-clerk")


def test_a_clerk_calls_a_villager_who_is_not_satisfied_and_reopens(
    browser, live_server, instance, phone
):
    assert feedback_cli("demo").returncode == 0
    add_clerk = (
        "user",
        "add",
        "jia-clerk",
        "--role",
        "clerk",
        "--town",
        "甲镇",
        "--password-stdin",
    )
    assert feedback_cli(*add_clerk, stdin="correct horse\n").returncode == 0
    phone.goto(f"{live_server}/s/liulong-ting")
    phone.fill("#body", "村口三盏路灯坏了三个月,晚上看不见路")
    phone.fill("#phone", "138 1234 5678")
    phone.check("input[name=consent]")
    phone.click("#send")
    phone.wait_for_url("**/t/*")
    status_url = phone.url

    db = connect(instance / "feedback.db")
    (opinion_id,) = [row[0] for row in db.execute("select id from opinions")]
    fields = {"title": "六龙村路灯不亮", "body": "路灯坏了", "category": "other", "tier": "一般"}
    made = suggestions.create(db, JIA, [opinion_id], fields, {"微事": 7, "一般": 30, "重大": 90})
    suggestions.update(db, JIA, made, {}, "甲镇城建办")
    for step in ("待交办", "已交办"):
        suggestions.advance(db, JIA, made, step)
    suggestions.advance(db, JIA, made, "办理中", "三盏路灯已更换")
    with db.conn:  # a week and a day have passed since the answer
        db.execute(
            "update opinions set answered_at = ?",
            [clock.stamp(clock.now() - timedelta(days=8))],
        )

    context = browser.new_context(
        viewport={"width": 360, "height": 640},
        user_agent=WECHAT_UA,
        locale="zh-CN",
        is_mobile=True,
        has_touch=True,
    )
    clerk = context.new_page()
    sign_in_page(clerk, live_server, "jia-clerk")
    clerk.click("text=菜单")
    clerk.click("nav >> text=回访")
    card = clerk.locator(f"#visit-{opinion_id}")
    assert "村口三盏路灯坏了三个月" in card.inner_text()
    assert "138****5678" in card.inner_text()
    card.locator("button", has_text="显示号码").click()
    assert clerk.locator(f"#phone-{opinion_id}").get_attribute("href") == "tel:13812345678"
    assert clerk.evaluate("document.documentElement.scrollWidth") <= 360

    card = clerk.locator(f"#visit-{opinion_id}")
    card.locator("input[value=不满意]").check()
    card.locator("textarea").fill("只换了一盏,另外两盏还是不亮")
    card.locator("input[type=checkbox]").check()
    card.locator("button", has_text="记下回访结果").click()
    assert f"已记下意见 #{opinion_id} 的回访结果" in clerk.locator("#visit-done").inner_text()
    assert clerk.locator(f"#visit-{opinion_id}").count() == 0

    clerk.goto(f"{live_server}/admin/suggestions/{made}")
    assert "办理中" in clerk.locator("#facts").inner_text()
    assert "只换了一盏" in clerk.locator("main").inner_text()
    phone.goto(status_url)
    text = phone.locator("main").inner_text()
    assert "二次办理" in text and "当时的答复:三盏路灯已更换" in text
    assert "只换了一盏" not in text
    context.close()
