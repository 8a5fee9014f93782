"""Schemes against graded posts: precision and recall per scheme (by the guide's topics) and per level, with the
misses and false alarms listed, so an operator tunes schemes on their own graded posts.

The graded file is JSON lines in the format of the labelling guide (../shared/data/complaint_severity/GUIDE.md):
`{"id", "level": 0-4, "topics": [...], "text"?, "type"?, "harmed"?, "many"?, "unit"?, "why"?}`. Each line carries
its `text` (title + "。" + body, as dev_labels.jsonl does), or its `id` is looked up in a texts file of
`{"id", "text"}` lines. The title is the text up to the first "。" (for `scope: title` schemes).

A scheme is scored against the posts graded with one of its `topics`; a scheme without topics is only counted.
A post's scheme level is the highest severity among the schemes it matches (0 when none): per level, precision
and recall of "at or above that level" against the graded level.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from analysis.schemes import SchemeMatcher
from config import Scheme

GUIDE_TOPICS = (
    "安全事故",
    "食品安全",
    "校园安全",
    "教育收费",
    "劳资欠薪",
    "干部作风",
    "医疗卫生",
    "环境污染",
    "征地拆迁",
    "住房物业",
    "交通出行",
    "社会保障",
    "消费维权",
    "治安",
    "群体性事件",
    "其他",
)
GUIDE_TYPES = ("投诉", "举报", "求助", "咨询", "建议", "表扬", "其他")
LEVEL_ZH = {0: "无", 1: "一般", 2: "较大", 3: "重大", 4: "特别重大"}
EXCERPT = 80


class LabelError(ValueError):
    """A graded line that cannot be used: the line number and field, in Chinese for the operator."""

    def __init__(self, line: int, field: str, message: str) -> None:
        self.line, self.field, self.message = line, field, message
        super().__init__(f"第 {line} 行，字段 {field}：{message}")


@dataclass(frozen=True)
class GradedPost:
    line: int
    id: str
    level: int
    topics: tuple[str, ...]
    text: str

    @property
    def title(self) -> str:
        head, dot, _ = self.text.partition("。")
        return head if dot else ""

    @property
    def content(self) -> str:
        _head, dot, rest = self.text.partition("。")
        return rest.strip() if dot else self.text


def read_texts(lines: Iterable[str]) -> dict[str, str]:
    """A texts file: `{"id", "text"}` per line (a graded file with texts serves as one)."""
    texts: dict[str, str] = {}
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        row = _json_object(raw, number)
        post_id, text = row.get("id"), row.get("text")
        if not isinstance(post_id, str) or not post_id:
            raise LabelError(number, "id", "应为非空字符串")
        if not isinstance(text, str) or not text.strip():
            raise LabelError(number, "text", "应为非空字符串")
        texts[post_id] = text
    return texts


def read_labels(lines: Iterable[str], texts: Mapping[str, str] | None = None) -> list[GradedPost]:
    """Graded posts, or a LabelError naming the first bad line and field. Blank lines are skipped."""
    posts: list[GradedPost] = []
    seen: set[str] = set()
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        row = _json_object(raw, number)
        post_id = row.get("id")
        if not isinstance(post_id, str) or not post_id.strip():
            raise LabelError(number, "id", "缺少或不是非空字符串")
        if post_id in seen:
            raise LabelError(number, "id", f"「{post_id}」重复出现")
        seen.add(post_id)
        level = row.get("level")
        if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= 4:
            raise LabelError(
                number, "level", f"应为 0–4 的整数（0 无、1 一般、2 较大、3 重大、4 特别重大），实为 {level!r}"
            )
        topics = row.get("topics", [])
        if not isinstance(topics, list) or any(not isinstance(t, str) for t in topics):
            raise LabelError(number, "topics", "应为话题名称的列表")
        unknown = [t for t in topics if t not in GUIDE_TOPICS]
        if unknown:
            raise LabelError(number, "topics", f"未知话题「{'、'.join(unknown)}」；可用：{'、'.join(GUIDE_TOPICS)}")
        kind = row.get("type")
        if kind is not None and kind not in GUIDE_TYPES:
            raise LabelError(number, "type", f"未知类型「{kind}」；可用：{'、'.join(GUIDE_TYPES)}")
        for flag in ("harmed", "many"):
            if flag in row and not isinstance(row[flag], bool):
                raise LabelError(number, flag, "应为 true 或 false")
        text = row.get("text")
        if text is None and texts is not None:
            text = texts.get(post_id)
            if text is None:
                raise LabelError(number, "text", f"本行无 text，文本文件中也没有 id「{post_id}」")
        if not isinstance(text, str) or not text.strip():
            raise LabelError(number, "text", "缺少帖子文本（本行给出 text，或用文本文件按 id 提供）")
        posts.append(GradedPost(number, post_id, level, tuple(topics), " ".join(text.split())))
    return posts


def _json_object(raw: str, number: int) -> dict[str, Any]:
    try:
        row = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise LabelError(number, "（整行）", f"不是合法的 JSON（第 {exc.colno} 个字符：{exc.msg}）") from None
    except RecursionError:  # "[[[[…" thousands deep
        raise LabelError(number, "（整行）", "JSON 嵌套过深") from None
    if not isinstance(row, dict):
        raise LabelError(number, "（整行）", "应为一个 JSON 对象")
    return row


@dataclass(frozen=True)
class Listed:
    id: str
    line: int
    level: int
    topics: tuple[str, ...]
    words: tuple[str, ...]  # the scheme's words the post matched (false alarms); empty for misses
    excerpt: str


@dataclass
class Score:
    """Counts for one scheme, topic or level, and the listed misses and false alarms."""

    name: str
    true_positive: int = 0
    false_positive: int = 0
    false_negative: int = 0
    scored: bool = True  # False: a scheme without topics, only counted
    misses: list[Listed] = field(default_factory=list)
    false_alarms: list[Listed] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        found = self.true_positive + self.false_positive
        return self.true_positive / found if found and self.scored else None

    @property
    def recall(self) -> float | None:
        wanted = self.true_positive + self.false_negative
        return self.true_positive / wanted if wanted and self.scored else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p is not None and r is not None and p + r else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "matched": self.true_positive + self.false_positive,
            "graded": self.true_positive + self.false_negative if self.scored else None,
            "true_positive": self.true_positive,
            "false_positive": self.false_positive,
            "false_negative": self.false_negative,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "misses": [vars(m) | {"topics": list(m.topics), "words": list(m.words)} for m in self.misses],
            "false_alarms": [vars(m) | {"topics": list(m.topics), "words": list(m.words)} for m in self.false_alarms],
        }


@dataclass
class Report:
    posts: int
    schemes: list[tuple[Scheme, Score]]
    topics: list[Score]
    levels: list[Score]
    confusion: dict[int, dict[int, int]]  # graded level -> scheme level -> posts

    def as_dict(self) -> dict[str, Any]:
        return {
            "posts": self.posts,
            "schemes": [
                {"id": s.id, "topics": list(s.topics), "severity": int(s.severity)} | score.as_dict()
                for s, score in self.schemes
            ],
            "topics": [t.as_dict() for t in self.topics],
            "levels": [lv.as_dict() | {"level": i + 1} for i, lv in enumerate(self.levels)],
            "confusion": {str(g): {str(p): n for p, n in row.items()} for g, row in self.confusion.items()},
        }


def evaluate(schemes: list[Scheme], posts: list[GradedPost], *, show: int = 10) -> Report:
    """Run the real matcher over the graded posts; list at most `show` misses and false alarms per row."""
    enabled = [s for s in schemes if s.enabled]
    matcher = SchemeMatcher(enabled)
    by_scheme = {s.id: Score(s.name, scored=bool(s.topics)) for s in enabled}
    topic_names = sorted({t for s in enabled for t in s.topics}, key=_topic_order)
    by_topic = {t: Score(t) for t in topic_names}
    levels = [Score(f"≥{LEVEL_ZH[n]}") for n in range(1, 5)]
    confusion: dict[int, dict[int, int]] = {g: dict.fromkeys(range(5), 0) for g in range(5)}
    for post in posts:
        matches = matcher.match(title=post.title, content=post.content)
        words = {m.scheme.id: tuple(m.flag.words) for m in matches}
        graded = set(post.topics)
        for scheme in enabled:
            _count(
                by_scheme[scheme.id],
                post,
                scheme.id in words,
                bool(graded & set(scheme.topics)),
                words,
                scheme.id,
                show,
            )
        hit_topics = {t for m in matches for t in m.scheme.topics}
        for topic, score in by_topic.items():
            found = [w for m in matches if topic in m.scheme.topics for w in m.flag.words]
            _count(score, post, topic in hit_topics, topic in graded, {topic: tuple(dict.fromkeys(found))}, topic, show)
        level = max((int(m.scheme.severity) for m in matches), default=0)
        confusion[post.level][level] += 1
        shown = {"": tuple(dict.fromkeys(w for m in matches for w in m.flag.words))}
        for n, score in enumerate(levels, start=1):
            _count(score, post, level >= n, post.level >= n, shown, "", show)
    return Report(
        posts=len(posts),
        schemes=[(s, by_scheme[s.id]) for s in enabled],
        topics=list(by_topic.values()),
        levels=levels,
        confusion=confusion,
    )


def _topic_order(topic: str) -> int:
    return GUIDE_TOPICS.index(topic) if topic in GUIDE_TOPICS else len(GUIDE_TOPICS)


def _count(
    score: Score, post: GradedPost, found: bool, wanted: bool, words: dict[str, tuple[str, ...]], key: str, show: int
) -> None:
    if found and wanted:
        score.true_positive += 1
    elif found:
        score.false_positive += 1
        if score.scored and len(score.false_alarms) < show:
            score.false_alarms.append(_listed(post, words.get(key, ())))
    elif wanted:
        score.false_negative += 1
        if len(score.misses) < show:
            score.misses.append(_listed(post, ()))


def _listed(post: GradedPost, words: tuple[str, ...]) -> Listed:
    excerpt = post.text if len(post.text) <= EXCERPT else post.text[:EXCERPT] + "…"
    return Listed(post.id, post.line, post.level, post.topics, words, excerpt)


def render(report: Report) -> str:
    """The report as the operator reads it (Chinese)."""

    def num(value: float | None) -> str:
        return "—" if value is None else f"{value:.2f}"

    def row(name: str, score: Score) -> str:
        graded = score.true_positive + score.false_negative
        matched = score.true_positive + score.false_positive
        graded_text = str(graded) if score.scored else "—"
        return (
            f"{name:<14}\t{matched:>5}\t{graded_text:>5}\t{num(score.precision):>6}\t"
            f"{num(score.recall):>6}\t{num(score.f1):>6}"
        )

    out = [
        f"评估帖子 {report.posts} 篇",
        "",
        "按方案（以方案 topics 对应标注话题）",
        "方案\t命中\t标注\t精确率\t召回率\tF1",
    ]
    for scheme, score in report.schemes:
        topics = "、".join(scheme.topics) or "未设话题，只计数"
        out.append(row(f"{scheme.name}（{topics}）", score))
    if report.topics:
        out += ["", "按话题（该话题的全部方案合并）", "话题\t命中\t标注\t精确率\t召回率\tF1"]
        out += [row(t.name, t) for t in report.topics]
    out += ["", "按级别（方案给出的级别 ≥ 该级 对 标注级别 ≥ 该级）", "级别\t命中\t标注\t精确率\t召回率\tF1"]
    out += [row(lv.name, lv) for lv in report.levels]
    out += ["", "级别混淆（行：标注级别；列：方案级别）", "\t" + "\t".join(LEVEL_ZH[p] for p in range(5))]
    for g in range(5):
        out.append(LEVEL_ZH[g] + "\t" + "\t".join(str(report.confusion[g][p]) for p in range(5)))
    for title, items in _listings(report):
        out += ["", title]
        out += [
            f"  {m.id}（第 {m.line} 行，标注 {LEVEL_ZH[m.level]}，{'、'.join(m.topics) or '无话题'}）"
            + (f"［命中：{'、'.join(m.words)}］" if m.words else "")
            + f" {m.excerpt}"
            for m in items
        ]
    return "\n".join(out)


def _listings(report: Report) -> list[tuple[str, list[Listed]]]:
    out: list[tuple[str, list[Listed]]] = []
    for scheme, score in report.schemes:
        if score.misses and score.scored:
            out.append((f"漏报：方案「{scheme.name}」（标注为 {'、'.join(scheme.topics)} 却未命中）", score.misses))
        if score.false_alarms:
            out.append((f"误报：方案「{scheme.name}」（命中但标注话题不符）", score.false_alarms))
    for lv in report.levels:
        if lv.misses:
            out.append((f"漏报：标注 {lv.name} 而方案级别更低", lv.misses))
    return out


__all__ = ["GUIDE_TOPICS", "GradedPost", "LabelError", "Report", "evaluate", "read_labels", "render"]
