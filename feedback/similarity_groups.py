"""Grouping a town's pending opinions into likely one problem each, without scoring every
pair: the joins tried are those of each opinion with its nearest neighbours, best first.
What a group is: see `group`."""

from __future__ import annotations

import bisect
import heapq
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping

from feedback.similarity import GROUP_THRESHOLD, SimilarityIndex


def group(
    index: SimilarityIndex, ids: Iterable[int], threshold: float = GROUP_THRESHOLD
) -> list[list[int]]:
    """Cluster opinions (e.g. a town's pending ones) into groups of likely one problem.

    Average linkage over exact pair scores: two groups join only when their members are
    alike on average, so one ambiguous opinion cannot chain two problems together (plain
    connected components would), and two groups whose opinions name different places
    never join: one vague "小区里没地方停车" must not fuse 幸福小区 and 金桂小区.
    Singletons are left out; groups come largest first.

    Scoring every pair is quadratic (2,000 near-duplicates took 10 s), so the joins tried
    are those of each opinion with its GROUP_NEIGHBOURS nearest, best first, exact twins
    join at once, and the average of two large groups comes from their summed vectors
    (see _Pending). On tests/data the groups are exactly those of every pair.
    """
    pending = _Pending(index, ids)
    for (a, b), score in sorted(
        pending.neighbours(GROUP_NEIGHBOURS).items(), key=lambda item: (-item[1], item[0])
    ):
        if score < threshold:
            break
        ra, rb = pending.find(a), pending.find(b)
        if ra != rb and not pending.conflict(ra, rb) and pending.average(ra, rb) >= threshold:
            pending.join(ra, rb)
    found = [sorted(pending.ids[m] for m in group) for group in pending.members.values()]
    return sorted((g for g in found if len(g) > 1), key=lambda g: (-len(g), g[0]))


GROUP_NEIGHBOURS = 12  # nearest opinions per opinion whose joins `groups` tries
GROUP_WALK = 120  # posting entries walked per opinion, at its own place and town-wide
GROUP_RESCORE = 12  # candidates per opinion scored exactly
LINK_PAIRS = 12  # groups with at most this many pairs are averaged pair by pair


