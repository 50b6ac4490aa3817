"""A deputy's suggestion from start to verdict in real headless Chromium: on a 360-px phone in
WeChat the deputy ticks two lamp opinions of their station, asks a deputy of the town to
co-sign and proposes a suggestion; the clerk finds it 待交办 with its lead and co-signer and
hands it over online; the department signs for it and answers (class A) on its phone, the
clerk accepts; the deputy reads the answer on their phone and gives their verdict
(代表意见征询表), which the clerk's page shows."""

from __future__ import annotations

import re

import pytest

from tests.conftest import feedback_cli
from tests.test_department_browser import ANSWER, fits_the_phone, sign_in_on_phone
from tests.test_deputy_browser import new_phone
from tests.test_workbench_browser import LAMPS, RUBBISH, add_opinions

pytestmark = pytest.mark.browser


def test_proposed_handed_over_answered_and_judged(browser, clerk_page, live_server, instance):
    for args, stdin in (
        (("deputy", "add", "wang-li", "王丽", "--town", "甲镇", "--station", "liulong-ting"), None),
        (("deputy", "add", "li-si", "李四", "--town", "甲镇", "--station", "datang-lianluozhan"),
         None),
        (("user", "add", "wl", "--role", "deputy", "--deputy", "wang-li", "--password-stdin"),
         "correct horse\n"),
        (("department", "add", "甲镇环保办", "--town", "甲镇"), None),
        (("user", "add", "hb", "--role", "department", "--department", "甲镇环保办",
          "--password-stdin"), "correct horse\n"),
    ):  # fmt: skip
        done = feedback_cli(*args, stdin=stdin)
        assert done.returncode == 0, done.stderr
    lamps = add_opinions(instance, *LAMPS)
    (elsewhere,) = add_opinions(instance, RUBBISH, station="datang-lianluozhan")

    context = new_phone(browser)
    deputy = context.new_page()
    deputy.goto(f"{live_server}/admin/")
    deputy.fill("#username", "wl")
    deputy.fill("#password", "correct horse")
    deputy.click("button[type=submit]")
    deputy.wait_for_url(f"{live_server}/admin/deputy/")
    deputy.click("#my-suggestions")
    deputy.click("#propose")
    choices = deputy.locator("#choices").inner_text()
    assert LAMPS[0][:8] in choices and RUBBISH[:6] not in choices  # another station's
    assert fits_the_phone(deputy)
    deputy.click("#send")  # nothing ticked: said in words, nothing stored
    assert "请至少勾选一条意见" in deputy.locator("#error").inner_text()
    for opinion_id in lamps:
        deputy.check(f"input[name=ids][value='{opinion_id}']")
    deputy.fill("#body", "六龙村村口和路口的路灯都坏了,请尽快更换。")
    assert deputy.locator("#cosigners").inner_text().split() == ["请其他代表附议(可不选)", "李四"]
    deputy.check("#cosigners input[value='li-si']")
    deputy.click("#send")
    assert "已提出,等待镇人大交办" in deputy.locator("#proposed").inner_text()
    assert deputy.locator("#status").inner_text() == "待交办" and fits_the_phone(deputy)
    assert deputy.locator("#signers").inner_text() == "领衔:王丽 · 附议:李四"
    mine = deputy.url

    clerk = clerk_page
    clerk.goto(f"{live_server}/admin/suggestions/?status=待交办")
    clerk.locator("a", has_text="关于六龙村").first.click()
    assert "领衔代表:王丽 · 附议:李四" in clerk.locator("#facts").inner_text()
    clerk.select_option("#handover-lead", label="甲镇环保办")
    clerk.click("#handover button[type=submit]")
    suggestion_url = clerk.url.split("#")[0]

    office = new_phone(browser)
    department = office.new_page()
    sign_in_on_phone(department, live_server, "hb")
    department.click("#to-sign a")
    department.click("#sign button[type=submit]")
    department.check("#answer-result_class-0")
    department.fill("#answer-text", ANSWER)
    department.click("#answer button[type=submit]")
    clerk.goto(suggestion_url)
    clerk.click("#accept button[type=submit]")
    assert "已办结" in clerk.locator("#facts").inner_text()

    deputy.goto(mine)
    assert ANSWER in deputy.locator("#answer").inner_text()
    assert "A 类" in deputy.locator("#answer").inner_text()
    deputy.check("#verdict-2")  # 不满意 without a reason: refused, said in words
    deputy.click("#give-verdict")
    assert "请写明哪里不满意" in deputy.locator("#error").inner_text() and fits_the_phone(deputy)
    deputy.check("#verdict-1")
    deputy.fill("#comment", "路灯已亮,还有一盏位置偏了")
    deputy.click("#give-verdict")
    assert re.search(r"您的代表意见:\s*基本满意", deputy.locator("#verdict").inner_text())
    assert fits_the_phone(deputy)

    clerk.goto(suggestion_url)
    shown = clerk.locator("#deputy-verdict").inner_text()
    assert "王丽" in shown and "基本满意" in shown and "位置偏了" in shown
    assert elsewhere  # the other station's opinion stayed out of the deputy's reach
    office.close()
    context.close()
