"""Suggestions led and signed by deputies (feedback.deputy_suggestions) through the test
client: the clerk picks the lead and co-signers from the town's registry (an unknown, another
town's or a retired deputy is refused in Chinese and nothing of the save is stored); the old
free text stays readable; a deputy proposes a suggestion from opinions they may read; only
the lead deputy gives the verdict, once the suggestion is closed, once; and a deputy can
neither close a suggestion nor change its department."""

from __future__ import annotations

import re

import pytest

from feedback import deputies, deputy_suggestions, handover, suggestions, users
from feedback.access import Access
from tests.conftest import csrf_of, sign_in

STATIONS = (
    {"id": 1, "code": "ll-01", "name": "六龙村议事亭", "town": "甲镇", "village": "六龙村"},
    {"id": 2, "code": "dt-01", "name": "大塘村联络站", "town": "甲镇", "village": "大塘村"},
    {"id": 3, "code": "yz-01", "name": "乙镇公告栏", "town": "乙镇", "village": ""},
)
OPINIONS = (
    (1, 1, "六龙村村口的路灯坏了三个月"),
    (2, 1, "六龙村三组的路灯不亮"),
    (3, 2, "大塘村的桥有裂缝"),  # another station of wang's town: not wang's to read
    (4, 3, "乙镇的垃圾没人清运"),
)
DAYS = {"微事": 7, "一般": 30, "重大": 90}
JIA = Access("clerk", "甲镇", "jia")
TITLE = "关于六龙村的市容市貌问题"


@pytest.fixture
def world(db, app):
    db["stations"].insert_all(STATIONS)
    db.conn.commit()
    for code, name, town, station in (
        ("wang", "王丽", "甲镇", "ll-01"),
        ("li", "李四", "甲镇", "dt-01"),
        ("old", "老代表", "甲镇", "dt-01"),
        ("yi", "乙代表", "乙镇", "yz-01"),
    ):
        deputies.add(db, {"code": code, "name": name, "town": town, "stations": station})
    deputies.retire(db, "old")
    for opinion_id, station, body in OPINIONS:
        db["opinions"].insert(
            {
                "id": opinion_id,
                "receipt": f"RCPT{opinion_id:04d}",
                "station_id": station,
                "body": body,
                "category": "cityscape",
                "created_at": "2026-03-01T09:00:00+08:00",
            }
        )
    users.add(db, "jia", "correct horse", "clerk", "甲镇")
    users.add(db, "wl", "correct horse", "deputy", None, deputy="wang")
    users.add(db, "ls", "correct horse", "deputy", None, deputy="li")
    return db


def shown_text(response) -> str:
    return re.sub(r"<[^>]+>", "", response.get_data(as_text=True))


def deputy_access(db, code: str, username: str) -> Access:
    return Access("deputy", username=username, deputy_id=deputies.get(db, code)["id"])


def handling(client, url, **fields):
    data = {
        "csrf_token": csrf_of(client.get(url).get_data(as_text=True)),
        "expected": "待交办",
        "tier": "一般",
        "deadline": "",
        "department": "",
        "then": "save",
        **fields,
    }
    return client.post(url + "/handling", data=data)


def test_the_clerk_picks_lead_and_cosigners_from_the_registry(world, client):
    suggestion_id = suggestions.create(world, JIA, [1], _fields(), DAYS)
    legacy = "update suggestions set deputies = '王代表、李代表' where id = ?"
    world.execute(legacy, [suggestion_id])
    world.conn.commit()
    sign_in(client, "jia")
    url = f"/admin/suggestions/{suggestion_id}"
    page = client.get(url).get_data(as_text=True)
    assert "原填写的责任代表(文字,仅供参考):王代表、李代表" in page  # older rows stay readable
    assert "乙代表" not in page and "老代表" not in page  # another town's, retired
    done = handling(client, url, lead_deputy="wang", cosigners=["li"], tier="重大")
    assert done.status_code == 303
    chosen = deputy_suggestions.signers(world, suggestion_id)
    assert chosen["lead"]["code"] == "wang" and [d["code"] for d in chosen["cosigners"]] == ["li"]
    facts = client.get(url).get_data(as_text=True)
    assert "领衔代表:王丽 · 附议:李四" in facts and "领衔和附议代表" in facts  # the 记录


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"lead_deputy": "nobody"}, "没有编码为 nobody 的代表"),
        ({"lead_deputy": "yi"}, "乙代表是乙镇的代表,不能领衔或附议甲镇的建议"),
        ({"lead_deputy": "wang", "cosigners": ["old"]}, "老代表已经离任,不能再领衔或附议建议"),
        ({"lead_deputy": "wang", "cosigners": ["wang"]}, "领衔代表不用再选为附议代表"),
    ],
)
def test_a_bad_deputy_is_refused_and_nothing_of_the_save_is_stored(world, client, fields, message):
    suggestion_id = suggestions.create(world, JIA, [1], _fields(), DAYS)
    sign_in(client, "jia")
    url = f"/admin/suggestions/{suggestion_id}"
    refused = handling(client, url, tier="重大", progress="已联系村委", **fields)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and message in page
    assert "已联系村委" in page  # what was typed stays
    row = world["suggestions"].get(suggestion_id)
    assert row["tier"] == "一般" and not list(world["suggestion_notes"].rows)
    assert deputy_suggestions.signers(world, suggestion_id)["lead"] is None


