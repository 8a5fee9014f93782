"""What the writer of a post is doing (the labelling guide's post type): 投诉 (complains of a wrong done to them),
举报 (reports others' wrongdoing), 求助 (asks for help in a hardship), 咨询 (asks), 建议 (suggests), 表扬
(thanks). A multinomial logistic model trained by `python -m training.train_post_type` on graded posts
(analysis/data/POST_TYPE_CARD.md); plain Python and numpy at run time: no scikit-learn, no download.

Features: the post's jieba words and its heading's words (each set binary and L2-normalised), the facts found
(analysis/facts.py), groups of heading words that say what the writer is doing (TYPE_CUES), groups of the
post's words that say whose wrong it is or what is asked (BODY_CUES, by how often they occur), forms of
the heading itself (HEADING_FORMS: 关于…的建议, …吗？, 请问, 举报…), what its sentences do (SENTENCE_CUES:
asking, requesting, thanking, reporting, asking for help) and, in format 2, the pooled word vectors (POOLS) of
the post, its heading, its asking sentences and its other sentences.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from analysis import judgec, wordvec
from analysis.facts import HARM, FactHit
from analysis.keywords import stopwords
from analysis.modelfile import read_model
from analysis.wordvec import WordVectors
from store.tokens import normalise

if TYPE_CHECKING:
    from store._judgec import Cues

FORMAT = "yuqing-post-type-linear/2"  # /1 (no pooled vectors) still loads
FORMAT_1 = "yuqing-post-type-linear/1"
TYPES = ("投诉", "举报", "求助", "咨询", "建议", "表扬", "其他")
CALM_TYPES = frozenset({"咨询", "建议", "表扬"})  # asking, suggesting, thanking: never raised by tone
# Thanks and praise are rare on complaint boards (3 of 768 graded posts): too few to learn, so a heading that
# thanks or praises names the type (unless it reports wrongdoing: 举报, 检举 …).
PRAISE_CUES = ("感谢", "表扬", "致谢", "点赞", "锦旗", "赞扬", "称赞")
# A heading that names what the writer is doing names the type, whatever the story's words (a report of a bureau's
# unpaid bills reads like a complaint; a hardship like a grievance): 举报… opening it, 求助/救救/帮帮 in it.
NAMED_TYPES = (("举报", re.compile(r"^(?:实名)?(?:举报|检举|揭发)")), ("求助", re.compile(r"求助|救助|救救|帮帮")))
HEADING_CHARS = 60
SENTENCE_CAP = 3


def _groups(groups: dict[str, str]) -> dict[str, frozenset[str]]:
    return {name: frozenset(words.split()) for name, words in groups.items()}


# What the writer is doing, as a heading says it in whole words: one feature per group, so the model pools the
# evidence of words each too rare to learn alone. Written from the labelling guide's types.
TYPE_CUES = _groups(
    {
        "report": "举报 检举 揭发 控告 实名举报 举报信",
        "illegal": "违规 违法 非法 涉嫌 违章 私自 无证 违纪 造假 偷排 私建 乱建",
        "ask": "请问 咨询 能否 是否 何时 如何 怎么 怎样 多少 吗 哪里 可否 有没有 为何 什么时候 能不能 可不可以 "
        "要不要 该不该",
        "suggest": "建议 呼吁 希望 盼 盼望 恳请 应 应该 增设 增加 尽快 尽早 提议 倡议 完善",
        "help": "求助 救助 帮帮 救救 帮忙 困难 走投无路 无助",
        "thanks": "感谢 表扬 点赞 致谢 锦旗 赞扬 称赞 感谢信",
        "me": "我 我们 本人 我家",
    }
)
# Whose wrong it is and what is asked, in the words of the whole post: each group's feature grows with how many
# of its words occur (up to BODY_CAP). A victim writes 我/我家/业主 and 被/遭受; a reporter names a third party
# (某, 有人, 老板) and what it did unlawfully (违规, 收受, 偷排), and asks for it to be stopped (查处, 取缔).
BODY_CUES = _groups(
    {
        "me": "我 我们 本人 我家 我司 业主 我校 家人 孩子 小孩 父亲 母亲 老婆 妻子 丈夫 儿子 女儿",
        "victim": "被 遭到 遭受 受害 损失 欺骗 坑",
        "third": "某 有人 老板 此人 该公司 该 其 他们 村干部 负责人 亲戚 团伙 个人",
        "illegal": "违规 违法 非法 涉嫌 违章 私自 无证 违纪 造假 偷排 私建 乱建 违建 偷税 漏税 贪污 受贿 行贿 "
        "收受 挪用 套取 侵占 冒领 骗取 虚假 传销 赌博 黑恶 保护伞 包庇 作弊 内定 暗箱操作 偷 盗 毒 非法经营 无照 黑",
        "report": "举报 检举 揭发 控告 实名举报 举报信 举报人 查处 严查 取缔 打击 严惩 查一查 查查 彻查 依法 追究 处理",
        "ask": "请问 咨询 能否 是否 何时 如何 怎么 怎样 多少 吗 哪里 可否 有没有 为何 什么时候 能不能 可不可以 "
        "要不要 该不该 请教 想 问 问一下 了解",
        "suggest": "建议 呼吁 希望 盼 盼望 恳请 应 应该 增设 增加 尽快 尽早 提议 倡议 完善 设置 规划 考虑 改善 "
        "提高 优化 加强",
        "help": "求助 救助 帮帮 救救 帮忙 困难 走投无路 无助 贫困 低保 患 病 癌症 残疾 治疗 医药费 生活费 无力 "
        "负债 困境 孤儿",
        "thanks": "感谢 表扬 点赞 致谢 锦旗 赞扬 称赞 感谢信",
        "living": "扰民 噪音 物业 小区 交房 业主 油烟 停车 车位 噪声 开发商 楼盘",
    }
)
BODY_CAP = 5
# The same groups also as a density (kind d): their words' share of the post's words, saturating at a tenth. A long
# report names the writer a few times and the third party's acts many; a short question is mostly asking words.
# BODY_CAP alone cannot tell a long post from a short one (5-fold CV on DEV: POST_TYPE_CARD.md, "Densities").
BODY_DENSITY = 10.0
_BODY_GROUPS: dict[str, tuple[str, ...]] = {}
for _name, _cues in BODY_CUES.items():
    for _word in _cues:
        _BODY_GROUPS[_word] = (*_BODY_GROUPS.get(_word, ()), _name)
# Forms of the heading as written (characters, not words): a question, a title that suggests, requests,
# reports, complains or asks for help.
HEADING_FORMS = {
    name: re.compile(pattern)
    for name, pattern in {
        "question_mark": r"[？?]$",
        "question_particle": r"[吗么呢][？?]?$",
        "question_word": r"何时|什么时候|为什么|为何|是否|能否|可否|能不能|可不可以|有没有|怎么|如何|哪里|多少|要不要|"
        r"会不会|何在|何处|何方",
        "consult": r"咨询",
        "please_tell": r"请问",
        "suggestion": r"建议",
        "wish": r"^(希望|望|盼|期待|期盼|恳请|呼吁|强烈呼吁|强烈建议|建议|提请|提议)",
        "request": r"^(请求|申请|恳请|请)",
        "report": r"举报|检举|揭发",
        "complaint": r"投诉",
        "reflect": r"^反映",
        "help": r"求助|救助|帮帮|救救|做主|帮忙|困难",
        "illegal": r"违规|违法|非法|涉嫌|违章|私自|无证|违纪|造假|偷排|违建|乱建|私建|黑|骗|虚假|作弊|套取|传销|赌",
        "thanks": r"感谢|表扬|点赞|致谢|锦旗",
    }.items()
}
# Whose harm it is, as the post says it: the writer's own child or kin (我的孩子, 我家老人) or the writer as a parent
# (我是…家长). A parent writing of their beaten child complains (投诉) or asks for help; they do not report a third
# party's wrongdoing, whatever the violence words (打人, 严肃处理) say.
OWN_KIN = re.compile(
    r"我(?:的|家的?|们的?)?(?:孩子|小孩|儿子|女儿|父亲|母亲|爸爸|妈妈|老人|妻子|丈夫|老婆|爱人)|本人的?(?:孩子|儿子|女儿)"
)
PARENT = re.compile(r"我是.{0,16}(?:家长|父亲|母亲|爸爸|妈妈)")
# The guide's line between 投诉 (a wrong done to the writer) and 举报 (others' wrongdoing), as the sentences say it:
# one sentence that names the writer (WRITER) and a wrong suffered (WRONGED), and a post whose sentences after the
# heading never name the writer at all (5-fold CV on DEV: POST_TYPE_CARD.md, "Whose wrong").
WRITER = re.compile(r"我|本人")
WRONGED = re.compile(r"被|损失|欠我|拖欠|不给|不退|坑|骗|扣|罚|拒绝|拒不|不予|无法|不能|侵害|侵犯|不公")
# What ends a sentence (`_SENTENCE`'s delimiters): the pieces between them hold the same words as the sentences.
_SENTENCE_BREAK = re.compile(r"[。！？!?；;\n]")

# The named features (cue groups, heading forms, facts, question marks) weigh half a word feature's scale: at full
# weight the model leaned on them too hard (5-fold CV on DEV: 0.730 at 1.0, 0.744 at 0.5, 0.721 at 0.25).
NAMED_SCALE = 0.5
_QUESTION = re.compile(r"[？?]")
# A heading ends at a full stop, exclamation mark or line break; a question mark stays in it (…吗？).
_HEADING_END = re.compile(r"[。！!\n]")


def heading_of(title: str, content: str) -> str:
    """What the post says it is about: its title, or without one (`yuqing analyse` reads one line per post,
    主题。详情) its opening sentence, question mark included."""
    if title.strip():
        return title.strip()
    return _HEADING_END.split(content.strip(), maxsplit=1)[0][:HEADING_CHARS]


def features(
    heading: str, heading_words: Iterable[str], words: Iterable[str], facts: list[FactHit]
) -> dict[str, float]:
    """The type model's features, kind-prefixed, with their values: w word of the post, t word of its heading
    (each kind L2-normalised), f fact, c heading cue group, b body cue group (share of BODY_CAP), d its density
    (share of the words, × BODY_DENSITY, at most 1), h heading form, q question marks."""
    words = list(words)
    body = set(words)
    head = set(heading_words)
    out: dict[str, float] = {}
    if body:
        scale = 1.0 / math.sqrt(len(body))
        out.update({"w" + w: scale for w in body})
    if head:
        scale = 1.0 / math.sqrt(len(head))
        out.update({"t" + w: scale for w in head})
    out.update(named_features(heading, head, words, facts))
    return out


def named_features(heading: str, head: set[str], words: list[str], facts: list[FactHit]) -> dict[str, float]:
    """`features` without the words (at NAMED_SCALE): f, c, b, d and h; `head` the heading's words."""
    out = {"f" + h.fact: NAMED_SCALE for h in facts}
    out.update({"c" + name: NAMED_SCALE for name, cues in TYPE_CUES.items() if not head.isdisjoint(cues)})
    counts: dict[str, int] = {}
    for word in words:
        for name in _BODY_GROUPS.get(word, ()):
            counts[name] = counts.get(name, 0) + 1
    out.update({"b" + name: min(count, BODY_CAP) / BODY_CAP * NAMED_SCALE for name, count in counts.items()})
    if words:
        share = BODY_DENSITY / len(words)
        out.update({"d" + name: min(count * share, 1.0) * NAMED_SCALE for name, count in counts.items()})
    out.update({"h" + name: NAMED_SCALE for name, form in HEADING_FORMS.items() if form.search(heading)})
    return out


