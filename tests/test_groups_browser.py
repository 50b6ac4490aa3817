"""The groups page in a real browser: a group fixed by unticking, merged in place, and the
one left out joined to that suggestion from its own card with one click (issue 13)."""

from __future__ import annotations

import pytest

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

    card = page.locator("form.group").first
    assert LAMPS[2] in card.inner_text()
    card.locator("button[name=into][value='1']").click()
    page.wait_for_selector("#notice")
    assert "已并入" in page.locator("#notice").inner_text()
    assert linked(instance, 1) == ids
    assert page.locator("#no-groups").is_visible()
