"""Place names in villagers' texts (X村, X屯, X社区, X小区, X路, X街, X桥, X组, and known
station villages named without their suffix), so that the same complaint about another place
ranks lower: places adjust a similarity score rather than add to it."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache

from feedback.similarity_lexicon import PHRASE_RE, spaced_words

AREA_SUFFIX = "社区|小区|花园|新村|村|屯|寨|苑"
LINE_SUFFIX = "大道|路|街|巷|桥|组"
GROUP_SUFFIX = "组|社|队"  # 三组 / 五社 / 二队: a village's groups, named by number
# Places a village is made of: a text naming one names where in the village it is.
VILLAGE_SUFFIXES = ("村", "社区", "新村")
# A name's own characters never include a suffix: "那坡屯进屯" is 那坡屯 and a verb.
# 村委 / 村民 / 村干部 are the village's people, not its name ("麻烦村委" names no place).
_AREA_RE = re.compile(
    rf"((?:(?![村屯寨区苑])[\u4e00-\u9fff0-9]){{1,4}})({AREA_SUFFIX})(?!委|民|干部|支书|主任)"
)
_GROUP_RE = re.compile(
    rf"(?<![0-9一二三四五六七八九十])([0-9一二三四五六七八九十]{{1,3}})({GROUP_SUFFIX})"
)
# Natural villages named by position or size (上寨 / 下寨, 大冲 / 小冲, 老街 / 新街): a name of
# one character before the suffix, which the patterns above leave out as too generic.
_NATURAL_RE = re.compile(
    r"([上下大小东西南北前后中])(寨|屯|坪|冲|湾|坳)(?!子|击|动|刷)|([老新])(街)"
)
# Hill and water settlements named like other places (杨梅湾, 黄泥坳).
_NATURAL_LONG_RE = re.compile(r"((?:(?![村屯寨区苑湾坳])[\u4e00-\u9fff]){2,3})(湾|坳)")
# A road's name does not end in a verb or a preposition: "停在路中间", "摆了一路", "往路上冒".
_NOT_NAME_ENDS = frozenset("在往到满一着了把上")
# 路灯 / 路面 / 桥面 are things, not places: 路 followed by these is not a road name.
_LINE_RE = re.compile(
    rf"((?:(?![村屯寨区路街巷桥组])[\u4e00-\u9fff0-9]){{1,4}})({LINE_SUFFIX})"
    r"(?!灯|面|费|况|线|人|墩|梁|上有)"
)
_SPLIT_RE = re.compile("的|那座|这座|那个|这个|那条|这条|那家|这家|那边|这边|那段|这段")
# Words before a suffix that are not part of a name (我们村, 进村, 去石桥村...).
_LEAD = spaced_words(
    "我们 咱们 你们 他们 隔壁 附近 旁边 对面 村里 镇上 县里 通往 去往 我 咱 们 你 他 "
    "在 是 到 去 从 和 跟 对 给 把 被 就 都 也 还 又 说 里 个 条 座 家 边 头 口 进 出 "
    "过 往 向 离 靠 住 全 整 本 各 每 该 有 没 邻 请 修 回 一下 反映 走 希望 建议 麻烦"
)
# Words that look like names before a suffix but are not (马路, 水泥路, 农村, 老桥...).
_NOT_NAMES = frozenset(
    spaced_words(
        "马 公 水泥 土 泥巴 农 新农 乡 山 小 老 大 河 石板路 村 进 一 这 那 哪 每 乡村 城 铁 过河"
    )
)
_NUMERAL = re.compile(r"^[0-9一二三四五六七八九十]+$")
_GENERIC_ENDS = ("马", "公", "水泥")


@lru_cache(maxsize=65536)
def _is_name(name: str) -> bool:
    """Not a generic word, and not a phrase of the problem ("看不见路" is no road's name)."""
    if name in _NOT_NAMES or name[-1] in _NOT_NAME_ENDS:
        return False
    if any(name.endswith(word) and len(name) > len(word) for word in _GENERIC_ENDS):
        return False  # "放到马路", "在公路": the road is generic, the rest a phrase
    return PHRASE_RE.search(name) is None


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
    for m in _GROUP_RE.finditer(text):
        places.add(m.group(1) + m.group(2))
        spans.append(m.span())
    for m in _NATURAL_RE.finditer(text):
        places.add(m.group(0))
        spans.append(m.span())
    for m in _NATURAL_LONG_RE.finditer(text):
        name = _clean_name(m.group(1))
        if len(name) >= 2 and _is_name(name):
            places.add(name + m.group(2))
            spans.append((m.end() - len(name) - 1, m.end()))
    if known:
        for m in _known_pattern(tuple(known)).finditer(text):
            places.add(known[m.group(0)])
            spans.append(m.span())
    return places, spans


def is_village(place: str) -> bool:
    """A whole village (六龙村, 清溪社区) rather than a place within one (三组, 那坡屯, 河堤路)."""
    return place.endswith(VILLAGE_SUFFIXES)


@lru_cache(maxsize=16)
def _known_pattern(cores: tuple[str, ...]) -> re.Pattern[str]:
    """One regex for all known village names: a town has hundreds, searched per opinion."""
    return re.compile("|".join(re.escape(c) for c in sorted(cores, key=len, reverse=True)))