def writer_wronged(text: str) -> bool:
    """One sentence names the writer and a wrong suffered (a split and two searches: a third of one pattern's
    backtracking over both orders)."""
    return bool(WRITER.search(text)) and any(
        WRITER.search(part) and WRONGED.search(part) for part in _SENTENCE_BREAK.split(text)
    )


def writer_absent(text: str) -> bool:
    """No sentence after the first (the heading, as `yuqing analyse` reads a post) names the writer."""
    for m in _SENTENCE.finditer(text):
        if m.group().strip():
            return not WRITER.search(text, m.end())
    return True


# Whose harm it is, in order: question_features' k features, and the rows Cues is given found in Python (PARENT has
# .{0,16}; writer_absent is no single pattern).
_KIN: tuple[tuple[str, Callable[[str], object]], ...] = (
    ("kown_kin", OWN_KIN.search),
    ("kparent", PARENT.search),
    ("kme_victim", writer_wronged),
    ("kno_me", writer_absent),
)


def question_features(heading: str, text: str) -> dict[str, float]:
    """Question marks in the heading and the post (a writer who asks writes ？), and whose harm it is (OWN_KIN,
    PARENT, writer_wronged, writer_absent): forms of the whole text, at NAMED_SCALE."""
    out = {name: NAMED_SCALE for name, found in _KIN if found(text)}
    if _QUESTION.search(heading):
        out["qheading"] = NAMED_SCALE
    marks = len(_QUESTION.findall(text))
    if marks:
        out["qpost"] = NAMED_SCALE
    if marks >= 2:
        out["qpost2"] = NAMED_SCALE
    return out


