"""The department's desk on the web and the clerk's online handling on the suggestion page:
the journey through the test client, bad input, stale forms, and a crawl of every page a
department user can reach proving nothing of another office or an unhanded opinion shows."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from PIL import Image

from feedback import deputies, deputy_suggestions, handling, handling_town, users
from tests.conftest import csrf_of, sign_in
from tests.test_handling import JIA, deadline, hand, world  # noqa: F401 (fixture)
from tests.test_scope_crawl import assert_staff_404, crawl


def text(response) -> str:
    return response.get_data(as_text=True)


def hidden(page: str, form_id: str) -> dict:
    block = re.search(rf'<form[^>]*id="{form_id}".*?</form>', page, re.S).group(0)
    fields = {}
    for tag in re.findall(r"<input[^>]*>", block):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and 'type="hidden"' in tag:
            fields[name.group(1)] = value.group(1) if value else ""
    return fields


@pytest.fixture
def clients(app, db, world):  # noqa: F811
    signed = {}
    users.add(db, "jia", "correct horse", "clerk", "甲镇")
    for name in ("jia", "huanbao", "jiaotong", "nongban"):
        signed[name] = app.test_client()
        sign_in(signed[name], name)
    return signed


def post_form(client, url: str, form_id: str, **fields):
    page = text(client.get(url))
    return client.post(
        re.search(rf'<form[^>]*action="([^"]+)"[^>]*id="{form_id}"', page).group(1),
        data=hidden(page, form_id) | fields,
    )


def test_the_journey_through_the_web(db, clients, world):  # noqa: F811
    jia, lead = clients["jia"], clients["huanbao"]
    page = "/admin/suggestions/1"
    handed = post_form(
        jia,
        page,
        "handover",
        **{
            "handover-lead": str(world["huanbao"]),
            "handover-co": [str(world["jiaotong"])],
            "handover-deadline": deadline(),
        },
    )
    assert handed.status_code == 303, text(handed)
    assert lead.get("/admin/").headers["Location"].endswith("/admin/desk/")
    desk = text(lead.get("/admin/desk/"))
    assert "甲镇-2026-0001" in desk or "路灯不亮" in desk
    assert post_form(lead, "/admin/desk/1", "sign").status_code == 303
    assert "办理中" in text(lead.get("/admin/desk/1"))
    photo = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(photo, "JPEG")
    photo.seek(0)
    progress = post_form(
        lead,
        "/admin/desk/1",
        "progress",
        **{"progress-body": "已到现场", "progress-photos": (photo, "site.jpg")},
    )
    assert progress.status_code == 303, text(progress)
    photo_id = db.execute("select id from handling_photos").fetchone()[0]
    assert lead.get(f"/admin/handling/photos/{photo_id}").status_code == 200
    assert jia.get(f"/admin/handling/photos/{photo_id}").status_code == 200
    assert clients["nongban"].get(f"/admin/handling/photos/{photo_id}").status_code == 404
    current = db["suggestions"].get(1)["deadline"]
    later = (date.fromisoformat(current) + timedelta(days=10)).isoformat()
    asked = post_form(
        lead,
        "/admin/desk/1",
        "extension",
        **{"extension-until": later, "extension-reason": "需要采购"},
    )
    assert asked.status_code == 303
    assert "延期申请" in text(jia.get(page))
    assert post_form(jia, page, "grant").status_code == 303
    assert db["suggestions"].get(1)["deadline"] == later
    answered = post_form(
        lead, "/admin/desk/1", "answer", **{"answer-result_class": "A", "answer-text": "路灯已修好"}
    )
    assert answered.status_code == 303
    assert post_form(jia, page, "accept").status_code == 303
    assert db["suggestions"].get(1)["status"] == "已办结"
    receipt = db["opinions"].get(1)["receipt"]
    assert "路灯已修好" in text(clients["jia"].get(f"/t/{receipt}", follow_redirects=True))
    timeline = text(jia.get(page))
    for label in ("交办", "签收", "办理进展", "申请延期", "同意延期", "提交答复", "审核通过"):
        assert label in timeline


def test_bad_input_keeps_what_was_typed(db, clients, world):  # noqa: F811
    hand(db, world)
    lead = clients["huanbao"]
    post_form(lead, "/admin/desk/1", "sign")
    refused = post_form(
        lead,
        "/admin/desk/1",
        "extension",
        **{"extension-until": "2099-01-01", "extension-reason": "要很久很久"},
    )
    assert refused.status_code == 400
    assert "最多延期 180 天" in text(refused) and "要很久很久" in text(refused)
    empty = post_form(lead, "/admin/desk/1", "answer", **{"answer-text": "只写了答复没选类"})
    assert empty.status_code == 400 and "只写了答复没选类" in text(empty)
    assert db["suggestions"].get(1)["submitted_at"] is None


def test_a_stale_form_gets_a_chinese_409(db, clients, world):  # noqa: F811
    hand(db, world)
    lead = clients["huanbao"]
    page = text(lead.get("/admin/desk/1"))
    handling_town.urge(db, JIA, 1, "快办", handling.latest_event(db, 1))
    action = re.search(r'action="([^"]+)"[^>]*id="sign"', page).group(1)
    stale = lead.post(action, data=hidden(page, "sign"))
    assert stale.status_code == 409 and "页面已经过时" in text(stale)
    assert handling.handler(db, 1, world["huanbao"])["signed_at"] is None


def test_a_department_crawl_shows_nothing_of_others(app, db, clients, world):  # noqa: F811
    """The environmental office crawls everything it can reach with suggestion 1 handed to
    it: never a word of suggestion 2 (甲镇, not handed) or 3 (乙镇), never a full phone."""
    hand(db, world, co=())
    handling_town.urge(db, JIA, 1, "快办", handling.latest_event(db, 1))
    lead = clients["huanbao"]
    urls = crawl(lead, "/admin/desk/")
    assert "/admin/desk/1" in urls
    secrets = ("第2条意见", "第3条意见", "13812345678", "乙镇")
    for url in urls:
        page = text(lead.get(url))
        assert not [s for s in secrets if s in page], url
    for url in (
        "/admin/desk/2",
        "/admin/desk/3",
        "/admin/opinions/1",
        "/admin/opinions",
        "/admin/suggestions/1",
        "/admin/suggestions/",
        "/admin/stations/",
        "/admin/reports/",
        "/admin/departments",
        "/admin/groups",
        "/admin/desk/1/opinions/2/photos/1",
        "/admin/users",
        "/admin/visits/",
    ):
        response = lead.get(url)
        assert response.status_code == 404, url
        assert_staff_404(response, url)
    other = clients["nongban"]
    for url in urls:
        if re.search(r"/\d+(/|$)", urlsplit(url).path):
            assert other.get(url).status_code == 404, url
    token = csrf_of(text(lead.get("/admin/desk/1")))
    for url in (
        "/admin/suggestions/1/online/urge",
        "/admin/suggestions/1/notes",
        "/admin/opinions/1/reveal",
        "/admin/desk/2/sign",
    ):
        assert lead.post(url, data={"csrf_token": token}).status_code == 404, url


def test_a_co_handler_adds_its_part_for_the_lead(db, clients, world):  # noqa: F811
    hand(db, world)
    lead, co = clients["huanbao"], clients["jiaotong"]
    assert post_form(co, "/admin/desk/1", "sign").status_code == 303
    assert 'id="answer"' not in text(co.get("/admin/desk/1"))  # the lead answers
    assert 'id="part"' not in text(co.get("/admin/desk/1"))  # not 办理中 until the lead signs
    post_form(lead, "/admin/desk/1", "sign")
    part = post_form(co, "/admin/desk/1", "part", **{"part-text": "道路部分由交通局负责"})
    assert part.status_code == 303, text(part)
    assert "道路部分由交通局负责" in text(lead.get("/admin/desk/1"))


def test_a_return_goes_back_to_the_clerk_with_its_reason(db, clients, world):  # noqa: F811
    hand(db, world)
    lead, jia = clients["huanbao"], clients["jia"]
    returned = post_form(
        lead, "/admin/desk/1", "return", **{"return-reason": "路灯归县交通运输局管"}
    )
    assert returned.status_code == 303
    assert "已退回" in text(lead.get(returned.headers["Location"]))
    assert lead.get("/admin/desk/1").status_code == 404
    page = text(jia.get("/admin/suggestions/1"))
    assert "承办单位退回了这件建议:路灯归县交通运输局管" in page and 'id="handover"' in page


def test_the_clerks_stale_form_is_a_409_that_keeps_the_reason(db, clients, world):  # noqa: F811
    hand(db, world)
    jia = clients["jia"]
    page = text(jia.get("/admin/suggestions/1"))
    post_form(clients["huanbao"], "/admin/desk/1", "sign")
    action = re.search(r'action="([^"]+)" id="urge"', page).group(1)
    stale = jia.post(action, data=hidden(page, "urge") | {"urge-reason": "月底前必须办好"})
    assert stale.status_code == 409
    assert "页面已经过时" in text(stale) and "月底前必须办好" in text(stale)
    assert db.execute("select count(*) from handling_events where kind = 'urge'").fetchone()[0] == 0


def test_an_online_item_offers_no_offline_status_or_department(db, clients, world):  # noqa: F811
    """Once handed over online the department signs, answers and asks for time: the clerk's
    page keeps tier, deputies and notes, and a forged POST moving the deadline changes nothing."""
    hand(db, world)
    jia = clients["jia"]
    page = text(jia.get("/admin/suggestions/1"))
    block = re.search(r'<form[^>]*id="handling".*?</form>', page, re.S).group(0)
    assert 'id="save-advance"' not in block and 'name="department"' not in block
    assert 'name="deadline"' not in block and 'name="tier"' in block
    before = db["suggestions"].get(1)
    moved = jia.post(
        "/admin/suggestions/1/handling",
        data=hidden(page, "handling") | {"tier": before["tier"], "deadline": "2027-06-30"},
    )
    assert moved.status_code == 400
    assert "办理期限只能由承办单位申请延期" in text(moved)
    assert db["suggestions"].get(1)["deadline"] == before["deadline"]
    deputies.add(db, {"code": "wang", "name": "王代表", "town": "甲镇"})
    saved = jia.post(
        "/admin/suggestions/1/handling",
        data=hidden(page, "handling") | {"tier": "重大", "lead_deputy": "wang"},
    )
    assert saved.status_code == 303
    after = db["suggestions"].get(1)
    assert (after["tier"], after["deadline"]) == ("重大", before["deadline"])
    assert deputy_suggestions.signers(db, 1)["lead"]["name"] == "王代表"


def test_the_villager_reads_each_online_step_in_plain_words(app, db, world):  # noqa: F811
    """/t/<receipt> tells the villager their problem is moving (handed over, signed for, more
    time granted, urged), never a department's own words (a return's reason, a progress note)."""
    from tests.test_handling import JIA as clerk
    from tests.test_handling import dept, seen

    hand(db, world, co=())
    handling.give_back(db, dept(db, "huanbao"), 1, "标记甲:不归我们管", seen(db))
    hand(db, world, lead="jiaotong", co=())
    lead = dept(db, "jiaotong")
    handling.sign_for(db, lead, 1, seen(db))
    handling.record_progress(db, lead, 1, "标记乙:张三家门口已查看", seen(db))
    later = (date.today() + timedelta(days=60)).isoformat()
    handling.ask_extension(db, lead, 1, later, "需要采购灯杆", seen(db))
    handling_town.decide_extension(db, clerk, 1, True, "", seen(db))
    handling_town.urge(db, clerk, 1, "月底前办好", seen(db))
    page = text(app.test_client().get("/t/HHHH-HHH2"))
    steps = re.findall(r"<li[^>]*>.*?</li>", page, re.S)
    shown = " ".join(re.sub(r"<[^>]+>", " ", s) for s in steps)
    for words in (
        "主办:甲镇环保办",
        "正在重新交办",
        "主办:县交通运输局",
        "县交通运输局已签收,正在办理",
        "县交通运输局记录了办理进展",
        f"办理期限延长到 {later}",
        "镇人大已督促承办单位抓紧办理",
    ):
        assert words in shown, words
    assert "标记甲" not in page and "标记乙" not in page and "月底前办好" not in page


def test_an_admin_makes_a_department_account_on_the_accounts_page(app, db, world):  # noqa: F811
    """The accounts page offers the offices in use (a town's own and the county's) for a
    department account, refuses one without its office in Chinese, keeping what was typed."""
    from tests.conftest import STAFF_PASSWORD

    users.add(db, "boss", STAFF_PASSWORD, "admin", None)
    admin = app.test_client()
    sign_in(admin, "boss")
    page = text(admin.get("/admin/users"))
    assert "甲镇环保办(甲镇)" in page and "县交通运输局(县级)" in page
    form = {"csrf_token": csrf_of(page), "username": "hb2", "role": "department",
            "password": STAFF_PASSWORD, "confirm": STAFF_PASSWORD}  # fmt: skip
    missing = admin.post("/admin/users", data=form)
    assert missing.status_code == 400 and "承办单位账号要选所属单位" in text(missing)
    assert 'value="hb2"' in text(missing)
    made = admin.post("/admin/users", data=dict(form, department="甲镇环保办"))
    assert made.status_code == 303, text(made)
    account = users.authenticate(db, "hb2", STAFF_PASSWORD)
    assert (account["role"], account["department_id"]) == ("department", world["huanbao"])
    desk = app.test_client()
    sign_in(desk, "hb2")
    assert desk.get("/admin/").headers["Location"].endswith("/admin/desk/")


def _closed_items(db, office: int, town: str, count: int, first: int) -> list[str]:
    """`count` suggestions of `town` closed on successive days, led by `office`; their
    numbers, the most recently closed first."""
    numbers = []
    for n in range(first, first + count):
        number = f"{town}〔2025〕{n}号"
        suggestion_id = (
            db["suggestions"]
            .insert(
                {
                    "town": town,
                    "year": 2025,
                    "seq": n,
                    "number": number,
                    "title": f"第{n}件",
                    "body": "已修好",
                    "category": "other",
                    "status": "已办结",
                    "created_at": "2025-01-01T09:00:00+08:00",
                    "closed_at": f"2025-{1 + n // 28:02d}-{1 + n % 28:02d}T09:00:00+08:00",
                }
            )
            .last_pk
        )
        db["suggestion_departments"].insert(
            {
                "suggestion_id": suggestion_id,
                "department_id": office,
                "role": "lead",
                "handed_at": "2025-01-01T09:00:00+08:00",
                "sign_due_at": "2025-01-02T09:00:00+08:00",
                "signed_at": "2025-01-01T10:00:00+08:00",
            }
        )
        numbers.append(number)
    db.conn.commit()
    return numbers[::-1]


def test_a_county_office_reads_its_recent_closed_items_and_pages_through_the_rest(
    db,
    clients,
    world,  # noqa: F811
    monkeypatch,
):
    mine = _closed_items(db, world["jiaotong"], "甲镇", 25, 100)
    others = _closed_items(db, world["huanbao"], "甲镇", 3, 200)
    desk = text(clients["jiaotong"].get("/admin/desk/"))
    closed = re.search(r'<details class="card" id="closed">.*?</details>', desk, re.S).group(0)
    assert "已办结(25)" in closed and "查看全部 25 件" in closed
    assert re.findall(r"甲镇〔2025〕\d+号", closed) == mine[:20]
    monkeypatch.setattr("feedback.handling_reads.CLOSED_PAGE", 10)
    pages = [text(clients["jiaotong"].get(f"/admin/desk/closed?page={n}")) for n in (1, 2, 3)]
    listed = [re.findall(r"甲镇〔2025〕\d+号", page) for page in pages]
    assert listed == [mine[:10], mine[10:20], mine[20:]]
    assert "第 2 / 3 页" in pages[1] and not set(others) & set(sum(listed, []))
    assert "最近办结的在前,每页 10 件" in pages[0]
    for page in ("4", "0", "-1", "99999999999999999999"):
        assert clients["jiaotong"].get(f"/admin/desk/closed?page={page}").status_code == 404
    assert clients["jia"].get("/admin/desk/closed").status_code == 404  # a clerk has no desk
    huanbao = text(clients["huanbao"].get("/admin/desk/closed"))
    assert re.findall(r"甲镇〔2025〕\d+号", huanbao) == others and "查看全部" not in huanbao
