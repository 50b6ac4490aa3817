"""Recurrences (issue 13): a closed problem comes back, and a new opinion opens a new
suggestion that follows the old one in one step, both pages and records showing the link."""

from __future__ import annotations

import pytest

from feedback import merging, suggestions, users
from feedback.access import Access
from tests.conftest import csrf_of, sign_in

JIA = Access("clerk", "甲镇", "jia")
DAYS = {"微事": 3, "一般": 15, "重大": 30}
BODIES = (
    (1, "六龙村村口路灯坏了,晚上看不见"),
    (1, "六龙村村口的路灯不亮了"),
    (1, "六龙村村口路灯又坏了,晚上看不见"),
    (3, "乙镇的路灯坏了"),
)


@pytest.fixture
def closed(db, client, two_town_stations):
    for n, (station, body) in enumerate(BODIES, start=1):
        db["opinions"].insert(
            {
                "receipt": f"FFFFFFF{'23456789'[n]}",
                "station_id": station,
                "body": body,
                "category": "cityscape",
                "created_at": f"2026-03-0{n}T09:00:00+08:00",
            }
        )
    merging.into_new(db, JIA, [1, 2], {"cityscape": "市容市貌"}, DAYS)
    db["departments"].insert({"name": "镇城建办"})
    suggestions.update(db, JIA, 1, {}, "镇城建办")
    for status in ("待交办", "已交办", "办理中"):
        suggestions.advance(db, JIA, 1, status, "村口路灯已修好")
    users.add(db, "jia", "correct horse", "clerk", "甲镇")
    sign_in(client, "jia")


def recur(client, opinion_id: int, suggestion_id: int):
    page = client.get(f"/admin/opinions/{opinion_id}").get_data(as_text=True)
    data = {"csrf_token": csrf_of(page), "suggestion": str(suggestion_id)}
    return client.post(f"/admin/opinions/{opinion_id}/recur", data=data)


def test_the_problem_comes_back_and_a_new_suggestion_follows_the_old(client, db, closed):
    page = client.get("/admin/opinions/3").get_data(as_text=True)
    assert "问题又出现了?" in page and "新建建议,接续 甲镇-" in page
    response = recur(client, 3, 1)
    assert response.status_code == 303 and response.headers["Location"].endswith("/2")
    new = db["suggestions"].get(2)
    assert new["follows_id"] == 1 and new["title"].endswith("(再次反映)")
    assert db["opinions"].get(3)["status"] == "merged"
    old_number = db["suggestions"].get(1)["number"]
    newer = client.get("/admin/suggestions/2").get_data(as_text=True)
    assert f'接续已办结的建议 <a href="/admin/suggestions/1">{old_number}' in newer
    assert f"问题再次出现 · 接续此前的建议:{old_number}" in newer
    older = client.get("/admin/suggestions/1").get_data(as_text=True)
    assert f'问题再次出现:<a href="/admin/suggestions/2">{new["number"]}' in older
    assert f"再次出现,新建建议:{new['number']}" in older


def test_only_a_closed_suggestion_of_the_town_is_followed(client, db, closed):
    merging.into_new(db, JIA, [2 + 1], {}, DAYS)  # opinion 3 into an open suggestion (2)
    db["opinions"].insert(
        {
            "receipt": "GGGGGGG2",
            "station_id": 1,
            "body": "六龙村路灯还是不亮",
            "category": "cityscape",
            "created_at": "2026-03-09T09:00:00+08:00",
        }
    )
    refused = recur(client, 5, 2)
    assert refused.status_code == 409 and "还没有办结" in refused.get_data(as_text=True)
    assert recur(client, 4, 1).status_code == 404  # another town's opinion
    assert db["suggestions"].count == 2 and db["opinions"].get(5)["status"] == "new"