# A sentence ends at 。！？；, a line break, or their ASCII forms; its closing marks stay with it.
_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]*")
_ENDS = "。！？!?；;… \t"
# An asking sentence: ends in a question mark or a question particle, or asks in so many words.
_ASKING_END = re.compile(r"(?:[？?]|[吗呢么嘛][。！？!?；;… \t]*)$")
_ASKING_WORDS = re.compile(r"请问|能否|是否|怎么|如何|可否|能不能|有没有|什么时候|何时|为什么|为何")
# What a sentence does, as it is written (characters: cheaper than words and indifferent to segmentation).
SENTENCE_CUES = {
    name: re.compile(pattern)
    for name, pattern in {
        # An imperative request or wish opening the sentence: 请…, 希望…, 建议…, 恳请…
        "request": r"^(?:请(?!问|教)|恳请|恳求|希望|望|盼|期盼|建议|呼吁|强烈要求|要求|敬请|烦请)",
        "suggest": r"建议|提议|倡议|可以考虑|不妨",
        "thanks": r"感谢|点赞|表扬|致谢|赞扬|锦旗|称赞",
        "report": r"举报|检举|揭发|实名",
        "help": r"求助|救救|帮帮|怎么办|走投无路|跪求|求求|做主|救助|无助",
        "me": r"^(?:我|本人|我们|我家)",
    }.items()
}
# A thanks of three to eight characters ending a post (谢谢！, 感谢您的回复。) is courtesy, not praise.
_COURTESY = re.compile(r"^(?:谢谢|感谢|多谢|万分感谢|非常感谢|在此感谢|先谢|谢谢您|谢谢你|为谢)")
COURTESY_CHARS = 8