def _fields() -> dict:
    return {"title": TITLE, "body": "路灯", "category": "cityscape", "tier": "一般"}


def test_a_deputy_proposes_from_what_they_see_and_the_clerk_finds_it_to_hand_over(
    world, client, app
):
    sign_in(client, "wl")
    form = client.get("/admin/deputy/suggestions/new").get_data(as_text=True)
    assert "六龙村村口的路灯坏了三个月" in form and "大塘村的桥有裂缝" not in form
    data = {"csrf_token": csrf_of(form), "title": "", "body": "", "category": ""}
    empty = client.post("/admin/deputy/suggestions/new", data={**data, "title": "路灯问题"})
    text = empty.get_data(as_text=True)
    assert empty.status_code == 400 and "请至少勾选一条意见" in text and 'value="路灯问题"' in text
    hidden = client.post("/admin/deputy/suggestions/new", data={**data, "ids": ["1", "3"]})
    assert hidden.status_code == 400 and "意见 #3 已经处理过(或不在您能看到的范围内)" in (
        hidden.get_data(as_text=True)
    )
    assert not list(world["suggestions"].rows)
    made = client.post("/admin/deputy/suggestions/new", data={**data, "ids": ["1", "2"]})
    assert made.status_code == 303
    row = next(world["suggestions"].rows)
    assert (row["status"], row["town"], row["title"]) == ("待交办", "甲镇", TITLE)
    assert deputy_suggestions.signers(world, row["id"])["lead"]["code"] == "wang"
    mine = client.get(made.headers["Location"]).get_data(as_text=True)
    assert "已提出,等待镇人大交办" in mine and "领衔:王丽" in mine
    again = client.post("/admin/deputy/suggestions/new", data={**data, "ids": ["1"]})
    assert again.status_code == 400 and "已经处理过" in again.get_data(as_text=True)
    clerk = app.test_client()
    sign_in(clerk, "jia")
    listing = clerk.get("/admin/suggestions/?status=待交办").get_data(as_text=True)
    assert row["number"] in listing


def test_a_proposing_deputy_asks_deputies_of_their_town_to_co_sign(world, client):
    sign_in(client, "wl")
    form = client.get("/admin/deputy/suggestions/new").get_data(as_text=True)
    offered = re.findall(r'name="cosign" value="(\w+)"', form)
    assert offered == ["li"]  # not wang (the lead), the retired deputy, or 乙镇's
    data = {"csrf_token": csrf_of(form), "title": "", "body": "", "category": "", "ids": ["1"]}
    for codes, says in (
        (["li", "old"], "老代表已经离任,不能再领衔或附议建议"),
        (["yi"], "乙代表是乙镇的代表,不能领衔或附议甲镇的建议"),
        (["wang"], "您是领衔代表,不用再选自己为附议代表"),
        (["nobody"], "没有编码为 nobody 的代表"),
    ):
        refused = client.post("/admin/deputy/suggestions/new", data={**data, "cosign": codes})
        page = refused.get_data(as_text=True)
        assert refused.status_code == 400 and says in page, codes
        assert 'value="1" checked' in page
        assert not list(world["suggestions"].rows) and not list(world["suggestion_deputies"].rows)
    made = client.post("/admin/deputy/suggestions/new", data={**data, "cosign": ["li", "li"]})
    assert made.status_code == 303
    row = next(world["suggestions"].rows)
    suggestion_id, number = row["id"], row["number"]
    chosen = deputy_suggestions.signers(world, suggestion_id)
    assert chosen["lead"]["code"] == "wang"
    assert [d["code"] for d in chosen["cosigners"]] == ["li"]
    assert "领衔:王丽 · 附议:李四" in client.get(made.headers["Location"]).get_data(as_text=True)
    li = client.application.test_client()
    sign_in(li, "ls")
    assert number in li.get("/admin/deputy/suggestions/").get_data(as_text=True)
    assert li.get(f"/admin/deputy/suggestions/{suggestion_id}").status_code == 200


