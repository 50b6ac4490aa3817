"""Similarity where clerks meet it: `feedback similar`, the opinion page, the groups page."""

import json
import re

import pytest

from feedback import users
from tests.conftest import sign_in

OPINIONS = [
    (1, "村口路灯坏了三个月,晚上走路看不见"),
    (1, "我们村路口的灯一直不亮,黑灯瞎火的"),
    (2, "大塘村油烟扰民,饭店排烟直对窗户"),
    (1, "六龙村油烟扰民,烧烤摊天天冒烟"),
    (1, "村口的路灯晚上不亮,老人摔了一跤"),
    (3, "乙镇路灯坏了没人修"),
]


def group_cards(page: str) -> list[str]:
    """The members' part of each group card of the groups page (cards of a single opinion,
    and the candidates offered beside a group, left out)."""
    cards = page.split('class="card group"')[1:]
    return [
        card.split('<ul class="members">')[1].split("</ul>")[0]
        for card in cards
        if "相似度" in card.split("</h2>")[0]
    ]


@pytest.fixture
def town(db, two_town_stations):
    for n, (station, body) in enumerate(OPINIONS, start=1):
        db["opinions"].insert(
            {
                "receipt": f"DDDDDDD{'23456789'[n]}",
                "station_id": station,
                "body": body,
                "category": "other",
                "created_at": f"2026-03-0{n}T09:00:00+08:00",
            }
        )
    users.add(db, "jia", "correct horse", "clerk", "甲镇")


