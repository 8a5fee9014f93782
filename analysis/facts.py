"""Facts a duty officer grades a post by: who was hurt, how many, minors, a gathering, officials' misconduct,
urgency. A registry of named detectors, each matched on whole jieba words (one word or a run of up to three
adjacent words that spell it, so 被打 is found in 被/打) — never a character fragment: 生吃 is not in 学生吃.

An occurrence right after a negator (没有人受伤, 尚无伤亡) does not count. Each fact found carries the words
that showed it, for the explanation; the grader (analysis/grader.py) weighs them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

# Up to this many adjacent words are joined to spell a fact word (被/打 → 被打, 上/百名 → 上百名).
MAX_SPAN = 3
# A fact word right after one of these (within NEGATED_WITHIN words) is denied, not stated.
NEGATORS = frozenset(
    {"没", "没有", "无", "未", "尚无", "暂无", "并未", "没有人", "无人", "未有", "不会", "防止", "避免", "预防"}
)
NEGATED_WITHIN = 2
# Harm that might happen is a hazard, not harm done (一旦倒塌将造成伤亡, 以免学生受伤, 担心孩子中毒): a harm word
# this close after one of these does not count as harm.
HYPOTHETICAL = frozenset(
    {"一旦", "万一", "如果", "假如", "若", "以免", "可能", "容易", "担心", "害怕", "恐怕", "会", "将"}
)
HYPOTHETICAL_WITHIN = 3


# Facts of harm already done (the guide's "harmed"): a post stating one is no mere question or suggestion.
HARM = frozenset({"death", "injury", "hospital", "illness", "violence", "detention"})


@dataclass(frozen=True)
class Fact:
    id: str
    zh: str  # shown to users
    words: frozenset[str]


@dataclass(frozen=True)
class FactHit:
    fact: str  # Fact.id
    zh: str
    words: list[str]  # as found, first occurrence order, no repeats


def _fact(id: str, zh: str, words: str) -> Fact:
    return Fact(id, zh, frozenset(words.split()))


# Written by the Yuqing team from the labelling guide's questions (harmed, many, minors …), not from any data set.
FACTS: tuple[Fact, ...] = (
    _fact(
        "death",
        "人员死亡",
        "死亡 身亡 遇难 丧生 致死 溺亡 猝死 自杀 跳楼 轻生 尸体 命案 丧命 不幸离世 死者",
    ),
    _fact(
        "injury",
        "人员受伤",
        "受伤 重伤 轻伤 骨折 流血 伤势 致残 烧伤 烫伤 摔伤 打伤 砸伤 撞伤 咬伤 割伤 "
        # 溺水: rescued or not, the post says; 溺亡 is a death
        "昏迷 抢救 缝针 脑震荡 伤者 被撞 被咬 溺水 撞倒 推倒 摔倒在地 呼吸困难",
    ),
    _fact("hospital", "送医急救", "送医 送往医院 送到医院 急诊 ICU 重症监护 救护车"),
    # A stay in hospital or a visit to a doctor is as often an insurance question or an illness of one's own.
    _fact("treated", "住院就医", "住院 入院 就医 住进 出院"),
    _fact(
        "illness",
        "中毒或致病",
        "中毒 食物中毒 呕吐 腹泻 上吐下泻 拉肚子 发烧 过敏 染病 感染 头晕 恶心 不适 肚子疼 病倒 患癌 癌症 白血病",
    ),
    _fact(
        "violence",
        "暴力伤害",
        "被打 殴打 打人 围殴 暴打 毒打 欺凌 霸凌 持刀 砍伤 砍人 行凶 施暴 家暴 猥亵 性侵 强奸 打骂 体罚 追打 群殴 打伤",
    ),
    _fact(
        "detention", "人身自由受限", "拘留 关押 扣押 非法拘禁 拘禁 限制人身自由 抓走 强行带走 软禁 行政拘留 刑事拘留"
    ),
    _fact(
        "many",
        "涉及人数多",
        "多名 多人 十几个 十几名 十几人 几十 几十个 几十名 几十人 数十 数十名 上百 上百名 "
        "上百人 数百 上千 几百 全班 全村 全校 "
        "全体 全小区 大批 众多 成百上千 业主们 村民们 居民们 家长们 工友们 工人们 员工们 学生们",
    ),
    _fact(
        "minors",
        "涉及未成年人",
        "学生 孩子 小孩 幼儿 儿童 小学生 中学生 初中生 高中生 未成年 未成年人 幼儿园 婴儿 "
        "婴幼儿 小朋友 学童 孩子们 少年 新生",
    ),
    _fact(
        "gathering",
        "聚集或上访",
        "拉横幅 横幅 聚集 堵路 围堵 上访 静坐 集体上访 游行 示威 罢工 闹事 群体性 冲突 堵门 堵住 讨说法 聚众",
    ),
    _fact(
        "misconduct",
        "公职人员违纪",
        "索贿 受贿 行贿 收礼 购物卡 贪污 挪用 侵吞 吃拿卡要 敲诈 勒索 权钱交易 以权谋私 公款 保护伞 黑恶 贪腐 腐败 "
        "中饱私囊 私分 截留 克扣 索要 红包 回扣 好处费 徇私 包庇 滥用职权 骗取 职务之便 利用职务 收买 权色交易",
    ),
    _fact("urgency", "事态紧急", "正在 随时 马上 立即 紧急 十万火急 刻不容缓 危在旦夕 迫在眉睫 即将 万分火急 生命危险"),
    _fact(
        "hazard", "安全隐患", "隐患 安全隐患 倒塌 坍塌 塌方 火灾 起火 爆炸 危房 漏电 燃气泄漏 煤气 塌陷 垮塌 滑坡 险情"
    ),
    _fact("wages", "拖欠工资", "欠薪 拖欠 拖欠工资 工资拖欠 讨薪 血汗钱 工钱 不发工资 欠发 扣发 拖欠农民工"),
)

# A count of ten or more people or households: 二十多名, 100余人, 三十几户 (whole words, joined as above).
_COUNT = re.compile(
    r"^(\d+|[一二两三四五六七八九十百千万几数]+)(多|余|来)?(名|个|人|户|家|位|位老人|名学生|名工人|多人|余人)$"
)
_BIG = re.compile(r"[十百千万]|^\d{2,}")


@functools.cache
def _index() -> tuple[dict[str, tuple[Fact, ...]], frozenset[str]]:
    """Fact word → facts, and every proper prefix of a fact word (a run of words is only extended while it
    can still spell one)."""
    by_word: dict[str, list[Fact]] = {}
    for fact in FACTS:
        for word in fact.words:
            by_word.setdefault(word.lower(), []).append(fact)
    prefixes = frozenset(w[:i] for w in by_word for i in range(1, len(w)))
    return {w: tuple(f) for w, f in by_word.items()}, prefixes


_NUMERALS = frozenset("0123456789一二两三四五六七八九十百千万几数")


def fact_words() -> set[str]:
    """Every fact word (for tests and documentation; the tokenizer is not told them: see module docstring)."""
    return {w for fact in FACTS for w in fact.words}


def _is_count(word: str) -> bool:
    found = _COUNT.match(word)
    return bool(found and _BIG.search(found.group(1)) and not found.group(1).startswith("几个"))


def _inner_words(token: str) -> list[str]:
    """The dictionary words inside a long token, left to right without overlaps. The user dictionary holds the
    configuration's phrases (a scheme's 随时可能倒塌) as single words; the facts are in the words they are made of."""
    import jieba

    inner, end = [], 0
    for word in jieba.cut_for_search(token):
        start = token.find(word, end)
        if word != token and start >= end:
            inner.append(word)
            end = start + len(word)
    return inner if "".join(inner) == token else [token]


def find_facts(words: Iterable[str]) -> list[FactHit]:
    """The facts stated in a text given as accurate-mode jieba words (`store.tokens.segment`), in registry order."""
    index, prefixes = _index()
    tokens: list[str] = []
    for word in words:
        long_phrase = len(word) >= 4 and word.lower() not in index and word[0] not in _NUMERALS
        tokens.extend(_inner_words(word) if long_phrase else [word])
    found: dict[str, list[str]] = {}
    since_negator = NEGATED_WITHIN + 1
    since_hypothetical = HYPOTHETICAL_WITHIN + 1
    for i, token in enumerate(tokens):
        if token in NEGATORS:
            since_negator = 0
            continue
        if token in HYPOTHETICAL:
            since_hypothetical = 0
            continue
        since_negator += 1
        since_hypothetical += 1
        if since_negator <= NEGATED_WITHIN:
            continue
        possible = since_hypothetical <= HYPOTHETICAL_WITHIN
        counting = token[0] in _NUMERALS
        spelled = ""
        for j in range(i, min(i + MAX_SPAN, len(tokens))):
            spelled += tokens[j]
            for fact in index.get(spelled, ()):
                if possible and fact.id in HARM:
                    continue
                seen = found.setdefault(fact.id, [])
                if spelled not in seen:
                    seen.append(spelled)
            if counting and _is_count(spelled):
                seen = found.setdefault("many", [])
                if spelled not in seen:
                    seen.append(spelled)
            if not counting and spelled not in prefixes:
                break
    return [FactHit(fact.id, fact.zh, found[fact.id]) for fact in FACTS if fact.id in found]


def describe(hits: list[FactHit]) -> str:
    """The explanation line: 事实：人员受伤（受伤、住院）；涉及未成年人（学生）."""
    if not hits:
        return "事实：未见伤害、人数、未成年人、聚集、违纪或紧急等事实"
    return "事实：" + "；".join(f"{h.zh}（{'、'.join(h.words[:5])}）" for h in hits)
