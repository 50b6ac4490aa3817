"""Online handling in real headless Chromium (issue 14): the clerk hands a suggestion over,
the department signs for it on a 360-px phone in WeChat, asks for more time, the clerk
grants it, the department answers with class A, the clerk accepts, and the villager reads
the answer on their status page."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from feedback.db import connect
from tests.conftest import WECHAT_UA, feedback_cli
from tests.test_workbench_browser import LAMPS, add_opinions, tick

pytestmark = pytest.mark.browser
ANSWER = "六龙村村口三盏路灯已全部更换,晚上已经亮了"


def fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 360


def test_handed_over_signed_for_extended_answered_accepted(
    browser, clerk_page, phone, live_server, instance
):
    for args, stdin in (
        (("department", "add", "甲镇环保办", "--town", "甲镇"), None),
        (
            (
                "user",
                "add",
                "hb",
                "--role",
                "department",
                "--department",
                "甲镇环保办",
                "--password-stdin",
            ),
            "correct horse\n",
        ),
    ):
        done = feedback_cli(*args, stdin=stdin)
        assert done.returncode == 0, done.stderr
    (opinion_id,) = add_opinions(instance, LAMPS[0])
    clerk = clerk_page
    clerk.goto(f"{live_server}/admin/opinions")
    tick(clerk, opinion_id)
    clerk.click("#merge-new")
    clerk.click("#create")
    clerk.select_option("#handover-lead", label="甲镇环保办")
    clerk.click("#handover button[type=submit]")
    assert "甲镇环保办(主办,未签收" in clerk.locator("#handlers").inner_text()
    suggestion_url = clerk.url.split("#")[0]

    phone.goto(f"{live_server}/admin/")
    phone.fill("#username", "hb")
    phone.fill("#password", "correct horse")
    phone.click("button[type=submit]")
    phone.wait_for_url(f"{live_server}/admin/desk/")
    assert "待签收(1)" in phone.locator("#to-sign").inner_text() and fits_the_phone(phone)
    phone.click("#to-sign a")
    assert LAMPS[0] in phone.locator("#opinions").inner_text() and fits_the_phone(phone)
    phone.click("#sign button[type=submit]")
    assert phone.locator("#status").inner_text() == "办理中"

    deadline = date.fromisoformat(phone.locator("#deadline").inner_text())
    later = (deadline + timedelta(days=15)).isoformat()
    phone.click("#extension-card summary")
    phone.fill("#extension-until", later)
    phone.fill("#extension-reason", "需要等县里调拨灯杆")
    phone.click("#extension button[type=submit]")
    assert f"已申请延期到 {later}" in phone.locator("#extension-pending").inner_text()

    clerk.goto(suggestion_url)
    assert "需要等县里调拨灯杆" in clerk.locator("#extension-request").inner_text()
    clerk.click("#grant button[type=submit]")
    phone.reload()
    assert phone.locator("#deadline").inner_text() == later

    phone.check("#answer-result_class-0")
    phone.fill("#answer-text", ANSWER)
    phone.click("#answer button[type=submit]")
    assert "等镇里审核" in phone.locator("#submitted").inner_text() and fits_the_phone(phone)

    clerk.goto(suggestion_url)
    assert ANSWER in clerk.locator("#submitted-answer").inner_text()
    clerk.click("#accept button[type=submit]")
    timeline = clerk.locator("#timeline").inner_text()
    for act in ("交办", "签收", "申请延期", "同意延期", "提交答复", "审核通过"):
        assert act in timeline, act
    assert "已办结" in clerk.locator("#facts").inner_text()

    db = connect(instance / "feedback.db")
    receipt = db.execute("select receipt from opinions where id = ?", [opinion_id]).fetchone()[0]
    db.close()
    villager = browser.new_context(
        viewport={"width": 360, "height": 640}, user_agent=WECHAT_UA, locale="zh-CN"
    )
    page = villager.new_page()
    page.goto(f"{live_server}/t/{receipt}")
    assert ANSWER in page.locator("main").inner_text() and fits_the_phone(page)
    villager.close()


def sign_in_on_phone(phone, live_server: str, username: str) -> None:
    phone.goto(f"{live_server}/admin/")
    phone.fill("#username", username)
    phone.fill("#password", "correct horse")
    phone.click("button[type=submit]")
    phone.wait_for_url(f"{live_server}/admin/desk/")


def test_returned_then_sent_back_then_accepted(clerk_page, phone, live_server, instance):
    for args, stdin in (
        (("department", "add", "甲镇环保办", "--town", "甲镇"), None),
        (
            (
                "user",
                "add",
                "hb",
                "--role",
                "department",
                "--department",
                "甲镇环保办",
                "--password-stdin",
            ),
            "correct horse\n",
        ),
    ):
        assert feedback_cli(*args, stdin=stdin).returncode == 0
    (opinion_id,) = add_opinions(instance, LAMPS[1])
    clerk = clerk_page
    clerk.goto(f"{live_server}/admin/opinions")
    tick(clerk, opinion_id)
    clerk.click("#merge-new")
    clerk.click("#create")
    suggestion_url = clerk.url.split("#")[0]
    clerk.select_option("#handover-lead", label="甲镇环保办")
    clerk.click("#handover button[type=submit]")

    sign_in_on_phone(phone, live_server, "hb")
    phone.click("#to-sign a")
    phone.fill("#return-reason", "先请村委会核实位置")
    phone.click("#return button[type=submit]")
    assert "已退回" in phone.locator("main").inner_text()

    clerk.goto(suggestion_url)
    assert "先请村委会核实位置" in clerk.locator("#returned").inner_text()
    clerk.select_option("#handover-lead", label="甲镇环保办")
    clerk.click("#handover button[type=submit]")

    phone.goto(f"{live_server}/admin/desk/")
    phone.click("#to-sign a")
    phone.click("#sign button[type=submit]")
    phone.check("#answer-result_class-2")
    phone.fill("#answer-text", "今年没有经费,暂不能更换")
    phone.click("#answer button[type=submit]")

    clerk.goto(suggestion_url)
    clerk.fill("#review-reason", "请说明何时能列入计划")
    clerk.click("#sendback button[type=submit]")

    phone.goto(f"{live_server}/admin/desk/")
    assert "退回重办(1)" in phone.locator("#sent-back").inner_text()
    phone.click("#sent-back a")
    assert "请说明何时能列入计划" in phone.locator("#sent-back").inner_text()
    phone.check("#answer-result_class-1")
    phone.fill("#answer-text", "已列入明年第一季度计划")
    phone.click("#answer button[type=submit]")

    clerk.goto(suggestion_url)
    clerk.click("#accept button[type=submit]")
    assert "已办结" in clerk.locator("#facts").inner_text()
    timeline = clerk.locator("#timeline").inner_text()
    assert "退回" in timeline and "退回重办" in timeline and "B 类" in timeline
