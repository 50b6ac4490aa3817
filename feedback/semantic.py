"""The similarity of two opinions by meaning, words and place, as one score a clerk can rank by.

Three signals, combined by the recipe chosen on development data in bench/similarity.py
(bench/tune_similarity.py; never tuned on the held-out or test sets it is reported on):

- the cosine of the two texts' sentence embeddings (feedback.vectors: multilingual-e5-small
  of the text with its place names cut out), which finds 垃圾没人清运 / 环卫车好久没来 that share
  no word; rescaled so that what unrelated opinions typically reach (FLOOR) scores nothing;
- the cosine of plain character bigrams of the whole text, places included (TF-IDF over the
  town's opinions: SimilarityIndex.text_frequency), which is what long messages about one
  place share most reliably, and catches names, numbers and typos the embedding blurs;
- a place factor: the same place raises the score, two different places named lower it a lot
  (the same complaint in another village is another problem). Place names are matched softly
  (their cores share a character bigram: 长房云时代小区 / 房云时代小区, which the extractor cuts
  differently). On long messages from no station (a hotline's) the factor fades out: the
  extractor finds noise there and the bigrams already carry the place; where both stations'
  villages are known it applies whole, for a long text names its place no more than a short
  one does.

Short texts lean on the embedding, long ones on the bigrams. Grouping (feedback.semantic_groups)
corrects the cosines for hubness first (csls) and joins pairs from GROUP_SHORT / GROUP_LONG.
Pure functions of the texts and the vectors handed in: no database, no Flask.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from feedback.places import (
    AREA_SUFFIX,
    GROUP_SUFFIX,
    LINE_SUFFIX,
    extract_places,
    is_village,
    normalise,
)

FLOOR = 0.87  # an e5 cosine at or below this scores nothing
W_SHORT, W_LONG = 0.5, 0.2  # weight of the embedding for short and for long texts
SHORT, LONG = 30, 100  # characters (of the shorter text): short up to SHORT, long from LONG
FADE = (30, 80)  # the place factor applies fully up to 30 characters, not at all from 80
CANDIDATES = 100  # per query, the nearest by embedding that are scored (plus lexical ones)
MIN_CORE = 2  # place names match softly only when both cores have at least this many chars
HUB = 10  # nearest others whose mean cosine is an opinion's hubness (see csls)
GROUP_SHORT, GROUP_LONG = 0.1, 0.2  # score from which two short / long texts share a group
PLACE_SHARED, PLACE_CONFLICT = 1.2, 0.25  # both name places: one shared / none shared
SAME_VILLAGE, VILLAGE_CONFLICT = 1.1, 0.45  # judged by the stations' villages instead

_SUFFIXES = sorted(
    {*AREA_SUFFIX.split("|"), *LINE_SUFFIX.split("|"), *GROUP_SUFFIX.split("|")},
    key=lambda suffix: (-len(suffix), suffix),
)


@dataclass(frozen=True)
class Doc:
    """What the score needs of one opinion."""

    id: int
    length: int  # characters, spaces and punctuation left out
    places: frozenset[str]
    village: str  # the station's village, normalised
    grams: Counter[str]  # character bigrams of the whole text, places included


@lru_cache(maxsize=4096)  # an opinion's text never changes; pages ask for the same ones
def doc(
    opinion_id: int, body: str, village: str = "", known: frozenset[tuple[str, str]] = frozenset()
) -> Doc:
    """`known`: the town's station villages by name core (SimilarityIndex.known_places), so
    that a villager writing 大塘 for 大塘村 names a place here as in the lexical engine."""
    text = normalise(body)
    places, _spans = extract_places(text, _as_mapping(known))
    flat = text.replace(" ", "")
    grams = Counter(flat[i : i + 2] for i in range(len(flat) - 1))
    return Doc(opinion_id, len(flat), frozenset(places), normalise(village or ""), grams)


@lru_cache(maxsize=16)
def _as_mapping(known: frozenset[tuple[str, str]]) -> dict[str, str]:
    return dict(known)


def place_core(place: str) -> str:
    """A place name without its suffix (六龙村 -> 六龙)."""
    for suffix in _SUFFIXES:
        if place.endswith(suffix) and len(place) > len(suffix):
            return place[: -len(suffix)]
    return place


def bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


@lru_cache(maxsize=1 << 16)  # a town has few place names; groups ask about them often
def same_place(a: str, b: str) -> bool:
    """Equal names, or cores of at least MIN_CORE characters sharing a bigram."""
    if a == b:
        return True
    ca, cb = place_core(a), place_core(b)
    return len(ca) >= MIN_CORE and len(cb) >= MIN_CORE and bool(bigrams(ca) & bigrams(cb))


def share_a_place(a: Iterable[str], b: Iterable[str]) -> bool:
    b = list(b)
    return any(same_place(x, y) for x in a for y in b)


def place_factor(a: Doc, b: Doc) -> float:
    """Explicit names beat the stations' villages; see the module docstring."""
    return _place_factor(a.places, a.village, b.places, b.village)


