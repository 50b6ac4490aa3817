"""Near-duplicate detection for short, colloquial Chinese opinions, place-aware and indexed.

Villagers describe one problem in very different words ("村口路灯坏了三个月" / "我们村路口的灯
一直不亮"), so plain character n-grams miss most paraphrases. Each text is therefore reduced to:

- concept tokens from a hand-made lexicon of village problems (路灯/灯/不亮 -> LAMP, BROKEN...),
  weighted high because they carry the meaning that survives paraphrase;
- character bigrams of what is left of the text, weighted lower, which still catch typos and
  words the lexicon does not know;
- place tokens (X村, X屯, X社区, X小区, X路, X街, X桥, X组, and known station villages named
  without their suffix), kept apart from the content: "油烟扰民" at 六龙村 and at 大塘村 are two
  problems, so places adjust the score rather than add to it.

Scores are the cosine of TF-IDF vectors over content features, multiplied by a place factor.
An inverted index (feature -> opinion ids) means a query only touches opinions that share a
reasonably rare feature; posting lists longer than `max_postings` are not walked (the candidates
they would add are found through rarer features or the same place, and every candidate is then
rescored exactly, common features included). Pure logic: no Flask, no database access beyond
rows handed in, so the CLI, the web and the tests share it. The lexicon and the features live
in feedback.similarity_lexicon, the place names in feedback.places, the stored form in
feedback.similarity_store and the words that explain a score in feedback.similarity_reasons.
"""

from __future__ import annotations

import math
import re
from array import array
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from feedback.places import AREA_SUFFIX, extract_places, normalise
from feedback.similarity_lexicon import content_features, feature_counts, weight

PLACE_BOOST = 1.2  # both name a place and at least one is shared
SAME_VILLAGE_BOOST = 1.1  # no conflicting names, same station village
PLACE_CONFLICT = 0.25  # both name places, none shared: almost surely two problems
VILLAGE_CONFLICT = 0.45  # different station villages, nothing explicit to compare
# Score from which two opinions may share a group: on tests/data/similar_opinions.json it gives
# pure groups (no topic mixed) while keeping ~86% of topic-mate pairs together.
GROUP_THRESHOLD = 0.3

# --- The index ---------------------------------------------------------------------------------
MAX_COUNT = 4095  # a feature repeated more often than this in one text counts as this often
# weight(count, concept) for every count, looked up rather than recomputed per comparison.
_WEIGHTS = tuple(
    tuple(weight(n, concept) if n else 0.0 for n in range(MAX_COUNT + 1))
    for concept in (False, True)
)


@dataclass(frozen=True)
class _Query:
    vector: dict[int, float]  # feature id -> weight (known features only)
    unknown: list[float]  # weights of features the index has never seen
    places: frozenset[str]
    village: str


@lru_cache(maxsize=4096)
def _normalised_village(village: str) -> str:
    return normalise(village)


