"""The suggestion page's one form: fields, a note and the next status saved together, or none
of it (feedback.suggestion_steps)."""

from __future__ import annotations

import pytest

from feedback import deputies, deputy_suggestions, merging, users
from feedback.access import Access
from tests.conftest import csrf_of, sign_in

JIA = Access("clerk", "甲镇", "jia")
DAYS = {"微事": 3, "一般": 15, "重大": 30}


@pytest.fixture
def suggestion(db, client, two_town_stations):
    db["opinions"].insert(
        {
            "receipt": "DDDDDDD2",
            "station_id": 1,
            "body": "六龙村路灯坏了",
            "category": "cityscape",
            "created_at": "2026-03-01T09:00:00+08:00",
        }
    )
    merging.into_new(db, JIA, [1], {}, DAYS)
    db.conn.commit()
    deputies.add(db, {"code": "wang", "name": "王代表", "town": "甲镇"})
    users.add(db, "jia", "correct horse", "clerk", "甲镇")
    sign_in(client, "jia")
    return "/admin/suggestions/1"


def save(client, url, expected, then="advance", **fields):
    data = {
        "csrf_token": csrf_of(client.get(url).get_data(as_text=True)),
        "expected": expected,
        "tier": "一般",
        "deadline": "",
        "department": "镇城建办",
        "then": then,
        **fields,
    }
    return client.post(url + "/handling", data=data)


def test_each_step_saves_and_moves_on_in_one_post(client, db, suggestion):
    assert save(client, suggestion, "待交办", lead_deputy="wang").status_code == 303
    row = db["suggestions"].get(1)
    assert row["status"] == "已交办"
    assert deputy_suggestions.signers(db, 1)["lead"]["name"] == "王代表"
    assert save(client, suggestion, "已交办", progress="已采购灯具").status_code == 303
    assert db["suggestions"].get(1)["status"] == "办理中"
    assert [n["body"] for n in db["suggestion_notes"].rows] == ["已采购灯具"]
    done = save(client, suggestion, "办理中", answer="路灯已修好")
    assert done.status_code == 303
    assert db["suggestions"].get(1)["status"] == "已办结"
    assert db["opinions"].get(1)["answer"] == "路灯已修好"


def test_a_refused_step_stores_nothing_and_keeps_what_was_typed(client, db, suggestion):
    save(client, suggestion, "待交办")
    save(client, suggestion, "已交办")
    refused = save(client, suggestion, "办理中", tier="重大", progress="再催一次")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "办结需要填写最终答复" in page
    assert "再催一次" in page
    row = db["suggestions"].get(1)
    assert row["status"] == "办理中" and row["tier"] == "一般"
    assert db["suggestion_notes"].count == 0


def test_a_double_tap_moves_one_step(client, db, suggestion):
    assert save(client, suggestion, "待交办").status_code == 303
    again = save(client, suggestion, "待交办")
    assert again.status_code == 409 and "已经是“已交办”" in again.get_data(as_text=True)
    assert db["suggestions"].get(1)["status"] == "已交办"


def test_only_save_keeps_the_status(client, db, suggestion):
    assert save(client, suggestion, "待交办", then="save").status_code == 303
    assert db["suggestions"].get(1)["status"] == "待交办"
