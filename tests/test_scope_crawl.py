"""A clerk of 甲镇 crawls every staff page; a clerk of 乙镇 then tries each URL.

Pages about one object must be 404 for the other town; list pages must not show a word of
甲镇's data. New staff pages are covered as soon as a link leads to them.
"""

import re
from collections import deque
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from PIL import Image

from feedback import suggestions, users
from feedback.access import Access
from tests.conftest import csrf_of, sign_in

SECRETS = ("六龙村议事亭", "甲镇独有的路灯问题", "13812345678", "138****5678")


def crawl(client, start="/admin/") -> list[str]:
    seen, queue = {start}, deque([start])
    while queue and len(seen) < 300:
        url = queue.popleft()
        response = client.get(url)
        assert response.status_code == 200, url
        if response.mimetype != "text/html":
            continue
        for href in re.findall(r'(?:href|src)="([^"]+)"', response.get_data(as_text=True)):
            target = urljoin(url, href.replace("&amp;", "&"))
            if urlsplit(target).path.startswith("/admin/") and target not in seen:
                seen.add(target)
                queue.append(target)
    return sorted(seen)


@pytest.fixture
def two_towns(app, db, runner, tmp_path):
    db["stations"].insert_all(
        [
            {"id": 1, "code": "ll-01", "name": "六龙村议事亭", "town": "甲镇", "village": "六龙村"},
            {"id": 2, "code": "yz-01", "name": "乙镇公告栏", "town": "乙镇", "village": ""},
        ]
    )
    for username, town in (("jia", "甲镇"), ("yi", "乙镇")):
        users.add(db, username, "correct horse", "clerk", town)
    paper = tmp_path / "paper.csv"
    paper.write_text("内容,电话\n甲镇独有的路灯问题,13812345678\n", encoding="utf-8")
    assert (
        runner.invoke(args=["opinion", "import", str(paper), "--station", "ll-01"]).exit_code == 0
    )
    fields = {
        "title": "甲镇独有的路灯问题",
        "body": "甲镇独有的路灯问题",
        "category": "other",
        "tier": "一般",
    }
    jia = Access("clerk", "甲镇", "jia")
    suggestions.create(db, jia, [1], fields, app.config["FEEDBACK_TIER_DAYS"])
    photo = Path(app.instance_path) / "photos" / "ab" / "x.jpg"
    photo.parent.mkdir(parents=True)
    Image.new("RGB", (4, 4)).save(photo, "JPEG")
    db["photos"].insert(
        {
            "opinion_id": 1,
            "filename": "ab/x.jpg",
            "width": 4,
            "height": 4,
            "bytes": 1,
            "created_at": "2026-03-01T00:00:00+08:00",
        }
    )


def test_another_towns_clerk_sees_nothing_of_this_town(app, two_towns):
    jia, yi = app.test_client(), app.test_client()
    sign_in(jia, "jia")
    urls = crawl(jia)
    assert any("/admin/opinions/1" in u for u in urls) and any(
        "/admin/stations/1" in u for u in urls
    )
    sign_in(yi, "yi")
    for url in urls:
        response = yi.get(url)
        if re.search(r"/\d+(/|$|\.)", urlsplit(url).path):
            assert response.status_code == 404, url
            assert_staff_404(response, url)
        else:
            page = response.get_data(as_text=True)
            assert response.status_code in (200, 404), url
            assert not [s for s in SECRETS if s in page], url


def assert_staff_404(response, url: str) -> None:
    """A staff 404 speaks to staff, in the staff layout: never the villagers' poster advice."""
    page = response.get_data(as_text=True)
    assert "不在您的账号可以查看的范围内" in page, url
    assert "二维码" not in page and "用查询码查看办理进度" not in page, url
    assert "回到工作台首页" in page, url


def dump(db) -> dict:
    """Every row of every table, to show that a refused POST changed nothing at all."""
    names = [
        row[0]
        for row in db.execute(
            "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' "
            "order by name"
        )
    ]
    return {name: sorted(db.execute(f"select * from [{name}]"), key=repr) for name in names}


def pending(db, opinion_id: int, station_id: int, body: str) -> None:
    db["opinions"].insert(
        {
            "id": opinion_id,
            "receipt": f"DDDDDDD{opinion_id + 1}",
            "station_id": station_id,
            "body": body,
            "category": "other",
            "created_at": "2026-03-02T09:00:00+08:00",
        }
    )
    db.conn.commit()


