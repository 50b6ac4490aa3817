"""The rules of opinions and suggestions hold in the domain's own SQL: closed suggestions take
no opinions, a suggestion's opinions are of its town, retired offices stay retired, a race
has exactly one winner, and a villager's page never shows another villager's words."""

import re
import threading

import pytest

from feedback import audit, departments, opinions, suggestion_text, suggestions, users
from feedback.access import Access
from feedback.db import connect
from tests.conftest import STAFF_PASSWORD, csrf_of, sign_in

JIA = Access("clerk", "甲镇", "jia")
YI = Access("clerk", "乙镇", "yi")
BOSS = Access("admin", None, "boss")
FIELDS = {
    "title": "路灯不亮",
    "body": "多位村民反映路灯不亮",
    "category": "cityscape",
    "tier": "一般",
}
BODIES = {
    1: "村口路灯坏了三个月,晚上看不见路",
    2: "大塘路口的灯一直不亮,孩子放学害怕",
    3: "垃圾没人清运",
    4: "乙镇的路灯坏了",
}


def text(response) -> str:
    return response.get_data(as_text=True)


def token(client, url="/admin/") -> str:
    return csrf_of(text(client.get(url)))


def status_page(client, db, opinion_id: int) -> str:
    receipt = db["opinions"].get(opinion_id)["receipt"]
    return text(client.get(f"/t/{receipt[:4]}-{receipt[4:]}"))


def audit_count(db, action: str) -> int:
    return db.execute("select count(*) from audit_log where action = ?", [action]).fetchone()[0]


def dump(db) -> dict:
    tables = ("opinions", "suggestions", "suggestion_opinions", "departments", "audit_log")
    return {t: list(db.execute(f"select * from {t} order by rowid")) for t in tables}


@pytest.fixture
def town(app, db, two_town_stations):
    """Opinions 1-3 of 甲镇 (stations 1, 2), 4 of 乙镇 (station 3); a clerk per town, an admin."""
    station_of = {1: 1, 2: 2, 3: 1, 4: 3}
    for n, body in BODIES.items():
        db["opinions"].insert(
            {
                "receipt": f"CCCCCCC{'23456789'[n]}",
                "station_id": station_of[n],
                "body": body,
                "category": "cityscape",
                "created_at": f"2026-03-0{n}T09:00:00+08:00",
            }
        )
    users.add(db, "jia", STAFF_PASSWORD, "clerk", "甲镇")
    users.add(db, "yi", STAFF_PASSWORD, "clerk", "乙镇")
    users.add(db, "boss", STAFF_PASSWORD, "admin", None)
    db.conn.commit()
    return app.config["FEEDBACK_TIER_DAYS"]


def client_of(app, username):
    client = app.test_client()
    sign_in(client, username)
    return client


def close(db, suggestion_id: int, answer="路灯已修好") -> None:
    suggestions.update(db, JIA, suggestion_id, {}, "镇城建办")
    for status in ("待交办", "已交办", "办理中"):
        suggestions.advance(db, JIA, suggestion_id, status, answer)


# 1. A closed suggestion takes no new opinions.


def test_a_closed_suggestion_takes_no_new_opinions(app, db, town):
    suggestion_id = suggestions.create(db, JIA, [1], FIELDS, town)
    close(db, suggestion_id)
    jia = client_of(app, "jia")
    before = dump(db)
    data = {
        "csrf_token": token(jia),
        "ids": ["3"],
        "suggestion": str(suggestion_id),
        "action": "into",
    }
    response = jia.post("/admin/suggestions/merge", data=data)
    assert response.status_code == 409
    assert "已办结,不能再并入意见" in text(response)
    assert dump(db) == before
    assert db["opinions"].get(3)["status"] == "new"
    with pytest.raises(suggestions.SuggestionError, match="已办结"):
        suggestions.add_opinions(db, JIA, suggestion_id, [3])
    assert dump(db) == before


# 2. A suggestion's opinions are of its own town, on every path.