class _Pending:
    """The opinions being grouped, numbered 0..n-1 by id, and their groups.

    Kept for the whole grouping: each opinion's weighted unit vector (the whole index's
    IDF, so a dot product is the cosine), two small inverted indexes over just these
    opinions (town-wide, and at the same place), a cache of exact pair scores, and per group
    its members, its distinct place sets, and the sum of its vectors per "where" (place set
    and station village). Since the score of a pair is its cosine times a factor that only
    depends on the two wheres, the mean over all pairs of two groups is the sum over their
    wheres of factor x (dot of the summed vectors), over |A| x |B|: exact but for the cap
    of a single score at 1.0, and linear in the groups' features instead of quadratic.
    """

    def __init__(self, index: SimilarityIndex, ids: Iterable[int]) -> None:
        self.index = index
        slot_of = index._slot
        self.ids = sorted(i for i in set(ids) if i in slot_of)  # in the order they came
        idf: dict[int, float] = {}
        self.vectors: list[dict[int, float]] = []
        self.where: list[int] = []  # member -> its (place set, village) as a number
        self._wheres: dict[tuple[int, int], int] = {}
        self.place_of: list[int] = []  # member -> its place set's table index (0: none)
        self.here: list[object] = []  # member -> its place set, else its station's village
        self.postings: dict[int, list[int]] = defaultdict(list)  # feature -> members
        self.at_place: dict[tuple[int, object], list[int]] = defaultdict(list)
        # An opinion with the very features and place of an earlier one (a copied complaint,
        # a one-line "路灯坏了") is that one's twin: it scores 1.0 with it and like it with
        # every other, so it joins its group at once and is not looked at again.
        self.twin_of: list[int] = []
        seen: dict[tuple, int] = {}
        for m, opinion_id in enumerate(self.ids):
            slot = slot_of[opinion_id]
            places, village = index._place_of[slot], index._village_of[slot]
            start, end = index._start[slot], index._start[slot + 1]
            feats, counts = index._feats[start:end].tobytes(), index._counts[start:end].tobytes()
            key = (places, village, feats, counts)
            twin = seen.setdefault(key, m) if end > start else m
            self.twin_of.append(twin)
            self.where.append(self._wheres.setdefault((places, village), len(self._wheres)))
            self.place_of.append(places)
            here = places or ("village", village)
            self.here.append(here)
            if twin != m:
                self.vectors.append(self.vectors[twin])
                continue
            vector = {}
            for fid, w in index._pairs(slot):
                f_idf = idf.get(fid)
                if f_idf is None:
                    f_idf = idf[fid] = index._idf(fid)
                vector[fid] = w * f_idf
            norm = math.sqrt(sum(v * v for v in vector.values()))
            vector = {fid: v / norm for fid, v in vector.items()} if norm else {}
            self.vectors.append(vector)
            for fid in vector:
                self.postings[fid].append(m)
                self.at_place[(fid, here)].append(m)
        self._where_keys = list(self._wheres)
        self.scores: dict[tuple[int, int], float] = {}
        self._factors: dict[tuple[int, int], float] = {}
        self._conflicts: dict[tuple[int, int], bool] = {}
        n = len(self.ids)
        self.parent = list(range(n))
        self.members: dict[int, list[int]] = {m: [m] for m in range(n)}
        self.places: dict[int, set[int]] = {
            m: {p} if p else set() for m, p in enumerate(self.place_of)
        }
        self.sums: dict[int, dict[int, dict[int, float]]] = {}  # groups of two or more
        for m, twin in enumerate(self.twin_of):
            if twin != m:
                self.join(self.find(twin), m)

    # -- scores --
    def factor(self, where_a: int, where_b: int) -> float:
        """SimilarityIndex.place_factor of two wheres (cached: a town has few of them)."""
        pair = (where_a, where_b)
        factor = self._factors.get(pair)
        if factor is None:
            (places_a, village_a), (places_b, village_b) = (
                self._where_keys[where_a],
                self._where_keys[where_b],
            )
            sets, villages = self.index._place_sets, self.index._villages
            factor = self._factors[pair] = self.index.place_factor(
                sets[places_a], villages[village_a], sets[places_b], villages[village_b]
            )
        return factor

    def score(self, a: int, b: int) -> float:
        """Exactly SimilarityIndex.score of the two members (cached)."""
        a, b = self.twin_of[a], self.twin_of[b]
        if a == b:  # a vector with itself, at the same place
            return min(1.0, self.factor(self.where[a], self.where[a])) if self.vectors[a] else 0.0
        pair = (a, b) if a < b else (b, a)
        known = self.scores.get(pair)
        if known is None:
            dot = _dot(self.vectors[a], self.vectors[b])
            known = min(1.0, dot * self.factor(self.where[a], self.where[b])) if dot else 0.0
            self.scores[pair] = known
        return known

    def neighbours(self, k: int) -> dict[tuple[int, int], float]:
        """Each member's k best-scoring others (pairs a < b, scores above 0).

        Candidates are the members met most often walking the member's rarest features
        first, GROUP_WALK posting entries among the opinions at its own place and as many
        town-wide; a posting list that would pass that is walked only near the member
        (opinions sent about the same time). The GROUP_RESCORE met most are scored
        exactly. Near-duplicates share all their features, so any of them is as good a
        candidate as another: the group still forms through their neighbours.
        """
        edges: dict[tuple[int, int], float] = {}
        for m, vector in enumerate(self.vectors):
            if self.twin_of[m] != m:
                continue
            met: Counter[int] = Counter()  # counting runs in C: this is the loop that matters
            here = self.here[m]
            for postings in (
                [self.at_place[(fid, here)] for fid in vector],
                [self.postings[fid] for fid in vector],
            ):
                postings.sort(key=len)
                walked = 0
                for members in postings:
                    if walked + len(members) > GROUP_WALK:
                        room = max(GROUP_WALK - walked, GROUP_RESCORE)
                        at = max(0, bisect.bisect_left(members, m) - room // 2)
                        met.update(members[at : at + room])
                        break
                    met.update(members)
                    walked += len(members)
            del met[m]
            scored = [(self.score(m, other), other) for other, _ in met.most_common(GROUP_RESCORE)]
            for score, other in heapq.nlargest(k, scored):
                if score > 0:
                    edges[(m, other) if m < other else (other, m)] = score
        return edges

    # -- groups, each known by its root member --
    def find(self, m: int) -> int:
        return root(self.parent, m)

    def conflict(self, a: int, b: int) -> bool:
        """Some opinion of one group and some of the other name places, sharing none."""
        tables = self.index._place_sets
        for x in self.places[a]:
            for y in self.places[b]:
                clash = self._conflicts.get((x, y))
                if clash is None:
                    clash = self._conflicts[(x, y)] = not tables[x] & tables[y]
                if clash:
                    return True
        return False

    def average(self, a: int, b: int) -> float:
        """The mean score over the pairs of two groups: pair by pair for small groups (as
        every pair was once), from the summed vectors for larger ones."""
        size = len(self.members[a]) * len(self.members[b])
        if size <= LINK_PAIRS:
            return sum(self.score(x, y) for x in self.members[a] for y in self.members[b]) / size
        total = 0.0
        for where_a, sum_a in self._sums(a).items():
            for where_b, sum_b in self._sums(b).items():
                total += self.factor(where_a, where_b) * _dot(sum_a, sum_b)
        return total / size

    def _sums(self, group: int) -> dict[int, dict[int, float]]:
        sums = self.sums.get(group)
        if sums is None:  # a single opinion: its own vector, not copied until it grows
            sums = {self.where[group]: self.vectors[group]}
        return sums

    def join(self, a: int, b: int) -> None:
        """Merge the smaller group into the larger (so each opinion moves O(log n) times)."""
        if len(self.members[a]) < len(self.members[b]):
            a, b = b, a
        self.parent[b] = a
        self.places[a] |= self.places.pop(b)
        sums = self.sums.get(a)
        if sums is None:
            sums = self.sums[a] = {self.where[a]: dict(self.vectors[a])}
        for where, vector in self._sums(b).items():
            into = sums.get(where)
            if into is None:
                sums[where] = dict(vector)
            else:
                for fid, v in vector.items():
                    into[fid] = into.get(fid, 0.0) + v
        self.sums.pop(b, None)
        self.members[a].extend(self.members.pop(b))


def root(parent: list[int], m: int) -> int:
    """The group a member belongs to (union-find with path halving; both groupers use it)."""
    while parent[m] != m:
        parent[m] = parent[parent[m]]
        m = parent[m]
    return m


def _dot(a: Mapping[int, float], b: Mapping[int, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b[fid] for fid, w in a.items() if fid in b)
