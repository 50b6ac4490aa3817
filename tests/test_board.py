"""The public board (/board/<town>), 我也遇到, the public title and the supporters' phones
(issue 16), through the test client; the browser journeys are in test_board_browser.py."""

from __future__ import annotations

import re

import pytest

from feedback import receipts, reports, retention, suggestions, supporters, users
from feedback.access import Access
from tests.conftest import csrf_of, sign_in

# Planted in what villagers typed: none of it may reach the board.
BODY_MARK, NAME_MARK, PHONE_MARK = "标记甲乙丙路灯坏了", "王标记", "13912345678"
TITLE_MARK = "标记甲乙丙"  # a staff title copied from the opinion


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def board_town(db, two_town_stations):
    """Two suggestions of 甲镇: an open one whose staff title copies an opinion, and a
    closed one with an answer; one suggestion of 乙镇."""
    rows = [
        (1, BODY_MARK + "三个月", NAME_MARK, PHONE_MARK),
        (2, "大塘村的垃圾没人清运", None, None),
        (1, "六龙村路口的灯也不亮", None, None),
        (3, "乙镇的路面坏了", None, None),
    ]
    for n, (station, body, name, phone) in enumerate(rows, start=1):
        db["opinions"].insert(
            {
                "receipt": f"CCCCCCC{'23456789'[n]}",
                "station_id": station,
                "body": body,
                "name": name,
                "phone": phone,
                "consent": int(bool(phone)),
                "category": "cityscape",
                "created_at": f"2026-03-0{n}T09:00:00+08:00",
            }
        )
    admin = Access("admin", username="admin")
    days = {"微事": 7, "一般": 30, "重大": 90}
    fields = {"title": TITLE_MARK, "body": BODY_MARK, "category": "cityscape", "tier": "一般"}
    lamps = suggestions.create(db, admin, [1, 3], fields, days)
    rubbish = suggestions.create(db, admin, [2], dict(fields, title="垃圾清运"), days)
    suggestions.update(db, admin, rubbish, {}, department="甲镇环卫站")
    for status in ("待交办", "已交办", "办理中"):
        suggestions.advance(
            db, admin, rubbish, status, f"已安排环卫车每周两次清运,已电话告知{PHONE_MARK}"
        )
    other = suggestions.create(db, admin, [4], dict(fields, title="乙镇路面"), days)
    return {"lamps": lamps, "rubbish": rubbish, "other": other}


def test_the_board_shows_the_towns_work_and_no_villagers_words(client, board_town):
    page = client.get("/board/甲镇")
    assert page.status_code == 200
    html = text(page)
    for mark in (BODY_MARK, NAME_MARK, PHONE_MARK, TITLE_MARK, "王"):
        assert mark not in html
    assert "关于六龙村的市容市貌问题" in html and "关于大塘村的市容市貌问题" in html
    assert "已安排环卫车每周两次清运,已电话告知139****5678" in html and "甲镇环卫站" in html
    assert re.search(r"甲镇-\d{4}-0001", html) and "乙镇路面" not in html
    assert html.count('class="support"') == 1  # the closed one takes no more support


def test_an_unknown_town_is_a_chinese_404(client, board_town):
    page = client.get("/board/丁镇")
    assert page.status_code == 404 and "没有找到这个镇街的公开栏" in text(page)


def test_the_form_and_the_status_page_link_to_their_towns_board(client, board_town):
    assert "/board/%E7%94%B2%E9%95%87" in text(client.get("/s/ll-01"))
    assert "/board/%E7%94%B2%E9%95%87" in text(client.get("/t/CCCC-CCC3"))


def test_the_board_pages_twenty_at_a_time(client, db, board_town):
    admin = Access("admin", username="admin")
    fields = {"title": "x", "body": "y", "category": "other", "tier": "一般"}
    for n in range(25):
        db["opinions"].insert(
            {
                "receipt": receipts.new_code(),
                "station_id": 2,
                "body": f"第{n}件事情",
                "category": "other",
                "created_at": "2026-03-09T09:00:00+08:00",
            }
        )
        opinion_id = db.execute("select max(id) from opinions").fetchone()[0]
        suggestions.create(db, admin, [opinion_id], fields, {"一般": 30})
    first, second = text(client.get("/board/甲镇")), text(client.get("/board/甲镇?page=2"))
    assert first.count("<article") == 20 and second.count("<article") == 7
    assert "第 1/2 页" in first and "下一页" in first and "上一页" in second
    closed = text(client.get("/board/甲镇?show=closed"))
    assert closed.count("<article") == 1


