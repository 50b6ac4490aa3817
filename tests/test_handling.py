"""Online handling's rules (feedback.handling, feedback.handling_town), department accounts
and their scope (feedback.access), and the users table rebuilt for them (migration 0017)."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

import pytest

from feedback import clock, departments, handling, handling_town, schema, suggestions, users
from feedback.access import Access
from feedback.db import connect, migrate

JIA = Access("clerk", "甲镇", "jia")
YI = Access("clerk", "乙镇", "yi")
FIELDS = {"title": "路灯不亮", "body": "路灯不亮", "category": "other", "tier": "一般"}


@pytest.fixture
def world(app, db, two_town_stations):
    """甲镇's suggestion 1 (opinion 1) and 2 (opinion 2), 乙镇's 3 (opinion 3); offices 甲镇环保办
    (甲镇), 县交通运输局 (county) and 乙镇农办 (乙镇), each with an account."""
    for n, station in ((1, 1), (2, 2), (3, 3)):
        db["opinions"].insert(
            {
                "id": n,
                "receipt": f"HHHHHHH{n + 1}",
                "station_id": station,
                "body": f"第{n}条意见:路灯坏了",
                "category": "other",
                "phone": "13812345678",
                "created_at": "2026-03-02T09:00:00+08:00",
            }
        )
    db.conn.commit()
    days = app.config["FEEDBACK_TIER_DAYS"]
    for opinion, access in ((1, JIA), (2, JIA), (3, YI)):
        suggestions.create(db, access, [opinion], FIELDS, days)
    offices = {
        "huanbao": departments.add(db, "甲镇环保办", "boss", "甲镇"),
        "jiaotong": departments.add(db, "县交通运输局", "boss"),
        "nongban": departments.add(db, "乙镇农办", "boss", "乙镇"),
    }
    for name, office in offices.items():
        users.add(db, name, "correct horse", "department", None, department=office_name(db, office))
    return offices


def office_name(db, office: int) -> str:
    return departments.get(db, office)["name"]


def dept(db, username: str) -> Access:
    return Access.of(next(db.query("select * from users where username = ?", [username])))


def seen(db, suggestion_id: int = 1) -> int:
    return handling.latest_event(db, suggestion_id)


def deadline(days: int = 30) -> str:
    return (clock.now().date() + timedelta(days=days)).isoformat()


def hand(db, world, lead="huanbao", co=("jiaotong",), suggestion_id=1):
    handling_town.hand_over(
        db,
        JIA,
        suggestion_id,
        world[lead],
        [world[c] for c in co],
        deadline(),
        seen(db, suggestion_id),
    )


def test_the_whole_online_journey(db, world):
    hand(db, world)
    lead, co = dept(db, "huanbao"), dept(db, "jiaotong")
    assert db["suggestions"].get(1)["status"] == "已交办"
    handling.sign_for(db, lead, 1, seen(db))
    assert db["suggestions"].get(1)["status"] == "办理中"
    handling.sign_for(db, co, 1, seen(db))
    handling.record_progress(db, lead, 1, "已到现场查看", seen(db))
    old = db["suggestions"].get(1)["deadline"]
    later = (date.fromisoformat(old) + timedelta(days=20)).isoformat()
    handling.ask_extension(db, lead, 1, later, "需要采购灯杆", seen(db))
    handling_town.decide_extension(db, JIA, 1, True, "", seen(db))
    assert db["suggestions"].get(1)["deadline"] == later
    handling.add_part(db, co, 1, "交通局负责道路部分", seen(db))
    handling.submit_answer(db, lead, 1, "A", "路灯已全部修好", seen(db))
    handling_town.review(db, JIA, 1, True, "", seen(db))
    closed = db["suggestions"].get(1)
    assert (closed["status"], closed["answer"], closed["result_class"]) == (
        "已办结",
        "路灯已全部修好",
        "A",
    )
    assert db["opinions"].get(1)["answer"] == "路灯已全部修好"
    kinds = [r[0] for r in db.execute("select kind from handling_events order by id")]
    assert kinds == [
        "handover",
        "sign",
        "sign",
        "progress",
        "extension_ask",
        "extension_grant",
        "part",
        "answer",
        "accept",
    ]
    actions = {
        r[0] for r in db.execute("select action from audit_log where action like 'handling.%'")
    }
    assert len(actions) == 8


def test_no_answer_before_signing_for(db, world):
    hand(db, world)
    with pytest.raises(handling.HandlingError, match="请先签收"):
        handling.submit_answer(db, dept(db, "huanbao"), 1, "A", "路灯已全部修好", seen(db))
    assert db["suggestions"].get(1)["submitted_at"] is None


def test_a_returned_item_goes_back_to_the_clerk_and_cannot_be_signed_for(db, world):
    hand(db, world)
    lead = dept(db, "huanbao")
    handling.give_back(db, lead, 1, "路灯归县交通运输局管", seen(db))
    back = db["suggestions"].get(1)
    assert (back["status"], back["returned_reason"], back["department_id"]) == (
        "待交办",
        "路灯归县交通运输局管",
        None,
    )
    assert lead.suggestion(db, 1) is None and dept(db, "jiaotong").suggestion(db, 1) is None
    with pytest.raises(handling.Missing):
        handling.sign_for(db, lead, 1, seen(db))
    hand(db, world, lead="jiaotong", co=())  # handed over again, to another office
    assert db["suggestions"].get(1)["returned_reason"] is None


def test_a_signed_item_cannot_be_returned(db, world):
    hand(db, world)
    lead = dept(db, "huanbao")
    handling.sign_for(db, lead, 1, seen(db))
    with pytest.raises(handling.HandlingError, match="已经签收"):
        handling.give_back(db, lead, 1, "不归我们管", seen(db))


def test_no_closing_without_an_answer(db, world):
    hand(db, world)
    handling.sign_for(db, dept(db, "huanbao"), 1, seen(db))
    with pytest.raises(handling.HandlingError, match="没有答复不能办结"):
        handling_town.review(db, JIA, 1, True, "", seen(db))
    with pytest.raises(suggestions.SuggestionError, match="在线交办"):
        suggestions.advance(db, JIA, 1, "办理中", "直接办结")
    assert db["suggestions"].get(1)["status"] == "办理中"


@pytest.mark.parametrize(
    ("days_after", "message"),
    [
        (0, "要晚于现在的期限"),
        (-5, "要晚于现在的期限"),
        (181, "最多延期 180 天"),
        (3650, "最多延期"),
    ],
)
def test_absurd_extension_dates_are_refused(db, world, days_after, message):
    hand(db, world)
    lead = dept(db, "huanbao")
    handling.sign_for(db, lead, 1, seen(db))
    current = date.fromisoformat(db["suggestions"].get(1)["deadline"])
    with pytest.raises(handling.HandlingError, match=message):
        handling.ask_extension(
            db, lead, 1, current + timedelta(days=days_after), "理由充分", seen(db)
        )
    assert db["suggestions"].get(1)["extension_until"] is None


def test_the_clerk_sends_an_answer_back_and_urges(db, world):
    hand(db, world, co=())
    lead = dept(db, "huanbao")
    handling_town.urge(db, JIA, 1, "群众反映强烈", seen(db))
    handling.sign_for(db, lead, 1, seen(db))
    handling.submit_answer(db, lead, 1, "C", "暂时没有资金", seen(db))
    with pytest.raises(handling.HandlingError, match="正在等镇里审核"):
        handling.submit_answer(db, lead, 1, "A", "又改主意了", seen(db))
    handling_town.review(db, JIA, 1, False, "请说明何时能解决", seen(db))
    assert db["suggestions"].get(1)["submitted_at"] is None
    handling.submit_answer(db, lead, 1, "B", "已列入明年计划", seen(db))
    assert db["suggestions"].get(1)["result_class"] == "B"
    urges = db.execute("select count(*) from handling_events where kind = 'urge'").fetchone()[0]
    assert urges == 1


def test_a_stale_page_is_refused_and_nothing_happens(db, world):
    hand(db, world)
    drawn = seen(db)
    handling_town.urge(db, JIA, 1, "", drawn)
    with pytest.raises(handling.Stale):
        handling.sign_for(db, dept(db, "huanbao"), 1, drawn)
    assert handling.handler(db, 1, world["huanbao"])["signed_at"] is None


def test_a_department_sees_only_what_is_handed_to_it(db, world):
    hand(db, world)
    lead, co, other = dept(db, "huanbao"), dept(db, "jiaotong"), dept(db, "nongban")
    assert [s["id"] for s in lead.suggestions(db)] == [1] == [s["id"] for s in co.suggestions(db)]
    assert other.suggestions(db) == [] and other.suggestion(db, 1) is None
    assert lead.opinion(db, 1)["body"] == "第1条意见:路灯坏了"
    assert (
        lead.opinion(db, 2) is None and lead.opinion(db, 3) is None and other.opinion(db, 1) is None
    )
    assert [o["id"] for o in lead.suggestion_opinions(db, {"id": 1})] == [1]
    assert lead.suggestion_opinions(db, {"id": 2}) == []
    assert lead.stations(db) == [] and lead.opinions(db, [1]) is None
    for act in (
        lambda a: handling.sign_for(db, a, 1, seen(db)),
        lambda a: handling.give_back(db, a, 1, "不归我们管", seen(db)),
        lambda a: handling.record_progress(db, a, 1, "越权记录", seen(db)),
    ):
        with pytest.raises(handling.Missing):
            act(other)
    with pytest.raises(handling.Missing):  # a department does not act as the town
        handling_town.urge(db, lead, 1, "", seen(db))
    with pytest.raises(suggestions.Missing):
        suggestions.add_note(db, lead, 1, "越权")


def test_a_town_cannot_hand_over_to_another_towns_office(db, world):
    with pytest.raises(handling.HandlingError, match="外镇"):
        hand(db, world, lead="nongban", co=())
    with pytest.raises(handling.Missing):
        handling_town.hand_over(db, YI, 1, world["jiaotong"], [], deadline(), 0)
    assert db["suggestions"].get(1)["status"] == "待交办"


def test_two_connections_racing_one_wins(app, db, world):
    """Two people of one office sign for the same item at the same moment, each on their own
    connection (as two gunicorn workers): exactly one signature, one event."""
    hand(db, world)
    drawn = seen(db)
    path = app.config["FEEDBACK_DATABASE"]
    barrier, outcomes = threading.Barrier(2, timeout=30), []

    def sign() -> None:
        own = connect(path)
        barrier.wait()
        try:
            handling.sign_for(own, dept(own, "huanbao"), 1, drawn)
            outcomes.append("signed")
        except handling.Stale:
            outcomes.append("stale")
        finally:
            own.close()

    threads = [threading.Thread(target=sign) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["signed", "stale"]
    signs = db.execute("select count(*) from handling_events where kind = 'sign'").fetchone()[0]
    assert signs == 1


def test_sign_due_counts_working_days():
    friday = datetime(2026, 3, 6, 10, 0)
    assert handling.add_working_days(friday, 1) == datetime(2026, 3, 9, 10, 0)
    assert handling.add_working_days(datetime(2026, 3, 3, 9, 0), 1) == datetime(2026, 3, 4, 9, 0)


def test_department_accounts_from_the_cli(runner, db, world):
    result = runner.invoke(
        args=[
            "user",
            "add",
            "hb2",
            "--role",
            "department",
            "--department",
            "甲镇环保办",
            "--password-stdin",
        ],
        input="correct horse\n",
    )
    assert result.exit_code == 0, result.output
    assert "Added department hb2 (甲镇环保办)" in result.output
    assert (
        db.execute("select department_id from users where username = 'hb2'").fetchone()[0]
        == (world["huanbao"])
    )
    for args, message in (
        (["--department", "没有这个局"], "unknown department '没有这个局'"),
        ([], "a department account needs --department"),
    ):
        refused = runner.invoke(
            args=["user", "add", "hb3", "--role", "department", *args, "--password-stdin"],
            input="correct horse\n",
        )
        assert refused.exit_code == 1 and message in refused.output
    clerk = runner.invoke(
        args=[
            "user",
            "add",
            "c2",
            "--role",
            "clerk",
            "--town",
            "甲镇",
            "--department",
            "甲镇环保办",
            "--password-stdin",
        ],
        input="correct horse\n",
    )
    assert clerk.exit_code == 1 and "only for a department account" in clerk.output
    assert (
        db.execute("select count(*) from users where username in ('hb3', 'c2')").fetchone()[0] == 0
    )


def test_the_users_rebuild_keeps_accounts_and_sessions(tmp_path):
    db = connect(tmp_path / "old.db")
    schema.migrations.apply(db, stop_before="0017_department_accounts")
    db.execute(
        "insert into users (id, username, password_hash, role, town, created_at) values "
        "(1, 'boss', 'x', 'admin', null, '2026-01-01'), "
        "(2, 'jia', 'y', 'clerk', '甲镇', '2026-01-02')"
    )
    db.execute(
        "insert into sessions (token_hash, user_id, created_at, last_seen_at) "
        "values ('t', 2, '2026-01-03', '2026-01-03')"
    )
    db.conn.commit()
    migrate(db)
    assert [(r["username"], r["role"], r["town"]) for r in db.query("select * from users")] == [
        ("boss", "admin", None),
        ("jia", "clerk", "甲镇"),
    ]
    assert db.execute("select user_id from sessions").fetchone() == (2,)
    assert db.execute("PRAGMA foreign_keys").fetchone() == (1,)
    assert (
        "REFERENCES users" in db["sessions"].schema
        and not db.execute("PRAGMA foreign_key_check").fetchall()
    )
    with pytest.raises(Exception, match="FOREIGN KEY"):
        db.execute(
            "insert into sessions (token_hash, user_id, created_at, last_seen_at) "
            "values ('u', 99, 'a', 'a')"
        )
    with pytest.raises(Exception, match="CHECK"):
        db.execute(
            "insert into users (username, password_hash, role, created_at) "
            "values ('d', 'z', 'department', 'a')"
        )  # a department account needs its office
    migrate(db)  # idempotent
