"""The deputies' registry and their accounts, as an admin meets them on the command line and
on /admin/deputies, and a deputy's code (/d/CODE) as a villager meets it."""

from __future__ import annotations

import io
import json
import re

import pytest

from feedback import deputies, schema, users
from feedback.db import connect, migrate
from tests.conftest import STAFF_PASSWORD, csrf_of, sign_in

STATIONS = (
    {"id": 1, "code": "ll-01", "name": "六龙村议事亭", "town": "甲镇", "village": "六龙村"},
    {"id": 2, "code": "dt-01", "name": "大塘村联络站", "town": "甲镇", "village": "大塘村"},
    {"id": 3, "code": "yz-01", "name": "乙镇公告栏", "town": "乙镇", "village": ""},
)


@pytest.fixture
def stations(db):
    db["stations"].insert_all(STATIONS)
    db.conn.commit()


def cli(runner, *args, stdin: str | None = None):
    return runner.invoke(args=list(args), input=stdin)


# --- the command line -----------------------------------------------------------------------


def test_add_list_and_retire(runner, db, stations):
    added = cli(
        runner, "deputy", "add", "Wang-Li", "王丽", "--town", "甲镇", "--level", "县",
        "--station", "dt-01", "--station", "ll-01", "--phone", "138 1234 5678",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "Added wang-li: 王丽 → https://feedback.example.gov.cn/d/wang-li" in added.output
    alone = cli(runner, "deputy", "add", "li", "李四", "--town", "甲镇")
    assert alone.exit_code == 0 and "posted to no active station" in alone.output
    listed = json.loads(cli(runner, "deputy", "list", "--json").output)
    assert [(d["code"], d["stations"], d["level"], d["phone"]) for d in listed] == [
        ("li", [], "乡镇", None),
        ("wang-li", ["dt-01", "ll-01"], "县", "13812345678"),
    ]
    assert (
        "wang-li                  甲镇 县 王丽  dt-01 ll-01" in cli(runner, "deputy", "list").output
    )
    retired = cli(runner, "deputy", "retire", "wang-li")
    assert retired.exit_code == 0 and "Retired wang-li" in retired.output
    again = cli(runner, "deputy", "retire", "wang-li")
    assert again.exit_code == 1 and "already retired" in again.output
    assert "[retired]" in cli(runner, "deputy", "list").output
    assert db["deputy_stations"].count == 2  # the record stays
    unknown = cli(runner, "deputy", "retire", "nobody")
    assert unknown.exit_code == 1 and "no deputy with code nobody" in unknown.output
    assert [r["action"] for r in db.query("select action from audit_log order by id")] == [
        "deputy.add",
        "deputy.add",
        "deputy.retire",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x", "王丽", "--town", "甲镇"], "code must be 2-32 characters"),
        (["wl", "王丽", "--town", "甲鎮"], "unknown town '甲鎮'; did you mean 甲镇?"),
        (["wl", "王丽", "--town", "甲镇", "--station", "yz-01"], "station yz-01 is in 乙镇"),
        (["wl", "王丽", "--town", "甲镇", "--station", "zz-99"], "no station with code zz-99"),
        (["wl", "王丽", "--town", "甲镇", "--level", "区"], "Invalid value for '--level'"),
        (["wl", "王丽", "--town", "甲镇", "--phone", "12345"], "phone must be a mainland mobile"),
        (["wl", "王" * 21, "--town", "甲镇"], "name is over 20 characters"),
        (["taken", "王丽", "--town", "甲镇"], "code taken is already taken"),
    ],
)
def test_add_refuses_bad_input_and_stores_nothing(runner, db, stations, args, message):
    deputies.add(db, {"code": "taken", "name": "先来", "town": "甲镇"})
    result = cli(runner, "deputy", "add", *args)
    assert result.exit_code != 0 and message in result.output, result.output
    assert db["deputies"].count == 1 and db["deputy_stations"].count == 0


def test_import_reads_files_as_excel_saves_them(runner, db, stations, tmp_path):
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(
        "编码,姓名,镇街,层级,站点,电话\r\nzhang,张三,甲镇,县,dt-01 ll-01,\r\n".encode("gbk")
    )
    bom = tmp_path / "bom.csv"
    bom.write_text(
        "code,name,town,level,stations,phone\nli,李四,乙镇,,yz-01,13900001111\n", "utf-8-sig"
    )
    for file in (gbk, bom):
        result = cli(runner, "deputy", "import", str(file))
        assert result.exit_code == 0 and "Imported 1 deputies" in result.output, result.output
    zhang = deputies.get(db, "zhang")
    assert [s["code"] for s in zhang["stations"]] == ["dt-01", "ll-01"]
    assert (zhang["level"], deputies.get(db, "li")["phone"]) == ("县", "13900001111")