def support(client, town="甲镇", suggestion_id=1, **fields):
    page = text(client.get(f"/board/{town}"))
    token = re.search(r'name="submission_token" type="hidden" value="([^"]*)"', page).group(1)
    data = {"csrf_token": csrf_of(page), "submission_token": token, **fields}
    return client.post(f"/board/{town}/{suggestion_id}/support", data=data)


def count(db, suggestion_id) -> int:
    return supporters.count(db, suggestion_id)


def test_support_counts_once_per_browser_and_once_per_phone(app, client, db, board_town):
    lamps = board_town["lamps"]
    first = support(client, suggestion_id=lamps)
    assert first.status_code == 303 and first.location.endswith(f"#s-{lamps}")
    assert "已记下" in text(client.get("/board/甲镇"))
    support(client, suggestion_id=lamps)
    assert count(db, lamps) == 1
    # The same browser then leaves a phone: still one support, now with the phone.
    support(client, suggestion_id=lamps, phone="139 0000 1111", consent="y")
    assert count(db, lamps) == 1
    # The same phone from another browser is not counted again; a new phone is.
    other = app.test_client()
    support(other, suggestion_id=lamps, phone="13900001111", consent="y")
    assert "已经登记过" in text(other.get("/board/甲镇"))
    assert count(db, lamps) == 1
    support(app.test_client(), suggestion_id=lamps, phone="13900002222", consent="y")
    assert count(db, lamps) == 2
    assert db.execute("select count(*) from supporters where phone is not null").fetchone()[0] == 2


def test_a_browser_without_cookies_is_counted_per_page_token(app, db, board_town):
    lamps = board_town["lamps"]
    cookieless = app.test_client(use_cookies=False)
    page = text(cookieless.get("/board/甲镇"))
    token = re.search(r'name="submission_token" type="hidden" value="([^"]*)"', page).group(1)
    # No session cookie, so no CSRF token can be checked: refused with the message, kept.
    refused = cookieless.post(
        f"/board/甲镇/{lamps}/support",
        data={"csrf_token": csrf_of(page), "submission_token": token, "phone": "13900003333"},
    )
    assert refused.status_code == 400 and "页面停留太久已过期" in text(refused)
    assert 'value="13900003333"' in text(refused) and count(db, lamps) == 0


def test_bad_support_input_keeps_what_was_typed(client, db, board_town):
    lamps = board_town["lamps"]
    no_consent = support(client, suggestion_id=lamps, phone="13900004444")
    assert no_consent.status_code == 400 and "请勾选同意" in text(no_consent)
    assert 'value="13900004444"' in text(no_consent)
    bad_phone = support(client, suggestion_id=lamps, phone="12345", consent="y")
    assert bad_phone.status_code == 400 and "11 位手机号码" in text(bad_phone)
    assert 'value="12345"' in text(bad_phone)
    closed = support(client, suggestion_id=board_town["rubbish"])
    assert closed.status_code == 409 and "已经办结" in text(closed)
    elsewhere = support(client, suggestion_id=board_town["other"])
    assert elsewhere.status_code == 404
    assert count(db, lamps) == count(db, board_town["rubbish"]) == 0


def test_support_floods_meet_the_forms_limits(app, client, db, board_town):
    app.config["FEEDBACK_LIMIT_PER_DEVICE"] = 3
    for _ in range(3):
        support(client, suggestion_id=board_town["lamps"])
    flooded = support(client, suggestion_id=board_town["lamps"])
    assert flooded.status_code == 429 and "太频繁" in text(flooded)


@pytest.fixture
def clerk(client, db, board_town):
    users.add(db, "jia", "correct horse", "clerk", "甲镇")
    sign_in(client, "jia")
    return client


def test_the_clerk_writes_the_public_title_and_never_an_opinions_words(clerk, db, board_town):
    lamps = board_town["lamps"]
    url = f"/admin/suggestions/{lamps}"
    page = text(clerk.get(url))
    assert "关于六龙村的市容市貌问题" in page  # the default, until written
    copied = clerk.post(
        f"{url}/public-title",
        data={"csrf_token": csrf_of(page), "public_title": BODY_MARK},
    )
    assert copied.status_code == 400 and "不能照抄群众意见的原话" in text(copied)
    assert BODY_MARK not in text(clerk.get("/board/甲镇"))
    with_phone = clerk.post(
        f"{url}/public-title",
        data={"csrf_token": csrf_of(page), "public_title": f"请联系{PHONE_MARK}"},
    )
    assert with_phone.status_code == 400 and "不能含电话号码" in text(with_phone)
    saved = clerk.post(
        f"{url}/public-title",
        data={"csrf_token": csrf_of(page), "public_title": "六龙村路灯维修"},
    )
    assert saved.status_code == 303
    assert "六龙村路灯维修" in text(clerk.get("/board/甲镇"))
    assert "修改公开标题" in text(clerk.get(url))


