"""The groups page in a real browser: a group fixed by unticking, merged in place, and the
one left out joined to that suggestion from its own card with one click (issue 13)."""

from __future__ import annotations

import pytest

from feedback.db import connect
from tests.test_workbench_browser import add_opinions, linked

pytestmark = pytest.mark.browser

LAMPS = (
    "六龙村村口路灯坏了三个月,晚上看不见",
    "六龙村路口的灯一直不亮,老人怕摔",
    "六龙村村口的路灯晚上全灭了",
)


def test_a_group_is_fixed_merged_and_the_rest_joins_in_one_click(clerk_page, live_server, instance):
    page = clerk_page
    ids = add_opinions(instance, *LAMPS)
    page.goto(f"{live_server}/admin/groups")
    group = page.locator("form.group").first
    members = group.locator(".members input[name=ids]")
    assert sorted(int(v) for v in members.evaluate_all("es => es.map(e => e.value)")) == ids
    assert all(members.nth(n).is_checked() for n in range(3))
    scores = group.locator(".members .score").all_inner_texts()
    assert all(s.endswith("%") for s in scores), scores

    group.locator(f".members input[value='{ids[2]}']").uncheck()
    loads = []
    page.on("load", lambda _page: loads.append(page.url))
    group.locator("button[value=new]").click()
    page.wait_for_selector("#notice")
    assert len(loads) == 1 and "/admin/groups" in loads[0]
    assert "关于六龙村的" in page.locator("#notice").inner_text()
    assert linked(instance, 1) == ids[:2]

    page.click("#to-singles")  # the one left out is in no group now: a card of one
    card = page.locator("form.single").first
    assert LAMPS[2] in card.inner_text()
    card.locator("button[name=into][value='1']").click()
    page.wait_for_selector("#notice")
    assert "已并入" in page.locator("#notice").inner_text()
    assert linked(instance, 1) == ids
    assert page.locator("#no-groups").is_visible()


def test_the_ticked_suggestions_are_handed_over_at_once(clerk_page, live_server, instance):
    page = clerk_page
    add_opinions(instance, "六龙村村口路灯坏了", "大塘村垃圾没人清运,堆成山了", "六龙村桥面开裂")
    page.goto(f"{live_server}/admin/groups/singles")
    page.check("#singles input[name=ids] >> nth=0")
    page.check("#singles input[name=ids] >> nth=1")
    page.check("#singles input[name=ids] >> nth=2")
    page.click("#singles button[value=each]")
    assert "已生成 3 件建议" in page.locator("#notice").inner_text()

    page.goto(f"{live_server}/admin/suggestions/")
    page.select_option("#filters select[name=status]", "待交办")
    page.click("#filters button[type=submit]")
    page.check("#all")
    assert page.locator("#bulk input[name=ids]:checked").count() == 3
    page.uncheck("#bulk input[name=ids] >> nth=2")
    page.fill("#bulk input[name=department]", "镇城建办")
    page.click("#bulk button[value=assign]")
    assert "已交办 2 件建议" in page.locator("#notice").inner_text()
    assert page.locator("#suggestions tr.row").count() == 1  # the filter kept: 待交办 only
    db = connect(instance / "feedback.db")
    statuses = [row[0] for row in db.execute("select status from suggestions order by id")]
    db.close()
    assert sorted(statuses) == ["已交办", "已交办", "待交办"]
