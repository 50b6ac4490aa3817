"""Return visits (回访) and 二次办理: who is on the town's list, what a call records, and a
不满意 that reopens the suggestion behind it (feedback.return_visits, feedback.reopening)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from feedback import clock, return_visits, suggestions, users
from tests.conftest import csrf_of, sign_in
from tests.test_handling import FIELDS, JIA, YI

LONG_AGO = clock.stamp(clock.now() - timedelta(days=10))


def opinion(db, n: int, station: int, **fields) -> int:
    row = {
        "id": n,
        "receipt": f"VVVVVVV{'23456789ABC'[n]}",
        "station_id": station,
        "body": f"第{n}条:路灯坏了",
        "category": "other",
        "phone": "13812345678",
        "consent": 1,
        "created_at": "2026-03-02T09:00:00+08:00",
    }
    db["opinions"].insert(row | fields)
    return n


def answered(db, n: int, station: int = 1, at: str = LONG_AGO, **fields) -> int:
    return opinion(db, n, station, status="answered", answer="已修好", answered_at=at, **fields)


@pytest.fixture
def town(app, db, two_town_stations):
    """1 due (answered directly 10 days ago); 2 no consent; 3 rated by the villager; 4
    answered 2 days ago; 5 乙镇's; 6 and 7 behind 甲镇's suggestion closed 10 days ago (6 with
    a phone, 7 without); 8 new."""
    answered(db, 1)
    answered(db, 2, consent=0)
    answered(db, 3, rating="满意", rated_at=clock.stamp(), rating_source="villager")
    answered(db, 4, at=clock.stamp(clock.now() - timedelta(days=2)))
    answered(db, 5, station=3)
    opinion(db, 6, 1)
    opinion(db, 7, 2, phone=None, consent=0)
    opinion(db, 8, 1)
    db.conn.commit()
    made = suggestions.create(db, JIA, [6, 7], FIELDS, app.config["FEEDBACK_TIER_DAYS"])
    suggestions.update(db, JIA, made, {}, "甲镇城建办")
    for step in ("待交办", "已交办"):
        suggestions.advance(db, JIA, made, step)
    suggestions.advance(db, JIA, made, "办理中", "路灯已全部修好")
    with db.conn:
        db.execute("update opinions set answered_at = ? where id in (6, 7)", [LONG_AGO])
        db.execute("update suggestions set closed_at = ? where id = ?", [LONG_AGO, made])
    users.add(db, "jia", "correct horse", "clerk", "甲镇")
    return made


def due_ids(db, access=JIA, days: int = 7) -> list[int]:
    return [row["id"] for row in return_visits.due(db, access, days)[0]]


def test_the_list_is_who_was_answered_long_enough_ago_and_has_not_rated(db, town):
    assert due_ids(db) == [1, 6]
    assert due_ids(db, YI) == [5]
    assert due_ids(db, days=1) == [1, 6, 4]


def test_a_call_not_answered_stays_a_verdict_settles_it(db, town):
    return_visits.record(db, JIA, 1, "未接通")
    rows, _total = return_visits.due(db, JIA, 7)
    assert [(r["id"], r["attempts"]) for r in rows] == [(1, 1), (6, 0)]
    return_visits.record(db, JIA, 1, "基本满意", "说修得还行")
    assert due_ids(db) == [6]
    row = db["opinions"].get(1)
    assert (row["rating"], row["rating_source"]) == ("基本满意", "visit")
    with pytest.raises(return_visits.VisitError, match="不在回访名单上"):
        return_visits.record(db, JIA, 1, "满意")
    with pytest.raises(return_visits.VisitError, match="不在回访名单上"):
        return_visits.record(db, YI, 6, "满意")  # another town's clerk
    assert db.execute("select count(*) from return_visits").fetchone()[0] == 2


def test_a_refusal_settles_it_without_a_rating(db, town):
    return_visits.record(db, JIA, 6, "拒绝回访")
    assert due_ids(db) == [1]
    assert db["opinions"].get(6)["rating"] is None


def test_reopening_needs_a_dissatisfied_villager_and_a_reason(db, town):
    with pytest.raises(return_visits.VisitError, match="只有村民不满意"):
        return_visits.record(db, JIA, 6, "满意", "好", reopen=True)
    with pytest.raises(return_visits.VisitError, match="写明"):
        return_visits.record(db, JIA, 6, "不满意", "", reopen=True)
    assert db.execute("select count(*) from return_visits").fetchone()[0] == 0


def test_a_dissatisfied_villager_reopens_the_suggestion_and_it_closes_again(client, db, town):
    return_visits.record(db, JIA, 6, "不满意", "灯又坏了两盏", reopen=True)
    suggestion = db["suggestions"].get(town)
    assert (suggestion["status"], suggestion["closed_at"]) == ("办理中", None)
    assert db["opinions"].get(6)["rating"] == "不满意"
    assert due_ids(db) == [1]  # not closed: nobody to call about it
    page = client.get("/t/VVVV-VVV8").get_data(as_text=True)
    assert "二次办理" in page and "当时的答复:路灯已全部修好" in page
    assert "灯又坏了两盏" not in page  # the caller's note is not for the public page
    an_hour_ago = clock.stamp(clock.now() - timedelta(hours=1))
    with db.conn:  # the call was an hour before the new answer (stamps are to the second)
        db.execute("update return_visits set at = ?", [an_hour_ago])
        db.execute("update opinions set rated_at = ? where id = 6", [an_hour_ago])
    suggestions.advance(db, JIA, town, "办理中", "换了新灯杆")
    assert due_ids(db, days=0) == [1, 4, 6]  # answered again: call again


def test_an_opinion_answered_directly_goes_back_to_the_inbox(db, town):
    return_visits.record(db, JIA, 1, "不满意", "根本没修", reopen=True)
    row = db["opinions"].get(1)
    assert (row["status"], row["answered_at"]) == ("new", None)


def test_the_page_shows_the_list_reveals_a_number_on_purpose_and_records(client, db, town):
    sign_in(client, "jia")
    page = client.get("/admin/visits/").get_data(as_text=True)
    assert "2 位村民" in page and 'id="visit-1"' in page and 'id="visit-5"' not in page
    assert "13812345678" not in page and "138****5678" in page
    shown = client.post("/admin/visits/1/reveal", data={"csrf_token": csrf_of(page)})
    assert 'href="tel:13812345678"' in shown.get_data(as_text=True)
    assert (
        db.execute(
            "select count(*) from audit_log where action = 'opinion.reveal_phone' and object_id = 1"
        ).fetchone()[0]
        == 1
    )
    refused = client.post(
        "/admin/visits/6",
        data={
            "csrf_token": csrf_of(page),
            "v6-outcome": "满意",
            "v6-note": "标记:村民说得很长",
            "v6-reopen": "y",
        },
    )
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "只有村民不满意时才能要求二次办理" in text
    assert "标记:村民说得很长" in text  # what was typed is kept
    done = client.post(
        "/admin/visits/6",
        data={
            "csrf_token": csrf_of(page),
            "v6-outcome": "不满意",
            "v6-note": "灯又坏了",
            "v6-reopen": "y",
        },
    )
    assert done.status_code == 303
    after = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "已记下意见 #6 的回访结果" in after and 'id="visit-6"' not in after
    staff = client.get(f"/admin/suggestions/{town}").get_data(as_text=True)
    assert "二次办理" in staff and "灯又坏了" in staff
    again = client.post("/admin/visits/6", data={"csrf_token": csrf_of(page), "v6-outcome": "满意"})
    assert again.status_code == 409 and "请刷新页面" in again.get_data(as_text=True)


def test_a_department_account_has_no_visit_list(app, client, db, town):
    from feedback import departments

    departments.add(db, "甲镇环保办", "boss", "甲镇")
    users.add(db, "hb", "correct horse", "department", None, department="甲镇环保办")
    sign_in(client, "hb")
    assert client.get("/admin/visits/").status_code == 404
    page = client.get("/admin/desk/").get_data(as_text=True)
    assert (
        client.post(
            "/admin/visits/1", data={"csrf_token": csrf_of(page), "v1-outcome": "满意"}
        ).status_code
        == 404
    )
    assert re.search("回访", page) is None


def test_an_answer_older_than_the_window_drops_off_the_list(db, town):
    answered(db, 9, at=clock.stamp(clock.now() - timedelta(days=100)))
    assert 9 not in due_ids(db)
    assert [r["id"] for r in return_visits.due(db, JIA, 7, within_days=120)[0]] == [9, 1, 6]


@pytest.fixture
def led(db, town):
    """Deputy 王丽 leads 甲镇's suggestion (opinions 6 and 7); 李明 leads nothing. Both have
    accounts."""
    from feedback import deputies, deputy_suggestions
    from feedback.db import write_transaction

    for code, name in (("wang", "王丽"), ("li", "李明")):
        deputies.add(db, {"code": code, "name": name, "town": "甲镇"})
        users.add(db, code, "correct horse", "deputy", None, deputy=code)
    with write_transaction(db):
        deputy_suggestions.set_signers_in(db, JIA, db["suggestions"].get(town), "wang", [])
    return town


def deputy_access(db, username: str):
    from feedback.access import Access

    return Access.of(next(db.query("select * from users where username = ?", [username])))


def test_the_lead_deputy_calls_the_villagers_behind_what_they_lead(client, db, led):
    wang, li = deputy_access(db, "wang"), deputy_access(db, "li")
    assert due_ids(db, wang) == [6] and due_ids(db, li) == []
    with pytest.raises(return_visits.VisitError, match="不在回访名单上"):
        return_visits.record(db, li, 6, "满意")
    with pytest.raises(return_visits.VisitError, match="不在回访名单上"):
        return_visits.record(db, wang, 1, "满意")  # the town's, not theirs
    sign_in(client, "wang")
    page = client.get("/admin/visits/").get_data(as_text=True)
    assert 'id="visit-6"' in page and 'id="visit-1"' not in page and "您领衔的建议背后" in page
    shown = client.post("/admin/visits/6/reveal", data={"csrf_token": csrf_of(page)})
    assert 'href="tel:13812345678"' in shown.get_data(as_text=True)
    assert (
        client.post("/admin/visits/1/reveal", data={"csrf_token": csrf_of(page)}).status_code == 404
    )
    done = client.post(
        "/admin/visits/6",
        data={
            "csrf_token": csrf_of(page),
            "v6-outcome": "不满意",
            "v6-note": "灯又坏了",
            "v6-reopen": "y",
        },
    )
    assert done.status_code == 303
    assert db["suggestions"].get(led)["status"] == "办理中"
    assert db["return_visits"].get(1)["caller"] == "wang"


def test_the_bulletin_says_who_gave_the_ratings(runner, db, town, tmp_path):
    """满意率 counts villagers' own ratings and those recorded on return visits, and says how
    many of each (the CSV figures and the HTML bulletin)."""
    return_visits.record(db, JIA, 1, "不满意", "没修好")
    return_visits.record(db, JIA, 6, "未接通")  # not a rating
    month = clock.now().strftime("%Y-%m")
    out = tmp_path / "r.html"
    result = runner.invoke(
        args=["report", "--month", month, "--town", "甲镇", "--format", "html", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert 'id="rated-by-villagers">1<' in html and 'id="rated-by-visits">1<' in html
    csv_out = tmp_path / "r.csv"
    runner.invoke(
        args=[
            "report",
            "--month",
            month,
            "--town",
            "甲镇",
            "--format",
            "csv",
            "--out",
            str(csv_out),
        ]
    )
    text = csv_out.read_text(encoding="utf-8-sig")
    assert "满意度,村民自评,1" in text and "满意度,回访代记,1" in text
