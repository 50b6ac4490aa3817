"""What an opinion's text is reduced to for comparison: concept tokens from a hand-made
lexicon of village problems (路灯/灯/不亮 -> LAMP, BROKEN...), weighted high because they carry
the meaning that survives paraphrase, and character bigrams of the rest, which catch typos and
words the lexicon does not know. Place names are blanked first (see feedback.places)."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable


def spaced_words(text: str) -> tuple[str, ...]:
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
CONCEPTS: dict[str, tuple[str, ...]] = {c: spaced_words(s) for c, s in _LEXICON.items()}
# Surfaces that must not be read as their characters' concepts.
BLOCKERS: tuple[str, ...] = ("影响", "响应", "红绿灯", "缝纫", "坏人", "河南", "回响", "田野")

CONCEPT_WEIGHT = 3.0  # a concept is worth three bigrams: it is what survives paraphrase
BIGRAM_WEIGHT = 1.0


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
PHRASE_RE = re.compile("|".join(re.escape(s) for s in _SURFACE_CONCEPTS if len(s) > 1))


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


def surfaces(text: str, spans: Iterable[tuple[int, int]] = ()) -> dict[str, set[str]]:
    """The lexicon's concepts in normalised text, each with the words that said it, so a clerk
    can be shown that 灯不亮 and 路灯坏了 were read as one thing."""
    found: dict[str, set[str]] = defaultdict(set)
    for m in _CONCEPT_RE.finditer(_blank(text, spans)):
        for concept in _SURFACE_CONCEPTS[m.group(0)]:
            found[concept].add(m.group(0))
    return found
