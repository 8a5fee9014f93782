"""One mention in, one `Analysis` out: tokens, sentiment, scheme flags, unit, level and the reasons."""

from __future__ import annotations

from analysis.attribution import UnitAttributor
from analysis.schemes import SchemeMatcher
from analysis.sentiment import LexiconSentiment
from config import Config, Level
from store.mentions import Analysis
from store.tokens import add_words, segment, tokenize

MAX_CHARS = 20_000  # longer posts are analysed on their first 20,000 characters; the cut is noted


class Analyser:
    def __init__(self, config: Config, *, sentiment: LexiconSentiment | None = None) -> None:
        self.schemes = SchemeMatcher(config.schemes)
        self.units = UnitAttributor(config.units)
        self.sentiment = sentiment or LexiconSentiment.default()
        # Unit names and scheme words stay whole in the tokens, so search and sentiment see them as words.
        add_words(self.units.words() | self.schemes.words())

    def analyse(self, *, title: str, content: str, default_unit: str | None = None) -> Analysis:
        explanation: list[str] = []
        if len(content) > MAX_CHARS:
            explanation.append(f"正文过长（{len(content)} 字），仅分析前 {MAX_CHARS} 字")
            content = content[:MAX_CHARS]
        tokens = tokenize(f"{title}\n{content}")
        sentiment = self.sentiment.score(segment(f"{title}\n{content}"))
        matches = self.schemes.match(title=title, content=content)
        unit = self.units.attribute(title=title, content=content, default_unit=default_unit)

        level = 0
        for match in matches:
            words = "、".join(dict.fromkeys(match.flag.words))
            explanation.append(f"命中监测方案「{match.scheme.name}」（{match.scheme.severity.zh}）：{words}")
            level = max(level, int(match.scheme.severity))
        if sentiment.evidence:
            counted: dict[str, float] = {}
            for word, weight in sentiment.evidence:
                counted[word] = counted.get(word, 0.0) + weight
            words = "、".join(f"{w}({v:+g})" for w, v in list(counted.items())[:8])
            explanation.append(f"情感：{_LABEL_ZH[sentiment.label]}（{sentiment.score:+.2f}）：{words}")
        if level == 0 and sentiment.label == "negative":
            level = int(Level.GENERAL)
            explanation.append("级别：负面情感，未命中方案 → 一般")
        elif level:
            explanation.append(f"级别：{Level(level).zh}（取命中方案的最高严重度）")
        explanation.append(unit.evidence)
        return Analysis(
            tokens=tokens,
            sentiment=sentiment.score,
            sentiment_label=sentiment.label,
            flags=[m.flag for m in matches],
            level=level,
            unit=unit.unit,
            explanation=explanation,
        )


_LABEL_ZH = {"negative": "负面", "neutral": "中性", "positive": "正面"}
