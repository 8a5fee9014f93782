"""The sources' API shape (and its OpenAPI): each source's health and open operations alerts."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class SourceAlertOut(BaseModel):
    kind: str = Field(description="failing, quiet or parsing")
    opened_at: datetime
    detail: str


class SourceHealthOut(BaseModel):
    source: str
    name: str
    enabled: bool
    last_run_at: datetime | None
    last_success_at: datetime | None
    last_items: int
    last_new_items: int
    total_items: int
    total_errors: int
    total_parse_failures: int
    consecutive_failures: int
    last_error: str | None
    last_parse_failure_rate: float | None = Field(
        default=None, description="share of the last run's posts and list items that failed to parse"
    )
    alerts: list[SourceAlertOut] = Field(default_factory=list, description="open operations alerts")