def sentences(text: str) -> list[str]:
    """The post's sentences with their closing marks, blank ones left out."""
    return [s for m in _SENTENCE.finditer(text) if (s := m.group().strip())]


def asking(sentence: str) -> bool:
    return bool(_ASKING_END.search(sentence) or _ASKING_WORDS.search(sentence))


def sentence_features(text: str) -> dict[str, float]:
    """What the post's sentences do (kind s, at NAMED_SCALE): how many ask (a share of three) and what share of
    them, whether the last one asks or requests, how many open with a request (请…/希望…/建议…), suggest, thank
    (the closing courtesy 谢谢 apart), report, ask for help, and whether the first body sentence starts with the
    writer (我/本人…)."""
    found = sentences(text)
    if not found:
        return {}
    counts: dict[str, int] = {}
    asks = 0
    for sentence in found:
        if asking(sentence):
            asks += 1
        for name, cue in SENTENCE_CUES.items():
            if cue.search(sentence):
                counts[name] = counts.get(name, 0) + 1
    last = found[-1]
    if len(found) > 1 and len(last.rstrip(_ENDS)) <= COURTESY_CHARS and _COURTESY.search(last):
        counts["thanks"] = counts.get("thanks", 0) - 1  # 谢谢！ closing a question or complaint: courtesy
        counts["courtesy"] = 1
        last = found[-2]
    out = {"s" + name: min(n, SENTENCE_CAP) / SENTENCE_CAP for name, n in counts.items() if n > 0}
    if asks:
        out["sask"] = min(asks, SENTENCE_CAP) / SENTENCE_CAP
        out["sask_share"] = asks / len(found)
    if asking(last):
        out["slast_ask"] = 1.0
    if SENTENCE_CUES["request"].search(last):
        out["slast_request"] = 1.0
    if len(found) > 1 and SENTENCE_CUES["me"].search(found[1]):
        out["sfirst_me"] = 1.0
    out.pop("sme", None)  # only the first body sentence's opening counts
    return {f: v * NAMED_SCALE for f, v in out.items()}


@dataclass(frozen=True)
class TypeGuess:
    post_type: str
    probability: float
    calm: float  # P(咨询) + P(建议) + P(表扬): how likely the writer is asking, suggesting or thanking


# Pooled word vectors (format 2), each the unit-length mean of the analysis/wordvec.py vectors of a part of the
# post, at a scale: p the post's words without stopwords (twice the weight: the whole story), h the heading's,
# a the asking sentences' (asking), o the other sentences'. Posts that say the same with other words look alike,
# which a bag of 768 posts' words cannot see (5-fold CV on DEV, POST_TYPE_CARD.md).
POOLS = (("p", 2.0), ("h", 1.0), ("a", 1.0), ("o", 1.0))
POOL_KINDS = frozenset(kind for kind, _ in POOLS)


