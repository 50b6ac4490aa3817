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

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from feedback import semantic
from feedback.clerk_memory import Memory
from feedback.semantic import Doc, Idf
from feedback.similarity_groups import root

NEIGHBOURS = 8  # nearest by embedding per opinion whose pairs are tried
BLOCK = 512  # rows scored against all the others at a time (BLOCK x m float32 in memory)
SAMPLE = 8  # members per group whose pairs stand for two large groups' mean
AHEAD = 1024  # joins to try whose pairs are scored with those of the one at hand
CHUNK = 2048  # pairs scored at a time
SLABS = 16  # columns per set whose maximum bounds a row's k-th largest (see _top)


def nearest(matrix: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's k nearest other rows by cosine: (indexes, cosines), both (m, k), best
    first, ties to the lower index (as a stable sort of the whole row would give). Rows are
    unit vectors (float32); a plain dot product by blocks, then `_top`."""
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
        found[start : start + len(block)], cosines[start : start + len(block)] = _top(block, k)
    return found, cosines


def _top(block: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's k largest values (columns, values), best first, ties to the lower column.

    A bound first, from one pass over the block: cut a row's columns into interleaved sets
    (j, j + width, j + 2 width, ...) of about SLABS each and take each set's maximum; the
    k-th largest of those maxima is at most the row's k-th largest value. Only the sets
    whose maximum reaches it (on clustered rows, little more than k) are looked into.
    argpartition over every column was most of nearest(); a bound from a sample of the
    columns was weak on clustered data, where a row's few near ones are rarely sampled."""
    n, m = block.shape
    width = max(m // SLABS, k)
    maxima = block[:, :width].copy()
    for at in range(width, m, width):
        part = block[:, at : at + width]
        np.maximum(maxima[:, : part.shape[1]], part, out=maxima[:, : part.shape[1]])
    bound = np.partition(maxima, width - k, axis=1)[:, width - k]
    rows, sets = np.nonzero(maxima >= bound[:, None])
    columns = sets[:, None] + width * np.arange(-(-m // width))
    inside = columns < m
    rows, columns = np.broadcast_to(rows[:, None], columns.shape)[inside], columns[inside]
    values = block[rows, columns]
    reach = values >= bound[rows]
    rows, columns, values = rows[reach], columns[reach], values[reach]
    order = np.lexsort((columns, -values, rows))
    chosen = order[np.searchsorted(rows[order], np.arange(n))[:, None] + np.arange(k)]
    return columns[chosen], values[chosen]


class _Grouping:
    """The opinions being grouped, numbered 0..m-1, their pair scores (cached) and groups.

    An opinion with the very text and place of an earlier one (a copied complaint, a
    one-line "路灯坏了") is that one's twin: it has its vector and scores like it with every
    other, so it joins its group at the start and takes no part in the nearest neighbours.

    Pairs are scored by numpy in batches (`_score`), which costs about a millisecond a call
    however few the pairs: asked for the few pairs of one join at a time, that overhead was
    most of the grouping at 10,000 diverse opinions. So a join whose pairs are not scored
    yet also scores those of the next joins to try (`_prefetch`), as the groups stand; a
    join between changes the groups of a few of them, whose pairs are then scored later.
    Every pair's score is the same whichever batch it is scored in."""

    def __init__(
        self, docs: Sequence[Doc], matrix: np.ndarray, idf: Idf, memory: Memory | None = None
    ) -> None:
        self.docs = docs
        self.memory = memory if memory else None
        self.likeness = memory.likeness(matrix) if self.memory else None
        self.matrix = matrix
        self.idf = idf
        seen: dict[tuple, int] = {}
        texts: dict[int, frozenset] = {}  # docs of one text share their grams (one Counter)
        self.twin_of = [
            seen.setdefault((d.places, d.village, _text(d.grams, texts)), m)
            for m, d in enumerate(docs)
        ]
        unique = sorted(seen.values())
        self.unique = unique
        self._sparse: tuple[np.ndarray, np.ndarray, np.ndarray, int] | None = None
        found, cosines = nearest(matrix[unique], max(NEIGHBOURS, semantic.HUB))
        self.neighbours = {
            m: [unique[n] for n in row[:NEIGHBOURS]] for m, row in zip(unique, found, strict=True)
        }
        self.hub = np.zeros(len(docs), dtype=np.float32)
        if cosines.size:
            self.hub[unique] = cosines[:, : semantic.HUB].mean(axis=1)
        self.hub_mean = float(self.hub[unique].mean()) if unique else 0.0
        self.lengths = np.array([d.length for d in docs], dtype=float)
        self.stationed = np.array([bool(d.village) for d in docs])
        wheres: dict[tuple[frozenset[str], str], int] = {}
        where = [wheres.setdefault((d.places, d.village), len(wheres)) for d in docs]
        self.where = np.array(where, dtype=np.int64)
        self._factors: dict[int, float] = {}  # pair of wheres (as one number) -> place factor
        self.scores: dict[tuple[int, int], float] = {}  # pair of twins -> score
        self._margins: dict[tuple[int, int], float] = {}  # the same -> semantic.group_margins
        self._clashes: dict[tuple[frozenset[str], frozenset[str]], bool] = {}
        self.parent = list(range(len(docs)))
        self.members: dict[int, list[int]] = {m: [m] for m in range(len(docs))}
        self._samples: dict[int, list[int]] = {}  # group -> _spread of its members
        self.places: dict[int, set[frozenset[str]]] = {
            m: {d.places} if d.places else set() for m, d in enumerate(docs)
        }
        for m, twin in enumerate(self.twin_of):
            if twin != m:
                self.join(self.find(twin), m)

    def _lexical(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The bigram cosines of pairs (a[i], b[i]) at once: each member's unit TF-IDF
        weights as rows of one sparse table (built on first use, twins left out), the pairs'
        common bigrams found by one sorted intersection of (pair, bigram) keys. In Python,
        pair by pair, this was most of the time at 13,000 pending opinions."""
        if self._sparse is None:
            weights: dict[int, dict[str, float]] = {}  # by the grams' Counter, as in _text
            rows = _sparse_rows(
                [
                    weights.get(id(self.docs[m].grams))
                    or weights.setdefault(
                        id(self.docs[m].grams), semantic.tfidf(self.docs[m], self.idf)
                    )
                    for m in self.unique
                ]
            )
            self._row = np.zeros(len(self.docs), dtype=np.int64)
            self._row[self.unique] = np.arange(len(self.unique))
            self._sparse = rows
        starts, grams, weights, vocabulary = self._sparse
        a, b = self._row[a], self._row[b]
        keys_a, weights_a, pair_a = _entries(starts, grams, weights, a, vocabulary)
        keys_b, weights_b, _pair_b = _entries(starts, grams, weights, b, vocabulary)
        _common, at_a, at_b = np.intersect1d(
            keys_a, keys_b, assume_unique=True, return_indices=True
        )
        products = weights_a[at_a] * weights_b[at_b]
        return np.bincount(pair_a[at_a], weights=products, minlength=len(a))

    def margins(self, pairs: Sequence[tuple[int, int]]) -> list[float]:
        """How far each pair's score is over its threshold for sharing a group."""
        return [self._margins[k] for k in self._scored(self._keys(pairs))]

    def similarities(self, pairs: Sequence[tuple[int, int]]) -> list[float]:
        """semantic's score of each pair of members, with the CSLS-corrected cosine."""
        return [self.scores[k] for k in self._scored(self._keys(pairs))]

    def _keys(self, pairs: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
        """The pairs as keys of the caches: twins stand for each other."""
        twin = self.twin_of
        return [(twin[a], twin[b]) if twin[a] < twin[b] else (twin[b], twin[a]) for a, b in pairs]

    def _scored(self, keys: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """The keys, the missing ones scored first, together."""
        known = self._margins
        missing = list(dict.fromkeys(k for k in keys if k not in known))
        if missing:
            self._score(missing)
        return keys

    def _score(self, missing: list[tuple[int, int]]) -> None:
        """Score pairs of twins not scored yet, in batches: numpy works on arrays, not on
        pairs, and batches of CHUNK pairs keep their rows (CHUNK x 384 float32) in the CPU's
        cache, which made the cosines of 137,000 pairs three times faster than one batch."""
        for start in range(0, len(missing), CHUNK):
            self._score_batch(missing[start : start + CHUNK])

    def _score_batch(self, missing: list[tuple[int, int]]) -> None:
        a, b = np.array(missing).T
        cosines = np.einsum("ij,ij->i", self.matrix[a], self.matrix[b])
        cosines = semantic.csls(cosines, self.hub[a], self.hub[b], self.hub_mean)
        lexical = self._lexical(a, b)
        shorter = np.minimum(self.lengths[a], self.lengths[b])
        factors = self._place_factors(a, b)
        learned = 0.0
        if self.memory is not None:
            like, memory = self.likeness, self.memory
            learned = np.array([memory.adjustment(like[x], like[y]) for x, y in missing])
        fades = ~(self.stationed[a] & self.stationed[b])
        found = semantic.combine(cosines, lexical, shorter, factors, learned, fades)
        self.scores.update(zip(missing, found.tolist(), strict=True))
        margins = semantic.group_margins(found, shorter).tolist()
        self._margins.update(zip(missing, margins, strict=True))

    def _place_factors(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """semantic.place_factor of each pair, once per pair of wheres (a town has few)."""
        pairs = self.where[a] * len(self.docs) + self.where[b]
        keys, first, at = np.unique(pairs, return_index=True, return_inverse=True)
        known, docs = self._factors, self.docs
        found = []
        for key, x, y in zip(keys.tolist(), a[first].tolist(), b[first].tolist(), strict=True):
            factor = known.get(key)
            if factor is None:
                factor = known[key] = semantic.place_factor(docs[x], docs[y])
            found.append(factor)
        return np.array(found)[at]

    def find(self, m: int) -> int:
        return root(self.parent, m)

    def conflict(self, a: int, b: int) -> bool:
        """Some opinion of one group and some of the other name places, sharing none."""
        return self._clash(self.places[a], self.places[b])

    def _clash(self, places_a: set[frozenset[str]], places_b: set[frozenset[str]]) -> bool:
        clashes = self._clashes
        for x in places_a:
            for y in places_b:
                clash = clashes.get((x, y))
                if clash is None:
                    clash = clashes[(x, y)] = not semantic.share_a_place(x, y)
                if clash:
                    return True
        return False

    def _sample(self, group: int) -> list[int]:
        sample = self._samples.get(group)
        if sample is None:
            sample = self._samples[group] = _spread(self.members[group])
        return sample

    def _between(self, sample_a: list[int], sample_b: list[int]) -> list[tuple[int, int]]:
        """The keys of the pairs whose mean decides a join: of a spread sample of each."""
        return self._keys([(x, y) for x in sample_a for y in sample_b])

    def _prefetch(self, ahead: Sequence[tuple[int, int]]) -> None:
        """Score the pairs the joins of `ahead` would need if every join not refused for
        its places were made: nearly all are (at 13,000 diverse opinions, 25 of 9,268 were
        refused for their mean), and a refused one only means some pairs scored later.
        The forecast keeps its own groups beside the real ones, which it leaves alone."""
        parent: dict[int, int] = {}  # a real group -> the forecast group it went into
        members: dict[int, list[int]] = {}  # forecast groups: members, places, sample
        places: dict[int, set[frozenset[str]]] = {}
        samples: dict[int, list[int]] = {}

        def find(m: int) -> int:
            group = self.find(m)
            while group in parent:
                group = parent[group]
            return group

        wanted = []
        for a, b in ahead:
            ra, rb = find(a), find(b)
            if ra == rb:
                continue
            places_a, places_b = places.get(ra, self.places[ra]), places.get(rb, self.places[rb])
            if self._clash(places_a, places_b):
                continue
            sample_a = samples.get(ra) or self._sample(ra)
            sample_b = samples.get(rb) or self._sample(rb)
            wanted.extend(self._between(sample_a, sample_b))
            members_a, members_b = (
                members.get(ra, self.members[ra]),
                members.get(rb, self.members[rb]),
            )
            if len(members_a) < len(members_b):
                ra, rb, members_a, members_b = rb, ra, members_b, members_a
            parent[rb] = ra
            members[ra] = members_a + members_b
            places[ra] = places_a | places_b
            samples[ra] = _spread(members[ra])
        self._scored(wanted)

    def join(self, a: int, b: int) -> None:
        if len(self.members[a]) < len(self.members[b]):
            a, b = b, a
        self.parent[b] = a
        self.places[a] |= self.places.pop(b)
        self.members[a].extend(self.members.pop(b))
        self._samples.pop(a, None)
        self._samples.pop(b, None)

    def run(self) -> list[list[int]]:
        """Try the pairs of nearest neighbours best first; join two groups when the mean
        margin of their (sampled) pairs is not below 0."""
        pairs = sorted({(min(a, b), max(a, b)) for a, row in self.neighbours.items() for b in row})
        margins = self.margins(pairs)
        ranked = sorted(((m, a, b) for m, (a, b) in zip(margins, pairs, strict=True)), reverse=True)
        tried = [(a, b) for margin, a, b in ranked if margin >= 0]
        known = self._margins
        for n, (a, b) in enumerate(tried):
            ra, rb = self.find(a), self.find(b)
            if ra == rb or self.conflict(ra, rb):
                continue
            keys = self._between(self._sample(ra), self._sample(rb))
            margins = [known.get(k) for k in keys]
            if None in margins:
                self._prefetch(tried[n : n + AHEAD])
                margins = [known[k] for k in keys]
            if sum(margins) / len(margins) >= 0:
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


def _text(grams: Counter[str], seen: dict[int, frozenset]) -> frozenset:
    """The bigrams of a doc as a hashable value, made once per Counter (docs of one text
    share theirs: similar_opinions._docs)."""
    key = seen.get(id(grams))
    if key is None:
        key = seen[id(grams)] = frozenset(grams.items())
    return key


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
    groups = grouping.run()
    samples = [_spread(members) for members in groups]
    pairs = [[(x, y) for n, x in enumerate(s) for y in s[n + 1 :]] for s in samples]
    scores = iter(grouping.similarities([p for within in pairs for p in within]))
    found = []
    for members, within in zip(groups, pairs, strict=True):
        cohesion = sum(next(scores) for _ in within) / len(within)
        found.append(([ids[m] for m in members], round(cohesion, 4)))
    return sorted(found, key=lambda g: (-len(g[0]), -g[1], g[0][0]))
