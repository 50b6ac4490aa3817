"""Accounts and the list of departments, managed from the browser."""

import pytest

from feedback import suggestions, users
from feedback.access import Access
from tests.conftest import STAFF_PASSWORD, csrf_of, sign_in


def text(response) -> str:
    return response.get_data(as_text=True)


def post(client, url, page="/admin/", **data):
    return client.post(url, data={"csrf_token": csrf_of(text(client.get(page))), **data})


@pytest.fixture
def office(db, client, two_town_stations):
    users.add(db, "boss", STAFF_PASSWORD, "admin", None)
    users.add(db, "jia", STAFF_PASSWORD, "clerk", "甲镇")
    sign_in(client, "boss")
    return db


NEW_CLERK = {
    "username": "wang",
    "role": "clerk",
    "town": "乙镇",
    "password": "long enough",
    "confirm": "long enough",
}


def test_admin_adds_a_clerk_who_can_then_sign_in(app, client, office):
    response = post(client, "/admin/users", **NEW_CLERK)
    assert response.status_code == 303
    assert "账号已建立" in text(client.get(response.headers["Location"]))
    listing = text(client.get("/admin/users"))
    assert "wang" in listing and "乙镇" in listing
    other = app.test_client()
    assert sign_in(other, "wang", "long enough").status_code == 303
    assert "乙镇公告栏" in text(other.get("/admin/"))
    entry = office.execute(
        "select actor, action from audit_log where action = 'user.add' order by id desc"
    ).fetchone()
    assert entry == ("boss", "user.add")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"confirm": "different!"}, "两次输入的密码不一样"),
        ({"password": "short", "confirm": "short"}, "密码至少 8 位"),
        ({"town": ""}, "镇街工作人员要选所在镇街"),
        ({"username": "jia"}, "用户名 jia 已有人用"),
        ({"username": "a b"}, "用户名:2-32 个"),
        ({"username": ""}, "请填写用户名"),
    ],
)
def test_bad_new_account_keeps_what_was_typed_and_stores_nothing(client, office, change, message):
    response = post(client, "/admin/users", **{**NEW_CLERK, **change})
    page = text(response)
    assert response.status_code == 400 and message in page
    assert office["users"].count == 2
    if change.get("username", "wang"):
        assert f'value="{change.get("username", "wang")}"' in page
    assert "long enough" not in page  # passwords are never echoed back


def test_clerks_cannot_manage_accounts(app, office):
    clerk = app.test_client()
    sign_in(clerk, "jia")
    assert clerk.get("/admin/users").status_code == 403
    assert post(clerk, "/admin/users", **NEW_CLERK).status_code == 403
    assert post(clerk, "/admin/users/1/disable").status_code == 403
    assert office["users"].count == 2 and users.find(office, 1)["active"] == 1
    assert "账号</a>" not in text(clerk.get("/admin/"))


def test_new_password_and_disabling_end_open_sessions(app, client, office):
    clerk = app.test_client()
    sign_in(clerk, "jia")
    assert clerk.get("/admin/").status_code == 200
    page = "/admin/users/2"
    new = "brand new pw"
    changed = post(client, page + "/password", page, password=new, confirm=new)
    assert changed.status_code == 303
    assert clerk.get("/admin/").status_code == 302  # signed out everywhere
    assert sign_in(clerk, "jia").status_code == 401
    assert sign_in(clerk, "jia", "brand new pw").status_code == 303
    assert post(client, page + "/disable", page).status_code == 303
    assert clerk.get("/admin/").status_code == 302
    assert sign_in(app.test_client(), "jia", "brand new pw").status_code == 401
    assert "已停用" in text(client.get(page))
    assert post(client, page + "/enable", page).status_code == 303
    assert sign_in(app.test_client(), "jia", "brand new pw").status_code == 303
    actions = [
        r[0]
        for r in office.execute(
            "select action from audit_log where object_type = 'user' and object_id = '2'"
        )
    ]
    assert actions == [
        "user.add",
        "user.login",
        "user.password",
        "user.login",
        "user.disable",
        "user.enable",
        "user.login",
    ]