def test_supporters_are_counted_masked_and_revealed_on_purpose(app, clerk, db, board_town):
    lamps = board_town["lamps"]
    support(app.test_client(), suggestion_id=lamps, phone="13900005555", consent="y")
    support(app.test_client(), suggestion_id=lamps)
    page = text(clerk.get(f"/admin/suggestions/{lamps}"))
    assert "“我也遇到”:<b>2</b> 人" in page and "139****5555" in page
    assert "13900005555" not in page
    (row_id,) = db.execute("select id from supporters where phone is not null").fetchone()
    shown = clerk.post(
        f"/admin/suggestions/{lamps}/supporters/{row_id}/reveal",
        data={"csrf_token": csrf_of(page)},
    )
    assert "13900005555" in text(shown)
    logged = db.execute(
        "select actor from audit_log where action = 'supporter.reveal_phone'"
    ).fetchall()
    assert logged == [("jia",)]


def test_supporters_count_in_the_reports_and_their_phones_are_purged(app, db, board_town):
    lamps = board_town["lamps"]
    support(app.test_client(), suggestion_id=lamps, phone="13900006666", consent="y")
    month = db.execute("select substr(created_at, 1, 7) from supporters").fetchone()[0]
    assert reports.build(db, month, "甲镇")["suggestions"]["supporters"] == 1
    assert reports.build(db, month, "乙镇")["suggestions"]["supporters"] == 0
    db.execute("update supporters set created_at = '2020-01-01T00:00:00+08:00'")
    assert retention.count_supporter_phones(db, 365) == 1
    retention.purge_contacts(db, 365, actor="test")
    assert db.execute("select phone, consent from supporters").fetchall() == [(None, 0)]
    assert count(db, lamps) == 1  # the support itself stays counted


def test_the_large_text_switch_is_a_link_and_stays_on_this_site(client, board_town):
    on = client.get("/big?on=1&next=/board/%E7%94%B2%E9%95%87")
    assert on.status_code == 303 and on.location == "/board/%E7%94%B2%E9%95%87"
    assert '<html lang="zh-CN" class="big">' in text(client.get("/s/ll-01"))
    assert "标准字" in text(client.get("/t"))
    assert client.get("/big?on=0&next=//evil.example").location == "/t"
    assert 'class="big"' not in text(client.get("/s/ll-01"))


def test_the_form_page_stays_under_15_kb(client, board_town):
    for path in ("/s/ll-01", "/big?on=1&next=/s/ll-01"):
        page = client.get(path, follow_redirects=True)
        size = len(page.get_data()) + sum(len(f"{k}: {v}\r\n") for k, v in page.headers.items())
        assert size < 15_000, size


def test_the_switch_on_a_refused_tap_comes_back_to_the_board(client, board_town):
    refused = support(client, suggestion_id=board_town["lamps"], phone="13900004444")
    assert "/big?on=1&amp;next=/board/%25E7%2594%25B2%25E9%2595%2587" in text(refused)


def test_a_tap_from_no_page_at_all_is_not_counted(app, db, board_town):
    cookieless = app.test_client()
    page = text(cookieless.get("/board/甲镇"))
    cookieless.delete_cookie("fb_device")
    lamps = board_town["lamps"]
    refused = cookieless.post(f"/board/甲镇/{lamps}/support", data={"csrf_token": csrf_of(page)})
    assert refused.status_code == 400 and "页面停留太久已过期" in text(refused)
    assert count(db, lamps) == 0


def test_the_villagers_timeline_names_the_public_title(clerk, db, board_town):
    lamps = board_town["lamps"]
    page = text(clerk.get(f"/admin/suggestions/{lamps}"))
    # The staff title was copied from an opinion: the timeline never shows it.
    assert TITLE_MARK not in timeline(text(clerk.get("/t/CCCC-CCC3")))
    data = {"csrf_token": csrf_of(page), "public_title": "六龙村路灯维修"}
    clerk.post(f"/admin/suggestions/{lamps}/public-title", data=data)
    assert "六龙村路灯维修" in timeline(text(clerk.get("/t/CCCC-CCC3")))


def timeline(html: str) -> str:
    return html.split("<ol>", 1)[1].split("</ol>", 1)[0]
