"""The deputy's phone (/admin/deputy) through the test client: what a deputy reads, the
opinions they type in and the duty activities they record, with every refusal in Chinese,
nothing half stored; and a crawl as a deputy of 甲镇 proving that nothing of another town,
of other stations or of another deputy shows or answers."""

from __future__ import annotations

import io
import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest

from feedback import deputies, users
from tests.conftest import STAFF_PASSWORD, csrf_of, sign_in
from tests.photo_samples import phone_jpeg

STATIONS = (
    {"id": 1, "code": "ll-01", "name": "六龙村议事亭", "town": "甲镇", "village": "六龙村"},
    {"id": 2, "code": "dt-01", "name": "大塘村联络站", "town": "甲镇", "village": "大塘村"},
    {"id": 3, "code": "yz-01", "name": "乙镇公告栏", "town": "乙镇", "village": ""},
)
# (id, station, addressed to wang, body, phone): what wang may read and what not.
OPINIONS = (
    (1, 1, False, "六龙村的路灯坏了三个月", "13812345678"),
    (2, 2, True, "大塘村的桥有裂缝请王代表看看", None),
    (3, 2, False, "大塘村别的站点的秘密意见", "13900000000"),
    (4, 3, False, "乙镇的秘密意见不该被看到", "13700000000"),
    (5, 3, True, "乙镇却写着提给王代表的旧数据", None),
)
HIDDEN = ("大塘村别的站点的秘密意见", "乙镇的秘密意见不该被看到", "乙镇却写着提给王代表的旧数据")


@pytest.fixture
def world(db):
    db["stations"].insert_all(STATIONS)
    db.conn.commit()
    deputies.add(db, {"code": "wang", "name": "王丽", "town": "甲镇", "stations": "ll-01"})
    deputies.add(db, {"code": "yi", "name": "乙代表", "town": "乙镇", "stations": "yz-01"})
    for opinion_id, station, addressed, body, phone in OPINIONS:
        db["opinions"].insert(
            {
                "id": opinion_id,
                "receipt": f"ABCDEFG{opinion_id + 1}",
                "station_id": station,
                "body": body,
                "category": "other",
                "phone": phone,
                "consent": int(bool(phone)),
                "deputy_id": 1 if addressed else None,
                "created_at": f"2026-03-0{opinion_id}T09:00:00+08:00",
            }
        )
    db["photos"].insert(
        {
            "opinion_id": 3,
            "filename": "ab/x.jpg",
            "width": 4,
            "height": 4,
            "bytes": 1,
            "created_at": "2026-03-01T00:00:00+08:00",
        }  # fmt: skip
    )
    db.conn.commit()
    users.add(db, "wl", STAFF_PASSWORD, "deputy", None, deputy="wang")
    users.add(db, "yd", STAFF_PASSWORD, "deputy", None, deputy="yi")


@pytest.fixture
def wang(app, world):
    client = app.test_client()
    sign_in(client, "wl")
    return client


def test_the_deputy_reads_their_stations_and_addressed_opinions_new_first(wang, db):
    landing = wang.get("/admin/")
    assert landing.status_code == 302 and landing.headers["Location"] == "/admin/deputy/"
    page = wang.get("/admin/deputy/").get_data(as_text=True)
    bodies = re.findall(r'<span class="body">([^<]+)</span>', page)
    assert bodies == ["大塘村的桥有裂缝请王代表看看", "六龙村的路灯坏了三个月"]
    assert page.count("提给我的") == 1 and "138****5678" in page and "13812345678" not in page
    assert not [secret for secret in HIDDEN if secret in page]
    opinion = wang.get("/admin/deputy/opinions/1").get_data(as_text=True)
    assert "138****5678" in opinion and "13812345678" not in opinion
    token = csrf_of(page)
    revealed = wang.post("/admin/deputy/opinions/1/reveal", data={"csrf_token": token})
    assert "13812345678" in revealed.get_data(as_text=True)
    logged = db.execute(
        "select actor, action, object_id from audit_log where action like '%reveal%'"
    )
    assert logged.fetchall() == [("wl", "opinion.reveal_phone", "1")]


def heard_form(client, url="/admin/deputy/opinions/new") -> dict:
    page = client.get(url).get_data(as_text=True)
    token = re.search(r'name="submission_token" type="hidden" value="([^"]+)"', page).group(1)
    return {"csrf_token": csrf_of(page), "submission_token": token, "station": "1",
            "channel": "visit", "activity": "0"}  # fmt: skip