def test_an_import_with_bad_lines_names_each_and_stores_nothing(runner, db, stations, tmp_path):
    deputies.add(db, {"code": "taken", "name": "先来", "town": "甲镇"})
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "code,name,town,level,stations,phone\n"
        "good,好人,甲镇,乡镇,ll-01,\n"
        "taken,重复,甲镇,,,\n"
        "other,别镇,甲镇,,yz-01,\n"
        "good,又来,甲镇,,,\n"
        "lvl,层级,甲镇,区,,\n"
        "extra,多一格,甲镇,,,,oops\n",
        "utf-8",
    )
    result = cli(runner, "deputy", "import", str(bad))
    assert result.exit_code == 1
    for expected in (
        "line 3: code taken is already taken",
        "line 4: station yz-01 is in 乙镇, not in the deputy's town",
        "line 5: code good repeats line 2",
        "line 6: level must be one of",
        "line 7: more cells than columns",
        "5 bad row(s); nothing was imported",
    ):
        assert expected in result.output, expected
    assert "bad.csv: line 2:" not in result.output
    assert db["deputies"].count == 1 and db["deputy_stations"].count == 0


def test_an_unreadable_import_says_why(runner, db, stations, tmp_path):
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("code,name,village\nx,y,z\n", "utf-8")
    result = cli(runner, "deputy", "import", str(wrong))
    assert result.exit_code == 1 and "unknown column(s) village" in result.output


# --- accounts -------------------------------------------------------------------------------


@pytest.fixture
def registry(db, stations):
    deputies.add(db, {"code": "wang", "name": "王丽", "town": "甲镇", "stations": "ll-01"})
    deputies.add(db, {"code": "old", "name": "老代表", "town": "甲镇", "stations": "dt-01"})
    deputies.retire(db, "old")


def test_a_deputy_account_from_the_cli(runner, db, registry):
    result = cli(
        runner, "user", "add", "wl", "--role", "deputy", "--deputy", "WANG", "--password-stdin",
        stdin=STAFF_PASSWORD + "\n",
    )  # fmt: skip
    assert result.exit_code == 0 and "Added deputy wl (deputy wang)" in result.output
    user = users.authenticate(db, "wl", STAFF_PASSWORD)
    assert (user["role"], user["deputy_id"], user["town"]) == ("deputy", 1, None)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--role", "clerk", "--town", "甲镇", "--deputy", "wang"],
            "--deputy is only for a deputy's account (--role deputy)",
        ),
        (
            ["--role", "deputy", "--deputy", "wang", "--town", "甲镇"],
            "--town is only for a clerk (--role clerk)",
        ),
        (["--role", "admin", "--department", "x"], "--department is only for a department account"),
        (["--role", "deputy"], "a deputy's account needs --deputy CODE"),
        (["--role", "deputy", "--deputy", "nobody"], "unknown deputy 'nobody'"),
        (["--role", "deputy", "--deputy", "old"], "deputy old is retired"),
        (["--role", "deputy", "--deputy", "wang"], "deputy wang already has an account (first)"),
    ],
)
def test_user_add_refuses_options_the_role_does_not_use(runner, db, registry, args, message):
    users.add(
        db, "first", STAFF_PASSWORD, "deputy", None, deputy="wang"
    ) if "(first)" in message else None
    before = db["users"].count
    result = cli(runner, "user", "add", "someone", *args, "--password-stdin", stdin=STAFF_PASSWORD)
    assert result.exit_code == 1 and message in result.output, result.output
    assert db["users"].count == before


