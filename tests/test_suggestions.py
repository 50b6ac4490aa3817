"""Merging opinions into a suggestion and handling it to the end."""

import re

import pytest

from feedback import users
from tests.conftest import csrf_of, sign_in


def text(response) -> str:
    return response.get_data(as_text=True)


def token(client, url="/admin/") -> str:
    return csrf_of(text(client.get(url)))


@pytest.fixture
def town(db, client, two_town_stations):
    rows = [
        (1, "村口路灯坏了三个月"),
        (2, "路口的灯一直不亮"),
        (1, "垃圾没人清运"),
        (3, "乙镇的路灯坏了"),
    ]
    for n, (station, body) in enumerate(rows, start=1):
        db["opinions"].insert(
            {
                "receipt": f"CCCCCCC{'23456789'[n]}",
                "station_id": station,
                "body": body,
                "category": "cityscape",
                "created_at": f"2026-03-0{n}T09:00:00+08:00",
            }
        )
    users.add(db, "jia", "correct horse", "clerk", "甲镇")
    sign_in(client, "jia")


def merge(client, ids, **extra):
    page = client.post(
        "/admin/suggestions/merge", data={"csrf_token": token(client), "ids": ids, **extra}
    )
    return page


def create(client, ids, title="路灯不亮", tier="一般"):
    page = text(merge(client, ids))
    fields = dict(re.findall(r'name="(\w+)" type="hidden" value="([^"]*)"', page))
    return client.post(
        "/admin/suggestions/create",
        data={
            **fields,
            "title": title,
            "body": "多位村民反映路灯不亮",
            "category": "cityscape",
            "tier": tier,
        },
    )


def test_merge_prefills_and_keeps_every_opinion_as_it_was(client, town, db):
    page = text(merge(client, ["1", "2"]))
    assert "把 2 条意见合并成一件代表建议" in page and "村口路灯坏了三个月" in page
    response = create(client, ["1", "2"])
    assert response.status_code == 303
    suggestion = db["suggestions"].get(1)
    assert suggestion["number"].startswith("甲镇-") and suggestion["number"].endswith("-0001")
    assert [o["status"] for o in db["opinions"].rows_where("id in (1, 2)")] == ["merged"] * 2
    assert db["opinions"].get(1)["body"] == "村口路灯坏了三个月"  # never rewritten
    shown = text(client.get(response.headers["Location"]))
    assert "背后的 2 条群众意见(来自 2 个站点" in shown
    second = create(client, ["3"], title="垃圾清运")
    assert db["suggestions"].get(2)["number"].endswith("-0002") and second.status_code == 303


def test_another_towns_opinion_cannot_be_merged(client, town, db):
    assert merge(client, ["1", "4"]).status_code == 404
    assert db["opinions"].get(4)["status"] == "new"


def test_handle_to_the_end_and_the_answer_reaches_every_villager(client, town, db):
    location = create(client, ["1", "2"], tier="一般").headers["Location"]
    url = location + "/advance"
    refused = client.post(url, data={"csrf_token": token(client, location)})
    assert refused.status_code == 400 and "请先选定承办单位" in text(refused)
    data = {
        "csrf_token": token(client, location),
        "tier": "微事",
        "deadline": "",
        "department": "镇城建办",
        "deputies": "王代表",
    }
    data["deadline"] = db["suggestions"].get(1)["deadline"]
    assert client.post(location + "/handling", data=data).status_code == 303
    suggestion = db["suggestions"].get(1)
    assert suggestion["tier"] == "微事" and suggestion["deputies"] == "王代表"
    assert db["departments"].get(suggestion["department_id"])["name"] == "镇城建办"
    for expected in ("已交办", "办理中"):
        assert client.post(url, data={"csrf_token": token(client, location)}).status_code == 303
        assert db["suggestions"].get(1)["status"] == expected
    note = {"csrf_token": token(client, location), "note": "已采购灯具"}
    assert client.post(location + "/notes", data=note).status_code == 303
    no_answer = client.post(url, data={"csrf_token": token(client, location), "answer": ""})
    assert "办结需要填写最终答复" in text(no_answer)
    done = {"csrf_token": token(client, location), "answer": "路灯已全部修好"}
    assert client.post(url, data=done).status_code == 303
    page = text(client.get(location))
    assert "已采购灯具" in page and "路灯已全部修好" in page and "status: 办理中 → 已办结" in page
    for opinion in db["opinions"].rows_where("id in (1, 2)"):
        receipt = opinion["receipt"]
        status = text(client.get(f"/t/{receipt[:4]}-{receipt[4:]}"))
        assert "已并入代表建议" in status and "已交办" in status and "路灯已全部修好" in status
        assert 'name="rating"' in status