def test_another_towns_clerk_can_change_nothing_of_this_town(app, db, two_towns):
    """Opinion 1 (merged into suggestion 1) and opinion 2 (pending) are 甲镇's; opinion 3 is
    乙镇's own. Every POST of 乙镇's clerk on 甲镇's records is refused and writes nothing."""
    pending(db, 2, 1, "甲镇独有的路灯问题又来了")
    pending(db, 3, 2, "乙镇自己的问题")
    yi = app.test_client()
    sign_in(yi, "yi")
    token = csrf_of(yi.get("/admin/").get_data(as_text=True))
    upload = "A" * 32
    posts = [
        ("/admin/opinions/2/answer", {"a-csrf_token": token, "a-answer": "越权答复"}),
        ("/admin/opinions/2/reject", {"r-csrf_token": token, "r-reason": "越权"}),
        ("/admin/opinions/2/category", {"c-csrf_token": token, "c-category": "rural"}),
        ("/admin/opinions/1/reveal", {"csrf_token": token}),
        ("/admin/suggestions/merge", {"csrf_token": token, "ids": ["2"]}),
        (
            "/admin/suggestions/merge",
            {"csrf_token": token, "ids": ["3"], "suggestion": "1", "action": "into"},
        ),
        (
            "/admin/suggestions/create",
            {"csrf_token": token, "opinion_ids": "2", "title": "越权", "body": "越权"}
            | {"category": "other", "tier": "一般"},
        ),
        (
            "/admin/suggestions/1/handling",
            {"csrf_token": token, "tier": "重大", "deadline": "", "department": "越权办"}
            | {"deputies": ""},
        ),
        ("/admin/suggestions/1/advance", {"csrf_token": token, "answer": "越权"}),
        ("/admin/suggestions/1/notes", {"csrf_token": token, "note": "越权"}),
        ("/admin/suggestions/1/remove/1", {"csrf_token": token}),
        ("/admin/stations/1/disable", {"csrf_token": token}),
        ("/admin/stations/1/enable", {"csrf_token": token}),
        (
            "/admin/suggestions/1/edit",
            {"e-csrf_token": token, "e-title": "越权", "e-body": "越权", "e-category": "other"},
        ),
    ]
    before = dump(db)
    for url, data in posts:
        response = yi.post(url, data=data)
        assert response.status_code in (403, 404), url
        page = response.get_data(as_text=True)
        assert not [s for s in SECRETS if s in page], url
        if response.status_code == 404:
            assert_staff_404(response, url)
        assert dump(db) == before, url
    # Forms that offer only the clerk's own stations refuse 甲镇's as an invalid choice.
    confirm = {"csrf_token": token, "station": "1", "channel": "paper", "upload": upload}
    response = yi.post("/admin/imports/confirm", data=confirm)
    assert response.status_code == 303 and response.headers["Location"].endswith("/imports/new")
    entered = {"csrf_token": token, "station": "1", "channel": "paper", "body": "越权录入的意见"}
    assert yi.post("/admin/opinions/new", data=entered).status_code == 400
    assert dump(db) == before


def test_an_admin_cannot_mix_towns(app, db, two_towns):
    pending(db, 2, 1, "甲镇独有的路灯问题又来了")
    pending(db, 3, 2, "乙镇自己的问题")
    users.add(db, "boss", "correct horse", "admin", None)
    boss = app.test_client()
    sign_in(boss, "boss")
    token = csrf_of(boss.get("/admin/").get_data(as_text=True))
    fields = {"title": "两镇合一", "body": "两镇合一", "category": "other", "tier": "一般"}
    posts = [
        ("/admin/suggestions/merge", {"csrf_token": token, "ids": ["2", "3"]}),
        (
            "/admin/suggestions/merge",
            {"csrf_token": token, "ids": ["3"], "suggestion": "1", "action": "into"},
        ),
        (
            "/admin/suggestions/merge",
            {"csrf_token": token, "ids": ["2", "3"], "suggestion": "1", "action": "into"},
        ),
        ("/admin/suggestions/create", {"csrf_token": token, "opinion_ids": "2,3", **fields}),
    ]
    before = dump(db)
    for url, data in posts:
        response = boss.post(url, data=data)
        assert response.status_code == 409, (url, data)
        page = response.get_data(as_text=True)
        assert "不同镇的意见不能合并" in page or "不能并入甲镇的建议" in page, (url, data)
        assert dump(db) == before, (url, data)


def test_staff_outside_their_scope_are_not_told_about_qr_codes(app, two_towns):
    """Another town's record is a 404 that speaks to staff, not the villagers' poster text;
    so are staff URLs that name nothing, and a wrong poster size."""
    client = app.test_client()
    sign_in(client, "yi")
    for url in (
        "/admin/opinions/1",
        "/admin/opinions/1/photos/1",
        "/admin/stations/1/poster.pdf",
        "/admin/stations/2/poster.pdf?size=A5",
        "/admin/stations/book.pdf?town=甲镇",
        "/admin/suggestions/1",
        "/admin/no-such-page",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert_staff_404(response, url)


def test_signed_in_staff_on_a_disabled_posters_link_are_pointed_to_the_stations_page(
    app, db, two_towns
):
    """/s/CODE is the villagers' page; a signed-in clerk trying a disabled or unknown poster
    link also learns where stations are managed. A villager sees no such hint."""
    db["stations"].update(2, {"active": 0})
    client = app.test_client()
    sign_in(client, "yi")
    for url in ("/s/yz-01", "/s/no-such-code"):
        page = client.get(url).get_data(as_text=True)
        assert "工作人员提示" in page and "/admin/stations/" in page, url
    villager = app.test_client().get("/s/yz-01").get_data(as_text=True)
    assert "工作人员提示" not in villager and "二维码" in villager
