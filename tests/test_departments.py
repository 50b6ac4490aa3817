"""Departments by town: a town's own office serves that town only, a county office every
town; from the CLI, the list page and the suggestion's picker."""

from __future__ import annotations

import json

import pytest

from feedback import departments, suggestions, users
from feedback.access import Access
from tests.conftest import sign_in


@pytest.fixture
def towns(app, db, two_town_stations):
    for username, town in (("jia", "甲镇"), ("yi", "乙镇")):
        users.add(db, username, "correct horse", "clerk", town)
    users.add(db, "boss", "correct horse", "admin", None)
    db["opinions"].insert_all(
        [
            {
                "id": n,
                "receipt": f"EEEEEEE{n + 1}",
                "station_id": station,
                "body": "路灯坏了",
                "category": "other",
                "created_at": "2026-03-02T09:00:00+08:00",
            }
            for n, station in ((1, 1), (2, 3))
        ]
    )
    db.conn.commit()
    fields = {"title": "路灯", "body": "路灯坏了", "category": "other", "tier": "一般"}
    days = app.config["FEEDBACK_TIER_DAYS"]
    jia = suggestions.create(db, Access("clerk", "甲镇", "jia"), [1], fields, days)
    yi = suggestions.create(db, Access("clerk", "乙镇", "yi"), [2], fields, days)
    return {"jia": jia, "yi": yi}


def test_cli_adds_and_lists_town_and_county_offices(runner, db, two_town_stations):
    added = runner.invoke(args=["department", "add", "甲镇环保办", "--town", "甲镇"])
    assert added.exit_code == 0, added.output
    assert "Added department 甲镇环保办 (甲镇)" in added.output
    assert runner.invoke(args=["department", "add", "县交通运输局"]).exit_code == 0
    listed = json.loads(runner.invoke(args=["department", "list", "--json"]).output)
    assert {(d["name"], d["town"]) for d in listed} == {
        ("甲镇环保办", "甲镇"),
        ("县交通运输局", None),
    }
    plain = runner.invoke(args=["department", "list"]).output
    assert "甲镇环保办\t甲镇" in plain and "县交通运输局\tcounty" in plain


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["甲镇环保办", "--town", "丙镇"], "unknown town '丙镇'"),
        (["甲镇环保办", "--town", "甲鎮"], "did you mean 甲镇"),
        (["甲镇环保办"], "department 甲镇环保办 already exists"),
        (["局" * 41], "at most 40 characters"),
        (["  "], "a department needs a name"),
    ],
)
def test_cli_refuses_bad_offices_in_english(runner, db, two_town_stations, args, message):
    assert runner.invoke(args=["department", "add", "甲镇环保办", "--town", "甲镇"]).exit_code == 0
    result = runner.invoke(args=["department", "add", *args])
    assert result.exit_code == 1 and message in result.output
    assert db["departments"].count == 1


def test_a_towns_office_is_not_in_another_towns_list_or_picker(app, db, towns):
    """The bug of issue 14: 甲镇's own office appeared in 乙镇's list and picker."""
    departments.add(db, "甲镇环保办", "boss", "甲镇")
    departments.add(db, "县交通运输局", "boss")
    yi, jia, boss = app.test_client(), app.test_client(), app.test_client()
    sign_in(yi, "yi"), sign_in(jia, "jia"), sign_in(boss, "boss")
    yi_list = yi.get("/admin/departments").get_data(as_text=True)
    assert "县交通运输局" in yi_list and "甲镇环保办" not in yi_list
    yi_page = yi.get(f"/admin/suggestions/{towns['yi']}").get_data(as_text=True)
    assert '<option value="县交通运输局">' in yi_page
    assert "甲镇环保办" not in yi_page
    jia_page = jia.get(f"/admin/suggestions/{towns['jia']}").get_data(as_text=True)
    assert '<option value="甲镇环保办">' in jia_page and '<option value="县交通运输局">' in jia_page
    assert "甲镇环保办" in jia.get("/admin/departments").get_data(as_text=True)
    everything = boss.get("/admin/departments").get_data(as_text=True)
    assert "甲镇环保办" in everything and "县级(各镇通用)" in everything


def test_another_towns_office_cannot_be_typed_in(app, db, towns):
    departments.add(db, "甲镇环保办", "boss", "甲镇")
    yi = Access("clerk", "乙镇", "yi")
    with pytest.raises(departments.DepartmentError, match="是甲镇的单位"):
        suggestions.update(db, yi, towns["yi"], {}, "甲镇环保办")
    assert db["suggestions"].get(towns["yi"])["department_id"] is None


def test_a_typed_office_joins_the_list_as_the_towns_own(app, db, towns):
    suggestions.update(db, Access("clerk", "乙镇", "yi"), towns["yi"], {}, "乙镇水利站")
    assert departments.by_name(db, "乙镇水利站")["town"] == "乙镇"
    assert "乙镇水利站" not in departments.active_names(db, "甲镇")


def test_an_admin_adds_a_towns_office_on_the_web(app, db, towns):
    from tests.conftest import csrf_of

    boss = app.test_client()
    sign_in(boss, "boss")
    page = boss.get("/admin/departments").get_data(as_text=True)
    assert '<option value="甲镇">' in page
    data = {"csrf_token": csrf_of(page), "name": "乙镇农办", "town": "乙镇"}
    assert boss.post("/admin/departments", data=data).status_code == 303
    assert departments.by_name(db, "乙镇农办")["town"] == "乙镇"
    data = {"csrf_token": csrf_of(page), "name": "丙镇农办", "town": "丙镇"}
    refused = boss.post("/admin/departments", data=data)
    assert refused.status_code == 400 and "没有“丙镇”这个镇街" in refused.get_data(as_text=True)
    assert "丙镇农办" in refused.get_data(as_text=True)  # what was typed stays
    assert departments.by_name(db, "丙镇农办") is None
