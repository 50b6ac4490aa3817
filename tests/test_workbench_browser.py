"""The clerk's workbench in a real browser: the bugs found walking it (issue 13)."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from feedback import clock, receipts
from feedback.db import connect
from tests.conftest import feedback_cli

pytestmark = pytest.mark.browser

LAMPS = ("六龙村村口路灯坏了三个月,晚上看不见", "六龙村路口的灯一直不亮,老人怕摔")
RUBBISH = "大塘村垃圾没人清运,堆成山了"


def add_opinions(instance, *bodies: str, station: str = "liulong-ting") -> list[int]:
    """Opinions as villagers sent them, written straight into the served database."""
    db = connect(instance / "feedback.db")
    station_id = db.execute("select id from stations where code = ?", [station]).fetchone()[0]
    ids = []
    for body in bodies:
        row = {
            "receipt": receipts.new_code(),
            "station_id": station_id,
            "body": body,
            "category": "cityscape",
            "created_at": clock.stamp(),
        }
        ids.append(db["opinions"].insert(row).last_pk)
    db.close()
    return ids


def linked(instance, suggestion_id: int) -> list[int]:
    db = connect(instance / "feedback.db")
    rows = db.execute(
        "select opinion_id from suggestion_opinions where suggestion_id = ? order by 1",
        [suggestion_id],
    ).fetchall()
    db.close()
    return [row[0] for row in rows]


def tick(page, *ids: int) -> None:
    for opinion_id in ids:
        page.check(f"input[name=ids][value='{opinion_id}']")


def test_each_merge_button_does_what_it_says(clerk_page, live_server, instance):
    page = clerk_page
    first, second, third = add_opinions(instance, LAMPS[0], LAMPS[1], RUBBISH)
    page.goto(f"{live_server}/admin/opinions")
    tick(page, first)
    page.click("#merge-new")
    page.click("#create")
    assert "背后的 1 条群众意见" in page.locator("main").inner_text()

    # An existing suggestion chosen in the dropdown, then 合并成新建议: a new draft.
    page.goto(f"{live_server}/admin/opinions")
    tick(page, second)
    page.select_option("select[name=suggestion]", index=1)
    page.click("#merge-new")
    assert "把 1 条意见合并成一件代表建议" in page.locator("main").inner_text()
    assert LAMPS[1] in page.locator("main").inner_text()
    assert linked(instance, 1) == [first]

    # The same choice with 并入: added to that suggestion.
    page.goto(f"{live_server}/admin/opinions")
    tick(page, second)
    page.select_option("select[name=suggestion]", index=1)
    page.click("#merge-into")
    assert "背后的 2 条群众意见" in page.locator("main").inner_text()
    assert linked(instance, 1) == [first, second]

    # Nothing ticked: a message that says so, and the way back to the same list.
    page.goto(f"{live_server}/admin/opinions?status=new&q=垃圾")
    page.click("#merge-new")
    assert "请先勾选意见" in page.locator("main").inner_text()
    page.click("#back")
    assert page.locator("#opinions").inner_text().count(RUBBISH[:6]) == 1
    assert page.input_value("input[name=q]") == "垃圾"
    assert third not in linked(instance, 1)


def test_a_group_merged_meanwhile_merges_the_rest_and_says_so(clerk_page, live_server, instance):
    page = clerk_page
    first, second = add_opinions(instance, *LAMPS)
    page.goto(f"{live_server}/admin/groups")
    group = page.locator("form.group", has_text=LAMPS[0][:8])
    assert LAMPS[1] in group.inner_text()

    # Another clerk merges the first of the group while this page stays open.
    other = page.context.new_page()
    other.goto(f"{live_server}/admin/opinions")
    tick(other, first)
    other.click("#merge-new")
    other.click("#create")
    other.close()

    group.locator("button[value=new]").click()
    notice = page.locator("#notice").inner_text()
    assert "已生成 1 件建议" in notice and f"#{first} 刚刚已被处理过" in notice
    assert linked(instance, 2) == [second]
    assert page.locator("#no-groups").is_visible()


def test_the_villager_reads_the_answer_once(clerk_page, live_server, instance, phone):
    page = clerk_page
    (opinion,) = add_opinions(instance, LAMPS[0])
    page.goto(f"{live_server}/admin/opinions/{opinion}")
    answer = "村口三盏路灯已于本周修好,感谢您的反映"
    page.fill("#a-answer", answer)
    page.click("form:has(#a-answer) button[type=submit]")
    db = connect(instance / "feedback.db")
    receipt = db["opinions"].get(opinion)["receipt"]
    db.close()
    phone.goto(f"{live_server}/t/{receipt}")
    text = phone.locator("main").inner_text()
    assert text.count(answer) == 1
    assert "已答复" in text and "答复内容见下方" in text


def test_a_suggestion_is_corrected_after_more_opinions_join(clerk_page, live_server, instance):
    """The count line follows the opinions behind, title and category can be corrected, and
    the history (记录) shows both, every moment in China time."""
    page = clerk_page
    first, second, third = add_opinions(instance, LAMPS[0], LAMPS[1], "六龙村路灯晚上全灭了")
    page.goto(f"{live_server}/admin/opinions")
    tick(page, first, second)
    page.click("#merge-new")
    page.click("#create")
    assert page.locator("#suggestion-body").inner_text().startswith("群众反映 2 条:")

    page.goto(f"{live_server}/admin/opinions")
    tick(page, third)
    page.select_option("select[name=suggestion]", index=1)
    page.click("#merge-into")
    assert page.locator("#suggestion-body").inner_text().startswith("群众反映 3 条:")

    page.click("#edit-card summary")
    page.fill("#e-title", "关于六龙村路灯不亮的问题")
    page.select_option("#e-category", label="乡村振兴")
    page.click("#edit button[type=submit]")
    assert "关于六龙村路灯不亮的问题" in page.locator("h1").first.inner_text()
    assert "乡村振兴" in page.locator("#facts").inner_text()

    history = page.locator("#history").inner_text()
    assert f"意见 #{third} 并入本建议" in history
    assert "修改标题内容" in history and "→ 关于六龙村路灯不亮的问题" in history
    now = clock.now()
    for line in history.splitlines():
        moment = datetime.strptime(line[:16], "%Y-%m-%d %H:%M").replace(tzinfo=clock.CHINA)
        assert abs((moment - now).total_seconds()) < 180, line
    assert not re.search(r"\dT\d", history)


@pytest.fixture
def loopback(instance, monkeypatch):
    """The newcomer's default: posters would point at this machine."""
    monkeypatch.setenv("FEEDBACK_BASE_URL", "http://127.0.0.1:8000")


