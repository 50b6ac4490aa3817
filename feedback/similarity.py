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
rows handed in, so the CLI, the web and the tests share it.
"""

from __future__ import annotations

import bisect
import hashlib
import heapq
import json
import math
import re
import struct
import sys
import unicodedata
from array import array
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise


def _words(text: str) -> tuple[str, ...]:
    """Word lists are written as one spaced string: short to read, easy to extend."""
    return tuple(text.split())


# --- The concept lexicon -------------------------------------------------------------------
# Concept -> surface words villagers use for it. A surface may belong to several concepts
# ("不亮" is both a lamp and a breakage). Matching is leftmost-longest, so "路灯" wins over "灯"
# and "影响" (mapped to nothing) stops "响" from reading as noise. Kept as data here so it ships
# with the package and is easy to extend when clerks report a miss.
_LEXICON: dict[str, str] = {
    "LAMP": "路灯 街灯 路等 灯 太阳能灯 照明 灯泡 不亮 灯光 亮化",
    "DARK": "黑灯瞎火 漆黑 黑漆漆 黑咕隆咚 摸黑 太黑 一片黑 看不见 黑乎乎 黑黢黢 不亮 灭",
    "BROKEN": (
        "坏 损坏 失灵 不能用 没法用 莫得用 没得用 冇用 不亮 灭 不工作 断 没人修 修一下 修一修 维修"
    ),
    "GARBAGE": (
        "垃圾 垃极 拉圾 垃鸡 环卫 环卫车 垃圾车 收垃圾 垃圾桶 垃圾池 垃圾站 垃圾堆 清运 "
        "堆成山 乱倒 乱扔 拉走 没人收 没人拉 保洁 卫生"
    ),
    "SMELL": "臭 发臭 臭气 臭气熏天 异味 味道大 臭烘烘 臭死",
    "NOISE": (
        "噪音 躁音 燥音 噪声 吵 太吵 吵死 吵得 睡不着 没法睡 睡不好 轰隆 轰隆隆 轰轰 响 "
        "打桩 喇叭 音响 广场舞"
    ),
    "NUISANCE": "扰民 影响休息 受不了",
    "CONSTRUCTION": "施工 工地 打桩 搅拌机 装修 挖机 机器 石料厂 碎石场 砂场 采石场",
    "NIGHT": "半夜 夜里 深夜 整夜 晚上 夜间 凌晨 十二点 通宵",
    "CRACK": "裂缝 开裂 裂开 裂痕 裂 缝",
    "BRIDGE": "桥 桥面 桥墩 桥梁 石板桥 栏杆 护栏",
    "COLLAPSE": "垮 塌 倒塌 快倒 怕倒 冲垮 晃",
    "DANGER": "危险 不安全 吓人 吓死人 隐患",
    "SMOKE": "油烟 油姻 油菸 烟子 排烟 冒烟 烟囱 油味 呛 熏 烧烤 油烟味",
    "EATERY": "饭店 饭馆 餐馆 餐厅 烧烤店 小炒 烧腊 炒菜 大排档 食堂 小吃",
    "TAPWATER": "自来水 水龙头 水管 水质 饮用水 喝的水 吃水 锈水",
    "DIRTYWATER": "发黄 黄黄 黄的 黄色 洗黄 浑浊 浑 锈 铁锈 沉淀 渣 水垢 异味 锈水",
    "WATERCUT": "停水 没水喝 断水 水压",
    "ROAD": "路面 村道 水泥路 土路 泥巴路 马路 道路 公路 的路 烂路 路烂 修路 硬化",
    "POTHOLE": "坑 坑洼 坑坑洼洼 烂 积水 陷 难走 颠 泥泞 不成样子",
    "DOG": "狗 野狗 流浪狗 疯狗 狂犬 恶狗 狗群",
    "BITE": "咬 咬伤 伤人 追人 咬人 狂犬疫苗",
    "RIVER": "河 河道 河沟 小河 河水 河里 溪 水塘 池塘",
    "POLLUTION": "污染 排污 污水 粪水 偷排 变色 黑水 水是黑的 脏 搞脏",
    "DEADFISH": "死鱼 翻白肚 鱼死 鱼都死",
    "STALL": "摆摊 摊 摊贩 小贩 菜贩 占道 占道经营 人行道 赶集 赶圩 流动摊",
    "PARKING": "停车 车位 停车位 乱停 停放 停车难 没地方停",
    "BLOCKED": "堵 堵死 挡 过不去 堵塞 堵了",
    "MEDICAL": (
        "医保 医疗保险 新农合 合作医疗 报销 看病 医院 门诊 住院 转诊 医保卡 报不了 卫生院 药费"
    ),
    "WAGE": "工资 工钱 欠薪 拖欠 不给钱 包工头 老板跑 农民工 讨薪 拖着不给 要不到",
    "SCHOOLBUS": "校车 接送 面包车 超载",
    "CHILD": "娃儿 娃 细伢子 伢 小孩 孩子 学生 小学生 娃娃",
    "SCHOOL": "上学 放学 学校 读书",
    "IRRIGATION": "灌溉 水渠 沟渠 抽水 放水 浇水 浇不上 缺水 干死 旱 没水 水泵 抽水泵 放不进水",
    "FIELD": "田 稻田 农田 秧苗 庄稼 地里 田里 秧",
    "HOUSE": "危房 土坯房 老房子 房子 墙 墙体 危房改造 漏水 屋顶 瓦房",
    "ELDER": "老人 老人家 老倌 老年人 老头",
    "SIGNAL": "信号 网络 没网 宽带 手机信号",
    "WELFARE": "低保 补助 补贴 救助 五保 养老金",
    "LAND": "宅基地 征地 土地 承包地 占地",
    "TOILET": "厕所 旱厕 公厕 化粪池",
    "FLOOD": "内涝 淹 水淹 排水 下水道",
    "BUS": "公交 班车 客车 坐车难",
    "BURNING": "烧秸秆 焚烧 烧垃圾",
    "LIVESTOCK": "养猪场 养鸡场 猪场 牛粪 鸡粪",
    "SLOW": "好久 一直 多久 几个月 三个月 半个月 好几年 好多年 没人管 冇人管 没人理",
}
CONCEPTS: dict[str, tuple[str, ...]] = {c: _words(s) for c, s in _LEXICON.items()}
# Surfaces that must not be read as their characters' concepts.
BLOCKERS: tuple[str, ...] = ("影响", "响应", "红绿灯", "缝纫", "坏人", "河南", "回响", "田野")

CONCEPT_WEIGHT = 3.0  # a concept is worth three bigrams: it is what survives paraphrase
BIGRAM_WEIGHT = 1.0
PLACE_BOOST = 1.2  # both name a place and at least one is shared
SAME_VILLAGE_BOOST = 1.1  # no conflicting names, same station village
PLACE_CONFLICT = 0.25  # both name places, none shared: almost surely two problems
VILLAGE_CONFLICT = 0.45  # different station villages, nothing explicit to compare
# Score from which two opinions may share a group: on tests/data/similar_opinions.json it gives
# pure groups (no topic mixed) while keeping ~86% of topic-mate pairs together.
GROUP_THRESHOLD = 0.3

# --- Places ----------------------------------------------------------------------------------
_AREA_SUFFIX = "社区|小区|花园|新村|村|屯|寨|苑"
_LINE_SUFFIX = "大道|路|街|巷|桥|组"
# A name's own characters never include a suffix: "那坡屯进屯" is 那坡屯 and a verb.
_AREA_RE = re.compile(rf"((?:(?![村屯寨区苑])[\u4e00-\u9fff0-9]){{1,4}})({_AREA_SUFFIX})")
# 路灯 / 路面 / 桥面 are things, not places: 路 followed by these is not a road name.
_LINE_RE = re.compile(
    rf"((?:(?![村屯寨区路街巷桥组])[\u4e00-\u9fff0-9]){{1,4}})({_LINE_SUFFIX})"
    r"(?!灯|面|费|况|线|人|墩|梁|上有)"
)
_SPLIT_RE = re.compile("的|那座|这座|那个|这个|那条|这条|那家|这家|那边|这边|那段|这段")
# Words before a suffix that are not part of a name (我们村, 进村, 去石桥村...).
_LEAD = _words(
    "我们 咱们 你们 他们 隔壁 附近 旁边 对面 村里 镇上 县里 通往 去往 我 咱 们 你 他 "
    "在 是 到 去 从 和 跟 对 给 把 被 就 都 也 还 又 说 里 个 条 座 家 边 头 口 进 出 "
    "过 往 向 离 靠 住 全 整 本 各 每 该 有 没 邻 请 修 回 一下 反映 走 希望"
)
# Words that look like names before a suffix but are not (马路, 水泥路, 农村, 老桥...).
_NOT_NAMES = frozenset(
    _words(
        "马 公 水泥 土 泥巴 农 新农 乡 山 小 老 大 河 石板路 村 进 一 这 那 哪 每 乡村 城 铁 过河"
    )
)
_NUMERAL = re.compile(r"^[0-9一二三四五六七八九十]+$")


@lru_cache(maxsize=65536)
def _is_name(name: str) -> bool:
    """Not a generic word, and not a phrase of the problem ("看不见路" is no road's name)."""
    if name in _NOT_NAMES:
        return False
    return _PHRASE_RE.search(name) is None


def normalise(text: str) -> str:
    """NFKC (full-width digits and letters), lower case, whitespace and punctuation as one space.

    Punctuation becomes a boundary rather than vanishing so that bigrams and place names do
    not run across two clauses.
    """
    text = unicodedata.normalize("NFKC", text or "").lower()
    return re.sub(r"[^\w]+|_", " ", text).strip()


@lru_cache(maxsize=65536)
def _clean_name(raw: str) -> str:
    name = _SPLIT_RE.split(raw)[-1]
    changed = True
    while changed and name:
        changed = False
        for lead in _LEAD:
            if name.startswith(lead) and len(name) > len(lead):
                name, changed = name[len(lead) :], True
                break
            if name == lead:
                return ""
    return name


def extract_places(
    text: str, known: Mapping[str, str] | None = None
) -> tuple[set[str], list[tuple[int, int]]]:
    """Place names in normalised text, and their spans (so content features can skip them).

    `known` maps a name core to its full place ("大塘" -> "大塘村") so that villagers who
    leave the suffix off ("大塘那座桥") are still placed. A villager's "我们村" / "村口" is
    not a name; the leading-word trimming and `_NOT_NAMES` keep such words out.
    """
    places: set[str] = set()
    spans: list[tuple[int, int]] = []
    for m in _AREA_RE.finditer(text):
        name = _clean_name(m.group(1))
        if len(name) >= 2 and _is_name(name):
            places.add(name + m.group(2))
            spans.append((m.end() - len(name) - len(m.group(2)), m.end()))
    for m in _LINE_RE.finditer(text):
        name = _clean_name(m.group(1))
        # "红星村五组": the village was found above; the group is 五组.
        for area in sorted(places, key=len, reverse=True):
            if area in name:
                name = name.split(area)[-1]
        numeral = m.group(2) == "组" and bool(_NUMERAL.match(name))
        if (len(name) >= 2 or numeral) and _is_name(name):
            places.add(name + m.group(2))
            spans.append((m.end() - len(name) - len(m.group(2)), m.end()))
    if known:
        for m in _known_pattern(tuple(known)).finditer(text):
            places.add(known[m.group(0)])
            spans.append(m.span())
    return places, spans


@lru_cache(maxsize=16)
def _known_pattern(cores: tuple[str, ...]) -> re.Pattern[str]:
    """One regex for all known village names: a town has hundreds, searched per opinion."""
    return re.compile("|".join(re.escape(c) for c in sorted(cores, key=len, reverse=True)))


# --- Content features --------------------------------------------------------------------------
def _build_concept_re() -> tuple[re.Pattern[str], dict[str, tuple[str, ...]]]:
    by_surface: dict[str, set[str]] = defaultdict(set)
    for concept, surfaces in CONCEPTS.items():
        for surface in surfaces:
            by_surface[surface].add(concept)
    for blocker in BLOCKERS:
        by_surface.setdefault(blocker, set())
    ordered = sorted(by_surface, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(s) for s in ordered))
    return pattern, {s: tuple(sorted(c)) for s, c in by_surface.items()}