def test_a_deputy_can_neither_close_nor_change_the_department(world, client):
    suggestion_id = deputy_suggestions.propose(
        world, deputy_access(world, "wang", "wl"), [1], _fields(), DAYS
    )
    wang = deputy_access(world, "wang", "wl")
    with pytest.raises(suggestions.Missing):
        suggestions.advance(world, wang, suggestion_id, "待交办")
    with pytest.raises(suggestions.Missing):
        suggestions.update(world, wang, suggestion_id, {"tier": "微事"}, department="镇城建办")
    with pytest.raises(suggestions.SuggestionError):
        handover.hand_over(world, wang, [suggestion_id], "镇城建办")
    with pytest.raises(deputy_suggestions.Missing):
        deputy_suggestions.set_signers_in(world, wang, {"id": suggestion_id}, "", [])
    row = world["suggestions"].get(suggestion_id)
    assert (row["status"], row["department_id"], row["tier"]) == ("待交办", None, "一般")
    sign_in(client, "wl")
    url = f"/admin/suggestions/{suggestion_id}"
    assert client.get(url).status_code == 404
    page = client.get(f"/admin/deputy/suggestions/{suggestion_id}").get_data(as_text=True)
    post = {"csrf_token": csrf_of(page), "expected": "待交办", "then": "advance"}
    for path in ("/handling", "/advance"):
        assert client.post(url + path, data={**post, "answer": "已修好"}).status_code == 404
    assert world["suggestions"].get(suggestion_id)["status"] == "待交办"


def _close(db, suggestion_id: int) -> None:
    db.execute(
        "update suggestions set status = '已办结', closed_at = '2026-03-20T10:00:00+08:00', "
        "answer = '路灯已修好', result_class = 'A' where id = ?",
        [suggestion_id],
    )
    db.conn.commit()


def test_only_the_lead_gives_a_verdict_once_the_answer_is_accepted(world, client, app):
    wang = deputy_access(world, "wang", "wl")
    suggestion_id = deputy_suggestions.propose(world, wang, [1, 2], _fields(), DAYS)
    deputy_suggestions.set_signers_in(
        world, JIA, world["suggestions"].get(suggestion_id), "wang", ["li"]
    )
    world.conn.commit()
    sign_in(client, "wl")
    url = f"/admin/deputy/suggestions/{suggestion_id}"
    token = csrf_of(client.get("/admin/deputy/suggestions/").get_data(as_text=True))
    early = client.post(url + "/verdict", data={"csrf_token": token, "verdict": "满意"})
    assert early.status_code == 400 and "建议办结后,才能填写代表意见" in shown_text(early)
    _close(world, suggestion_id)
    page = client.get(url).get_data(as_text=True)
    assert "路灯已修好" in page and "A 类" in page and "代表意见征询表" in page
    cosigner = app.test_client()
    sign_in(cosigner, "ls")
    seen = cosigner.get(url).get_data(as_text=True)
    assert "代表意见征询表由领衔代表填写" in seen and 'id="verdict-form"' not in seen
    refused = cosigner.post(url + "/verdict", data={"csrf_token": csrf_of(seen), "verdict": "满意"})
    assert refused.status_code == 400 and "附议代表可以查看办理情况" in shown_text(refused)
    blank = client.post(url + "/verdict", data={"csrf_token": token, "verdict": "不满意"})
    assert blank.status_code == 400 and "选“不满意”时,请写明哪里不满意" in shown_text(blank)
    odd = client.post(
        url + "/verdict", data={"csrf_token": token, "verdict": "还行", "comment": "路灯亮了"}
    )
    assert odd.status_code == 400 and "路灯亮了" in odd.get_data(as_text=True)
    assert not list(world["deputy_verdicts"].rows)
    given = client.post(
        url + "/verdict", data={"csrf_token": token, "verdict": "基本满意", "comment": "还差一盏"}
    )
    assert given.status_code == 303
    assert "您的代表意见:基本满意。还差一盏" in shown_text(client.get(url))
    twice = client.post(url + "/verdict", data={"csrf_token": token, "verdict": "满意"})
    assert twice.status_code == 409 and "已经对这次答复填写过意见" in twice.get_data(as_text=True)
    assert [v["verdict"] for v in world["deputy_verdicts"].rows] == ["基本满意"]

    assert "领衔代表意见:基本满意" in shown_text(cosigner.get(url))
    clerk = app.test_client()
    sign_in(clerk, "jia")
    shown = clerk.get(f"/admin/suggestions/{suggestion_id}").get_data(as_text=True)
    assert "领衔代表意见(王丽):基本满意。还差一盏" in re.sub(r"<[^>]+>", "", shown)
    deputies.retire(world, "wang")
    assert client.get(url).status_code == 404  # a retired deputy's account reads nothing more
