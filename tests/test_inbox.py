"""The clerk's inbox: own town only, filters, Chinese search, pages, the opinion page."""

import re

import pytest
from markupsafe import escape

from feedback import users
from tests.conftest import csrf_of, sign_in


def text(response) -> str:
    return response.get_data(as_text=True)


def listed(response) -> list[str]:
    """Opinion texts in the inbox table, in order."""
    table = text(response).split('id="opinions"')[1].split("</table>")[0]
    return re.findall(r'/admin/opinions/\d+">([^<]*)</a>', table)


@pytest.fixture
def town(db, two_town_stations):
    rows = [
        (1, "村口路灯坏了三个月,晚上看不见", "cityscape", "new", "2026-03-01T09:00:00+08:00"),
        (1, "垃圾没人清运,堆成山了", "pollution", "new", "2026-03-02T09:00:00+08:00"),
        (2, "大塘村的路灯也不亮", "cityscape", "answered", "2026-03-03T09:00:00+08:00"),
        (2, "<script>alert('x')</script>桥面开裂", "other", "new", "2026-03-04T09:00:00+08:00"),
        (3, "乙镇的路灯坏了", "cityscape", "new", "2026-03-05T09:00:00+08:00"),
        (1, "广告机器人", "other", "spam", "2026-03-06T09:00:00+08:00"),
    ]
    for n, (station, body, category, status, at) in enumerate(rows, start=1):
        db["opinions"].insert(
            {
                "receipt": f"AAAAAAA{'23456789'[n]}",
                "station_id": station,
                "body": body,
                "category": category,
                "status": status,
                "phone": "13812345678",
                "consent": 1,
                "created_at": at,
            }
        )
    users.add(db, "jia", "correct horse", "clerk", "甲镇")
    users.add(db, "boss", "correct horse", "admin", None)


def login(client, username="jia"):
    sign_in(client, username)


def test_new_opinions_of_own_town_first_newest_first(client, town):
    login(client)
    response = client.get("/admin/opinions")
    assert response.status_code == 200
    assert listed(response) == [
        "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;桥面开裂",
        "垃圾没人清运,堆成山了",
        "村口路灯坏了三个月,晚上看不见",
    ]
    assert "待处理 3" in text(response) and "已答复 1" in text(response)
    assert "<script>alert" not in text(response)


def test_admin_sees_every_town_but_never_spam(client, town):
    login(client, "boss")
    bodies = listed(client.get("/admin/opinions?status=all"))
    assert "乙镇的路灯坏了" in bodies and len(bodies) == 5
    assert "广告机器人" not in bodies


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=all&q=路灯", ["大塘村的路灯也不亮", "村口路灯坏了三个月,晚上看不见"]),  # 2 chars
        ("status=all&q=路灯坏了", ["村口路灯坏了三个月,晚上看不见"]),  # trigram index
        ("status=all&q=100%", []),
        ("status=all&category=pollution", ["垃圾没人清运,堆成山了"]),
        ("status=all&station=2&q=路灯", ["大塘村的路灯也不亮"]),
        ("status=answered", ["大塘村的路灯也不亮"]),
        (
            "status=all&from=2026-03-02&to=2026-03-03",
            ["大塘村的路灯也不亮", "垃圾没人清运,堆成山了"],
        ),
        ("status=all&photos=1", []),
        ("status=all&q=乙镇", []),  # another town's text is never found
    ],
)
def test_filters_and_search(client, town, query, expected):
    login(client)
    assert listed(client.get(f"/admin/opinions?{query}")) == expected


def test_pages_of_fifty(client, town, db):
    for n in range(60):
        receipt = "B" + "".join("23456789AB"[int(d)] for d in f"{n:07d}")
        at = f"2026-04-01T10:{n:02d}:00+08:00"
        db["opinions"].insert(
            {
                "receipt": receipt,
                "station_id": 1,
                "body": f"第{n}条意见内容",
                "category": "other",
                "created_at": at,
            }
        )
    login(client)
    first = client.get("/admin/opinions")
    assert len(listed(first)) == 50 and "第 1/2 页" in text(first)
    second = client.get("/admin/opinions?status=new&page=2")
    assert len(listed(second)) == 13
    assert set(listed(first)).isdisjoint(listed(second))


def test_opinion_page_masks_the_phone_and_other_towns_get_404(client, town):
    login(client)
    page = text(client.get("/admin/opinions/1"))
    assert "村口路灯坏了三个月" in page and "138****5678" in page and "13812345678" not in page
    assert client.get("/admin/opinions/5").status_code == 404  # 乙镇
    assert client.get("/admin/opinions/5/photos/1").status_code == 404


def test_answer_directly_reaches_the_villager_who_can_rate_it(client, town, db):
    login(client)
    token = csrf_of(text(client.get("/admin/opinions/1")))
    data = {"a-csrf_token": token, "a-answer": "路灯已修好,谢谢反映"}
    response = client.post("/admin/opinions/1/answer", data=data)
    assert response.status_code == 303
    page = text(client.get("/admin/opinions/1"))
    assert "已直接答复" in page and "状态:待处理 → 已答复" in page
    receipt = db["opinions"].get(1)["receipt"]
    status = text(client.get(f"/t/{receipt[:4]}-{receipt[4:]}"))
    assert "路灯已修好,谢谢反映" in status and "满意" in status
    again = client.post(
        "/admin/opinions/1/answer", data={"a-csrf_token": token, "a-answer": "再答"}
    )
    assert again.status_code == 409


