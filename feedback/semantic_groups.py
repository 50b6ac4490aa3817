"""Grouping a town's pending opinions by the product's similarity (feedback.semantic): each
group likely one problem, for the clerk to merge with one click.

Average linkage, as the recipe was chosen with (bench/similarity.py, groups_from): the pairs
of each opinion with its nearest by embedding are tried best first, and two groups join when
the mean of their members' pair scores clears the threshold and no two of their opinions
name different places. Only nearest neighbours are tried, never every pair (10,000 pending
opinions would be 50 million pairs); the mean of two large groups is taken over a spread
sample of their members. The hubness of each opinion (feedback.semantic.csls) is measured
among the opinions being grouped, from the same nearest neighbours.

Pure functions of the docs and vectors handed in: no database, no Flask.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from feedback import semantic
from feedback.clerk_memory import Memory
from feedback.semantic import Doc, Idf
from feedback.similarity_groups import root

NEIGHBOURS = 8  # nearest by embedding per opinion whose pairs are tried
BLOCK = 512  # rows scored against all the others at a time (BLOCK x m float32 in memory)
SAMPLE = 8  # members per group whose pairs stand for two large groups' mean


def nearest(matrix: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's k nearest other rows by cosine: (indexes, cosines), both (m, k), best
    first. Rows are unit vectors (float32); a plain dot product by blocks."""
    m = len(matrix)
    k = min(k, m - 1)
    if k <= 0:
        return np.zeros((m, 0), dtype=np.int64), np.zeros((m, 0), dtype=np.float32)
    found = np.empty((m, k), dtype=np.int64)
    cosines = np.empty((m, k), dtype=np.float32)
    for start in range(0, m, BLOCK):
        block = matrix[start : start + BLOCK] @ matrix.T
        rows = np.arange(len(block))
        block[rows, rows + start] = -np.inf  # not its own neighbour
        top = np.argpartition(block, -k, axis=1)[:, -k:]
        best = np.take_along_axis(block, top, axis=1)
        order = np.argsort(-best, axis=1, kind="stable")
        found[start : start + len(block)] = np.take_along_axis(top, order, axis=1)
        cosines[start : start + len(block)] = np.take_along_axis(best, order, axis=1)
    return found, cosines