def test_the_users_rebuild_for_deputies_keeps_accounts_and_sessions(tmp_path):
    db = connect(tmp_path / "old.db")
    schema.migrations.apply(db, stop_before="0021_deputy_accounts")
    db.execute("insert into departments (id, name) values (1, '县交通运输局')")
    db.execute(
        "insert into users (id, username, password_hash, role, town, department_id, created_at) "
        "values (1, 'boss', 'x', 'admin', null, null, 'a'), "
        "(2, 'hb', 'y', 'department', null, 1, 'b')"
    )
    db.execute(
        "insert into sessions (token_hash, user_id, created_at, last_seen_at) "
        "values ('t', 2, 'c', 'c')"
    )
    db.conn.commit()
    migrate(db)
    rows = [(r["username"], r["role"], r["department_id"]) for r in db.query("select * from users")]
    assert rows == [("boss", "admin", None), ("hb", "department", 1)]
    assert db.execute("select user_id from sessions").fetchone() == (2,)
    assert not db.execute("PRAGMA foreign_key_check").fetchall()
    assert {"users_department", "users_deputy"} <= {i.name for i in db["users"].indexes}
    with pytest.raises(Exception, match="CHECK"):
        db.execute(
            "insert into users (username, password_hash, role, created_at) "
            "values ('d', 'z', 'deputy', 'a')"
        )  # a deputy's account needs its deputy
    migrate(db)  # idempotent


# --- /d/CODE: the villager's form of a deputy -------------------------------------------------


def form_of(client, url: str) -> dict:
    page = client.get(url).get_data(as_text=True)
    token = re.search(r'name="submission_token" type="hidden" value="([^"]+)"', page).group(1)
    return {"csrf_token": csrf_of(page), "submission_token": token}


def test_the_deputys_form_is_the_station_form_headed_with_the_deputy(client, db, registry):
    page = client.get("/d/WANG")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and len(page.data) < 15 * 1024
    assert "王丽 代表" in html and "乡镇人大代表 · 六龙村议事亭" in html
    assert 'name="body"' in html and 'name="consent"' in html and 'name="website"' in html
    fields = form_of(client, "/d/wang")
    posted = client.post("/d/wang", data=dict(fields, body="村口路灯坏了三个月"))
    assert posted.status_code == 303 and posted.headers["Location"].startswith("/t/")
    status = client.get(posted.headers["Location"]).get_data(as_text=True)
    assert "村口路灯坏了三个月" in status
    row = db.execute("select station_id, deputy_id, channel from opinions").fetchone()
    assert row == (1, 1, "form")
    again = client.post(
        "/d/wang",
        data=dict(fields, body="村口路灯坏了三个月"),
        headers={"Accept": "application/json"},
    )
    assert again.status_code == 200 and db["opinions"].count == 1  # the same submission


def test_the_deputys_form_answers_json_and_errors_as_the_station_form(client, db, registry):
    fields = form_of(client, "/d/wang")
    bad = client.post(
        "/d/wang", data=dict(fields, body="短", phone="123"), headers={"Accept": "application/json"}
    )
    assert bad.status_code == 400
    assert bad.get_json()["fields"].keys() == {"body", "phone", "consent"}
    page = client.post("/d/wang", data=dict(fields, body="短", name="老李"))
    html = page.get_data(as_text=True)
    assert page.status_code == 400 and "王丽 代表" in html and 'value="老李"' in html
    assert db["opinions"].count == 0
    good = client.post(
        "/d/wang",
        data=dict(fields, body="河道里有人倒垃圾"),
        headers={"Accept": "application/json"},
    )
    assert good.status_code == 201 and good.get_json()["status_url"].startswith("/t/")


def test_unknown_retired_or_stationless_deputies_get_the_chinese_404(client, db, registry):
    deputies.add(db, {"code": "none", "name": "无站", "town": "甲镇"})
    for code in ("nobody", "old", "none"):
        for response in (client.get(f"/d/{code}"), client.post(f"/d/{code}", data={"body": "x"})):
            assert response.status_code == 404
            assert "没有找到这个页面" in response.get_data(as_text=True)
    assert db["opinions"].count == 0


def test_a_disabled_first_station_passes_the_deputys_opinions_to_the_next(client, db, stations):
    deputies.add(db, {"code": "two", "name": "两站", "town": "甲镇", "stations": "ll-01 dt-01"})
    db.execute("update stations set active = 0 where id = 1")
    db.conn.commit()
    assert "大塘村联络站" in client.get("/d/two").get_data(as_text=True)
    fields = form_of(client, "/d/two")
    client.post("/d/two", data=dict(fields, body="桥上有大裂缝了"))
    assert db.execute("select station_id, deputy_id from opinions").fetchone() == (2, 1)


# --- /admin/deputies --------------------------------------------------------------------------


