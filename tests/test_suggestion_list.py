"""The suggestions list filtered, searched and paged, and 批量交办 of the ticked ones."""

from __future__ import annotations

import re

import pytest

from feedback import merging, suggestion_list, users
from feedback.access import Access
from tests.conftest import csrf_of, sign_in

JIA = Access("clerk", "甲镇", "jia")
DAYS = {"微事": 3, "一般": 15, "重大": 30}


@pytest.fixture
def town(db, two_town_stations):
    bodies = [
        (1, "六龙村路灯坏了", "cityscape"),
        (1, "六龙村垃圾没人清运", "cityscape"),
        (2, "大塘村的桥面开裂了", "emergency"),
        (2, "大塘村水渠堵了", "rural"),
        (3, "乙镇的路灯坏了", "cityscape"),
    ]
    for n, (station, body, category) in enumerate(bodies, start=1):
        db["opinions"].insert(
            {
                "receipt": f"BBBBBBB{'23456789'[n]}",
                "station_id": station,
                "body": body,
                "category": category,
                "created_at": f"2026-03-0{n}T09:00:00+08:00",
            }
        )
    merging.into_new(db, JIA, [1, 2, 3, 4], {}, DAYS, each=True)
    merging.into_new(db, Access("admin", None, "boss"), [5], {}, DAYS)
    db["suggestions"].update(4, {"title": "关于大塘村水渠的问题", "deadline": "2026-01-01"})
    users.add(db, "jia", "correct horse", "clerk", "甲镇")
    db["departments"].insert_all([{"name": "镇村镇建设办"}, {"name": "镇农业农村办"}])


def numbers(client, url: str) -> list[str]:
    page = client.get(url).get_data(as_text=True)
    table = page.split('id="suggestions"')[1].split("</table>")[0]
    return re.findall(r"<td>(甲镇-\d{4}-\d{4}|乙镇-\d{4}-\d{4})</td>", table)


def test_the_list_is_filtered_and_searched_within_the_town(client, town):
    sign_in(client, "jia")
    every = numbers(client, "/admin/suggestions/")
    assert len(every) == 4 and not any(n.startswith("乙镇") for n in every)
    assert len(numbers(client, "/admin/suggestions/?category=cityscape")) == 2
    assert numbers(client, "/admin/suggestions/?q=水渠") == [every[0]]
    assert numbers(client, "/admin/suggestions/?overdue=1") == [every[0]]
    assert numbers(client, "/admin/suggestions/?status=已交办") == []
    assert numbers(client, "/admin/suggestions/?q=%25") == []


def test_the_list_is_paged(db, town):
    page = suggestion_list.page(db, JIA, suggestion_list.Filters(page=2))
    assert page.total == 4 and page.rows == [] and page.pages == 1


def hand_over(client, ids, department, back="/admin/suggestions/?status=待交办"):
    token = csrf_of(client.get("/admin/suggestions/").get_data(as_text=True))
    data = {"csrf_token": token, "ids": [str(i) for i in ids], "department": department}
    return client.post("/admin/suggestions/hand-over", data={**data, "back": back})


def test_many_are_handed_to_one_department_at_once(client, town, db):
    sign_in(client, "jia")
    response = hand_over(client, [1, 2], "镇村镇建设办")
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已交办 2 件建议" in page
    rows = [db["suggestions"].get(i) for i in (1, 2, 3)]
    assert [r["status"] for r in rows] == ["已交办", "已交办", "待交办"]
    assert rows[0]["department_id"] == rows[1]["department_id"] == 1
    history = client.get("/admin/suggestions/1").get_data(as_text=True)
    assert "镇村镇建设办" in history and "已交办" in history


def test_a_batch_with_one_handed_over_meanwhile_changes_nothing(client, town, db):
    sign_in(client, "jia")
    hand_over(client, [2], "镇村镇建设办")
    response = hand_over(client, [1, 2], "镇农业农村办")
    assert response.status_code == 409
    assert "已经是“已交办”了" in response.get_data(as_text=True)
    assert db["suggestions"].get(1)["status"] == "待交办"
    assert db["suggestions"].get(1)["department_id"] is None


@pytest.mark.parametrize(
    ("ids", "department", "status", "message"),
    [
        ([], "镇村镇建设办", 400, "请先勾选要交办的建议"),
        ([1], "", 400, "请选择承办单位"),
        ([1, 5], "镇村镇建设办", 404, "找不到勾选的建议"),
    ],
)
def test_bad_batches_say_why(client, town, db, ids, department, status, message):
    sign_in(client, "jia")
    response = hand_over(client, ids, department)
    assert response.status_code == status and message in response.get_data(as_text=True)
    assert db["suggestions"].get(1)["status"] == "待交办"
