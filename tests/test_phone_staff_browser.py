"""The staff side on a 360-px phone in WeChat (issue 13): the inbox as cards with a sticky
action bar, tap targets of at least 44 px, a navigation that collapses without JavaScript,
and no page wider than the screen."""

from __future__ import annotations

import pytest

from tests.conftest import STAFF_PASSWORD, WECHAT_UA, feedback_cli
from tests.test_workbench_browser import add_opinions

pytestmark = pytest.mark.browser

BODIES = (
    "六龙村村口路灯坏了三个月,晚上看不见,老人小孩出门都怕摔,希望尽快派人来修一下",
    "六龙村路口的灯一直不亮,老人怕摔",
    "大塘村垃圾没人清运,堆成山了",
    "大塘村的桥面开裂了,有大裂缝,车子过都怕",
)


@pytest.fixture
def clerk_phone(browser, live_server):
    """A clerk of 甲镇 signed in on a 360×640 phone with WeChat's user agent, JavaScript off:
    what must work must work without it."""
    assert feedback_cli("demo").returncode == 0
    added = feedback_cli(
        "user", "add", "jia-clerk", "--role", "clerk", "--town", "甲镇", "--password-stdin",
        stdin=STAFF_PASSWORD + "\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    context = browser.new_context(
        viewport={"width": 360, "height": 640},
        user_agent=WECHAT_UA,
        locale="zh-CN",
        is_mobile=True,
        has_touch=True,
        java_script_enabled=False,
    )
    page = context.new_page()
    page.goto(f"{live_server}/admin/")
    page.fill("#username", "jia-clerk")
    page.fill("#password", STAFF_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/admin/")
    yield page
    context.close()


def fits(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def big_enough(locator) -> list[str]:
    """The visible ones smaller than 44×44 CSS pixels, by their text."""
    small = []
    for n in range(locator.count()):
        item = locator.nth(n)
        box = item.bounding_box()
        if item.is_visible() and (box["width"] < 44 or box["height"] < 44):
            small.append(f"{item.inner_text() or item.get_attribute('value')} {box}")
    return small


def test_the_inbox_is_cards_with_a_sticky_action_bar(clerk_phone, live_server, instance):
    page = clerk_phone
    add_opinions(instance, *BODIES)
    page.goto(f"{live_server}/admin/opinions")
    assert fits(page)
    assert not page.locator("#opinions tr").first.is_visible()  # the table's header row
    rows = page.locator("#opinions tr.row")
    assert rows.count() == 4
    for n in range(4):
        box = rows.nth(n).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360
        assert rows.nth(n).evaluate("e => getComputedStyle(e).display") == "block"
    assert big_enough(page.locator("#opinions label.tick")) == []
    assert big_enough(page.locator("#merge button, #filters button, #tabs a")) == []

    page.check("#opinions input[name=ids] >> nth=3")
    bar = page.locator("#merge .actionbar")
    box = bar.bounding_box()
    assert box["y"] + box["height"] <= 640  # in view while the list is scrolled to the top
    page.click("#merge-new")
    assert "把 1 条意见合并成一件代表建议" in page.locator("main").inner_text()


def test_the_navigation_collapses_and_opens_without_javascript(clerk_phone, live_server):
    page = clerk_phone
    page.goto(f"{live_server}/admin/opinions")
    suggestions = page.locator("header nav a[href='/admin/suggestions/']")
    assert not suggestions.is_visible()
    assert page.locator("header").bounding_box()["height"] <= 80  # one row: title and 菜单
    page.click("header label[for=nav-open]")
    assert suggestions.is_visible()
    assert big_enough(page.locator("header nav a")) == []
    suggestions.click()
    page.wait_for_url(f"{live_server}/admin/suggestions/")


def test_no_staff_page_is_wider_than_the_phone(clerk_phone, live_server, instance):
    page = clerk_phone
    ids = add_opinions(instance, *BODIES)
    page.goto(f"{live_server}/admin/groups")
    page.locator("form.group button[value=new]").first.click()
    wide = []
    for path in (
        "/admin/",
        "/admin/opinions?status=all",
        f"/admin/opinions/{ids[0]}",
        "/admin/groups",
        "/admin/suggestions/",
        "/admin/suggestions/1",
        "/admin/reports/",
        "/admin/stations/",
        "/admin/departments",
    ):
        page.goto(live_server + path)
        if not fits(page):
            wide.append(path)
        assert big_enough(page.locator("main button.btn, main .actions select")) == [], path
    assert wide == []
