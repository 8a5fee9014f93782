"""One mention in, one `Analysis` out: tokens, sentiment, scheme flags, unit, event, risk level and the reasons."""

from __future__ import annotations

from datetime import UTC, datetime

from analysis.attribution import UnitAttributor
from analysis.events.service import EventHeat
from analysis.events.subject import place_as_written
from analysis.facts import HARM, find_facts
from analysis.grader import CALM_TYPES, Grade, Grader, title_of
from analysis.post_type import heading_of
from analysis.risk import assess
from analysis.schemes import SchemeMatcher
from analysis.sentiment import SentimentResult
from analysis.sentiment_model import SentimentModel
from config import Config
from store.mentions import Analysis
from store.tokens import add_words, config_words, normalise, search_tokens, segment

# A post the grader types as a question, suggestion or thanks is labelled neutral below this |sentiment score|.
CALM_BAND = 0.9


class Analyser:
    def __init__(
        self, config: Config, *, sentiment: SentimentModel | None = None, grader: Grader | None = None
    ) -> None:
        self.config = config
        self.schemes = SchemeMatcher(config.schemes)
        self.units = UnitAttributor(config.units, config.territory)
        self.sentiment = sentiment or SentimentModel.default()
        self.grader = grader or Grader.default()
        self.weights = {s.id: s.weight for s in config.sources}
        # Unit names, scheme words and domain terms stay whole in the tokens, as when the crawler indexed them.
        add_words(config_words(config))

    def analyse(
        self,
        *,
        title: str,
        content: str,
        default_unit: str | None = None,
        source: str | None = None,
        at: datetime | None = None,
        event: EventHeat | None = None,
        replies: int | None = None,
        views: int | None = None,
        votes: tuple[int | None, int | None] = (None, None),
        cut: tuple[list[str], list[str]] | None = None,
    ) -> Analysis:
        """`cut`: the accurate-mode words of the title and of the content when already known (the analysis job
        derives them from the store's index tokens); otherwise jieba cuts the text here, once."""
        explanation: list[str] = []
        limit = self.config.analysis.max_chars
        if len(content) > limit:
            explanation.append(f"正文过长（{len(content)} 字），仅分析前 {limit} 字")
            content = content[:limit]
            cut = None  # words of the whole content, not of the prefix analysed
        text = f"{title}\n{content}"
        title_words, words = _words(title, content) if cut is None else _words_given(title, content, *cut)
        tokens = search_tokens(words)
        sentiment = self.sentiment.score(text, words)
        facts = find_facts(words)
        grade = self.grader.grade(title_words, words, facts, heading=heading_of(title, content), text=text)
        calm = grade.post_type in CALM_TYPES or (
            grade.calm >= self.config.analysis.grader.calm and not any(f.fact in HARM for f in facts)
        )
        if calm and sentiment.label != "neutral" and abs(sentiment.score) < CALM_BAND:
            # A question, suggestion or thanks written in a complaint board's register (typed so, or likely so by
            # the risk's `calm` rule): the review-trained model reads 问题/反映/请 as negative. The writer is
            # asking, not complaining: neutral unless strongly polar.
            sentiment = SentimentResult(sentiment.score, "neutral", sentiment.evidence)
        matches = self.schemes.match(title=title, content=content, words=words)
        unit = self.units.attribute(title=title, content=content, default_unit=default_unit, words=words)

        for match in matches:
            matched = "、".join(dict.fromkeys(match.flag.words))
            explanation.append(f"命中监测方案「{match.scheme.name}」（{match.scheme.severity.zh}）：{matched}")
        # The facts and their words are listed once, in the risk line (risk.explain: 依据事实：…).
        explanation.append(_grade_line(grade))
        if event is not None and event.copies > 1:
            explanation.append(
                f"同一事件：共 {event.copies} 篇，来自 {event.sources} 个来源"
                + (f"（与已有帖子相似度 {event.similarity:.0%}）" if event.joined and not event.subject else "")
                + (_subject_note(event.subject, title, content) if event.subject else "")
            )
        explanation.append(unit.evidence)
        risk = assess(
            schemes=[m.scheme for m in matches],
            grade=grade,
            facts=facts,
            event=event,
            source_weight=self.weights.get(source, 1.0) if source else 1.0,
            periods=self.config.calendar,
            at=at or datetime.now(UTC),
            thresholds=self.config.analysis.risk,
            grader=self.config.analysis.grader,
            replies=replies,
            views=views,
            votes=votes,
        )
        # What decided the level comes first (the level, the facts and their words, the scores); tone last, apart.
        explanation.insert(0, risk.explain())
        explanation.append(_sentiment_line(sentiment))
        return Analysis(
            tokens=tokens,
            sentiment=sentiment.score,
            sentiment_label=sentiment.label,
            flags=[m.flag for m in matches],
            level=risk.level,
            unit=unit.unit,
            explanation=explanation,
            event_id=event.id if event else None,
            post_type=grade.post_type,
            facts=[(f.fact, f.words) for f in facts],
        )