def pooled(
    heading_words: Sequence[str],
    words: Sequence[str],
    text: str,
    vectors: WordVectors,
    pools: Sequence[tuple[str, float]] = POOLS,
) -> npt.NDArray[np.float32]:
    """The pools' vectors end to end (len(pools) × the table's dimension). A pool's vector is the unit-length
    sum of its known words' vectors (the mean's direction). `words`: the post's words in order (jieba's, of the
    normalised `text`, punctuation left out). A word belongs to the sentence its first character falls in,
    counted in letters and digits only: the words' lengths added up against each sentence's letters and digits
    (a word holding a mark, 3.5, shifts the count by one: rare, and training reads posts the same way).

    With the compiled extension (analysis/judgec.py) the sentences, the gather and the pools are found in C and
    only the matrix product over the words is numpy's (the same call, so the same bits); without it, no loop over
    the words but look-ups: one gather and two small matrix products (the table's `means`, with `np.add.at`, cost
    ~300 µs a post; POST_TYPE_CARD.md, "Speed")."""
    compiled = _pools(vectors)
    if compiled is not None:
        weights, gathered, head = compiled.gather(judgec.lookup(vectors.index), heading_words, words, normalise(text))
        count = len(words)
        if count:
            dim = vectors.dim
            sums = np.frombuffer(weights, np.float32).reshape(3, count) @ np.frombuffer(gathered, np.float32).reshape(
                count, dim
            )
        else:
            sums = np.zeros((3, vectors.dim), dtype=np.float32)
        kinds = "".join(kind for kind, _ in pools)
        return np.frombuffer(compiled.pool(sums, head, kinds, [scale for _, scale in pools]), dtype=np.float32)
    return _pooled_python(heading_words, words, text, vectors, pools)


def _pooled_python(
    heading_words: Sequence[str],
    words: Sequence[str],
    text: str,
    vectors: WordVectors,
    pools: Sequence[tuple[str, float]] = POOLS,
) -> npt.NDArray[np.float32]:
    """`pooled` in Python and numpy (without the compiled extension; the reference its tests compare with)."""
    index = vectors.index
    padded, zero, stopped_row = _padded(vectors)
    count = len(words)
    rows = np.fromiter((index.get(w, zero) for w in words), dtype=np.intp, count=count)
    heads = [r for w in heading_words if (r := index.get(w)) is not None]
    folded = normalise(text)
    spans = [m.group() for m in _SENTENCE.finditer(folded)]
    asks = np.array([asking(span.strip()) for span in spans] + [False])
    # Each word's sentence: where its first letter falls among the sentences' ends, in letters and digits.
    ends = np.cumsum([len(_NOT_WORD.sub("", span)) for span in spans], dtype=np.int64)
    lengths = np.fromiter(map(len, words), dtype=np.int64, count=count)
    asked = asks[np.searchsorted(ends, np.cumsum(lengths) - lengths, side="right")]
    # The sums of all words, the asking sentences' and the stopwords' (unknown words are the zero row).
    sums = np.zeros((4, padded.shape[1]), dtype=np.float32)
    if count:
        weights = np.vstack([np.ones(count, dtype=np.float32), asked, stopped_row[rows]]).astype(np.float32)
        sums[[0, 2, 3]] = weights @ padded[rows]
    if heads:
        sums[1] = padded[heads].sum(axis=0)
    out = _combination(tuple(kind for kind, _ in pools)) @ sums
    norms = np.sqrt((out * out).sum(axis=1))
    scales = np.array([scale for _, scale in pools], dtype=np.float32)
    # A pool with no known word, or whose words cancel out, stays zeros (not NaN).
    factor = np.divide(scales, norms, out=np.zeros_like(scales), where=norms > 1e-6)
    return (out * factor[:, None]).ravel()


# Letters and digits are what jieba's words are made of (punctuation and spaces are left out of them).
_NOT_WORD = re.compile(r"[\W_]+")
_PARTS = {"p": (1.0, 0.0, 0.0, -1.0), "h": (0.0, 1.0, 0.0, 0.0), "a": (0.0, 0.0, 1.0, 0.0), "o": (1.0, 0.0, -1.0, 0.0)}


@functools.cache
def _combination(kinds: tuple[str, ...]) -> npt.NDArray[np.float32]:
    """Each pool as a combination of the sums of the known, heading, asked and stopped words."""
    return np.array([_PARTS[kind] for kind in kinds], dtype=np.float32)


_PADDED: dict[int, tuple[WordVectors, npt.NDArray[np.float32], npt.NDArray[np.bool_]]] = {}
_POOLS: dict[int, tuple[WordVectors, judgec.Pools | None]] = {}


def _pools(vectors: WordVectors) -> judgec.Pools | None:
    """The compiled pools of the table (cached per table), None without the extension."""
    held = _POOLS.get(id(vectors))
    if held is None or held[0] is not vectors:
        padded, _, stopped = _padded(vectors)
        held = (vectors, judgec.pools(padded, stopped))
        _POOLS[id(vectors)] = held
    return held[1]