def test_an_admin_cannot_put_another_towns_opinion_behind_a_suggestion(app, db, town):
    suggestion_id = suggestions.create(db, JIA, [1], FIELDS, town)
    boss = client_of(app, "boss")
    before = dump(db)
    add = {
        "csrf_token": token(boss),
        "ids": ["4"],
        "suggestion": str(suggestion_id),
        "action": "into",
    }
    response = boss.post("/admin/suggestions/merge", data=add)
    assert response.status_code == 409 and "不能并入甲镇的建议" in text(response)
    mixed = boss.post(
        "/admin/suggestions/merge", data={"csrf_token": token(boss), "ids": ["3", "4"]}
    )
    assert mixed.status_code == 409 and "不同镇的意见不能合并" in text(mixed)
    create = {**FIELDS, "csrf_token": token(boss), "opinion_ids": "3,4"}
    created = boss.post("/admin/suggestions/create", data=create)
    assert created.status_code == 409 and "不同镇的意见不能合并" in text(created)
    assert dump(db) == before
    for wrong in (
        lambda: suggestions.add_opinions(db, BOSS, suggestion_id, [3, 4]),
        lambda: suggestions.create(db, BOSS, [3, 4], FIELDS, town),
        lambda: suggestions.add_opinions(db, YI, suggestion_id, [4]),
        lambda: suggestions.add_opinions(db, JIA, suggestion_id, [4]),
    ):
        with pytest.raises(suggestions.SuggestionError):
            wrong()
    assert dump(db) == before  # all or none: opinion 3 was not linked either


def test_a_stray_link_to_another_town_is_neither_shown_nor_removable(app, db, town):
    """Older data may link a 乙镇 opinion to a 甲镇 suggestion: 甲镇's clerk neither reads
    its words nor takes it out."""
    suggestion_id = suggestions.create(db, JIA, [1], FIELDS, town)
    db["suggestion_opinions"].insert(
        {"opinion_id": 4, "suggestion_id": suggestion_id, "added_at": "2026-03-05T00:00:00+08:00"}
    )
    db["opinions"].update(4, {"status": "merged"})
    db.conn.commit()
    jia = client_of(app, "jia")
    url = f"/admin/suggestions/{suggestion_id}"
    page = text(jia.get(url))
    assert BODIES[1] in page and BODIES[4] not in page
    response = jia.post(f"{url}/remove/4", data={"csrf_token": token(jia, url)})
    assert response.status_code == 404
    assert db["suggestion_opinions"].count == 2 and db["opinions"].get(4)["status"] == "merged"
    with pytest.raises(suggestions.Missing):
        suggestions.remove_opinion(db, JIA, suggestion_id, 4)
    boss = client_of(app, "boss")  # the county office sees the stray link and undoes it
    assert BODIES[4] in text(boss.get(url))
    assert boss.post(f"{url}/remove/4", data={"csrf_token": token(boss, url)}).status_code == 303
    assert db["opinions"].get(4)["status"] == "new" and db["suggestion_opinions"].count == 1


def test_domain_changes_outside_the_scope_are_refused(db, town):
    suggestion_id = suggestions.create(db, JIA, [1], FIELDS, town)
    before = dump(db)
    for wrong in (
        lambda: suggestions.create(db, YI, [1], FIELDS, town),
        lambda: suggestions.add_opinions(db, YI, suggestion_id, [3]),
        lambda: suggestions.remove_opinion(db, YI, suggestion_id, 1),
        lambda: suggestions.update(db, YI, suggestion_id, {"tier": "重大"}),
        lambda: suggestions.advance(db, YI, suggestion_id, "待交办"),
        lambda: suggestions.add_note(db, YI, suggestion_id, "越权"),
    ):
        with pytest.raises(suggestions.Missing):
            wrong()
    for wrong in (
        lambda: opinions.answer_directly(db, YI, 3, "越权答复"),
        lambda: opinions.reject(db, YI, 3, "越权"),
        lambda: opinions.set_category(db, YI, 3, "rural"),
    ):
        with pytest.raises(opinions.NotFound):
            wrong()
    assert dump(db) == before


# 3. A retired office is not brought back by saving a form.


def handling(client, suggestion_id, department, deadline=""):
    url = f"/admin/suggestions/{suggestion_id}"
    data = {
        "csrf_token": token(client, url),
        "tier": "一般",
        "deadline": deadline,
        "department": department,
        "deputies": "",
    }
    return client.post(url + "/handling", data=data)


def test_a_retired_department_is_refused_not_reactivated(app, db, town):
    suggestion_id = suggestions.create(db, JIA, [1], FIELDS, town)
    retired = departments.add(db, "镇城建办", "boss")
    departments.set_active(db, departments.get(db, retired), False, "boss")
    jia = client_of(app, "jia")
    assert '<option value="镇城建办">' not in text(jia.get(f"/admin/suggestions/{suggestion_id}"))
    response = handling(jia, suggestion_id, "镇城建办")
    assert response.status_code == 400 and "“镇城建办”已停用" in text(response)
    assert departments.get(db, retired)["active"] == 0
    assert db["suggestions"].get(suggestion_id)["department_id"] is None
    assert audit_count(db, "department.enable") == 0