@lru_cache(maxsize=1 << 16)  # by the two wheres: a town has few of them
def _place_factor(
    places_a: frozenset[str], village_a: str, places_b: frozenset[str], village_b: str
) -> float:
    within_a = [p for p in places_a if not is_village(p)]
    within_b = [p for p in places_b if not is_village(p)]
    if within_a and within_b:  # both say where in the village: 三组 is not 五组 of one village
        return PLACE_SHARED if share_a_place(within_a, within_b) else PLACE_CONFLICT
    if places_a and places_b:
        return PLACE_SHARED if share_a_place(places_a, places_b) else PLACE_CONFLICT
    eff_a = places_a or ({village_a} if village_a else set())
    eff_b = places_b or ({village_b} if village_b else set())
    if (village_a and village_a == village_b) or share_a_place(eff_a, eff_b):
        return SAME_VILLAGE
    if eff_a and eff_b:
        return VILLAGE_CONFLICT
    return 1.0


Idf = Callable[[str], float]


def idf_from(size: int, df: Callable[[str], int]) -> Idf:
    """The bigram weight ln((N + 1) / (df + 1) + 1) over a town of `size` opinions, each
    gram's computed once (a page's hundred candidates share most of their bigrams)."""
    known: dict[str, float] = {}

    def idf(gram: str) -> float:
        weight = known.get(gram)
        if weight is None:
            weight = known[gram] = math.log((size + 1) / (df(gram) + 1) + 1)
        return weight

    return idf


def tfidf(d: Doc, idf: Idf) -> dict[str, float]:
    """The opinion's bigram weights (1 + ln tf) * idf, scaled to unit length."""
    weights = {g: (1 + math.log(c)) * idf(g) for g, c in d.grams.items()}
    norm = math.sqrt(sum(w * w for w in weights.values()))
    return {g: w / norm for g, w in weights.items()} if norm else {}


def dot(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b[g] for g, w in a.items() if g in b)


def csls(cosines, hub_a, hub_b, hub_mean: float):
    """The cosines less the two opinions' hubness, plus the town's mean hubness (scalars or
    arrays of pairs).

    Some texts (short, generic: "路灯坏了") sit close to everything and would crowd every
    list; subtracting how close each is to its own nearest (cross-domain similarity local
    scaling, Conneau et al. 2018) ranks what is close to this opinion in particular. The
    town's mean is added back so that the FLOOR keeps its meaning."""
    return cosines - (hub_a + hub_b) / 2 + hub_mean


def combine(
    cosines: np.ndarray,
    lexical: np.ndarray,
    shorter: np.ndarray,
    factors: np.ndarray,
    learned: np.ndarray | float = 0.0,
    fades: np.ndarray | bool = True,
) -> np.ndarray:
    """The recipe over arrays of pairs: (w * e5 + (1 - w) * bigrams + learned) * place
    factor, with the embedding's weight w and the place factor's strength set by the shorter
    text's length. A cosine of NaN (no vector yet) leaves the embedding's part at nothing;
    `learned` is what the clerks' merges and splits say of the pair (feedback.clerk_memory).

    The place factor fades with length only where the stations do not tell both villages
    (`fades`): a long message's bigrams then carry what it names. Where both stations'
    villages are known, they say where as surely for a long text as for a short one, and
    the factor stays whole."""
    t = np.clip((shorter - SHORT) / (LONG - SHORT), 0.0, 1.0)
    w = W_SHORT + (W_LONG - W_SHORT) * t
    e5 = np.nan_to_num(np.clip((cosines - FLOOR) / (1 - FLOOR), 0.0, 1.0))
    base = np.maximum(0.0, w * e5 + (1 - w) * lexical + learned)
    fade = np.clip((shorter - FADE[0]) / (FADE[1] - FADE[0]), 0.0, 1.0) * fades
    return np.minimum(1.0, base * (1 + (factors - 1) * (1 - fade)))


def scores(
    asked: Doc,
    others: Sequence[Doc],
    cosines: Sequence[float | None],
    idf: Idf,
    learned: Sequence[float] | None = None,
) -> np.ndarray:
    """The recipe's score of one opinion with each of `others` (float64 array), given the
    embedding cosines (None where an opinion has no vector yet) and what the clerks'
    judgements add to each pair."""
    weights = tfidf(asked, idf)
    lexical = np.array([dot(weights, tfidf(other, idf)) for other in others], dtype=float)
    shorter = np.minimum(asked.length, np.array([o.length for o in others], dtype=float))
    factors = np.array([place_factor(asked, other) for other in others], dtype=float)
    fades = np.array([not (asked.village and other.village) for other in others])
    cos = np.array([np.nan if c is None else c for c in cosines], dtype=float)
    extra = 0.0 if learned is None else np.asarray(learned, dtype=float)
    return combine(cos, lexical, shorter, factors, extra, fades)


def group_margins(scores_: np.ndarray, shorter: np.ndarray) -> np.ndarray:
    """How far pairs' scores are over the threshold for sharing a group: GROUP_SHORT for
    short texts, GROUP_LONG for long ones (long texts share more bigrams by chance)."""
    t = np.clip((shorter - SHORT) / (LONG - SHORT), 0.0, 1.0)
    return scores_ - (GROUP_SHORT + (GROUP_LONG - GROUP_SHORT) * t)