def test_an_opinion_heard_on_a_visit_gets_a_receipt_addressed_to_the_deputy(wang, db):
    fields = heard_form(wang)
    typed = dict(fields, place="六龙村三组李家", body="短", name="李大爷", phone="138")
    refused = wang.post("/admin/deputy/opinions/new", data=typed)
    html = refused.get_data(as_text=True)
    assert (
        refused.status_code == 400 and "请至少写 5 个字" in html and "请填写 11 位手机号码" in html
    )
    assert 'value="六龙村三组李家"' in html and 'value="李大爷"' in html
    no_consent = wang.post(
        "/admin/deputy/opinions/new", data=dict(typed, body="自来水三天没来了", phone="13811112222")
    )
    assert "请先问村民是否同意" in no_consent.get_data(as_text=True)
    assert db["opinions"].count == len(OPINIONS)
    good = dict(typed, body="自来水三天没来了", phone="13811112222", consent="y")
    stored = wang.post("/admin/deputy/opinions/new", data=good)
    assert stored.status_code == 303
    receipt_page = wang.get(stored.headers["Location"]).get_data(as_text=True)
    row = db.execute(
        "select receipt, station_id, deputy_id, channel, place, collected_by, consent from "
        "opinions order by id desc limit 1"
    ).fetchone()
    shown = re.search(r'<p class="receipt" id="receipt">([^<]+)</p>', receipt_page).group(1)
    assert shown == f"{row[0][:4]}-{row[0][4:]}"
    assert row[1:] == (1, 1, "visit", "六龙村三组李家", "王丽", 1)
    twice = wang.post("/admin/deputy/opinions/new", data=good)  # a double tap
    assert twice.headers["Location"] == stored.headers["Location"]
    slip = wang.get(
        re.search(r'id="slip" href="([^"]+)"', receipt_page).group(1).replace("&amp;", "&")
    )
    assert slip.status_code == 200 and slip.data.startswith(b"%PDF")
    assert db.execute("select action from audit_log order by id desc").fetchone() == (
        "opinion.enter",
    )


def test_an_opinion_cannot_be_put_at_anothers_station_or_activity(wang, app, db):
    yi = app.test_client()
    sign_in(yi, "yd")
    activity = yi.post("/admin/deputy/activities/new", data=activity_form(yi))
    yi_activity = activity.headers["Location"].rsplit("/", 1)[1]
    fields = dict(heard_form(wang), body="想记到别人的站点去")
    for forged in ({"station": "3"}, {"station": "2"}, {"activity": yi_activity}):
        refused = wang.post("/admin/deputy/opinions/new", data=dict(fields, **forged))
        assert refused.status_code == 400, forged
    assert db["opinions"].count == len(OPINIONS)
    assert wang.get(f"/admin/deputy/activities/{yi_activity}").status_code == 404


def activity_form(client, **typed) -> dict:
    page = client.get("/admin/deputy/activities/new").get_data(as_text=True)
    values = {"csrf_token": csrf_of(page), "kind": "visit", "held_on": "2026-03-01",
              "place": "六龙村三组", "people": "12", "notes": "入户走访"}  # fmt: skip
    return dict(values, **typed)


def test_a_duty_activity_with_photos_and_the_opinions_typed_in_during_it(
    wang, db, app, monkeypatch
):
    from feedback import clock

    monkeypatch.setattr(clock, "now", lambda: clock.parse("2026-03-10T10:00:00+08:00"))
    for typed, message in (
        ({"held_on": "2026-03-11"}, "活动日期不能晚于今天"),
        ({"held_on": "3月1日"}, "请写成 2026-03-31 这样的日期"),
        ({"people": "十二"}, "人数请写 0 到 10000 之间的整数"),
        ({"place": ""}, "请写地点"),
        ({"held_on": "2025-01-01"}, "只能记录一年以内的活动"),
    ):
        refused = wang.post("/admin/deputy/activities/new", data=activity_form(wang, **typed))
        html = refused.get_data(as_text=True)
        assert refused.status_code == 400 and message in html, message
        assert "入户走访" in html  # what was typed stays
    assert db["deputy_activities"].count == 0
    photo = (io.BytesIO(phone_jpeg(400, 300)), "visit.jpg")
    made = wang.post(
        "/admin/deputy/activities/new",
        data=dict(activity_form(wang), photos=photo),
        content_type="multipart/form-data",
    )
    assert made.status_code == 303
    page_url = made.headers["Location"]
    page = wang.get(page_url).get_data(as_text=True)
    assert "走访 · 六龙村三组" in page and "12 人" in page
    photo_url = re.search(r'<img class="thumb" src="([^"]+)"', page).group(1)
    assert wang.get(photo_url).mimetype == "image/jpeg"
    activity_id = page_url.rsplit("/", 1)[1]
    for body in ("三组的水渠堵了", "三组缺一盏路灯"):
        fields = heard_form(wang, f"/admin/deputy/opinions/new?activity={activity_id}")
        assert fields["activity"] == "0"  # the helper's default; the page picks the activity
        form_page = wang.get(f"/admin/deputy/opinions/new?activity={activity_id}")
        assert f'<option selected value="{activity_id}">' in form_page.get_data(as_text=True)
        wang.post("/admin/deputy/opinions/new", data=dict(fields, body=body, activity=activity_id))
    page = wang.get(page_url).get_data(as_text=True)
    assert "这次收集的意见(2)" in page and "三组的水渠堵了" in page and "三组缺一盏路灯" in page
    home = wang.get("/admin/deputy/").get_data(as_text=True)
    assert "意见 2 条" in home and "照片 1 张" in home
    logged = db.execute("select action, actor from audit_log where object_type = 'activity'")
    assert logged.fetchall() == [("deputy.activity", "wl")]


