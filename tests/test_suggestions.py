"""Merging opinions into a suggestion and handling it to the end."""

import html
import re
from datetime import datetime

import pytest

from feedback import clock, deputies, deputy_suggestions, users
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
        "lead_deputy": "wang",
    }
    deputies.add(db, {"code": "wang", "name": "王代表", "town": "甲镇"})
    data["deadline"] = db["suggestions"].get(1)["deadline"]
    assert client.post(location + "/handling", data=data).status_code == 303
    suggestion = db["suggestions"].get(1)
    assert suggestion["tier"] == "微事"
    assert deputy_suggestions.signers(db, 1)["lead"]["name"] == "王代表"
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
    assert "已采购灯具" in page and "路灯已全部修好" in page and "状态:办理中 → 已办结" in page
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


# --- a suggestion's text after it is created, and its history (issue 13) --------------------


def create_from_draft(client, ids) -> str:
    """A suggestion with the body the draft proposed, as a clerk who keeps it would save it."""
    page = text(merge(client, ids, action="new"))
    fields = dict(re.findall(r'name="(\w+)" type="hidden" value="([^"]*)"', page))
    body = html.unescape(
        re.search(r'<textarea[^>]*name="body"[^>]*>\s*(.*?)</textarea>', page, re.S)[1]
    )
    data = {**fields, "title": "关于六龙村的路灯问题", "body": body}
    response = client.post("/admin/suggestions/create", data={**data, "category": "cityscape"})
    assert response.status_code == 303, text(response)
    return response.headers["Location"]


def shown_body(client, location) -> str:
    return html.unescape(
        re.search(
            r'<p class="pre" id="suggestion-body">(.*?)</p>', text(client.get(location)), re.S
        )[1]
    )


def test_the_count_line_follows_the_opinions_behind(client, town, db):
    location = create_from_draft(client, ["1", "2"])
    assert db["suggestions"].get(1)["body"].startswith("群众反映 2 条:")
    assert shown_body(client, location).startswith("群众反映 2 条:")
    assert merge(client, ["3"], suggestion="1", action="into").status_code == 303
    assert shown_body(client, location).startswith("群众反映 3 条:")
    client.post(location + "/remove/1", data={"csrf_token": token(client, location)})
    client.post(location + "/remove/2", data={"csrf_token": token(client, location)})
    assert shown_body(client, location).startswith("群众反映 1 条:")
    edit_box = re.search(
        r'<textarea[^>]*id="e-body"[^>]*>\s*(.*?)</textarea>', text(client.get(location)), re.S
    )
    assert edit_box[1].startswith("群众反映 1 条:")  # saving the form keeps the true number


def edit(client, location, **fields):
    data = {"title": "路灯不亮", "body": "多位村民反映路灯不亮", "category": "cityscape"}
    data = {f"e-{key}": value for key, value in {**data, **fields}.items()}
    return client.post(location + "/edit", data={**data, "e-csrf_token": token(client, location)})


def test_title_body_and_category_can_be_corrected_and_are_logged(client, town, db):
    location = create(client, ["1"]).headers["Location"]
    response = edit(client, location, title="关于六龙村村口路灯的问题", category="rural")
    assert response.status_code == 303
    row = db["suggestions"].get(1)
    assert (row["title"], row["category"]) == ("关于六龙村村口路灯的问题", "rural")
    page = text(client.get(location))
    assert "关于六龙村村口路灯的问题" in page and "乡村振兴" in page
    assert "修改标题内容 · 标题:路灯不亮 → 关于六龙村村口路灯的问题" in page
    assert "类别:cityscape → rural" in page


def test_a_bad_edit_keeps_what_was_typed_and_stores_nothing(client, town, db):
    location = create(client, ["1"]).headers["Location"]
    before = db["suggestions"].get(1)
    response = edit(client, location, title="", body="新写的内容,还没保存")
    assert response.status_code == 400
    page = text(response)
    assert "请写标题" in page and "新写的内容,还没保存" in page and "改动还没有保存" in page
    assert edit(client, location, category="no-such").status_code == 400
    assert db["suggestions"].get(1) == before


def test_a_closed_suggestion_can_still_be_corrected(client, town, db):
    location = create(client, ["1"]).headers["Location"]
    db["suggestions"].update(1, {"status": "已办结", "answer": "已修好"})
    assert edit(client, location, title="关于六龙村的路灯问题").status_code == 303
    assert db["suggestions"].get(1)["title"] == "关于六龙村的路灯问题"
    assert db["suggestions"].get(1)["answer"] == "已修好"


def test_another_towns_clerk_cannot_edit(app, client, town, db):
    create(client, ["1"])
    users.add(db, "yi", "correct horse", "clerk", "乙镇")
    other = app.test_client()
    sign_in(other, "yi")
    data = {
        "e-title": "越权",
        "e-body": "越权",
        "e-category": "other",
        "e-csrf_token": token(other),
    }
    assert other.post("/admin/suggestions/1/edit", data=data).status_code == 404
    assert db["suggestions"].get(1)["title"] == "路灯不亮"


def history_of(client, location) -> str:
    page = text(client.get(location))
    return html.unescape(re.search(r'<ul id="history">(.*?)</ul>', page, re.S)[1])


def test_the_history_shows_opinions_added_and_taken_out_in_china_time(client, town, db):
    location = create(client, ["1"]).headers["Location"]
    merge(client, ["2"], suggestion="1", action="into")
    client.post(location + "/remove/2", data={"csrf_token": token(client, location)})
    history = history_of(client, location)
    assert "意见 #2 并入本建议" in history and "意见 #2 移出本建议" in history
    assert history.index("并入本建议") < history.index("移出本建议")
    # Every moment as staff read it: China time, never a raw stored stamp.
    now = clock.now()
    shown = re.findall(r"<li>(\d{4}-\d\d-\d\d \d\d:\d\d) ·", history)
    assert len(shown) == 4
    for moment in shown:
        assert (
            abs((datetime.fromisoformat(moment).replace(tzinfo=clock.CHINA) - now).total_seconds())
            < 120
        )
    assert not re.search(r"\dT\d", history)


def test_old_utc_entries_read_in_china_time(client, town, db):
    """Entries the column default wrote in UTC (before migration 0010) still read as China time."""
    location = create(client, ["1"]).headers["Location"]
    db["audit_log"].insert(
        {
            "at": "2026-03-01T01:30:00",
            "actor": "old",
            "action": "suggestion.note",
            "object_type": "suggestion",
            "object_id": "1",
            "detail": '{"note": "旧记录"}',
        }
    )
    assert "2026-03-01 09:30 · old · 记录进展 · 进展:旧记录" in history_of(client, location)
