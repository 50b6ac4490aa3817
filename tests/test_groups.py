"""The groups page fixed and merged in place (issue 13): untick, pull in, join an existing
suggestion, each its own suggestion, back on the page with a notice; refusals in Chinese."""

from __future__ import annotations

import re

import pytest

from feedback import users
from tests.conftest import csrf_of, sign_in

LAMPS = (
    "六龙村村口路灯坏了三个月,晚上看不见",
    "六龙村路灯一直不亮,老人晚上怕摔",
    "六龙村的路灯全坏了",
)
OTHERS = ("大塘村垃圾没人清运,堆成山了", "大塘村的桥面开裂了,有大裂缝")


@pytest.fixture
def town(db, two_town_stations):
    bodies = [(1, b) for b in LAMPS] + [(2, b) for b in OTHERS] + [(3, "乙镇的路灯坏了")]
    for n, (station, body) in enumerate(bodies, start=1):
        db["opinions"].insert(
            {
                "receipt": f"AAAAAAA{'23456789'[n]}",
                "station_id": station,
                "body": body,
                "category": "cityscape",
                "created_at": f"2026-03-0{n}T09:00:00+08:00",
            }
        )
    users.add(db, "jia", "correct horse", "clerk", "甲镇")
    users.add(db, "yi", "correct horse", "clerk", "乙镇")


def page_of(client, url="/admin/groups"):
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def post(client, ids, **fields):
    token = csrf_of(page_of(client))
    data = {"csrf_token": token, "ids": [str(i) for i in ids], "town": "甲镇", **fields}
    return client.post("/admin/groups/merge", data=data)


def linked(db) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for opinion, suggestion in db.execute(
        "select opinion_id, suggestion_id from suggestion_opinions order by 1"
    ):
        found.setdefault(suggestion, []).append(opinion)
    return found


def test_the_page_shows_each_member_ticked_with_its_score(client, town):
    sign_in(client, "jia")
    html = page_of(client)
    group = html.split('class="card group"')[1].split("</form>")[0]
    ticked = re.findall(r'name="ids" value="(\d+)" checked', group)
    assert set(ticked) >= {"1", "2"}
    assert re.search(r'class="score"[^>]*>\d+%', group)
    assert "乙镇的路灯坏了" not in html


def test_a_group_merges_in_one_step_and_the_next_is_ready(client, town, db):
    sign_in(client, "jia")
    response = post(client, [1, 2], action="new")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/admin/groups?")
    html = page_of(client, response.headers["Location"])
    assert "已生成 1 件建议" in html and "关于六龙村的市容市貌问题" in html
    assert linked(db) == {1: [1, 2]}
    assert db["suggestions"].get(1)["tier"] == "一般"


def test_each_ticked_opinion_its_own_suggestion(client, town, db):
    sign_in(client, "jia")
    response = post(client, [4, 5], action="each")
    html = page_of(client, response.headers["Location"])
    assert "已生成 2 件建议" in html
    assert linked(db) == {1: [4], 2: [5]}


def test_a_group_joins_an_existing_suggestion_by_its_button(client, town, db):
    sign_in(client, "jia")
    post(client, [1], action="new")
    response = post(client, [2, 3], into="1")
    assert "已并入" in page_of(client, response.headers["Location"])
    assert linked(db) == {1: [1, 2, 3]}


def test_refusals_say_why_and_store_nothing(client, town, db):
    sign_in(client, "jia")
    nothing = post(client, [], action="new")
    assert nothing.status_code == 400 and "请先勾选意见" in nothing.get_data(as_text=True)
    no_target = post(client, [1], action="into")
    assert no_target.status_code == 400 and "请先在“并入”旁边" in no_target.get_data(as_text=True)
    other_town = post(client, [1, 6], action="each")
    assert other_town.status_code == 404
    assert linked(db) == {}
    post(client, [1], action="new")
    again = post(client, [1], action="new")
    assert again.status_code == 409 and "刚刚已经处理过了" in again.get_data(as_text=True)
    assert linked(db) == {1: [1]}


def test_each_stands_or_falls_together(client, town, db):
    sign_in(client, "jia")
    db["opinions"].update(5, {"status": "answered"})
    response = post(client, [4, 5], action="each")
    html = page_of(client, response.headers["Location"])
    assert "#5 刚刚已被处理过" in html
    assert linked(db) == {1: [4]}
