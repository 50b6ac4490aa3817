"""Routing: handing a suggestion over, the clerk's page picks the department that took on the
most similar earlier suggestions of the town, and shows them (feedback.routing)."""

from __future__ import annotations

import re

import pytest

from feedback import departments, handling, handling_town, suggestions, town_vectors, users, vectors
from tests.conftest import sign_in
from tests.test_handling import FIELDS, JIA, YI, deadline

EARLIER = [  # (station, body, department key): 甲镇's suggestions handled before
    (1, "村口的排水沟堵死了,一下雨污水就漫到路上", "chengjian"),
    (1, "路灯坏了好几盏,晚上出门看不见路", "gongdian"),
    (2, "垃圾桶好几天没人清运,苍蝇到处飞", "huanwei"),
    (1, "小学门口排水沟堵塞,下雨积水过不去", "retired"),  # its office was retired since
    (3, "乙镇排水沟堵了,雨天到处是水", "yi"),  # another town's
]
NEW = (2, "下大雨以后村里的水排不出去,阴沟全堵住了")


def opinion(db, n: int, station: int, body: str) -> int:
    return (
        db["opinions"]
        .insert(
            {
                "receipt": f"RRRRRRR{'23456789'[n]}",
                "station_id": station,
                "body": body,
                "category": "other",
                "created_at": "2026-03-02T09:00:00+08:00",
            }
        )
        .last_pk
    )


@pytest.fixture
def town(app, db, two_town_stations):
    days = app.config["FEEDBACK_TIER_DAYS"]
    offices = {
        "chengjian": departments.add(db, "甲镇城建办", "boss", "甲镇"),
        "gongdian": departments.add(db, "县供电公司", "boss"),
        "huanwei": departments.add(db, "甲镇环卫所", "boss", "甲镇"),
        "retired": departments.add(db, "甲镇水利站", "boss", "甲镇"),
        "yi": departments.add(db, "乙镇城建办", "boss", "乙镇"),
    }
    for n, (station, body, office) in enumerate(EARLIER, start=1):
        access = YI if station == 3 else JIA
        made = suggestions.create(db, access, [opinion(db, n, station, body)], FIELDS, days)
        handling_town.hand_over(
            db, access, made, offices[office], [], deadline(), handling.latest_event(db, made)
        )
    departments.set_active(db, departments.get(db, offices["retired"]), False, "boss")
    new = suggestions.create(db, JIA, [opinion(db, 6, *NEW)], FIELDS, days)
    users.add(db, "jia", "correct horse", "clerk", "甲镇")
    return new


def test_the_page_picks_who_handled_the_most_similar_before(client, db, town):
    sign_in(client, "jia")
    page = client.get(f"/admin/suggestions/{town}").get_data(as_text=True)
    assert 'id="route"' not in page  # no vectors yet: nothing guessed
    vectors.backfill(db)
    town_vectors._entries.clear()
    page = client.get(f"/admin/suggestions/{town}").get_data(as_text=True)
    route = page.split('id="route"')[1].split("</div>")[0]
    assert "已替您选了<b>甲镇城建办</b>" in route
    shown = re.findall(r"<li>.*?</li>", route)
    assert "甲镇城建办" in shown[0]  # the drain suggestion first
    assert not any("甲镇水利站" in li or "乙镇" in li for li in shown)
    selected = re.search(r'<option selected value="(\d+)">', page) or re.search(
        r'<option value="(\d+)" selected>', page
    )
    assert selected and departments.get(db, int(selected.group(1)))["name"] == "甲镇城建办"


def test_once_handed_over_nothing_is_guessed(client, db, town):
    vectors.backfill(db)
    town_vectors._entries.clear()
    handling_town.hand_over(db, JIA, town, 2, [], deadline(), handling.latest_event(db, town))
    sign_in(client, "jia")
    page = client.get(f"/admin/suggestions/{town}").get_data(as_text=True)
    assert 'id="route"' not in page