def _padded(vectors: WordVectors) -> tuple[npt.NDArray[np.float32], int, npt.NDArray[np.bool_]]:
    """The table with a zero row after its last, that row's index, and which rows are stopwords (cached per
    table)."""
    held = _PADDED.get(id(vectors))
    if held is None or held[0] is not vectors:
        padded = np.vstack([vectors.vectors, np.zeros((1, vectors.dim), dtype=np.float32)])
        stopped = np.zeros(len(padded), dtype=bool)
        stopped[[i for w in stopwords() if (i := vectors.index.get(w)) is not None]] = True
        held = (vectors, padded, stopped)
        _PADDED[id(vectors)] = held
    return held[1], len(held[1]) - 1, held[2]


# The sentence splitter and question mark store/_judgec.c's Cues hard-codes: another pattern here turns Cues off.
_SENTENCE_IN_C = "[^。！？!?；;\\n]+[。！？!?；;]*"
# sentence_features' own names beside the cues' ("s" + cue): a cue of one of these names would collide.
_SENTENCE_NAMES = ("ask", "ask_share", "last_ask", "last_request", "first_me", "courtesy")


@functools.cache
def _cue_patterns() -> tuple[object, ...] | None:
    """What Cues reads of this module's cues, model aside: the word → cue-group bits, the patterns as
    analysis.judgec.literals gives them; None when one is beyond it (the Python path then finds the features)."""
    forms = tuple(judgec.literals(p) for p in HEADING_FORMS.values())
    sentence = tuple(judgec.literals(p) for p in SENTENCE_CUES.values())
    asking = (judgec.literals(_ASKING_END), judgec.literals(_ASKING_WORDS))
    courtesy, question = judgec.literals(_COURTESY), judgec.literals(_QUESTION)
    names = list(SENTENCE_CUES)
    if (
        any(p is None for p in (*forms, *sentence, *asking, courtesy, question))
        or question is None
        or question[0]
        or question[1]
        or any(len(text) != 1 or never or then for text, never, then in question[2])
        or _SENTENCE.pattern != _SENTENCE_IN_C
        or "request" not in names
        or "me" not in names
        or any(name in names for name in _SENTENCE_NAMES)
        or max(len(TYPE_CUES), len(BODY_CUES), len(HEADING_FORMS), len(names)) > 32
    ):
        return None
    bits: dict[str, int] = {}
    for i, words in enumerate(TYPE_CUES.values()):
        for word in words:
            bits[word] = bits.get(word, 0) | 1 << i
    for i, words in enumerate(BODY_CUES.values()):
        for word in words:
            bits[word] = bits.get(word, 0) | 1 << (32 + i)
    picks = (names.index("request"), names.index("me"), names.index("thanks") if "thanks" in names else -1)
    chars = "".join(text for text, _, _ in question[2])
    return judgec.intern_keys(bits), forms, sentence, asking, courtesy, chars, picks


def _compiled_cues(rows: judgec.Rows | None, index: dict[str, int]) -> Cues | None:
    """The named features found and scored in C for a model whose rows are `rows` (feature → row: `index`)."""
    patterns = _cue_patterns()
    compiled = judgec.module()
    if rows is None or patterns is None or compiled is None:
        return None
    bits, forms, sentence, asking, courtesy, chars, picks = patterns
    assert isinstance(forms, tuple) and isinstance(sentence, tuple)

    def row(feature: str) -> int:
        return index.get(feature, -1)

    cues: Cues = compiled.Cues(
        rows,
        bits,
        tuple(row("c" + name) for name in TYPE_CUES),
        tuple(row("b" + name) for name in BODY_CUES),
        tuple(row("d" + name) for name in BODY_CUES),
        tuple(zip(forms, map(row, ("h" + name for name in HEADING_FORMS)), strict=True)),
        chars,
        (row("qheading"), row("qpost"), row("qpost2")),
        # "sme" is dropped: only the first body sentence's opening counts (sfirst_me)
        tuple(zip(sentence, (-1 if name == "me" else row("s" + name) for name in SENTENCE_CUES), strict=True)),
        picks,
        asking,
        courtesy,
        row("scourtesy"),
        _ENDS,
        COURTESY_CHARS,
        tuple(row("s" + name) for name in ("ask", "ask_share", "last_ask", "last_request", "first_me")),
        BODY_CAP,
        BODY_DENSITY,
        SENTENCE_CAP,
        NAMED_SCALE,
    )
    return cues