def test_a_suggestion_keeps_its_department_after_it_is_retired(app, db, town):
    suggestion_id = suggestions.create(db, JIA, [1], FIELDS, town)
    suggestions.update(db, JIA, suggestion_id, {}, "镇城建办")
    department_id = db["suggestions"].get(suggestion_id)["department_id"]
    departments.set_active(db, departments.get(db, department_id), False, "boss")
    jia = client_of(app, "jia")
    deadline = db["suggestions"].get(suggestion_id)["deadline"]
    assert handling(jia, suggestion_id, "镇城建办", deadline).status_code == 303
    assert db["suggestions"].get(suggestion_id)["department_id"] == department_id
    assert departments.get(db, department_id)["active"] == 0


# 4. Races: exactly one wins, the other is told, the log has one entry.


def test_answering_twice_with_the_stale_row_has_one_winner(app, db, town):
    opinions.answer_directly(db, JIA, 1, "第一位答复")
    with pytest.raises(opinions.AlreadyHandled):
        opinions.answer_directly(db, JIA, 1, "第二位答复")
    with pytest.raises(opinions.AlreadyHandled):
        opinions.reject(db, JIA, 1, "重复")
    row = db["opinions"].get(1)
    assert row["status"] == "answered" and row["answer"] == "第一位答复"
    assert audit_count(db, "opinion.answer") == 1 and audit_count(db, "opinion.reject") == 0
    jia = client_of(app, "jia")
    data = {"a-csrf_token": token(jia, "/admin/opinions/1"), "a-answer": "又答一次"}
    again = jia.post("/admin/opinions/1/answer", data=data)
    assert again.status_code == 409 and "可能是别人刚刚处理的" in text(again)
    assert db["opinions"].get(1)["answer"] == "第一位答复"


