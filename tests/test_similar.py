"""Similarity quality on the labelled set in tests/data, grouping at scale, stored copies.
(Speed is measured in bench/similarity_speed.py.)

The labelled set is written the way villagers write (dialect, typos, one-liners next to long
complaints) and holds look-alike topics: the same kind of problem at another place
("lamp-xingfu-road" / "lamp-jiefang-road"), which a clerk must never see grouped. Figures are
printed (run with -s) because they are the product's quality report, and asserted with margins
so that a change to the lexicon or the place rules that makes them worse fails here.
"""

from __future__ import annotations

import json
import random
import statistics
from collections import Counter
from pathlib import Path

import pytest

from feedback import similarity_groups, similarity_store
from feedback.similarity import GROUP_THRESHOLD, SimilarityIndex, extract_places, normalise
from feedback.similarity_store import STORE_FORMAT

DATA = Path(__file__).parent / "data" / "similar_opinions.json"


def _kind(topic: str) -> str:
    """The kind of problem: "lamp-xingfu-road" and "lamp-liulong" are both lamps."""
    return topic.split("-")[0]


@pytest.fixture(scope="module")
def labelled() -> list[dict]:
    return json.loads(DATA.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def index(labelled: list[dict]) -> SimilarityIndex:
    return SimilarityIndex.from_rows(
        {"id": o["id"], "body": o["body"], "village": o["station_village"]} for o in labelled
    )


def test_labelled_set_is_what_the_brief_asks(labelled: list[dict]) -> None:
    topics = Counter(o["topic"] for o in labelled)
    assert len(labelled) >= 90 and len(topics) >= 16
    assert len({o["id"] for o in labelled}) == len(labelled)
    lookalike_kinds = {
        kind for kind in map(_kind, topics) if len({t for t in topics if _kind(t) == kind}) > 1
    }
    assert len(lookalike_kinds) >= 8


def test_recall_and_lookalikes(labelled: list[dict], index: SimilarityIndex) -> None:
    """Recall of topic-mates in the top 5, and how often another place's look-alike wins.

    The look-alike rate counts (query, topic-mate, look-alike) triples where the look-alike
    (same kind of problem, other topic, i.e. another place) scores above the true mate.
    """
    topic = {o["id"]: o["topic"] for o in labelled}
    recalls: list[float] = []
    worse = triples = 0
    for query in topic:
        mates = [o for o in topic if o != query and topic[o] == topic[query]]
        if not mates:
            continue
        top = [doc for doc, _ in index.similar(query, limit=5)]
        recalls.append(len(set(top) & set(mates)) / min(5, len(mates)))
        lookalikes = [
            o for o in topic if topic[o] != topic[query] and _kind(topic[o]) == _kind(topic[query])
        ]
        for mate in mates:
            mate_score = index.score(query, mate)
            for other in lookalikes:
                triples += 1
                worse += index.score(query, other) > mate_score
    recall = statistics.mean(recalls)
    lookalike_rate = worse / triples
    print(
        f"\nsimilarity: recall of topic-mates in top 5 = {recall:.3f} over {len(recalls)} "
        f"opinions; look-alike outranks a topic-mate in {lookalike_rate:.3f} of {triples} cases"
    )
    # Measured 0.965 and 0.010 (bigrams alone: 0.42 and 0.29); margins leave room for new
    # data, not for a broken lexicon or place rule.
    assert recall >= 0.85
    assert lookalike_rate <= 0.05


def test_village_lamp_paraphrase_is_similar(index: SimilarityIndex) -> None:
    hits = index.similar(text="村口路灯坏了三个月", village="六龙村", limit=5)
    bodies = {doc: score for doc, score in hits}
    mate = _find(index, "我们村路口的灯一直不亮")
    assert mate in bodies, hits
    assert bodies[mate] >= GROUP_THRESHOLD


def test_same_complaint_in_two_villages_is_not_grouped() -> None:
    idx = SimilarityIndex.from_rows(
        [
            (1, "六龙村油烟扰民", "六龙村"),
            (2, "大塘村油烟扰民", "大塘村"),
            (3, "油烟扰民，饭店天天排油烟", "六龙村"),
            (4, "油烟扰民", "大塘村"),
        ]
    )
    assert idx.score(1, 2) < GROUP_THRESHOLD
    assert idx.score(1, 3) > idx.score(1, 2)
    assert idx.score(2, 4) > idx.score(2, 1)
    for group in similarity_groups.group(idx, [1, 2, 3, 4], GROUP_THRESHOLD):
        assert not {1, 2} <= set(group)
    # Without a place in the text, the station's village decides.
    assert idx.score(3, 1) > idx.score(3, 4)


def test_places_are_read_from_the_text() -> None:
    places, _ = extract_places(normalise("反映一下幸福路那边晚上一片漆黑，看不见路"))
    assert places == {"幸福路"}
    places, _ = extract_places(normalise("红星村五组的土坯房快塌了"))
    assert places == {"红星村", "五组"}
    places, _ = extract_places(normalise("我们村路口的灯一直不亮，村口路灯也坏了"))
    assert places == set()
    places, _ = extract_places(normalise("那坡屯进屯的路全是坑"))
    assert places == {"那坡屯"}


@pytest.mark.parametrize(
    ("text", "places"),
    [
        ("高枧五队的水沟里扔了好多农药瓶", {"五队"}),  # groups by number: 组, 社, 队
        ("黄泥村一社的自来水发黄", {"黄泥村", "一社"}),
        ("岩背小冲的电压太低", {"小冲"}),  # natural villages by position or size
        ("下寨的水沟被牛粪堵死了", {"下寨"}),
        ("青冈村杨梅湾那个弯道堆了碎石", {"青冈村", "杨梅湾"}),
        ("老街赶圩把路占满了", {"老街"}),
        ("麻烦村委提醒一下养牛户", set()),  # the village's committee, not a village
        ("牛不要放到马路上", set()),  # a generic road
        ("三轮车停在路中间卖", set()),  # a verb before 路
        ("建议把新街的摊子挪走", {"新街"}),
        ("我上街买菜看见的", set()),
        ("山上寨子里的人", set()),
    ],
)
def test_places_within_a_village_are_read_too(text: str, places: set[str]) -> None:
    assert extract_places(normalise(text))[0] == places


def test_two_places_within_one_village_are_two_problems() -> None:
    from feedback import semantic

    known = frozenset({("高枧", "高枧村")})
    wudui = semantic.doc(1, "高枧五队的水沟里扔了好多农药瓶", "高枧村", known)
    sandui = semantic.doc(2, "高枧三队田埂上到处是农药瓶子", "高枧村", known)
    also_wudui = semantic.doc(3, "五队田边的农药空瓶堆成一堆", "高枧村", known)
    village = semantic.doc(4, "高枧村农药瓶到处乱扔", "高枧村", known)
    assert semantic.place_factor(wudui, sandui) == semantic.PLACE_CONFLICT
    assert semantic.place_factor(wudui, also_wudui) == semantic.PLACE_SHARED
    assert semantic.place_factor(village, sandui) == semantic.PLACE_SHARED  # not said where


def test_groups_are_pure(labelled: list[dict], index: SimilarityIndex) -> None:
    """A group mixing topics would make a clerk merge two problems into one suggestion."""
    topic = {o["id"]: o["topic"] for o in labelled}
    groups = similarity_groups.group(index, list(topic), GROUP_THRESHOLD)
    grouped = sum(len(g) for g in groups)
    majority = sum(Counter(topic[i] for i in g).most_common(1)[0][1] for g in groups)
    mixed = [g for g in groups if len({topic[i] for i in g}) > 1]
    purity = majority / grouped
    mates = {(a, b) for a in topic for b in topic if a < b and topic[a] == topic[b]}
    group_of = {i: n for n, g in enumerate(groups) for i in g}
    together = sum(1 for a, b in mates if a in group_of and group_of[a] == group_of.get(b))
    print(
        f"\ngroups at {GROUP_THRESHOLD}: {len(groups)} groups, {grouped}/{len(topic)} opinions "
        f"grouped, purity {purity:.3f}, {len(mixed)} mixed, topic-mate pairs grouped together "
        f"{together / len(mates):.3f}"
    )
    assert purity >= 0.95
    assert grouped >= 0.8 * len(topic)


def test_remove_and_readd(index: SimilarityIndex) -> None:
    idx = SimilarityIndex.from_rows(
        [(1, "垃圾没人清运", "石桥村"), (2, "环卫车好久没来了", "石桥村")]
    )
    assert [doc for doc, _ in idx.similar(1)] == [2]
    idx.remove(2)
    assert idx.similar(1) == []
    idx.add(2, "垃圾堆成山了", "石桥村")
    idx.compact()
    assert [doc for doc, _ in idx.similar(1)] == [2]
    assert len(idx) == 2


def test_among_restricts_answers() -> None:
    idx = SimilarityIndex.from_rows(
        [
            (1, "垃圾没人清运", "石桥村"),
            (2, "环卫车好久没来了", "石桥村"),
            (3, "垃圾堆成山了", "石桥村"),
        ]
    )
    assert {doc for doc, _ in idx.similar(1)} == {2, 3}
    assert [doc for doc, _ in idx.similar(1, among={3})] == [3]
    assert similarity_groups.group(idx, [1, 2, 3]) == [[1, 2, 3]]


def _find(index: SimilarityIndex, body: str) -> int:
    labelled = json.loads(DATA.read_text(encoding="utf-8"))
    return next(o["id"] for o in labelled if o["body"] == body)


# --- Grouping many near-duplicates -----------------------------------------------------------
_LAMP = ["{v}的路灯坏了好久", "{v}路灯晚上不亮", "{v}村口的灯一直不亮,黑灯瞎火"]
_GARBAGE = ["{v}垃圾没人清运", "{v}垃圾堆成山了没人拉", "{v}环卫车好久没来收垃圾"]
_FILLERS = ["", ",希望尽快解决", ",好几个月了", ",老人小孩都怕", ",请领导重视"]


def _near_duplicates(n: int) -> list[tuple[int, str, str]]:
    """n opinions of two problems at two villages, each village named in the text."""
    rng = random.Random(5)
    rows = []
    for i in range(1, n + 1):
        village = rng.choice(["六龙村", "大塘村"])
        body = rng.choice(rng.choice([_LAMP, _GARBAGE])).format(v=village)
        rows.append((i, body + rng.choice(_FILLERS), village))
    return rows


def test_near_duplicates_are_grouped_without_scoring_every_pair(monkeypatch) -> None:
    """1,200 near-duplicates: four problems-at-a-place, grouped purely and nearly all, while
    the pairs scored grow with the opinions, not with their square (720,000 pairs)."""
    rows = _near_duplicates(1200)
    idx = SimilarityIndex.from_rows(rows)
    kind = {i: ("lamp" if "灯" in body else "garbage", village) for i, body, village in rows}
    scored = 0
    real_dot = similarity_groups._dot

    def counting_dot(a, b):
        nonlocal scored
        scored += 1
        return real_dot(a, b)

    monkeypatch.setattr(similarity_groups, "_dot", counting_dot)
    groups = similarity_groups.group(idx, list(kind))
    assert scored < 40 * len(rows)
    assert all(len({kind[i] for i in group}) == 1 for group in groups)  # never mixed
    assert sum(len(g) for g in groups) >= 0.95 * len(rows)
    assert len(groups) <= 8  # four problems-at-a-place, not hundreds of crumbs


def test_groups_are_the_same_as_scoring_every_pair_on_the_labelled_set(
    labelled: list[dict], index: SimilarityIndex
) -> None:
    """On the labelled set the nearest-neighbour grouping finds exactly what average linkage
    over every pair found (what groups() did before)."""
    ids = [o["id"] for o in labelled]
    expected = _all_pairs_groups(index, ids)
    assert similarity_groups.group(index, ids) == expected
    assert len(expected) >= 30


def _all_pairs_groups(index: SimilarityIndex, ids: list[int]) -> list[list[int]]:
    """Average linkage over the exact score of every pair, strongest pair first."""
    scores = {
        (a, b): index.score(a, b) for a in ids for b in ids if a < b and index.score(a, b) > 0
    }
    group_of = {i: [i] for i in ids}

    def conflict(a: int, b: int) -> bool:
        places_a, places_b = index._places(index._slot[a]), index._places(index._slot[b])
        return bool(places_a and places_b and not places_a & places_b)

    for (a, b), score in sorted(scores.items(), key=lambda item: -item[1]):
        if score < GROUP_THRESHOLD:
            break
        ga, gb = group_of[a], group_of[b]
        if ga is gb or any(conflict(x, y) for x in ga for y in gb):
            continue
        pairs = [(min(x, y), max(x, y)) for x in ga for y in gb]
        if sum(scores.get(p, 0.0) for p in pairs) / len(pairs) >= GROUP_THRESHOLD:
            ga.extend(gb)
            for i in gb:
                group_of[i] = ga
    found = {id(g): sorted(g) for g in group_of.values() if len(g) > 1}
    return sorted(found.values(), key=lambda g: (-len(g), g[0]))


# --- Stored copies -------------------------------------------------------------------------------
def test_a_dumped_index_loads_back_the_same(labelled: list[dict]) -> None:
    idx = SimilarityIndex.from_rows(
        {"id": o["id"], "body": o["body"], "village": o["station_village"]} for o in labelled
    )
    first = labelled[0]["id"]
    idx.remove(first)
    idx.add(first, "村口路灯坏了三个月", "六龙村")  # a re-added opinion takes a new slot
    data = similarity_store.dump(idx, {"town": "甲镇", "last_id": 7})
    assert data.startswith(similarity_store.MAGIC)
    back, meta = similarity_store.load(data)
    assert meta == {"town": "甲镇", "last_id": 7}
    assert len(back) == len(idx) and first in back
    for o in labelled[:20]:
        assert back.similar(o["id"]) == idx.similar(o["id"])
    ids = [o["id"] for o in labelled]
    assert similarity_groups.group(back, ids) == similarity_groups.group(idx, ids)
    assert back.text_frequency("六龙") == idx.text_frequency("六龙") > 0
    back.add(10_000, "垃圾没人清运", "六龙村")  # and it goes on growing
    assert 10_000 in back


def test_text_frequency_counts_whole_texts_places_included() -> None:
    """The bigram weights of feedback.semantic: place names count like any other words."""
    idx = SimilarityIndex.from_rows(
        [
            (1, "六龙村垃圾没人清运", "六龙村"),
            (2, "六龙村的路灯坏了", "六龙村"),
            (3, "路灯坏了", ""),
        ]
    )
    assert idx.text_frequency("六龙") == 2 and idx.text_frequency("路灯") == 2
    assert idx.text_frequency("垃圾") == 1 and idx.text_frequency("大塘") == 0
    assert idx.document_frequency("六龙") == 0  # the engine's content features leave places out


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[:-3],
        lambda data: data[:-1] + bytes([data[-1] ^ 1]),
        lambda data: b"\x80\x04" + data[2:],
        lambda data: data.replace(b'"format": %d' % STORE_FORMAT, b'"format": 99'),
        lambda data: b"",
    ],
    ids=["truncated", "a-flipped-bit", "not-the-magic", "another-format", "empty"],
)
def test_a_damaged_copy_is_refused(damage) -> None:
    idx = SimilarityIndex.from_rows([(1, "垃圾没人清运", "石桥村"), (2, "路灯坏了", "石桥村")])
    with pytest.raises(similarity_store.StoreError):
        similarity_store.load(damage(similarity_store.dump(idx)))