def test_a_retired_deputy_reads_nothing_and_records_nothing(wang, db):
    deputies.retire(db, "wang")
    page = wang.get("/admin/deputy/").get_data(as_text=True)
    assert "还没有意见" in page and "六龙村的路灯坏了三个月" not in page
    assert wang.get("/admin/deputy/opinions/1").status_code == 404
    refused = wang.post("/admin/deputy/activities/new", data=activity_form(wang))
    assert refused.status_code == 400 and "离任的代表不能再记录履职活动" in refused.get_data(
        as_text=True
    )
    assert wang.get("/admin/deputy/opinions/new").status_code == 409


# --- the crawl -----------------------------------------------------------------------------


def crawl(client, start="/admin/") -> list[str]:
    seen, queue = {start}, deque([start])
    while queue:
        url = queue.popleft()
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 200, url
        if response.mimetype != "text/html":
            continue
        page = response.get_data(as_text=True)
        assert not [secret for secret in HIDDEN if secret in page], url
        for href in re.findall(r'(?:href|src|action)="([^"]+)"', page):
            target = urljoin(url, href.replace("&amp;", "&"))
            # Signing out and revealing a phone are acts, not pages: tried on their own.
            acts = "logout" in target or "reveal" in target
            if urlsplit(target).path.startswith("/admin/") and target not in seen and not acts:
                seen.add(target)
                queue.append(target)
    return sorted(seen)


STAFF_PAGES = (
    "/admin/opinions", "/admin/opinions/3", "/admin/opinions/3/photos/1", "/admin/groups",
    "/admin/suggestions/", "/admin/stations/", "/admin/stations/1/poster.pdf",
    "/admin/deputies/", "/admin/reports", "/admin/users", "/admin/departments",
    "/admin/imports/new", "/admin/opinions/new", "/admin/desk/",
)  # fmt: skip


def test_a_deputy_of_one_town_crawls_and_finds_nothing_of_others(wang, app, db):
    urls = crawl(wang)
    assert "/admin/deputy/opinions/1" in urls and "/admin/deputy/opinions/2" in urls
    for hidden in (3, 4, 5):
        for url in (
            f"/admin/deputy/opinions/{hidden}",
            f"/admin/deputy/opinions/{hidden}/entered",
            f"/admin/deputy/opinions/{hidden}/photos/1",
            f"/admin/opinions/{hidden}/slip.pdf",
        ):
            assert wang.get(url).status_code == 404, url
    token = csrf_of(wang.get("/admin/deputy/").get_data(as_text=True))
    assert (
        wang.post("/admin/deputy/opinions/3/reveal", data={"csrf_token": token}).status_code == 404
    )
    for url in STAFF_PAGES:  # the town office's pages: none of them is a deputy's
        assert wang.get(url).status_code == 404, url
    for url in (
        "/admin/suggestions/create",
        "/admin/suggestions/merge",
        "/admin/opinions/1/answer",
    ):
        assert wang.post(url, data={"csrf_token": token}).status_code == 404, url
    yi = app.test_client()
    sign_in(yi, "yd")
    for url in urls:  # another town's deputy, on wang's pages
        if re.search(r"/\d+(/|$|\.)", urlsplit(url).path):
            assert yi.get(url).status_code == 404, url
        else:
            page = yi.get(url, follow_redirects=True).get_data(as_text=True)
            assert "六龙村的路灯坏了三个月" not in page and "大塘村的桥" not in page, url


def test_the_inbox_and_the_opinion_lookup_apply_one_rule(db, world):
    """Access has the deputy's rule in two shapes (one row; a page of the inbox): the same
    opinions, including a spam one never and a stray one of another town never."""
    from feedback import deputy_work
    from feedback.access import Access

    db.execute("update opinions set status = 'spam' where id = 2")
    db.conn.commit()
    for deputy_id in (1, 2):
        access = Access.of({"role": "deputy", "deputy_id": deputy_id, "username": "x"})
        listed = {row["id"] for row in deputy_work.inbox(db, access)}
        readable = {o for o in range(1, 6) if access.opinion(db, o)} - {2}
        assert listed == readable == ({1} if deputy_id == 1 else {4, 5})
