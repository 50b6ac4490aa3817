"""Ratings that say why (issue 13): a 不满意 carries the villager's reason if they give one,
and staff filter opinions and suggestions by the villagers' ratings."""

from __future__ import annotations

import re

import pytest

from feedback import merging, suggestions, users
from feedback.access import Access
from tests.conftest import csrf_of, sign_in

JIA = Access("clerk", "甲镇", "jia")
DAYS = {"微事": 3, "一般": 15, "重大": 30}


@pytest.fixture
def answered(db, two_town_stations):
    """Three answered opinions of 甲镇: two merged into a closed suggestion, one directly."""
    for n, body in enumerate(("六龙村路灯坏了", "六龙村路灯不亮", "大塘村垃圾没人清运"), start=1):
        db["opinions"].insert(
            {
                "receipt": f"EEEEEEE{'23456789'[n]}",
                "station_id": 1 if n < 3 else 2,
                "body": body,
                "category": "cityscape",
                "created_at": f"2026-03-0{n}T09:00:00+08:00",
            }
        )
    merging.into_new(db, JIA, [1, 2], {}, DAYS)
    db["departments"].insert({"name": "镇城建办"})
    suggestions.update(db, JIA, 1, {}, "镇城建办")
    for status in ("待交办", "已交办", "办理中"):
        suggestions.advance(db, JIA, 1, status, "路灯已修好")
    db["opinions"].update(
        3, {"status": "answered", "answer": "已清运", "answered_at": "2026-03-04T09:00:00+08:00"}
    )
    users.add(db, "jia", "correct horse", "clerk", "甲镇")


def rate(client, receipt: str, rating: str, reason: str = ""):
    page = client.get(f"/t/{receipt}").get_data(as_text=True)
    data = {"csrf_token": csrf_of(page), "rating": rating, "reason": reason}
    return client.post(f"/t/{receipt}", data=data)


def test_a_dissatisfied_villager_may_say_why(client, db, answered):
    page = client.get("/t/EEEE-EEE3").get_data(as_text=True)
    assert "如果不满意,请说说原因(可不填)" in page
    assert rate(client, "EEEE-EEE3", "不满意", " 只修了一盏,村口还是黑的 ").status_code == 303
    assert db["opinions"].get(1)["rating_reason"] == "只修了一盏,村口还是黑的"
    page = client.get("/t/EEEE-EEE3").get_data(as_text=True)
    assert "您的评价:<b>不满意</b>(原因:只修了一盏,村口还是黑的)" in page


def test_a_reason_is_kept_with_dissatisfied_only_and_is_optional(client, db, answered):
    assert rate(client, "EEEE-EEE4", "满意", "很好").status_code == 303
    assert db["opinions"].get(2)["rating_reason"] is None
    assert rate(client, "EEEE-EEE5", "不满意").status_code == 303
    assert db["opinions"].get(3)["rating"] == "不满意"
    assert db["opinions"].get(3)["rating_reason"] is None


def test_a_reason_too_long_keeps_what_was_typed(client, db, answered):
    response = rate(client, "EEEE-EEE3", "不满意", "太慢" * 300)
    assert response.status_code == 400
    assert "最多 500 字" in response.get_data(as_text=True)
    assert "太慢太慢" in response.get_data(as_text=True)
    assert db["opinions"].get(1)["rating"] is None


def listed(client, url: str) -> list[str]:
    return re.findall(r"/admin/opinions/(\d+)\">", client.get(url).get_data(as_text=True))


def test_staff_filter_opinions_and_suggestions_by_rating(client, db, answered):
    rate(client, "EEEE-EEE3", "不满意", "只修了一盏")
    rate(client, "EEEE-EEE5", "满意")
    sign_in(client, "jia")
    assert listed(client, "/admin/opinions?status=all&rating=不满意") == ["1"]
    assert listed(client, "/admin/opinions?status=all&rating=满意") == ["3"]
    assert sorted(listed(client, "/admin/opinions?status=all")) == ["1", "2", "3"]
    with_bad = client.get("/admin/suggestions/?rating=不满意").get_data(as_text=True)
    assert "甲镇-" in with_bad.split('id="suggestions"')[1]
    none = client.get("/admin/suggestions/?rating=基本满意").get_data(as_text=True)
    assert "没有符合条件的建议" in none
    page = client.get("/admin/opinions/1").get_data(as_text=True)
    assert "原因:只修了一盏" in page