LONG_WELL = (
    "我们村的饮用水井这半年来一直有问题,水打上来是浑的,烧开以后壶底一层黄泥,村里有好几户"
    "老人喝了拉肚子,去年就给村委会反映过,说是上面的养猪场排污渗下来的,到现在也没人来检测,"
    "请镇里派人来看看水质,给我们想想办法。"
)


def test_a_long_opinion_from_another_village_is_another_problem() -> None:
    """Long texts that name no place are told apart by their stations' villages as surely as
    short ones (the whole factor), while long messages from no station (a hotline's), whose
    bigrams carry the places they name, keep the factor faded."""
    from feedback import semantic

    idf = semantic.idf_from(100, lambda gram: 1)
    asked = semantic.doc(1, LONG_WELL, "桐木村")
    assert asked.length > semantic.FADE[1] and not asked.places
    there, here = semantic.scores(
        asked, [semantic.doc(2, LONG_WELL, "枣园村"), semantic.doc(3, LONG_WELL, "桐木村")],
        [0.93, 0.93], idf,
    )  # fmt: skip
    assert there == pytest.approx(here / semantic.SAME_VILLAGE * semantic.VILLAGE_CONFLICT)
    tongmu = semantic.doc(4, "桐木村" + LONG_WELL, "")
    zaoyuan = semantic.doc(5, "枣园村" + LONG_WELL, "")
    (apart,) = semantic.scores(tongmu, [zaoyuan], [0.93], idf)
    (same,) = semantic.scores(tongmu, [semantic.doc(6, "桐木村" + LONG_WELL, "")], [0.93], idf)
    assert apart > same * 0.9  # names differ, but in a long text the factor has faded
