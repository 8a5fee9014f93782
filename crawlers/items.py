"""The items a spider yields besides posts (store.mentions.NewMention) and list counts (CountUpdate): what the
crawl found out about the board, written by the pipeline (crawlers/pipelines.py), never by the spider itself."""

from __future__ import annotations

from dataclasses import dataclass

from store.mentions import mention_id


@dataclass(frozen=True)
class Removed:
    """The board removed this post (HTTP 404/410 on a revisit, or the page says so): it stays stored, marked."""

    source: str
    post_id: str
    why: str

    @property
    def id(self) -> str:
        return mention_id(self.source, self.post_id)