def test_two_clerks_answering_at_once_one_wins(app, db, town):
    path = app.config["FEEDBACK_DATABASE"]
    barrier = threading.Barrier(2, timeout=30)
    outcomes = []

    def clerk(act):
        own = connect(path)
        barrier.wait()
        try:
            act(own)
            outcomes.append("won")
        except opinions.AlreadyHandled:
            outcomes.append("lost")
        finally:
            own.close()

    threads = [
        threading.Thread(target=clerk, args=(lambda c: opinions.answer_directly(c, JIA, 2, "修"),)),
        threading.Thread(target=clerk, args=(lambda c: opinions.reject(c, JIA, 2, "重复"),)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["lost", "won"]
    logged = audit_count(db, "opinion.answer") + audit_count(db, "opinion.reject")
    assert logged == 1 and db["opinions"].get(2)["status"] in ("answered", "rejected")


def test_a_rating_is_given_once_and_only_for_an_answer(app, client, db, town):
    stale = db["opinions"].get(1)
    with pytest.raises(opinions.AlreadyHandled, match="还没有答复"):
        opinions.rate(db, stale, "满意")
    opinions.answer_directly(db, JIA, 1, "路灯已修好")
    page = status_page(client, db, 1)  # the villager's page, with its rating form
    opinions.rate(db, stale, "满意")
    with pytest.raises(opinions.AlreadyHandled, match="已经评价过了"):
        opinions.rate(db, stale, "不满意")
    assert db["opinions"].get(1)["rating"] == "满意" and audit_count(db, "opinion.rate") == 1
    receipt = db["opinions"].get(1)["receipt"]
    again = client.post(
        f"/t/{receipt[:4]}-{receipt[4:]}", data={"csrf_token": csrf_of(page), "rating": "不满意"}
    )
    assert again.status_code == 409 and db["opinions"].get(1)["rating"] == "满意"


def test_a_double_tap_on_advance_moves_one_step(app, db, town):
    suggestion_id = suggestions.create(db, JIA, [1], FIELDS, town)
    suggestions.update(db, JIA, suggestion_id, {}, "镇城建办")
    jia = client_of(app, "jia")
    url = f"/admin/suggestions/{suggestion_id}"
    page = text(jia.get(url))
    assert 'name="expected" type="hidden" value="待交办"' in page
    data = {"csrf_token": csrf_of(page), "expected": "待交办"}
    assert jia.post(url + "/advance", data=data).status_code == 303
    second = jia.post(url + "/advance", data=data)
    assert second.status_code == 409 and "已经是“已交办”了" in text(second)
    assert db["suggestions"].get(suggestion_id)["status"] == "已交办"
    assert audit_count(db, "suggestion.status") == 1
    with pytest.raises(suggestions.Stale):
        suggestions.advance(db, JIA, suggestion_id, "待交办")
    assert audit_count(db, "suggestion.status") == 1


def test_handing_over_needs_a_department_in_the_same_statement(db, town):
    suggestion_id = suggestions.create(db, JIA, [1], FIELDS, town)
    with pytest.raises(suggestions.SuggestionError, match="请先选定承办单位"):
        suggestions.advance(db, JIA, suggestion_id, "待交办")
    assert db["suggestions"].get(suggestion_id)["status"] == "待交办"


def test_a_closed_suggestion_keeps_its_opinions(app, db, town):
    suggestion_id = suggestions.create(db, JIA, [1, 3], FIELDS, town)
    close(db, suggestion_id)
    jia = client_of(app, "jia")
    before = dump(db)
    with pytest.raises(suggestions.SuggestionError, match="已办结的建议不能再移出意见"):
        suggestions.remove_opinion(db, JIA, suggestion_id, 3)
    assert dump(db) == before
    url = f"/admin/suggestions/{suggestion_id}"
    response = jia.post(url + "/remove/3", data={"csrf_token": token(jia, url)})
    assert response.status_code == 409 and dump(db) == before


def test_a_closed_suggestion_is_not_edited(db, town):
    suggestion_id = suggestions.create(db, JIA, [1], FIELDS, town)
    close(db, suggestion_id)
    before = dump(db)
    with pytest.raises(suggestions.SuggestionError, match="已办结的建议不能再修改"):
        suggestions.update(db, JIA, suggestion_id, {"tier": "重大"})
    assert dump(db) == before


# 5. An opinion typed in by staff and its audit entry are one transaction.


def test_an_entered_opinion_and_its_log_entry_are_stored_together(app, db, town, monkeypatch):
    jia = client_of(app, "jia")
    page = text(jia.get("/admin/opinions/new"))
    real = audit.record

    def failing(db_, actor, action, *args, **kwargs):
        if action == "opinion.enter":
            raise RuntimeError("disk full")
        return real(db_, actor, action, *args, **kwargs)

    monkeypatch.setattr(audit, "record", failing)
    data = {
        "csrf_token": csrf_of(page),
        "station": "1",
        "channel": "market",
        "collected_by": "",
        "created_at": "",
        "body": "赶圩日反映:桥上栏杆松了",
        "category": "",
        "name": "",
        "phone": "",
    }
    with pytest.raises(RuntimeError):
        jia.post("/admin/opinions/new", data=data)
    assert db["opinions"].count == len(BODIES)  # no opinion without its log entry
    monkeypatch.setattr(audit, "record", real)
    assert jia.post("/admin/opinions/new", data=data).status_code == 303
    (entry,) = db["audit_log"].rows_where("action = 'opinion.enter'")
    assert entry["actor"] == "jia" and entry["object_id"] == str(len(BODIES) + 1)


# 6. A villager's page shows only what was written for the public.


def test_villagers_never_read_each_others_words(app, client, db, town):
    jia = client_of(app, "jia")
    merge = jia.post("/admin/suggestions/merge", data={"csrf_token": token(jia), "ids": ["1", "2"]})
    draft = text(merge)
    fields = dict(re.findall(r'name="(\w+)" type="hidden" value="([^"]*)"', draft))
    title = re.search(r'name="title"[^>]*value="([^"]*)"', draft).group(1)
    assert title == "关于六龙村、大塘村的市容市貌问题"
    body = re.search(r"<textarea[^>]*>\s*(.*?)</textarea>", draft, re.S).group(1)
    data = {**fields, "title": title, "body": body, "category": "cityscape", "tier": "一般"}
    assert jia.post("/admin/suggestions/create", data=data).status_code == 303
    first, second = status_page(client, db, 1), status_page(client, db, 2)
    assert "已并入代表建议" in first and "关于六龙村、大塘村的市容市貌问题" in first
    assert BODIES[1] in first and BODIES[2] not in first
    assert BODIES[2] in second and BODIES[1] not in second


def test_an_older_title_copied_from_an_opinion_is_not_shown(app, client, db, town):
    """Suggestions drafted before the fix carry the first opinion's words as their title."""
    copied = {**FIELDS, "title": BODIES[1][:29] + "…"}
    suggestion_id = suggestions.create(db, JIA, [1, 2], copied, town)
    page = status_page(client, db, 2)
    number = db["suggestions"].get(suggestion_id)["number"]
    assert "已并入代表建议" in page and number in page
    assert BODIES[1][:10] not in page
    assert suggestion_text.public_title("路灯不亮", [BODIES[1]]) == "路灯不亮"
    assert suggestion_text.public_title(BODIES[2], [BODIES[1], BODIES[2]]) == ""