def test_similar_command_finds_the_same_problem_in_the_same_town(runner, town):
    result = runner.invoke(args=["similar", "1", "--json", "--limit", "3"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert set(found[0]) == {"id", "score", "body"}
    ids = [row["id"] for row in found]
    assert set(ids[:2]) == {2, 5}
    assert 6 not in ids  # another town
    assert found[0]["score"] >= found[-1]["score"]
    text = runner.invoke(args=["similar", "1"]).output
    assert "我们村路口的灯一直不亮" in text
    missing = runner.invoke(args=["similar", "999"])
    assert missing.exit_code != 0 and "no opinion with id 999" in missing.output


def test_groups_command_lists_the_groups_the_page_shows(client, runner, town):
    result = runner.invoke(args=["groups", "--town", "甲镇", "--json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found[0]["ids"] == [1, 2, 5] and 0 < found[0]["score"] <= 1
    assert all(3 not in g["ids"] or 4 not in g["ids"] for g in found)  # 大塘村 vs 六龙村
    assert all(6 not in g["ids"] for g in found)  # another town
    sign_in(client, "jia")
    page = client.get("/admin/groups").get_data(as_text=True)
    shown = [
        sorted(int(i) for i in re.findall(r'name="ids" value="(\d+)"', card))
        for card in group_cards(page)
    ]
    assert shown == [g["ids"] for g in found]
    assert f"相似度 {found[0]['score']:.2f}" in page
    text = runner.invoke(args=["groups", "--town", "甲镇"]).output
    assert "Group 1: 3 opinions" in text and "我们村路口的灯一直不亮" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["groups", "--town", "甲鎮"], "unknown town '甲鎮' (known: 乙镇, 甲镇)"),
        (["groups"], "Missing option '--town'"),
    ],
)
def test_groups_command_names_a_bad_town(runner, town, args, message):
    result = runner.invoke(args=args)
    assert result.exit_code == 2 and message in result.output


def test_groups_command_says_when_there_is_nothing_to_group(runner, db, two_town_stations):
    result = runner.invoke(args=["groups", "--town", "乙镇"])
    assert result.exit_code == 0 and "No groups among the pending opinions of 乙镇" in result.output
    assert json.loads(runner.invoke(args=["groups", "--town", "乙镇", "--json"]).stdout) == []


def test_same_complaint_at_another_village_is_not_grouped(client, town):
    sign_in(client, "jia")
    page = client.get("/admin/groups").get_data(as_text=True)
    groups = group_cards(page)
    lamp = next(g for g in groups if "#1<" in g)
    assert "#2<" in lamp and "#5<" in lamp and "油烟" not in lamp
    assert not any("#3<" in g and "#4<" in g for g in groups)  # 大塘村 vs 六龙村
    assert "乙镇路灯" not in page


def test_opinion_page_lists_similar_opinions_with_a_figure(client, town):
    sign_in(client, "jia")
    page = client.get("/admin/opinions/1").get_data(as_text=True)
    table = page.split('id="similar"')[1].split("</table>")[0]
    assert "我们村路口的灯一直不亮" in table and "%" in table
    assert "乙镇" not in table and "正在准备" not in table
    row = next(r for r in table.split("<tr>") if "我们村路口的灯一直不亮" in r)
    assert "为什么相似" in table and "路灯 ≈ 灯" in row and "同一地点" in row


@pytest.mark.parametrize(
    ("a", "b", "shown", "not_shown"),
    [
        (
            ("村口路灯坏了三个月,晚上走路看不见", "六龙村"),
            ("我们村路口的灯一直不亮,黑灯瞎火的", "六龙村"),
            ["说法相近", "路灯 ≈ 灯", "坏 ≈ 不亮", "同一地点:六龙村"],
            ["地点不同"],
        ),
        (
            ("六龙村油烟扰民,烧烤摊天天冒烟", ""),
            ("大塘村油烟扰民,饭店排烟直对窗户", ""),
            ["扰民", "油烟", "地点不同:六龙村 / 大塘村"],
            ["同一地点"],
        ),
        (("幸福路的街灯坏了", ""), ("幸福路路等不亮", ""), ["街灯 ≈ 路等", "同一地点:幸福路"], []),
    ],
)
def test_the_reasons_name_the_shared_words_and_the_places(a, b, shown, not_shown):
    from feedback.similarity_reasons import reasons

    text = reasons(a[0], a[1], b[0], b[1]).text()
    assert all(s in text for s in shown), text
    assert not any(s in text for s in not_shown), text


def test_opinion_page_does_not_wait_for_a_warming_index(app, client, town):
    """While a worker's warm-up builds the town's index the page answers at once and says so;
    once built, the similar opinions are there."""
    from feedback import similarity_index

    sign_in(client, "jia")
    lock = similarity_index._lock((app.config["FEEDBACK_DATABASE"], "甲镇"))
    with lock:  # the warm-up thread holds it while building
        page = client.get("/admin/opinions/1").get_data(as_text=True)
    assert "相似意见正在准备" in page and "本镇没有相似的意见" not in page
    page = client.get("/admin/opinions/1").get_data(as_text=True)
    assert "相似意见正在准备" not in page and "我们村路口的灯一直不亮" in page


def test_once_opinions_have_vectors_similar_finds_a_paraphrase_that_shares_no_word(
    client, runner, db, two_town_stations
):
    """养殖场的气味太大了 says what 猪场臭得不行 says in other words: the lexical engine alone
    does not find it; after the embedder has run, `feedback similar` and the opinion page do,
    while the unrelated lamp stays out and another town stays out."""
    from feedback import town_vectors, vectors

    bodies = [
        (1, "猪场臭得不行,夏天根本没法开窗"),
        (1, "养殖场的气味太大了,熏得人头疼"),
        (1, "村里的路灯坏了"),
        (3, "乙镇的养殖场气味太大了"),
    ]
    for n, (station, body) in enumerate(bodies, start=1):
        db["opinions"].insert(
            {
                "receipt": f"SEMANTI{'23456789'[n]}",
                "station_id": station,
                "body": body,
                "category": "other",
                "created_at": f"2026-03-0{n}T09:00:00+08:00",
            }
        )
    users.add(db, "jia", "correct horse", "clerk", "甲镇")

    def similar_ids() -> list[int]:
        result = runner.invoke(args=["similar", "1", "--json"])
        assert result.exit_code == 0, result.output
        return [row["id"] for row in json.loads(result.stdout)]

    assert 2 not in similar_ids()  # words alone: nothing in common
    assert vectors.backfill(db) == 4
    town_vectors._entries.clear()
    found = similar_ids()
    assert found[:1] == [2] and 3 not in found and 4 not in found
    sign_in(client, "jia")
    page = client.get("/admin/opinions/1").get_data(as_text=True)
    table = page.split('id="similar"')[1].split("</table>")[0]
    assert "养殖场的气味太大了" in table and "路灯" not in table


def test_an_opinion_left_at_other_gets_a_category_suggested_and_accepted_in_one_click(
    client, db, two_town_stations
):
    """Opinions like it in meaning were filed under 污染防治: once vectors exist, the page
    suggests it, one click files it, and the suggestion is gone."""
    from feedback import town_vectors, vectors
    from tests.conftest import csrf_of

    bodies = [
        ("pollution", "养猪场的粪水直接排进河里,河水发臭"),
        ("pollution", "猪场臭气熏天,窗户都不敢开"),
        ("pollution", "养殖场的污水流到田里了"),
        ("rural", "村里想搞农家乐,缺少技术指导"),
        ("other", "猪圈的味道太大了,熏得人头疼"),
    ]
    for n, (category, body) in enumerate(bodies, start=1):
        db["opinions"].insert(
            {
                "receipt": f"CATEGOR{'23456789'[n]}",
                "station_id": 1,
                "body": body,
                "category": category,
                "created_at": f"2026-03-0{n}T09:00:00+08:00",
            }
        )
    users.add(db, "jia", "correct horse", "clerk", "甲镇")
    sign_in(client, "jia")
    assert 'id="category-hint"' not in client.get("/admin/opinions/5").get_data(as_text=True)
    vectors.backfill(db)
    town_vectors._entries.clear()
    page = client.get("/admin/opinions/5").get_data(as_text=True)
    hint = page.split('id="category-hint"')[1].split("</form>")[0]
    assert "建议类别:<strong>污染防治</strong>" in hint and 'value="pollution"' in hint
    response = client.post(
        "/admin/opinions/5/category", data={"csrf_token": csrf_of(page), "c-category": "pollution"}
    )
    assert response.status_code == 303
    assert db["opinions"].get(5)["category"] == "pollution"
    assert 'id="category-hint"' not in client.get("/admin/opinions/5").get_data(as_text=True)


def test_once_opinions_have_vectors_groups_join_paraphrases_that_share_no_word(
    client, runner, db, two_town_stations
):
    """Three villagers of 六龙村 on the pig farm's smell, in words they do not share: the
    lexical engine cannot group them; once the embedder has run, `feedback groups` and the
    groups page offer them as one group, without the lamp, the same smell named at 大塘村, or
    the other town."""
    from feedback import town_vectors, vectors

    bodies = [
        (1, "六龙村猪场臭得不行,夏天根本没法开窗"),
        (1, "养殖场的气味太大了,熏得人头疼"),
        (1, "猪圈那边的味道一阵阵飘过来,受不了"),
        (1, "村里的路灯坏了,晚上黑漆漆的"),
        (2, "大塘村的养猪场臭气熏天"),
        (3, "乙镇的养殖场气味太大了"),
    ]
    for n, (station, body) in enumerate(bodies, start=1):
        db["opinions"].insert(
            {
                "receipt": f"GROUPME{'23456789'[n]}",
                "station_id": station,
                "body": body,
                "category": "other",
                "created_at": f"2026-03-0{n}T09:00:00+08:00",
            }
        )
    users.add(db, "jia", "correct horse", "clerk", "甲镇")

    def groups() -> list[list[int]]:
        result = runner.invoke(args=["groups", "--town", "甲镇", "--json"])
        assert result.exit_code == 0, result.output
        return [g["ids"] for g in json.loads(result.stdout)]

    assert [1, 2, 3] not in groups()  # words alone
    assert vectors.backfill(db) == 6
    town_vectors._entries.clear()
    assert groups() == [[1, 2, 3]]
    sign_in(client, "jia")
    page = client.get("/admin/groups").get_data(as_text=True)
    cards = group_cards(page)
    assert len(cards) == 1 and "养殖场的气味太大了" in cards[0] and "路灯" not in cards[0]