def test_the_last_admin_stays_an_admin(client, office):
    page = "/admin/users/1"
    response = post(client, page + "/disable", page)
    assert response.status_code == 400 and "不能停用自己" in text(response)
    demoted = post(client, page + "/role", page, role="clerk", town="甲镇")
    assert demoted.status_code == 400 and "最后一位管理员" in text(demoted)
    assert users.find(office, 1)["role"] == "admin"
    promoted = post(client, "/admin/users/2/role", "/admin/users/2", role="admin", town="")
    assert promoted.status_code == 303 and users.find(office, 2)["town"] is None


def test_unknown_account_is_404(client, office):
    assert client.get("/admin/users/99").status_code == 404


def test_account_forms_refuse_a_missing_csrf_token(client, office):
    response = client.post("/admin/users", data=NEW_CLERK)
    assert response.status_code == 400 and office["users"].count == 2


@pytest.fixture
def suggestion(app, office):
    office["opinions"].insert(
        {
            "receipt": "CCCCCCC2",
            "station_id": 1,
            "body": "村口路灯坏了",
            "category": "cityscape",
            "created_at": "2026-03-01T09:00:00+08:00",
        }
    )
    fields = {"title": "路灯不亮", "body": "路灯不亮", "category": "cityscape", "tier": "一般"}
    jia = Access("clerk", "甲镇", "jia")
    return suggestions.create(office, jia, [1], fields, app.config["FEEDBACK_TIER_DAYS"])


def handling(client, suggestion_id, department):
    page = f"/admin/suggestions/{suggestion_id}"
    return post(
        client,
        page + "/handling",
        page,
        tier="一般",
        deadline="",
        department=department,
        deputies="",
    )


def test_departments_are_kept_and_picked(app, client, office, suggestion):
    suggestion_id = suggestion
    assert (
        post(client, "/admin/departments", "/admin/departments", name="镇农业农村办").status_code
        == 303
    )
    clerk = app.test_client()
    sign_in(clerk, "jia")
    page = text(clerk.get(f"/admin/suggestions/{suggestion_id}"))
    assert '<option value="镇农业农村办">' in page
    assert handling(clerk, suggestion_id, "镇交通运输所").status_code == 303  # typed: joins list
    listing = text(clerk.get("/admin/departments"))
    assert "镇交通运输所" in listing and "1(1)" in listing
    assert "改名" not in listing  # clerks pick, admins keep the list
    typed = office.execute(
        "select actor from audit_log where action = 'department.add' order by id desc"
    ).fetchone()
    assert typed == ("jia",)
    (dept_id,) = office.execute("select id from departments where name = '镇交通运输所'").fetchone()
    renamed = post(
        client, f"/admin/departments/{dept_id}/rename", "/admin/departments", name="甲镇交通运输所"
    )
    assert renamed.status_code == 303
    assert "甲镇交通运输所" in text(clerk.get(f"/admin/suggestions/{suggestion_id}"))
    assert (
        post(client, f"/admin/departments/{dept_id}/disable", "/admin/departments").status_code
        == 303
    )
    page = text(clerk.get(f"/admin/suggestions/{suggestion_id}"))
    assert "承办单位:甲镇交通运输所" in page  # kept on what it handles
    assert '<option value="甲镇交通运输所">' not in page  # no longer offered


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "请填写单位名称"), ("局" * 41, "最多 40 字"), ("镇农业农村办", "已在名单里")],
)
def test_bad_department_names_are_refused(client, office, name, message):
    post(client, "/admin/departments", "/admin/departments", name="镇农业农村办")
    response = post(client, "/admin/departments", "/admin/departments", name=name)
    assert response.status_code == 400 and message in text(response)
    assert office["departments"].count == 1


def test_clerks_cannot_change_the_department_list(app, office):
    office["departments"].insert({"name": "镇水利站"})
    clerk = app.test_client()
    sign_in(clerk, "jia")
    for url, data in (
        ("/admin/departments", {"name": "新单位"}),
        ("/admin/departments/1/rename", {"name": "改了"}),
        ("/admin/departments/1/disable", {}),
    ):
        assert post(clerk, url, "/admin/departments", **data).status_code == 403
    assert [r["name"] for r in office["departments"].rows] == ["镇水利站"]
    assert office["departments"].get(1)["active"] == 1
