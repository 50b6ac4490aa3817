"""feedback.semantic_groups' fast paths give exactly what the straightforward ones give: the
top k of nearest() bounded by slab maxima against a stable sort of every row, and the groups
with the pairs of the next joins scored ahead (a forecast) against scoring each join's pairs
when it is tried. (Speed: bench/similarity_speed.py --diverse.)"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from feedback import semantic, semantic_groups, vectors
from feedback.clerk_memory import Memory
from feedback.similarity import SimilarityIndex

DATA = Path(__file__).parent / "data" / "similar_opinions.json"
VILLAGES = ["新华社区", "六龙村", "大塘村", "石桥村"]
OPENERS = ["", "", "反映一下，", "领导好，"]
CLOSERS = ["", "", "，希望尽快解决", "，好几个月了"]


def _stable_nearest(matrix: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's k best others by a stable sort of the whole row: ties to the lower index."""
    full = matrix @ matrix.T
    np.fill_diagonal(full, -np.inf)
    k = min(k, len(matrix) - 1)
    order = np.argsort(-full, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(full, order, axis=1)


@pytest.mark.parametrize("m", [2, 3, 11, 40, 700, 1500])
@pytest.mark.parametrize("ties", [False, True])
def test_nearest_is_a_stable_sort_of_every_row(m: int, ties: bool) -> None:
    rng = np.random.default_rng(m)
    matrix = rng.standard_normal((m, 16)).astype(np.float32) + 0.5
    if ties:  # identical rows, as the same text at another village has
        matrix = np.round(matrix)
        matrix[m // 2 :] = matrix[: m - m // 2]
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    found, cosines = semantic_groups.nearest(matrix, 10)
    expected, expected_cosines = _stable_nearest(matrix, 10)
    assert np.array_equal(found, expected)
    assert np.array_equal(cosines, expected_cosines)


def _town(n: int = 400) -> tuple[list[int], list[semantic.Doc], np.ndarray, semantic.Idf, dict]:
    """n opinions of one town from the labelled texts, at their own and other villages, with
    openers, closers and copies; made-up vectors (a direction per kind of problem and per
    topic, int8 like the stored ones), the same for the same text."""
    rng = random.Random(3)
    labelled = json.loads(DATA.read_text(encoding="utf-8"))
    rows = []
    for i in range(1, n + 1):
        opinion = rng.choice(labelled)
        if rows and rng.random() < 0.1:  # a copied complaint
            rows.append((i, *rows[-1][1:]))
            continue
        village = rng.choice([opinion["station_village"], *VILLAGES])
        body = rng.choice(OPENERS) + opinion["body"] + rng.choice(CLOSERS)
        rows.append((i, body, village, opinion["topic"]))
    vec = np.random.default_rng(5)
    common = vec.standard_normal(vectors.DIM)
    direction: dict[str, np.ndarray] = {}
    text_vector: dict[str, np.ndarray] = {}
    for _i, body, _village, topic in rows:
        for key in (topic, topic.split("-")[0]):
            direction.setdefault(key, vec.standard_normal(vectors.DIM))
        if body not in text_vector:
            v = 2.2 * common + direction[topic.split("-")[0]] + 0.5 * direction[topic]
            text_vector[body] = v + 0.3 * vec.standard_normal(vectors.DIM)
    matrix = np.stack([text_vector[body] for _i, body, _v, _t in rows])
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    matrix = vectors.dequantise(vectors.quantise(matrix)).astype(np.float32)
    index = SimilarityIndex.from_rows((i, body, village) for i, body, village, _t in rows)
    idf = semantic.idf_from(len(index), index.text_frequency)
    known = index.known_places()
    docs = [semantic.doc(i, body, village, known) for i, body, village, _t in rows]
    topics = {i: topic for i, _b, _v, topic in rows}
    return [i for i, *_rest in rows], docs, matrix, idf, topics


@pytest.fixture(scope="module")
def town() -> tuple:
    return _town()


def _straightforward(monkeypatch: pytest.MonkeyPatch, *arguments) -> list:
    """The grouping with each join's pairs scored when it is tried (no forecast), in odd
    small batches, and the nearest neighbours by a stable sort of every row."""
    with monkeypatch.context() as patched:
        patched.setattr(semantic_groups, "AHEAD", 1)
        patched.setattr(semantic_groups, "CHUNK", 7)
        patched.setattr(semantic_groups, "nearest", _stable_nearest)
        return semantic_groups.group(*arguments)


def test_the_forecast_gives_exactly_the_straightforward_groups(
    town: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids, docs, matrix, idf, topics = town
    found = semantic_groups.group(ids, docs, matrix, idf)
    assert found == _straightforward(monkeypatch, ids, docs, matrix, idf)
    assert len(found) >= 20 and max(len(members) for members, _ in found) >= 8
    pure = sum(len({topics[i] for i in members}) == 1 for members, _ in found)
    assert pure >= 0.8 * len(found)  # the made-up town groups by topic, so the test bites


def test_the_forecast_gives_exactly_the_straightforward_groups_with_clerk_memory(
    town: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the clerks taught (their merges and a split) changes scores, not this."""
    ids, docs, matrix, idf, topics = town
    by_topic: dict[str, list[int]] = {}
    for n, i in enumerate(ids):
        by_topic.setdefault(topics[i], []).append(n)
    merged = [matrix[rows[:4]] for rows in list(by_topic.values())[:6] if len(rows) >= 4]
    memory = Memory.build(merged, [(matrix[next(iter(by_topic.values()))[-1]], 1)])
    found = semantic_groups.group(ids, docs, matrix, idf, memory)
    assert found == _straightforward(monkeypatch, ids, docs, matrix, idf, memory)
    assert found != semantic_groups.group(ids, docs, matrix, idf)