class SimilarityIndex:
    """An in-memory inverted index of opinions for `similar()` and `groups()`.

    Built once per town (`from_rows`) and kept up to date with `add` / `remove`; the caller
    owns persistence and caching. Removal is lazy (posting lists keep stale entries until
    `compact()`), because opinions leave the pending set far more often than indexes are
    rebuilt.

    Memory is what limits a worker holding every town of a county, so an opinion is a slot
    in flat arrays rather than objects: its features (4 bytes each) with their counts
    (2 bytes; the weight is looked up), its place set and village as numbers into shared
    tables, and 4 bytes per posting. About 0.4 kB an opinion instead of 1 kB; the arrays
    are also what feedback.similarity_store writes and reads back (feedback.similarity_index
    stores them).
    """

    def __init__(self, max_postings: int = 5000, rescore: int = 300) -> None:
        self.max_postings = max_postings  # longer posting lists are not walked per query
        self.rescore = rescore  # candidates scored exactly per query
        self._feature_ids: dict[str, int] = {}
        self._concept = bytearray()  # feature id -> 1 for a concept, 0 for a bigram
        self._df = array("i")
        self._postings: list[array] = []  # feature id -> slots
        self._place_postings: dict[str, array] = {}  # place -> slots
        self._slot: dict[int, int] = {}  # opinion id -> slot (live opinions only)
        self._ids = array("q")  # slot -> opinion id, -1 once removed
        self._start = array("q", [0])  # slot -> first of its features; one past the last
        self._feats = array("i")  # feature ids of every slot, one after the other
        self._counts = array("H")  # how often each of those features occurs
        self._place_of = array("i")  # slot -> index into _place_sets
        self._village_of = array("i")  # slot -> index into _villages
        self._place_sets: list[frozenset[str]] = [frozenset()]
        self._villages: list[str] = [""]
        self._shared: dict[object, int] = {frozenset(): 0, "": 0}  # place set or village -> index
        self._known_places: dict[str, str] = {}  # name core -> village ("大塘" -> "大塘村")
        self._known_names: set[str] = set()  # the villages of _known_places
        # bigram of a whole text (places included) -> in how many opinions it occurs
        self._grams: dict[str, int] = {}

    # -- building --
    @classmethod
    def from_rows(cls, rows: Iterable[Mapping | tuple], **kwargs: int) -> SimilarityIndex:
        """Index rows with id, body, village (mappings with those keys or 3-tuples)."""
        index = cls(**kwargs)
        for row in rows:
            if isinstance(row, Mapping):
                index.add(row["id"], row["body"], row.get("village") or "")
            else:
                index.add(*row)
        return index

    def __len__(self) -> int:
        return len(self._slot)

    def newest(self) -> int:
        """The newest opinion indexed (opinions are added in id order)."""
        return next((i for i in reversed(self._ids) if i >= 0), 0)

    def document_frequency(self, feature: str) -> int:
        """In how many indexed opinions a content feature (a bigram, "#LAMP") occurs."""
        fid = self._feature_ids.get(feature)
        return max(0, self._df[fid]) if fid is not None else 0

    def text_frequency(self, gram: str) -> int:
        """In how many opinions added a bigram of the whole text (places included) occurs:
        the document frequency feedback.semantic weighs its bigram cosine with."""
        return self._grams.get(gram, 0)

    def __contains__(self, opinion_id: object) -> bool:
        return opinion_id in self._slot

    def add(self, opinion_id: int, body: str, village: str = "") -> None:
        """Index one opinion; adding an id again replaces its earlier content features, not
        its whole-text bigrams (opinion bodies are never edited; one re-added after remove()
        counts twice there)."""
        fresh = opinion_id not in self._slot
        if not fresh:
            self.remove(opinion_id)
        if village:
            self._remember_place(village)
        village = _normalised_village(village)
        text = normalise(body)
        if fresh:
            grams = self._grams
            flat = text.replace(" ", "")
            for gram in {flat[i : i + 2] for i in range(len(flat) - 1)}:
                grams[gram] = grams.get(gram, 0) + 1
        places, spans = extract_places(text, self._known_places)
        slot = len(self._ids)
        counts = feature_counts(text, spans, places)
        feature_ids, df, postings = self._feature_ids, self._df, self._postings
        fids = []
        for feature in counts:
            fid = feature_ids.get(feature)
            if fid is None:
                fid = feature_ids[feature] = len(df)
                df.append(0)
                postings.append(array("i"))
                self._concept.append(feature.startswith("#"))
            df[fid] += 1
            postings[fid].append(slot)
            fids.append(fid)
        self._feats.extend(fids)
        self._counts.extend(n if n <= MAX_COUNT else MAX_COUNT for n in counts.values())
        self._start.append(len(self._feats))
        place_set = frozenset(places)
        self._place_of.append(self._share(place_set, self._place_sets))
        self._village_of.append(self._share(village, self._villages))
        for place in place_set | ({village} if village else set()):
            self._place_postings.setdefault(place, array("i")).append(slot)
        self._ids.append(opinion_id)
        self._slot[opinion_id] = slot

    def _share(self, value: frozenset[str] | str, table: list) -> int:
        """One copy of each place set and village name, however many opinions carry it."""
        index = self._shared.get(value)
        if index is None:
            index = self._shared[value] = len(table)
            table.append(value)
        return index

    def remove(self, opinion_id: int) -> None:
        """Forget an opinion (merged, answered, rejected); unknown ids are ignored."""
        slot = self._slot.pop(opinion_id, None)
        if slot is None:
            return
        self._ids[slot] = -1
        for fid in self._feats[self._start[slot] : self._start[slot + 1]]:
            self._df[fid] -= 1

    def compact(self) -> None:
        """Drop removed opinions from posting lists; worth it after many removals."""
        ids = self._ids
        self._postings = [array("i", (s for s in p if ids[s] >= 0)) for p in self._postings]
        for place, posting in list(self._place_postings.items()):
            self._place_postings[place] = array("i", (s for s in posting if ids[s] >= 0))

    def known_places(self) -> frozenset[tuple[str, str]]:
        """The station villages' name cores and names ("大塘", "大塘村"), as one hashable
        value (kept until a new village comes) for feedback.semantic.doc's cache."""
        known = getattr(self, "_known_frozen", None)
        if known is None or len(known) != len(self._known_places):
            known = self._known_frozen = frozenset(self._known_places.items())
        return known

    def _remember_place(self, village: str) -> None:
        """Station villages named without their suffix ("大塘那座桥") are still places."""
        if village in self._known_names:
            return
        m = re.fullmatch(rf"(.+?)({AREA_SUFFIX})", _normalised_village(village))
        if m and len(m.group(1)) >= 2:
            self._known_places[m.group(1)] = _normalised_village(village)
            self._known_names = set(self._known_places.values())

    # -- reading a slot --
    def _pairs(self, slot: int) -> list[tuple[int, float]]:
        """(feature id, weight) of an indexed opinion, in the order they were found."""
        start, end = self._start[slot], self._start[slot + 1]
        concept, weights = self._concept, _WEIGHTS
        return [
            (fid, weights[concept[fid]][count])
            for fid, count in zip(self._feats[start:end], self._counts[start:end], strict=True)
        ]

    def _places(self, slot: int) -> frozenset[str]:
        return self._place_sets[self._place_of[slot]]

    def _village(self, slot: int) -> str:
        return self._villages[self._village_of[slot]]

    # -- scoring --
    def _idf(self, fid: int) -> float:
        return math.log((len(self._slot) + 1) / (self._df[fid] + 1)) + 1.0

    def _query(self, body: str, village: str) -> _Query:
        text = normalise(body)
        places, spans = extract_places(text, self._known_places)
        vector: dict[int, float] = {}
        unknown: list[float] = []
        for feature, weight_ in content_features(text, spans, places).items():
            fid = self._feature_ids.get(feature)
            if fid is None or self._df[fid] <= 0:
                unknown.append(weight_)
            else:
                vector[fid] = weight_
        return _Query(vector, unknown, frozenset(places), normalise(village or ""))

    def _doc_query(self, opinion_id: int) -> _Query:
        slot = self._slot[opinion_id]
        return _Query(dict(self._pairs(slot)), [], self._places(slot), self._village(slot))

    def _norm(self, vector: Mapping[int, float], unknown: Iterable[float] = ()) -> float:
        top = math.log(len(self._slot) + 1) + 1.0
        total = sum((w * self._idf(f)) ** 2 for f, w in vector.items())
        total += sum((w * top) ** 2 for w in unknown)
        return math.sqrt(total)

    def _cosine(self, query: _Query, qnorm: float, slot: int) -> float:
        dot = 0.0
        vec = query.vector
        pairs = self._pairs(slot)
        for fid, weight_ in pairs:
            qw = vec.get(fid)
            if qw is not None:
                idf = self._idf(fid)
                dot += qw * weight_ * idf * idf
        if not dot:
            return 0.0
        dnorm = math.sqrt(sum((w * self._idf(f)) ** 2 for f, w in pairs))
        return dot / (qnorm * dnorm)

    @staticmethod
    def place_factor(
        places_a: Collection[str], village_a: str, places_b: Collection[str], village_b: str
    ) -> float:
        """How place changes a content score: shared place boosts, different places penalise.

        Explicit names beat the station's village (a 新华社区 station serves both 幸福路 and
        解放路), and conflicting explicit names are a strong signal of two problems.
        """
        a, b = set(places_a), set(places_b)
        if a and b:
            return PLACE_BOOST if a & b else PLACE_CONFLICT
        eff_a = a or ({village_a} if village_a else set())
        eff_b = b or ({village_b} if village_b else set())
        if (village_a and village_a == village_b) or (eff_a & eff_b):
            return SAME_VILLAGE_BOOST
        if eff_a and eff_b:
            return VILLAGE_CONFLICT
        return 1.0

    def _score(self, query: _Query, qnorm: float, slot: int) -> float:
        cos = self._cosine(query, qnorm, slot)
        if not cos:
            return 0.0
        factor = self.place_factor(
            query.places, query.village, self._places(slot), self._village(slot)
        )
        return min(1.0, cos * factor)

    def score(self, a: int, b: int) -> float:
        """The similarity of two indexed opinions, exactly as `similar` ranks them."""
        query = self._doc_query(a)
        return self._score(query, self._norm(query.vector), self._slot[b])

    def similar(
        self,
        opinion_id: int | None = None,
        *,
        text: str | None = None,
        village: str = "",
        limit: int = 10,
        among: Collection[int] | None = None,
    ) -> list[tuple[int, float]]:
        """Opinions most like an indexed opinion (by id) or a new text, best first.

        Candidates come from posting lists no longer than `max_postings` (rarest features
        first) and from the newest opinions at the same places; the best `rescore` of them are
        scored exactly. `among` restricts the answer (e.g. to pending opinions).
        """
        if opinion_id is not None:
            if opinion_id not in self._slot:
                raise KeyError(opinion_id)
            query = self._doc_query(opinion_id)
        elif text is not None:
            query = self._query(text, village)
        else:
            raise ValueError("give an opinion id or a text")
        qnorm = self._norm(query.vector, query.unknown)
        if not qnorm:
            return []
        acc: dict[int, float] = defaultdict(float)
        by_length = sorted(query.vector, key=lambda fid: len(self._postings[fid]))
        for fid in by_length:
            posting = self._postings[fid]
            if len(posting) > self.max_postings:
                break
            idf = self._idf(fid)
            contribution = query.vector[fid] * idf * idf
            for slot in posting:
                acc[slot] += contribution
        if not acc and by_length:
            # Only very common features ("油烟扰民" in a big town): the newest opinions that
            # share the rarest of them stand in, pending ones being the newest.
            for slot in self._postings[by_length[0]][-self.max_postings :]:
                acc[slot] += 1.0
        candidates = sorted(acc, key=acc.__getitem__, reverse=True)[: self.rescore]
        place_keys = set(query.places) | ({query.village} if query.village else set())
        for place in place_keys:
            posting = self._place_postings.get(place)
            if posting:
                candidates.extend(posting[-self.rescore :])
        results: dict[int, float] = {}
        complete = len(self._ids)  # a slot another thread is adding is not complete yet
        for slot in candidates:
            doc_id = self._ids[slot] if slot < complete else -1
            if doc_id < 0 or doc_id == opinion_id or doc_id in results:
                continue
            if among is not None and doc_id not in among:
                continue
            score = self._score(query, qnorm, slot)
            if score > 0:
                results[doc_id] = score
        ranked = sorted(results.items(), key=lambda item: (-item[1], item[0]))
        return [(doc_id, round(score, 4)) for doc_id, score in ranked[:limit]]