def test_take_an_opinion_back_out(client, town, db):
    location = create(client, ["1", "2"]).headers["Location"]
    response = client.post(location + "/remove/2", data={"csrf_token": token(client, location)})
    assert response.status_code == 303
    assert db["opinions"].get(2)["status"] == "new"
    assert db["suggestion_opinions"].count == 1
    assert "背后的 1 条群众意见" in text(client.get(location))


def test_overdue_suggestions_stand_out(client, town, db):
    location = create(client, ["1"]).headers["Location"]
    assert "已超期" not in text(client.get("/admin/opinions/1"))
    db["suggestions"].update(1, {"deadline": "2020-01-01"})
    assert "已超期" in text(client.get(location))
    assert "已超期" in text(client.get("/admin/suggestions/"))
    opinion_page = text(client.get("/admin/opinions/1"))
    assert "已并入代表建议" in opinion_page and "路灯不亮" in opinion_page
    assert "已超期" in opinion_page
    assert "路灯不亮(已超期)" in text(client.get("/admin/opinions"))


# --- the merge form: each button does what it says (issue 13) ------------------------------


def linked(db, suggestion_id: int) -> list[int]:
    rows = db["suggestion_opinions"].rows_where("suggestion_id = ?", [suggestion_id])
    return sorted(row["opinion_id"] for row in rows)


def test_merge_new_drafts_a_new_suggestion_even_with_one_chosen_in_the_dropdown(client, town, db):
    assert create(client, ["1"]).status_code == 303
    page = text(merge(client, ["2"], suggestion="1", action="new"))
    assert "把 1 条意见合并成一件代表建议" in page and "路口的灯一直不亮" in page
    assert linked(db, 1) == [1] and db["opinions"].get(2)["status"] == "new"


def test_merge_into_adds_to_the_chosen_suggestion(client, town, db):
    assert create(client, ["1"]).status_code == 303
    response = merge(client, ["2"], suggestion="1", action="into")
    assert response.status_code == 303 and response.headers["Location"].endswith("/1")
    assert linked(db, 1) == [1, 2]


def test_merge_into_without_a_chosen_suggestion_says_so(client, town, db):
    response = merge(client, ["2"], action="into")
    assert response.status_code == 400
    assert "请先在“并入”旁边的列表里选一件已有建议" in text(response)
    assert db["opinions"].get(2)["status"] == "new" and db["suggestions"].count == 0


def test_merging_nothing_ticked_says_so_and_leads_back(client, town):
    back = "/admin/opinions?status=new&q=%E8%B7%AF%E7%81%AF"
    response = merge(client, [], action="new", back=back)
    assert response.status_code == 400
    page = text(response)
    assert "请先勾选意见" in page and f'href="{back.replace("&", "&amp;")}"' in page
    elsewhere = text(merge(client, [], back="https://evil.example/admin/"))
    assert 'href="/admin/opinions"' in elsewhere and "evil" not in elsewhere


def test_a_group_merged_meanwhile_is_caught_at_the_draft(client, town, db):
    """Another clerk merged #1 after the groups page was drawn: the draft says so in Chinese
    and offers only #2; when none is left, nothing is drafted at all."""
    assert create(client, ["1"]).status_code == 303
    page = text(merge(client, ["1", "2"], action="new"))
    assert "#1 刚刚已经处理过了" in page and "下面只合并其余 1 条" in page
    assert 'name="opinion_ids" type="hidden" value="2"' in page
    assert "把 1 条意见合并成一件代表建议" in page
    assert create(client, ["2"], title="路口灯").status_code == 303
    gone = merge(client, ["1", "2"], action="new")
    assert gone.status_code == 409
    assert "#1、#2 刚刚已经处理过了" in text(gone) and 'name="title"' not in text(gone)
