"""Staff pages for offline opinions: sign-in, typing one in, uploading a file with a preview."""

import io
import re

import pytest

from feedback import users
from tests.conftest import csrf_of, sign_in

csrf = csrf_of


def body(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def stations(db):
    db["stations"].insert_all(
        [
            {"id": 1, "code": "ll-01", "name": "六龙村议事亭", "town": "甲镇", "village": "六龙村"},
            {"id": 2, "code": "yz-01", "name": "乙镇公告栏", "town": "乙镇", "village": ""},
        ]
    )
    db.conn.commit()


@pytest.fixture
def clerk(db, stations):
    return users.add(db, "jia-clerk", "correct horse", "clerk", "甲镇")


def login(client, username="jia-clerk", password="correct horse"):
    return sign_in(client, username, password)


def test_staff_pages_need_login(client):
    for url in ("/admin/", "/admin/opinions/new", "/admin/imports/new", "/admin/imports/1"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/admin/login" in response.headers["Location"]


def test_login_wrong_password_then_throttled(client, clerk, db):
    for _ in range(5):
        assert login(client, password="wrong password").status_code == 401
    response = login(client)  # the right password, but too many failures
    assert response.status_code == 429
    assert "15 分钟后再试" in body(response)


def test_login_without_csrf_is_refused(client, clerk):
    response = client.post(
        "/admin/login", data={"username": "jia-clerk", "password": "correct horse"}
    )
    assert response.status_code == 400
    assert client.get("/admin/").status_code == 302


def test_login_redirect_never_leaves_the_site(client, clerk):
    page = body(client.get("/admin/login"))
    data = {"username": "jia-clerk", "password": "correct horse", "csrf_token": csrf(page)}
    response = client.post("/admin/login?next=//evil.example/x", data=data)
    assert response.headers["Location"] == "/admin/"


def test_type_in_an_opinion_and_print_its_slip(client, clerk, db):
    assert login(client).status_code == 303
    page = body(client.get("/admin/opinions/new"))
    assert "乙镇公告栏" not in page  # another town's station is not offered
    response = client.post(
        "/admin/opinions/new",
        data={
            "csrf_token": csrf(page),
            "station": "1",
            "channel": "market",
            "collected_by": "李代表",
            "created_at": "2026/3/1 9:30",
            "body": "赶圩日反映:村口路灯坏了三个月",
            "category": "",
            "name": "王大爷",
            "phone": "13812345678",
            "consent": "y",
        },
    )
    assert response.status_code == 303
    opinion = db["opinions"].get(1)
    assert opinion["channel"] == "market" and opinion["collected_by"] == "李代表"
    assert opinion["created_at"] == "2026-03-01T09:30:00+08:00"
    assert opinion["category"] == "other" and opinion["consent"] == 1
    entered = body(client.get(response.headers["Location"]))
    assert f"{opinion['receipt'][:4]}-{opinion['receipt'][4:]}" in entered
    slip = client.get("/admin/opinions/1/slip.pdf?size=80mm")
    assert slip.status_code == 200 and slip.data.startswith(b"%PDF")
    assert client.get(f"/t/{opinion['receipt']}", follow_redirects=True).status_code == 200


def test_type_in_mistakes_keep_what_was_typed(client, clerk, db):
    login(client)
    page = body(client.get("/admin/opinions/new"))
    response = client.post(
        "/admin/opinions/new",
        data={
            "csrf_token": csrf(page),
            "station": "1",
            "channel": "paper",
            "created_at": "2026-02-30",
            "body": "桥面开裂很危险",
            "phone": "13812345678",
        },
    )
    assert response.status_code == 400
    text = body(response)
    assert "请确认村民已同意" in text and "桥面开裂很危险" in text
    response = client.post(
        "/admin/opinions/new",
        data={
            "csrf_token": csrf(page),
            "station": "1",
            "channel": "paper",
            "created_at": "2026-02-30",
            "body": "桥面开裂很危险",
        },
    )
    assert "不是真实存在的日期" in body(response)
    assert db["opinions"].count == 0


def test_a_clerk_cannot_enter_for_another_towns_station(client, clerk, db):
    login(client)
    page = body(client.get("/admin/opinions/new"))
    data = {"csrf_token": csrf(page), "station": "2", "channel": "paper", "body": "乙镇的事乙镇办"}
    response = client.post("/admin/opinions/new", data=data)
    assert response.status_code == 400  # not a valid choice for this clerk
    assert db["opinions"].count == 0


def upload(client, content: bytes, filename="纸质意见.csv", station="1"):
    page = body(client.get("/admin/imports/new"))
    return client.post(
        "/admin/imports/new",
        data={
            "csrf_token": csrf(page),
            "station": station,
            "channel": "paper",
            "collected_by": "李代表",
            "file": (io.BytesIO(content), filename),
        },
        content_type="multipart/form-data",
    )


def confirm(client, preview: str, **extra):
    fields = dict(
        re.findall(r'<input (?:id="\w+" )?name="(\w+)" type="hidden" value="([^"]*)"', preview)
    )
    fields.update(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', preview))
    return client.post("/admin/imports/confirm", data={**fields, **extra})


def test_upload_preview_shows_every_row_and_stores_all_or_nothing(client, clerk, db):
    login(client)
    bad = "内容,时间,电话\n村口路灯坏了三个月,2026-03-01,\n短,2026-03-01,123\n".encode("gbk")
    preview = upload(client, bad)
    text = body(preview)
    assert preview.status_code == 200
    assert "村口路灯坏了三个月" in text and "内容只有 1 个字" in text
    assert "不是 11 位手机号码" in text and "整个文件都没有保存" in text
    assert 'id="confirm"' not in text
    assert db["opinions"].count == 0

    good = "内容,时间,电话\n村口路灯坏了三个月,2026-03-01,13812345678\n垃圾没人清运,,\n"
    preview = body(upload(client, good.encode("utf-8-sig")))
    assert "2 行都没有问题" in preview and "138****5678" in preview
    done = confirm(client, preview)
    assert done.status_code == 303
    assert db["opinions"].count == 2
    listing = body(client.get(done.headers["Location"]))
    assert "打印全部回执" in listing and "138****5678" in listing and "13812345678" not in listing
    slips = client.get(done.headers["Location"] + "/slips.pdf?size=a6")
    assert slips.status_code == 200 and slips.data.startswith(b"%PDF")

    again = body(upload(client, good.encode("utf-8-sig")))
    assert "已于" in again and "确实要再导入一次" in again
    assert confirm(client, again).status_code == 400
    assert db["opinions"].count == 2
    assert confirm(client, again, allow_duplicate="y").status_code == 303
    assert db["opinions"].count == 4


def test_another_town_sees_nothing_of_an_import(client, clerk, db):
    login(client)
    preview = body(upload(client, "内容\n村口路灯坏了三个月\n".encode()))
    location = confirm(client, preview).headers["Location"]
    users.add(db, "yi-clerk", "another horse", "clerk", "乙镇")
    client.post("/admin/logout", data={"csrf_token": csrf(body(client.get("/admin/")))})
    login(client, "yi-clerk", "another horse")
    assert client.get(location).status_code == 404
    assert client.get(location + "/slips.pdf").status_code == 404
    assert client.get("/admin/opinions/1/entered").status_code == 404
    assert client.get("/admin/opinions/1/slip.pdf").status_code == 404
