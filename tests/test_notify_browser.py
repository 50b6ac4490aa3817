"""The villager's texts, in a real headless Chromium at 360 px with WeChat's user agent: they
ask for texts on the form, are texted (fake Tencent Cloud SMS) when the clerk merges their
opinion and when the suggestion is answered, and rate through the link in the text; a
neighbour who added 我也遇到 with a phone on the board is texted the answer too and opens the
board link."""

from __future__ import annotations

import re

import pytest

from feedback.db import connect
from tests.conftest import BASE_URL, WECHAT_UA, feedback_cli
from tests.fake_sms import FakeSms

pytestmark = pytest.mark.browser

LINK = re.compile(re.escape(BASE_URL) + r"/[tb]/[A-Z0-9]+")


@pytest.fixture
def sms_provider(instance, monkeypatch):
    """A fake Tencent Cloud SMS the service and `feedback notify` are configured with."""
    with FakeSms("tencent", link_base=BASE_URL) as fake:
        for key, value in fake.env().items():
            monkeypatch.setenv(key, value)
        yield fake


def texted(fake: FakeSms, live_server: str, count: int = 1) -> list[tuple[str, str]]:
    """Run the timer's command once; the texts it sent and their links, opened on this server
    as the public address would."""
    run = feedback_cli("notify")
    assert run.returncode == 0 and f"Sent {count}," in run.stdout, run.stdout + run.stderr
    texts = [m["text"] for m in fake.messages[-count:]]
    return [(t, LINK.search(t).group(0).replace(BASE_URL, live_server)) for t in texts]


def at_360(browser):
    return browser.new_context(
        viewport={"width": 360, "height": 640}, user_agent=WECHAT_UA, is_mobile=True
    )


def test_a_villager_is_texted_on_merge_and_answer_and_rates_through_the_link(
    sms_provider, clerk_page, browser, live_server, instance
):
    villager = at_360(browser)
    phone = villager.new_page()
    phone.goto(f"{live_server}/s/liulong-ting")
    phone.fill("#body", "村口路灯坏了三个月,晚上看不见")
    phone.check("input[name=sms]")
    phone.click("#send")  # texts without a number: refused, the text kept
    assert "要收短信,请填写手机号" in phone.locator("main").inner_text()
    assert phone.input_value("#body") == "村口路灯坏了三个月,晚上看不见"
    phone.fill("#phone", "138 1234 5678")
    phone.check("input[name=consent]")
    phone.check("input[name=sms]")
    phone.click("#send")
    phone.wait_for_url("**/t/*")
    receipt = phone.locator("#receipt").inner_text().replace("-", "")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    opinion_id = connect(instance / "feedback.db").execute("select max(id) from opinions")
    opinion_id = opinion_id.fetchone()[0]

    page = clerk_page
    page.goto(f"{live_server}/admin/opinions")
    page.check(f"input[name=ids][value='{opinion_id}']")
    page.click("#merge-new")
    page.click("#create")
    [(text, link)] = texted(sms_provider, live_server)
    assert "已并入代表建议" in text and sms_provider.messages[-1]["phone"] == "13812345678"
    assert link.endswith(f"/t/{receipt}")
    phone.goto(link)
    assert "已并入代表建议" in phone.locator("main").inner_text()

    # A neighbour finds the same problem on the board and asks to be told of the answer.
    suggestion = page.url.rsplit("/", 1)[1].split("#")[0]
    neighbour = at_360(browser)
    other = neighbour.new_page()
    other.goto(f"{live_server}/board/甲镇")
    card = other.locator(f"#s-{suggestion}")
    card.locator("summary").click()
    other.fill(f"#phone-{suggestion}", "139 0000 6666")
    card.locator(".check").click()
    card.locator("button.support").click()
    assert "已记下" in other.locator(f"#s-{suggestion} .alert").inner_text()

    page.select_option("#tier", "微事")
    page.fill("#department", "镇城建办")
    page.click("#save-advance")  # 已交办
    page.click("#save-advance")  # 办理中
    page.fill("#answer", "村口三盏路灯已于本周修好")
    page.click("#save-advance")  # 已办结
    assert "已办结" in page.locator("#facts").inner_text()
    (text, link), (told, board_link) = texted(sms_provider, live_server, count=2)
    assert "已有答复,请查看并评价" in text
    assert "您也遇到的问题已有答复" in told and board_link.endswith(f"/b/{suggestion}")
    assert sms_provider.messages[-1]["phone"] == "13900006666"
    other.goto(board_link)  # the board showing that one suggestion, with its answer
    assert other.url.endswith(f"?s={suggestion}#s-{suggestion}")
    shown = other.locator(f"#s-{suggestion}").inner_text()
    assert "村口三盏路灯已于本周修好" in shown and "已办结" in shown
    assert other.locator("article").count() == 1
    assert other.evaluate("document.documentElement.scrollWidth") <= 360
    neighbour.close()

    phone.goto(link)
    assert "村口三盏路灯已于本周修好" in phone.locator("main").inner_text()
    phone.check("input[value=满意]")
    phone.click("main button[type=submit]")
    assert "您的评价:满意" in phone.locator("main").inner_text()
    villager.close()

    page.goto(f"{live_server}/admin/opinions/{opinion_id}")
    card = page.locator("#sms").inner_text()
    assert card.count("已发送") == 2 and "腾讯云短信" in card and "138****5678" in card
    assert len(sms_provider.messages) == 3