_CONCEPT_RE, _SURFACE_CONCEPTS = _build_concept_re()
# Any lexicon word of two or more characters: a "name" containing one is a phrase.
_PHRASE_RE = re.compile("|".join(re.escape(s) for s in _SURFACE_CONCEPTS if len(s) > 1))


def _blank(text: str, spans: Iterable[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        for i in range(start, end):
            chars[i] = " "
    return "".join(chars)


def feature_counts(
    text: str, spans: Iterable[tuple[int, int]] = (), places: Iterable[str] = ()
) -> dict[str, int]:
    """How often each content feature occurs in normalised text: concepts ("#LAMP"), bigrams.

    Place spans are blanked first, so "石桥村" is neither a BRIDGE nor a bigram: the place is
    judged separately and must not make two different problems of one village look alike.
    """
    text = _blank(text, spans)
    counts: dict[str, int] = defaultdict(int)
    # A place named after a bridge is also what the complaint is about (龙潭桥快垮了).
    for place in places:
        if place.endswith("桥"):
            counts["#BRIDGE"] += 1
    for m in _CONCEPT_RE.finditer(text):
        for concept in _SURFACE_CONCEPTS[m.group(0)]:
            counts["#" + concept] += 1
    for chunk in text.split():
        if len(chunk) == 1:
            counts[chunk] += 1
        for i in range(len(chunk) - 1):
            counts[chunk[i : i + 2]] += 1
    return counts


def weight(count: int, concept: bool) -> float:
    """Repetition says little in a two-line opinion: term frequency is dampened."""
    unit = CONCEPT_WEIGHT if concept else BIGRAM_WEIGHT
    return (1.0 + math.log(count)) * unit


def content_features(
    text: str, spans: Iterable[tuple[int, int]] = (), places: Iterable[str] = ()
) -> dict[str, float]:
    """Weighted content features of normalised text (see feature_counts and weight)."""
    counts = feature_counts(text, spans, places)
    return {f: weight(n, f.startswith("#")) for f, n in counts.items()}


# --- The index ---------------------------------------------------------------------------------
MAX_COUNT = 4095  # a feature repeated more often than this in one text counts as this often
# weight(count, concept) for every count, looked up rather than recomputed per comparison.
_WEIGHTS = tuple(
    tuple(weight(n, concept) if n else 0.0 for n in range(MAX_COUNT + 1))
    for concept in (False, True)
)


MAGIC = b"FBSIMIX\n"  # what a stored index starts with (see SimilarityIndex.dump)
STORE_FORMAT = 1
_STORED_ARRAYS = {
    "concept": "B",
    "df": "i",
    "postings": "i",
    "posting_ends": "q",
    "place_postings": "i",
    "place_ends": "q",
    "ids": "q",
    "start": "q",
    "feats": "i",
    "counts": "H",
    "place_of": "i",
    "village_of": "i",
}


class StoreError(ValueError):
    """A stored index that is not one `SimilarityIndex.dump` wrote: it is rebuilt."""


def _flatten(arrays: Iterable[array]) -> tuple[array, array]:
    """Many posting lists as one array and the end offset of each (after a leading 0)."""
    flat, ends = array("i"), array("q", [0])
    for posting in arrays:
        flat.extend(posting)
        ends.append(len(flat))
    return flat, ends


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
    are also what `dump` writes and `load` reads back (feedback.similarity_index stores them).
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

    def __contains__(self, opinion_id: object) -> bool:
        return opinion_id in self._slot

    def add(self, opinion_id: int, body: str, village: str = "") -> None:
        """Index one opinion; adding an id again replaces its earlier text."""
        if opinion_id in self._slot:
            self.remove(opinion_id)
        if village:
            self._remember_place(village)
        village = _normalised_village(village)
        text = normalise(body)
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

    # -- storing --
    def dump(self, meta: Mapping[str, object] | None = None) -> bytes:
        """The index as data a reader checks, never runs: MAGIC, a JSON header (`meta`, the
        tables of strings, each array's type code and length, a hash of the arrays), then the
        arrays' bytes.

        Unlike a pickle, a file planted in the store cannot run code: `load` refuses it, and a
        hand-made one that passes every check is still only an index.
        """
        postings, posting_ends = _flatten(self._postings)
        places = list(self._place_postings)
        place_postings, place_ends = _flatten(self._place_postings.values())
        arrays = {
            "concept": array("B", self._concept),
            "df": self._df,
            "postings": postings,
            "posting_ends": posting_ends,
            "place_postings": place_postings,
            "place_ends": place_ends,
            "ids": self._ids,
            "start": self._start,
            "feats": self._feats,
            "counts": self._counts,
            "place_of": self._place_of,
            "village_of": self._village_of,
        }
        header = {
            "format": STORE_FORMAT,
            "byteorder": sys.byteorder,
            "meta": dict(meta or {}),
            "max_postings": self.max_postings,
            "rescore": self.rescore,
            "features": list(self._feature_ids),
            "places": places,
            "place_sets": [sorted(places) for places in self._place_sets],
            "villages": self._villages,
            "known_places": self._known_places,
            "live": len(self._slot),
            "arrays": [[name, a.typecode, len(a)] for name, a in arrays.items()],
        }
        payload = b"".join(a.tobytes() for a in arrays.values())
        header["sha256"] = hashlib.sha256(payload).hexdigest()
        head = json.dumps(header, ensure_ascii=False).encode()
        return b"".join([MAGIC, struct.pack("<I", len(head)), head, payload])

    @classmethod
    def load(cls, data: bytes) -> tuple[SimilarityIndex, dict]:
        """An index and its `meta` from what `dump` wrote; StoreError for anything else
        (another program's file, a truncated copy, another format or byte order)."""
        view = memoryview(data)
        if bytes(view[: len(MAGIC)]) != MAGIC or len(view) < len(MAGIC) + 4:
            raise StoreError("not a stored similarity index")
        (size,) = struct.unpack("<I", view[len(MAGIC) : len(MAGIC) + 4])
        offset = len(MAGIC) + 4 + size
        try:
            header = json.loads(bytes(view[len(MAGIC) + 4 : offset]))
        except ValueError:
            raise StoreError("unreadable header") from None
        if not isinstance(header, dict) or header.get("format") != STORE_FORMAT:
            raise StoreError("another format")
        if header.get("byteorder") != sys.byteorder:
            raise StoreError("another byte order")
        try:
            if hashlib.sha256(view[offset:]).hexdigest() != header["sha256"]:
                raise StoreError("damaged (the arrays do not match their hash)")
            arrays = {}
            for name, typecode, length in header["arrays"]:
                if name not in _STORED_ARRAYS or typecode != _STORED_ARRAYS[name] or length < 0:
                    raise StoreError(f"unexpected array {name!r}")
                end = offset + length * array(typecode).itemsize
                if end > len(view):
                    raise StoreError("truncated")
                arrays[name] = array(typecode)
                arrays[name].frombytes(view[offset:end])
                offset = end
            if offset != len(view) or set(arrays) != set(_STORED_ARRAYS):
                raise StoreError("lengths do not add up")
            index = cls(int(header["max_postings"]), int(header["rescore"]))
            index._fill(header, arrays)
            meta = dict(header["meta"])
        except StoreError:
            raise
        except (AttributeError, KeyError, TypeError, ValueError, IndexError, OverflowError) as e:
            raise StoreError(f"inconsistent: {e!r}") from None
        return index, meta

    def _fill(self, header: dict, a: dict[str, array]) -> None:
        """Take over the arrays once their lengths, offsets and the smaller tables' references
        are checked, so that a damaged file fails here rather than in a clerk's request.
        The long per-feature arrays are covered by the hash instead: scanning them would
        triple the load time."""
        features = [str(f) for f in header["features"]]
        n_features, n_slots = len(features), len(a["ids"])
        place_sets = [frozenset(map(str, places)) for places in header["place_sets"]]
        villages = [str(v) for v in header["villages"]]
        places = [str(p) for p in header["places"]]
        if not (
            len(a["concept"]) == len(a["df"]) == n_features == len(a["posting_ends"]) - 1
            and len(a["start"]) == n_slots + 1
            and len(a["place_of"]) == len(a["village_of"]) == n_slots
            and len(a["feats"]) == len(a["counts"]) == a["start"][-1]
            and a["start"][0] == a["posting_ends"][0] == a["place_ends"][0] == 0
            and len(a["place_ends"]) == len(places) + 1
            and a["posting_ends"][-1] == len(a["postings"])
            and a["place_ends"][-1] == len(a["place_postings"])
            and place_sets[:1] == [frozenset()]
            and villages[:1] == [""]
        ):
            raise StoreError("lengths do not match")
        for name, bound in (
            ("concept", 2),
            ("df", n_slots + 1),
            ("place_postings", n_slots),
            ("place_of", len(place_sets)),
            ("village_of", len(villages)),
        ):
            values = a[name]
            if values and (min(values) < 0 or max(values) >= bound):
                raise StoreError(f"{name} out of range")
        for ends in (a["start"], a["posting_ends"], a["place_ends"]):
            if any(x > y for x, y in pairwise(ends)):  # with the ends checked: all in range
                raise StoreError("offsets go backwards")
        self._feature_ids = {f: i for i, f in enumerate(features)}
        if len(self._feature_ids) != n_features:
            raise StoreError("a feature twice")
        self._concept = bytearray(a["concept"])
        self._df = a["df"]
        postings, ends = a["postings"], a["posting_ends"]
        self._postings = [postings[x:y] for x, y in pairwise(ends)]
        place_postings, ends = a["place_postings"], a["place_ends"]
        self._place_postings = {
            place: place_postings[x:y] for place, (x, y) in zip(places, pairwise(ends), strict=True)
        }
        self._ids, self._start, self._feats = a["ids"], a["start"], a["feats"]
        self._counts, self._place_of, self._village_of = a["counts"], a["place_of"], a["village_of"]
        self._slot = {opinion: slot for slot, opinion in enumerate(self._ids) if opinion >= 0}
        if len(self._slot) != header["live"]:
            raise StoreError("an opinion twice")
        self._place_sets, self._villages = place_sets, villages
        self._shared = {value: i for i, value in enumerate(place_sets)}
        self._shared.update({value: i for i, value in enumerate(villages)})
        self._shared.update({frozenset(): 0, "": 0})
        self._known_places = {str(k): str(v) for k, v in header["known_places"].items()}
        self._known_names = set(self._known_places.values())

    def _remember_place(self, village: str) -> None:
        """Station villages named without their suffix ("大塘那座桥") are still places."""
        if village in self._known_names:
            return
        m = re.fullmatch(rf"(.+?)({_AREA_SUFFIX})", _normalised_village(village))
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

    def groups(self, ids: Iterable[int], threshold: float = GROUP_THRESHOLD) -> list[list[int]]:
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
        pending = _Pending(self, ids)
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
            factor = self._factors[pair] = SimilarityIndex.place_factor(
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
        parent = self.parent
        while parent[m] != m:
            parent[m] = parent[parent[m]]
            m = parent[m]
        return m

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


def _dot(a: Mapping[int, float], b: Mapping[int, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b[fid] for fid, w in a.items() if fid in b)