@pytest.fixture
def staff(db, registry):
    users.add(db, "boss", STAFF_PASSWORD, "admin", None)
    users.add(db, "yi", STAFF_PASSWORD, "clerk", "乙镇")


def test_an_admin_adds_imports_and_retires_on_the_page(app, db, staff):
    admin = app.test_client()
    sign_in(admin, "boss")
    page = admin.get("/admin/deputies/").get_data(as_text=True)
    token = csrf_of(page)
    typed = {"csrf_token": token, "code": "X", "name": "赵六", "town": "甲镇", "level": "县",
             "stations": "yz-01", "phone": "12"}  # fmt: skip
    refused = admin.post("/admin/deputies/", data=typed)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "编码为 2-32 位小写字母、数字或 -" in html and "手机号应是 11 位" in html
    assert 'value="赵六"' in html and db["deputies"].count == 2
    added = admin.post(
        "/admin/deputies/", data=dict(typed, code="zhao", phone="", stations="dt-01")
    )
    assert added.status_code == 303
    assert "代表 zhao 已添加" in admin.get(added.headers["Location"]).get_data(as_text=True)
    bad_file = "编码,姓名,镇街,站点\nzhou,周七,甲镇,ll-01\nzhao,重名,甲镇,\n".encode("gbk")
    upload = {"i-csrf_token": token, "i-file": (io.BytesIO(bad_file), "名册.csv")}
    rejected = admin.post("/admin/deputies/import", data=upload, content_type="multipart/form-data")
    html = rejected.get_data(as_text=True)
    assert rejected.status_code == 400 and "一位代表也没有导入" in html
    assert "第 3 行:编码 zhao 已被其他代表使用" in html and deputies.get(db, "zhou") is None
    good = {"i-csrf_token": token, "i-file": (io.BytesIO(bad_file[:-16]), "名册.csv")}
    imported = admin.post("/admin/deputies/import", data=good, content_type="multipart/form-data")
    assert imported.status_code == 303 and deputies.get(db, "zhou")["town"] == "甲镇"
    retire = admin.post(
        f"/admin/deputies/{deputies.get(db, 'zhou')['id']}/retire", data={"csrf_token": token}
    )
    assert retire.status_code == 303 and not deputies.get(db, "zhou")["active"]
    card = admin.get(f"/admin/deputies/{deputies.get(db, 'wang')['id']}/card.pdf?size=A4")
    assert card.status_code == 200 and card.data.startswith(b"%PDF")


def test_a_clerk_sees_only_their_towns_deputies_and_changes_none(app, db, staff):
    deputies.add(db, {"code": "yi-dep", "name": "乙镇代表", "town": "乙镇", "stations": "yz-01"})
    clerk = app.test_client()
    sign_in(clerk, "yi")
    page = clerk.get("/admin/deputies/").get_data(as_text=True)
    assert "乙镇代表" in page and "王丽" not in page and "添加代表" not in page
    wang = deputies.get(db, "wang")["id"]
    assert clerk.get(f"/admin/deputies/{wang}/card.png").status_code == 404
    token = csrf_of(clerk.get("/admin/").get_data(as_text=True))
    assert (
        clerk.post(f"/admin/deputies/{wang}/retire", data={"csrf_token": token}).status_code == 403
    )
    assert (
        clerk.post("/admin/deputies/", data={"csrf_token": token, "code": "zz"}).status_code == 403
    )
    assert deputies.get(db, "wang")["active"] and db["deputies"].count == 3


def test_an_admin_makes_a_deputy_account_on_the_accounts_page(app, db, staff):
    admin = app.test_client()
    sign_in(admin, "boss")
    page = admin.get("/admin/users").get_data(as_text=True)
    assert "甲镇 · 王丽(wang)" in page and "老代表" not in page  # retired: not offered
    form = {"csrf_token": csrf_of(page), "username": "wl", "role": "deputy",
            "password": STAFF_PASSWORD, "confirm": STAFF_PASSWORD}  # fmt: skip
    missing = admin.post("/admin/users", data=form)
    assert missing.status_code == 400 and "人大代表账号要选是哪一位代表" in missing.get_data(
        as_text=True
    )
    made = admin.post("/admin/users", data=dict(form, deputy="wang"))
    assert made.status_code == 303
    assert (
        users.authenticate(db, "wl", STAFF_PASSWORD)["deputy_id"] == deputies.get(db, "wang")["id"]
    )