class _Grouping:
    """The opinions being grouped, numbered 0..m-1, their pair scores (cached) and groups.

    An opinion with the very text and place of an earlier one (a copied complaint, a
    one-line "路灯坏了") is that one's twin: it has its vector and scores like it with every
    other, so it joins its group at the start and takes no part in the nearest neighbours."""

    def __init__(
        self, docs: Sequence[Doc], matrix: np.ndarray, idf: Idf, memory: Memory | None = None
    ) -> None:
        self.docs = docs
        self.memory = memory if memory else None
        self.likeness = memory.likeness(matrix) if self.memory else None
        self.matrix = matrix
        self.idf = idf
        seen: dict[tuple, int] = {}
        self.twin_of = [
            seen.setdefault((d.places, d.village, frozenset(d.grams.items())), m)
            for m, d in enumerate(docs)
        ]
        unique = sorted(seen.values())
        self._sparse: tuple[np.ndarray, np.ndarray, np.ndarray, int] | None = None
        found, cosines = nearest(matrix[unique], max(NEIGHBOURS, semantic.HUB))
        self.neighbours = {
            m: [unique[n] for n in row[:NEIGHBOURS]] for m, row in zip(unique, found, strict=True)
        }
        self.hub = np.zeros(len(docs), dtype=np.float32)
        if cosines.size:
            self.hub[unique] = cosines[:, : semantic.HUB].mean(axis=1)
        self.hub_mean = float(self.hub[unique].mean()) if unique else 0.0
        self.scores: dict[tuple[int, int], float] = {}  # pair of twins -> score
        self._margins: dict[tuple[int, int], float] = {}  # the same -> semantic.group_margins
        self._clashes: dict[tuple[frozenset[str], frozenset[str]], bool] = {}
        self.parent = list(range(len(docs)))
        self.members: dict[int, list[int]] = {m: [m] for m in range(len(docs))}
        self.places: dict[int, set[frozenset[str]]] = {
            m: {d.places} if d.places else set() for m, d in enumerate(docs)
        }
        for m, twin in enumerate(self.twin_of):
            if twin != m:
                self.join(self.find(twin), m)

    def _lexical(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The bigram cosines of pairs (a[i], b[i]) at once: each member's unit TF-IDF
        weights as rows of one sparse table (built on first use), the pairs' common bigrams
        found by one sorted intersection of (pair, bigram) keys. In Python, pair by pair,
        this was most of the time at 13,000 pending opinions."""
        if self._sparse is None:
            self._sparse = _sparse_rows([semantic.tfidf(d, self.idf) for d in self.docs])
        starts, grams, weights, vocabulary = self._sparse
        keys_a, weights_a, pair_a = _entries(starts, grams, weights, a, vocabulary)
        keys_b, weights_b, _pair_b = _entries(starts, grams, weights, b, vocabulary)
        _common, at_a, at_b = np.intersect1d(
            keys_a, keys_b, assume_unique=True, return_indices=True
        )
        products = weights_a[at_a] * weights_b[at_b]
        return np.bincount(pair_a[at_a], weights=products, minlength=len(a))

    def margins(self, pairs: Sequence[tuple[int, int]]) -> list[float]:
        """How far each pair's score is over its threshold for sharing a group."""
        return [self._margins[k] for k in self._scored(pairs)]

    def similarities(self, pairs: Sequence[tuple[int, int]]) -> list[float]:
        """semantic's score of each pair of members, with the CSLS-corrected cosine."""
        return [self.scores[k] for k in self._scored(pairs)]

    def _scored(self, pairs: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
        """The pairs as keys of the caches (twins stand for each other), the missing ones
        scored together: numpy works on arrays, not on pairs."""
        twin, known = self.twin_of, self.scores
        keys = [(twin[a], twin[b]) if twin[a] < twin[b] else (twin[b], twin[a]) for a, b in pairs]
        missing = list(dict.fromkeys(k for k in keys if k not in known))
        if missing:
            a, b = np.array(missing).T
            cosines = np.einsum("ij,ij->i", self.matrix[a], self.matrix[b])
            cosines = semantic.csls(cosines, self.hub[a], self.hub[b], self.hub_mean)
            docs = self.docs
            lexical = self._lexical(a, b)
            shorter = np.array([min(docs[x].length, docs[y].length) for x, y in missing], float)
            factors = np.array([semantic.place_factor(docs[x], docs[y]) for x, y in missing])
            learned = 0.0
            if self.memory is not None:
                like, memory = self.likeness, self.memory
                learned = np.array([memory.adjustment(like[x], like[y]) for x, y in missing])
            found = semantic.combine(cosines, lexical, shorter, factors, learned)
            known.update(zip(missing, found.tolist(), strict=True))
            margins = semantic.group_margins(found, shorter).tolist()
            self._margins.update(zip(missing, margins, strict=True))
        return keys

    def find(self, m: int) -> int:
        return root(self.parent, m)

    def conflict(self, a: int, b: int) -> bool:
        """Some opinion of one group and some of the other name places, sharing none."""
        clashes = self._clashes
        for x in self.places[a]:
            for y in self.places[b]:
                clash = clashes.get((x, y))
                if clash is None:
                    clash = clashes[(x, y)] = not semantic.share_a_place(x, y)
                if clash:
                    return True
        return False

    def mean(self, a: int, b: int) -> float:
        """The mean margin over the pairs of two groups (of a spread sample of each)."""
        xs, ys = _spread(self.members[a]), _spread(self.members[b])
        margins = self.margins([(x, y) for x in xs for y in ys])
        return sum(margins) / len(margins)

    def join(self, a: int, b: int) -> None:
        if len(self.members[a]) < len(self.members[b]):
            a, b = b, a
        self.parent[b] = a
        self.places[a] |= self.places.pop(b)
        self.members[a].extend(self.members.pop(b))

    def run(self) -> list[list[int]]:
        pairs = sorted({(min(a, b), max(a, b)) for a, row in self.neighbours.items() for b in row})
        margins = self.margins(pairs)
        tried = sorted(((m, a, b) for m, (a, b) in zip(margins, pairs, strict=True)), reverse=True)
        for margin, a, b in tried:
            if margin < 0:
                break
            ra, rb = self.find(a), self.find(b)
            if ra != rb and not self.conflict(ra, rb) and self.mean(ra, rb) >= 0:
                self.join(ra, rb)
        return [sorted(g) for g in self.members.values() if len(g) > 1]


def _sparse_rows(rows: list[dict[str, float]]) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Weight dicts as one table: row starts, gram numbers, weights, and how many grams."""
    vocabulary: dict[str, int] = {}
    starts = np.zeros(len(rows) + 1, dtype=np.int64)
    grams, weights = [], []
    for n, row in enumerate(rows):
        grams.extend(vocabulary.setdefault(g, len(vocabulary)) for g in row)
        weights.extend(row.values())
        starts[n + 1] = len(grams)
    return starts, np.array(grams, np.int64), np.array(weights, np.float64), len(vocabulary)


def _entries(
    starts: np.ndarray, grams: np.ndarray, weights: np.ndarray, rows: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For the rows of pairs 0..P-1: one key pair * size + gram per (pair, bigram), its
    weight, and its pair."""
    lengths = starts[rows + 1] - starts[rows]
    pair = np.repeat(np.arange(len(rows)), lengths)
    first = np.repeat(starts[rows] - (np.cumsum(lengths) - lengths), lengths)
    at = first + np.arange(len(pair))
    return pair * size + grams[at], weights[at], pair


def _spread(members: list[int]) -> list[int]:
    """All members of a small group; SAMPLE of a large one, spread over it."""
    if len(members) <= SAMPLE:
        return members
    ordered = sorted(members)
    step = len(ordered) / SAMPLE
    return [ordered[int(i * step)] for i in range(SAMPLE)]


def group(
    ids: Sequence[int],
    docs: Sequence[Doc],
    matrix: np.ndarray,
    idf: Idf,
    memory: Memory | None = None,
) -> list[tuple[list[int], float]]:
    """Groups of the opinions `ids` (docs and unit vectors, float32, in the same order),
    largest first, each with its cohesion: the mean score of its pairs (of a spread sample).
    Opinions in no group are left out. `memory`: what the clerks' merges and splits teach
    (feedback.clerk_memory)."""
    grouping = _Grouping(docs, matrix, idf, memory)
    found = []
    for members in grouping.run():
        sample = _spread(members)
        pairs = [(x, y) for n, x in enumerate(sample) for y in sample[n + 1 :]]
        scores = grouping.similarities(pairs)
        cohesion = sum(scores) / len(scores)
        found.append(([ids[m] for m in members], round(cohesion, 4)))
    return sorted(found, key=lambda g: (-len(g[0]), -g[1], g[0][0]))