def test_reject_shows_the_reason_to_the_villager(client, town, db):
    login(client)
    token = csrf_of(text(client.get("/admin/opinions/2")))
    data = {"r-csrf_token": token, "r-reason": "重复提交,已在第1条办理"}
    assert client.post("/admin/opinions/2/reject", data=data).status_code == 303
    receipt = db["opinions"].get(2)["receipt"]
    status = text(client.get(f"/t/{receipt[:4]}-{receipt[4:]}"))
    assert "未予受理" in status and "重复提交,已在第1条办理" in status


def test_category_change_is_logged_and_staff_forms_need_csrf(client, town, db):
    login(client)
    refused = client.post("/admin/opinions/1/category", data={"c-category": "rural"})
    assert refused.status_code == 400 and db["opinions"].get(1)["category"] == "cityscape"
    token = csrf_of(text(client.get("/admin/opinions/1")))
    data = {"c-csrf_token": token, "c-category": "rural"}
    assert client.post("/admin/opinions/1/category", data=data).status_code == 303
    assert db["opinions"].get(1)["category"] == "rural"
    assert "类别:cityscape → rural" in text(client.get("/admin/opinions/1"))


def test_another_towns_opinion_cannot_be_changed(client, town, db):
    login(client)
    token = csrf_of(text(client.get("/admin/opinions/1")))
    data = {"a-csrf_token": token, "a-answer": "越权答复"}
    assert client.post("/admin/opinions/5/answer", data=data).status_code == 404
    assert db["opinions"].get(5)["status"] == "new"


def test_revealing_a_phone_is_deliberate_and_logged(client, town, db):
    login(client)
    page = text(client.get("/admin/opinions/1"))
    assert "13812345678" not in page
    assert client.get("/admin/opinions/1/reveal").status_code == 405  # never by a mere link
    shown = text(client.post("/admin/opinions/1/reveal", data={"csrf_token": csrf_of(page)}))
    assert "13812345678" in shown
    (entry,) = db["audit_log"].rows_where("action = 'opinion.reveal_phone'")
    assert entry["actor"] == "jia" and entry["object_id"] == "1"
    assert (
        client.post("/admin/opinions/5/reveal", data={"csrf_token": csrf_of(page)}).status_code
        == 404
    )


HOSTILE = "<img src=x onerror=alert(1)>\"'&<script>"


def test_hostile_text_is_escaped_on_every_staff_page(client, town, db):
    db["opinions"].update(1, {"body": HOSTILE + "路灯坏了", "name": HOSTILE[:20]})
    login(client)
    for url in (
        "/admin/opinions?status=all",
        "/admin/opinions/1",
        "/admin/opinions/2",
        "/admin/groups",
        "/admin/opinions?status=all&q=路灯",
    ):
        page = text(client.get(url))
        assert "<img src=x" not in page and "<script>" not in page, url


def test_two_characters_are_found_at_the_end_of_a_text_too(client, town, db):
    at = "2026-03-07T09:00:00+08:00"
    db["opinions"].insert(
        {
            "receipt": "CCCCCCC2",
            "station_id": 1,
            "body": "村里晚上太黑,想装路灯",
            "category": "cityscape",
            "created_at": at,
        }
    )
    login(client)
    response = client.get("/admin/opinions?status=all&q=路灯")
    assert listed(response) == [
        "村里晚上太黑,想装路灯",
        "大塘村的路灯也不亮",
        "村口路灯坏了三个月,晚上看不见",
    ]
    assert "待处理 2" in text(response) and "已答复 1" in text(response)
    assert listed(client.get("/admin/opinions?status=all&q=装路")) == ["村里晚上太黑,想装路灯"]


def test_status_counts_follow_every_change(client, town, db):
    login(client)
    assert "待处理 3" in text(client.get("/admin/opinions"))
    db["opinions"].update(1, {"status": "answered"})
    db["opinions"].update(2, {"category": "rural"})
    page = text(client.get("/admin/opinions"))
    assert "待处理 2" in page and "已答复 2" in page
    rural = text(client.get("/admin/opinions?category=rural"))
    assert "待处理 1" in rural and "已答复 0" in rural


def test_pages_of_every_status_keep_one_order(client, town, db):
    """Page 1 of a busy town is read by walking every opinion by date, page 2 by sorting the
    town's own entries (see inbox._walks_by_date): both in the same order, ties by id."""
    for n in range(60):
        receipt = "D" + "".join("23456789AB"[int(d)] for d in f"{n:07d}")
        at = f"2026-04-01T10:{n // 3:02d}:00+08:00"  # three opinions a minute
        db["opinions"].insert(
            {
                "receipt": receipt,
                "station_id": 1 + n % 2,
                "body": f"第{n}条",
                "category": "other",
                "status": ("new", "merged")[n % 2],
                "created_at": at,
            }
        )
    expected = [
        str(escape(row[0]))
        for row in db.execute(
            "select o.body from opinions o join stations s on s.id = o.station_id where s.town = "
            "'甲镇' and o.status != 'spam' order by o.created_at desc, o.id desc"
        )
    ]
    login(client)
    pages = [listed(client.get(f"/admin/opinions?status=all&page={n}")) for n in (1, 2)]
    assert [len(page) for page in pages] == [50, 14]
    assert pages[0] + pages[1] == expected
