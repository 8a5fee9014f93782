"""What a spider yields: one post as found on the board."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class PostItem:
    source: str
    post_id: str
    url: str
    title: str
    content: str
    author: str | None = None
    published_at: datetime | None = None
    reply_count: int | None = None
    view_count: int | None = None
    unit: str | None = None
    warnings: list[str] = field(default_factory=list)
