"""Monitoring schemes (监测方案): region AND subject AND event, NOT exclusion, with matched words and offsets."""

from __future__ import annotations

from dataclasses import dataclass

from config import Level, Scheme
from store.mentions import SchemeFlag


@dataclass(frozen=True)
class SchemeMatch:
    scheme: Scheme
    flag: SchemeFlag


def _find(word: str, fields: dict[str, str]) -> list[tuple[str, int]]:
    return [(name, text.find(word)) for name, text in fields.items() if word and word in text]


class SchemeMatcher:
    def __init__(self, schemes: list[Scheme]) -> None:
        self.schemes = [s for s in schemes if s.enabled]

    def words(self) -> set[str]:
        return {w for s in self.schemes for group in (s.region, s.subject, s.event, s.exclude) for w in group}

    def match(self, *, title: str, content: str) -> list[SchemeMatch]:
        fields = {"title": title, "content": content}
        matches: list[SchemeMatch] = []
        for scheme in self.schemes:
            if any(_find(w, fields) for w in scheme.exclude):
                continue
            words: list[str] = []
            positions: list[tuple[str, int]] = []
            satisfied = True
            for group in (scheme.region, scheme.subject, scheme.event):
                if not group:
                    continue  # empty groups are ignored
                hits = [(w, _find(w, fields)) for w in group]
                hits = [(w, p) for w, p in hits if p]
                if not hits:
                    satisfied = False
                    break
                for word, places in hits:
                    words.append(word)
                    positions.extend(places)
            if satisfied:
                matches.append(SchemeMatch(scheme, SchemeFlag(scheme=scheme.id, words=words, positions=positions)))
        matches.sort(key=lambda m: -m.scheme.severity)
        return matches

    @staticmethod
    def top_level(matches: list[SchemeMatch]) -> Level | None:
        return max((m.scheme.severity for m in matches), default=None)