class PostTypeModel:
    """Format 1: sparse named features only. Format 2: also `dense`, a row per pooled vector component
    (POOLS' order, `dim` components each) and a column per class, applied to `pooled`."""

    def __init__(
        self,
        classes: list[str],
        weights: dict[str, list[float]],
        bias: list[float],
        meta: dict[str, object] | None = None,
        *,
        dense: list[list[float]] | None = None,
        pools: Sequence[tuple[str, float]] = POOLS,
    ) -> None:
        if len(bias) != len(classes) or any(len(w) != len(classes) for w in weights.values()):
            raise ValueError("post type model: weights and biases do not match the classes")
        if any(c not in TYPES for c in classes):
            raise ValueError(f"post type model: classes must be among {'/'.join(TYPES)}")
        if dense is not None:
            if any(kind not in POOL_KINDS for kind, _ in pools):
                raise ValueError(f"post type model: pools must be among {'/'.join(sorted(POOL_KINDS))}")
            if not dense or len(dense) % len(pools) or any(len(row) != len(classes) for row in dense):
                raise ValueError("post type model: the pooled weights do not match the pools and classes")
        self.classes = classes
        self.weights = weights
        self.bias = bias
        self.meta = meta or {}
        self.dense = dense
        self.pools = tuple((str(kind), float(scale)) for kind, scale in pools)
        # Scoring reads one matrix: a row per feature, a column per class.
        self._index = {f: i for i, f in enumerate(sorted(weights))}
        self._matrix = np.zeros((len(self._index), len(classes)))
        for f, i in self._index.items():
            self._matrix[i] = weights[f]
        self._bias = np.array(bias)
        # A word's row by the word itself (w: the post's, t: the heading's): no prefixed string to build.
        self._words = judgec.table(judgec.intern_keys({f[1:]: i for f, i in self._index.items() if f[0] == "w"}))
        self._heading_words = judgec.table(
            judgec.intern_keys({f[1:]: i for f, i in self._index.items() if f[0] == "t"})
        )
        self._dense = None if dense is None else np.array(dense, dtype=np.float32)
        # The same scoring in C (analysis/judgec.py) when built: the named features, the pooled vectors' scores and
        # the word rows added up as below, in the same order.
        self._compiled = judgec.rows(self._matrix) if len(classes) <= judgec.MAX_WIDTH else None
        # The calm classes' indices and the others', in the classes' order (classify).
        self._calm_rows = (
            [i for i, c in enumerate(classes) if c in CALM_TYPES],
            [i for i, c in enumerate(classes) if c not in CALM_TYPES],
        )
        # And the named features found and scored in one pass in C (store/_judgec.c's Cues), when the cues allow.
        self._cues = _compiled_cues(self._compiled, self._index)
        self._facts = {f[1:]: i for f, i in self._index.items() if f[0] == "f"}
        self._kin = tuple((found, self._index[name]) for name, found in _KIN if name in self._index)

    @property
    def format(self) -> str:
        return FORMAT_1 if self.dense is None else FORMAT

    @classmethod
    def load(cls, path: Path) -> PostTypeModel:
        return cls.from_json(read_model(path, FORMAT, FORMAT_1))

    @classmethod
    def from_json(cls, data: dict[str, object]) -> PostTypeModel:
        weights, bias, classes = data["weights"], data["bias"], data["classes"]
        assert isinstance(weights, dict) and isinstance(bias, list) and isinstance(classes, list)
        dense, pools = data.get("dense"), data.get("pools", POOLS)
        assert dense is None or isinstance(dense, list)
        assert isinstance(pools, list | tuple)
        return cls(
            [str(c) for c in classes],
            {str(k): [float(x) for x in v] for k, v in weights.items()},
            [float(b) for b in bias],
            dict(data.get("meta", {})),  # type: ignore[call-overload]
            dense=None if dense is None else [[float(x) for x in row] for row in dense],
            pools=[(str(kind), float(scale)) for kind, scale in pools],
        )

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "format": self.format,
            "classes": self.classes,
            "weights": self.weights,
            "bias": self.bias,
            "meta": self.meta,
        }
        if self.dense is not None:
            out["dense"] = self.dense
            out["pools"] = [list(pool) for pool in self.pools]
        return out

    @classmethod
    def default(cls) -> PostTypeModel:
        return _default()

    def features(
        self, heading: str, heading_words: Sequence[str], words: Sequence[str], facts: list[FactHit], text: str
    ) -> tuple[dict[str, float], npt.NDArray[np.float32] | None]:
        """(the named and word features, the pooled vectors or None for a format 1 model)."""
        found = features(heading, heading_words, words, facts)
        found.update(question_features(heading, text))
        found.update(sentence_features(text))
        if self._dense is None:
            return found, None
        return found, pooled(heading_words, words, text, wordvec.shipped(), self.pools)

    def scores(self, found: dict[str, float], vector: npt.NDArray[np.float32] | None = None) -> list[float]:
        get = self._index.get
        known = [(i, v) for f, v in found.items() if (i := get(f)) is not None]  # one pass, in `found`'s order
        rows, values = [i for i, _ in known], [v for _, v in known]
        total = self._bias + np.array(values) @ self._matrix[rows]
        if self._dense is not None and vector is not None:
            total = total + vector @ self._dense
        return [float(x) for x in total]

    def post_scores(
        self,
        heading: str,
        heading_words: list[str],
        words: list[str],
        facts: list[FactHit],
        text: str,
        *,
        sets: tuple[set[str], set[str]] | None = None,
    ) -> list[float]:
        """`scores(*features(…))` without building the words' prefixed features: their rows are summed by the
        word itself (the same sums, a third of the time). `sets`: (set(heading_words), set(words)) when the
        caller built them already (the same sets, iterated in the same order)."""
        head, body = (set(heading_words), set(words)) if sets is None else sets
        if self._cues is not None:
            facts_rows = self._facts
            fact_rows = tuple(facts_rows[f] for f in dict.fromkeys(h.fact for h in facts) if f in facts_rows)
            kin_rows = tuple(row for found, row in self._kin if found(text))
            dense = None
            if self._dense is not None:
                dense = pooled(heading_words, words, text, wordvec.shipped(), self.pools) @ self._dense
            return self._cues.scores(
                self.bias,
                heading,
                text,
                words if isinstance(words, list) else list(words),  # Cues reads a list
                head,
                fact_rows,
                kin_rows,
                dense,
                self._words,
                body,
                self._heading_words,
            )
        found = named_features(heading, head, words, facts)
        found.update(question_features(heading, text))
        found.update(sentence_features(text))
        vector = None if self._dense is None else pooled(heading_words, words, text, wordvec.shipped(), self.pools)
        if self._compiled is not None:
            dense = None if vector is None or self._dense is None else vector @ self._dense
            return self._compiled.scores(
                self.bias, self._index, found, dense, self._words, body, self._heading_words, head
            )
        total = np.array(self.scores(found, vector))
        part: set[str]
        for rows_of, part in ((self._words, body), (self._heading_words, head)):
            rows = [i for w in part if (i := rows_of.get(w)) is not None]
            if rows:
                total += self._matrix[rows].sum(axis=0) / math.sqrt(len(part))
        return [float(x) for x in total]

    def classify(
        self,
        heading: str,
        heading_words: Iterable[str],
        words: Iterable[str],
        facts: list[FactHit],
        text: str = "",
        *,
        sets: tuple[set[str], set[str]] | None = None,
    ) -> TypeGuess:
        """The most likely type, its probability and `calm`. `text`: the whole post, for its sentences and
        question marks (the heading alone when not given); `words` its words in order; `sets` as post_scores
        takes them."""
        heading_words = heading_words if isinstance(heading_words, list) else list(heading_words)
        words = words if isinstance(words, list) else list(words)
        scores = self.post_scores(heading, heading_words, words, facts, text or heading, sets=sets)
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        best = scores.index(top)  # the first of the highest, as max over the indices gives it
        calm_rows, other_rows = self._calm_rows
        if best in calm_rows and any(h.fact in HARM for h in facts):
            # Someone was hurt: whatever the wording (希望…管管), the writer complains, reports or asks for help.
            best = max(other_rows, key=scores.__getitem__, default=best)
        post_type, probability = self.classes[best], exps[best] / total
        calm = sum([exps[i] for i in calm_rows]) / total  # in the classes' order
        reporting = not TYPE_CUES["report"].isdisjoint(heading_words)  # 感谢…举报: a report, not thanks
        if not reporting and any(cue in heading for cue in PRAISE_CUES):
            post_type, probability = "表扬", 1.0
        for kind, form in NAMED_TYPES:
            if form.search(heading) and kind in self.classes:
                if kind != post_type:
                    post_type, probability = kind, exps[self.classes.index(kind)] / total
                break
        return TypeGuess(post_type, round(probability, 4), round(calm, 4))


@functools.cache
def _default() -> PostTypeModel:
    with resources.as_file(resources.files("analysis") / "data" / "post_type_model.json.gz") as path:
        return PostTypeModel.load(path)