def test_the_stations_page_warns_of_posters_for_this_machine_only(
    loopback, clerk_page, live_server
):
    page = clerk_page
    page.set_viewport_size({"width": 360, "height": 640})
    page.goto(f"{live_server}/admin/stations/")
    warning = page.locator("#base-url-warning")
    assert warning.is_visible()
    assert (
        "http://127.0.0.1:8000" in warning.inner_text() and "村民扫码打不开" in warning.inner_text()
    )
    box = warning.bounding_box()
    assert box["y"] < page.locator("#stations").bounding_box()["y"]  # above the poster links


def test_a_newcomer_signs_in_with_the_demo_admin_and_posts_a_clerk_to_a_listed_town(
    browser, live_server, instance
):
    demo = feedback_cli("demo")
    passwords = dict(re.findall(r"^\s+(demo-\w+)\s+password (\S+)", demo.stdout, re.M))
    assert set(passwords) == {"demo-admin", "demo-clerk"}, demo.stdout
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server}/admin/")
    page.fill("#username", "demo-admin")
    page.fill("#password", passwords["demo-admin"])
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/admin/")

    page.goto(f"{live_server}/admin/users")
    towns = page.locator("#new-user select#town option").all_inner_texts()
    assert towns[1:] == ["甲镇"]
    page.fill("#t-name", "丙镇")
    page.click("#new-town button[type=submit]")
    assert "已添加“丙镇”" in page.locator("main").inner_text()
    assert page.locator("#new-user select#town option").all_inner_texts()[1:] == ["丙镇", "甲镇"]

    page.fill("#new-user #username", "bing-clerk")
    page.select_option("#new-user #role", "clerk")
    page.select_option("#new-user #town", "丙镇")
    page.fill("#new-user #password", "correct horse")
    page.fill("#new-user #confirm", "correct horse")
    page.click("#new-user button[type=submit]")
    assert "镇街工作人员 · 丙镇" in page.locator("#facts").inner_text()
    context.close()