# Characters that end the grader's title (analysis.grader.title_of) and that jieba never joins across: the
# opening sentence's words are then the first words of the text.
_SENTENCE_ENDS = frozenset("。！？!?\n")


def _words(title: str, content: str) -> tuple[list[str], list[str]]:
    """(the title's words as the grader reads it, the words of title and content), with one jieba pass.

    jieba cuts each run of CJK, letters and digits on its own, and a line break or 。！？ ends such a run: the
    words of "title\ncontent" are the title's words then the content's, and those of a first sentence ending at
    one of these characters are the first words of the content."""
    if title.strip():
        title_words = segment(title)
        return title_words, title_words + segment(content)
    head = title_of(title, content)
    body = content.strip()
    if len(head) < len(body) and body[len(head)] in _SENTENCE_ENDS:
        head_words = segment(head)
        return head_words, head_words + segment(body[len(head) :])
    # The whole post is one sentence, or its first sentence was cut at TITLE_CHARS (mid-word, perhaps).
    return segment(head), segment(content)


def _words_given(title: str, content: str, title_cut: list[str], content_cut: list[str]) -> tuple[list[str], list[str]]:
    """_words() from the title's and the content's words cut before."""
    if title.strip():
        return title_cut, title_cut + content_cut
    head = title_of(title, content)
    body = content.strip()
    if len(head) < len(body) and body[len(head)] in _SENTENCE_ENDS:
        # The words of the opening sentence are the content's first words up to where it ends.
        folded, end, cursor, count = normalise(body), len(head), 0, 0
        for word in content_cut:
            at = folded.find(word, cursor)
            if at < 0 or at >= end:
                break
            cursor, count = at + len(word), count + 1
        return content_cut[:count], content_cut
    return segment(head), content_cut


def _grade_line(grade: Grade) -> str:
    line = f"类型：{grade.post_type}（{grade.type_probability:.0%}）；研判 ≥一般/较大/重大 概率 " + "/".join(
        f"{p:.2f}" for p in grade.at_least
    )
    if grade.evidence:
        line += "；研判依据（事实与整词）：" + "、".join(f"{w}({v:+.2g})" for w, v in grade.evidence)
    return line


_LABEL_ZH = {"negative": "负面", "neutral": "中性", "positive": "正面"}
SENTIMENT_PREFIX = "情感（仅供参考，不参与定级）："


def _sentiment_line(sentiment: SentimentResult) -> str:
    """The tone, last and apart: it labels the post for search and the dashboard but decides no level, so the
    words the review-trained model weighed (观察, 希望 …) are not shown among the reasons."""
    return f"{SENTIMENT_PREFIX}{_LABEL_ZH[sentiment.label]}（{sentiment.score:+.2f}）"


def _subject_note(subject: str, title: str, content: str) -> str:
    # The key holds the place's stem (关第一), a fragment: show the name this post writes, or no place at all.
    stem, _, matter = subject.partition("|")
    place = place_as_written(title, content, stem)
    return (
        f"（同一对象「{place}」、同一诉求「{matter}」的重复反映）" if place else f"（同一诉求「{matter}」的重复反映）"
    )
