"""Towns are known things: a clerk is posted to one that exists (issue 13)."""

import json

import pytest

from feedback import schema, towns, users
from feedback.db import connect, migrate
from tests.conftest import csrf_of, sign_in


def add_clerk(runner, town: str):
    return runner.invoke(
        args=["user", "add", "li", "--role", "clerk", "--town", town, "--password-stdin"],
        input="correct horse\n",
    )


@pytest.mark.parametrize(
    ("typed", "hint"),
    [("甲鎮", "did you mean 甲镇?"), ("甲", "did you mean 甲镇?"), ("甲 镇", "did you mean 甲镇?")],
)
def test_cli_refuses_an_unknown_town_with_the_likely_one(
    runner, db, two_town_stations, typed, hint
):
    result = add_clerk(runner, typed)
    assert result.exit_code != 0
    assert f"unknown town '{typed}'" in result.output and hint in result.output
    assert db["users"].count == 0


def test_cli_refuses_a_town_like_none_without_a_hint(runner, db, two_town_stations):
    result = add_clerk(runner, "丙镇")
    assert result.exit_code != 0 and "unknown town '丙镇'" in result.output
    assert "did you mean" not in result.output and "feedback town add" in result.output


def test_towns_come_with_their_first_station_or_from_an_admin(runner, db):
    assert json.loads(runner.invoke(args=["town", "list", "--json"]).output) == []
    assert (
        runner.invoke(args=["station", "add", "ll-01", "六龙村议事亭", "--town", "甲镇"]).exit_code
        == 0
    )
    assert add_clerk(runner, "甲镇").exit_code == 0
    added = runner.invoke(args=["town", "add", "丙镇"])
    assert added.exit_code == 0 and "Added town 丙镇" in added.output
    assert json.loads(runner.invoke(args=["town", "list", "--json"]).output) == ["丙镇", "甲镇"]
    variant = runner.invoke(args=["town", "add", "甲鎮"])
    assert variant.exit_code != 0 and "甲鎮 is 甲镇 in other characters" in variant.output
    assert towns.names(db) == ["丙镇", "甲镇"]


def test_a_changed_role_needs_a_known_town_too(db, two_town_stations):
    user = users.add(db, "boss", "correct horse", "admin", None)
    with pytest.raises(users.UserError, match="did you mean 乙镇"):
        users.change_role(db, user, "clerk", "乙鎮", "cli")
    assert users.find(db, user["id"])["role"] == "admin"


def test_migration_knows_the_towns_of_existing_stations(tmp_path):
    db = connect(tmp_path / "old.db")
    schema.migrations.apply(db, stop_before="0012_towns")
    db["stations"].insert_all(
        [
            {
                "code": "a-1",
                "name": "甲",
                "town": "甲镇",
                "created_at": "2026-01-01T09:00:00+08:00",
            },
            {
                "code": "a-2",
                "name": "甲二",
                "town": "甲镇",
                "created_at": "2026-02-01T09:00:00+08:00",
            },
            {
                "code": "b-1",
                "name": "乙",
                "town": "乙镇",
                "created_at": "2026-03-01T09:00:00+08:00",
            },
        ]
    )
    migrate(db)
    assert [dict(r) for r in db["towns"].rows] == [
        {"name": "乙镇", "created_at": "2026-03-01T09:00:00+08:00"},
        {"name": "甲镇", "created_at": "2026-01-01T09:00:00+08:00"},
    ]


@pytest.fixture
def admin(client, db, two_town_stations):
    users.add(db, "boss", "correct horse", "admin", None)
    sign_in(client, "boss")


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_users_page_offers_known_towns_and_refuses_others(client, db, admin):
    page = text(client.get("/admin/users"))
    assert '<select id="town" name="town">' in page
    assert (
        '<option value="甲镇">甲镇</option>' in page
        and '<option value="乙镇">乙镇</option>' in page
    )
    data = {"username": "li", "role": "clerk", "town": "甲鎮", "password": "correct horse"}
    data |= {"confirm": "correct horse", "csrf_token": csrf_of(page)}
    refused = client.post("/admin/users", data=data)
    assert refused.status_code == 400
    assert "没有“甲鎮”这个镇街,是不是“甲镇”?" in text(refused) and 'value="li"' in text(refused)
    assert db["users"].count == 1


def test_an_admin_adds_a_town_ahead_of_its_stations(client, db, admin):
    token = csrf_of(text(client.get("/admin/users")))
    added = client.post("/admin/towns", data={"t-name": "丙镇", "t-csrf_token": token})
    assert added.status_code == 303
    page = text(client.get(added.headers["Location"]))
    assert "已添加“丙镇”" in page and '<option value="丙镇">丙镇</option>' in page
    variant = client.post("/admin/towns", data={"t-name": "乙鎮", "t-csrf_token": token})
    assert variant.status_code == 400 and "就是已有的“乙镇”" in text(variant)
    assert 'value="乙鎮"' in text(variant) and towns.names(db) == ["丙镇", "乙镇", "甲镇"]
