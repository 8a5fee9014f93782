"""A search exported as CSV (streamed, UTF-8 with BOM so Excel opens Chinese correctly) or Excel (.xlsx).

Crawled text is hostile: a cell starting with = + - @ would run as a formula in Excel, so such cells get a
leading apostrophe (OWASP's advice), and characters a worksheet cannot hold are dropped."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import select
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from analysis import scheme_store
from analysis.events.models import Event
from api.routes.mentions import SearchFilters, run_search
from api.state import ApiState, get_state
from config import Level
from config.models import BEIJING as BEIJING_TZ
from store.mentions import Mention, SearchQuery
from store.workflow.audit import record_audit
from web.access.deps import require
from web.access.roles import Perm
from web.access.scope import Principal

router = APIRouter(prefix="/api/v1/mentions", tags=["mentions"])

COLUMNS = [
    "编号",
    "来源",
    "链接",
    "标题",
    "内容",
    "作者",
    "发布时间",
    "发现时间",
    "单位",
    "情感",
    "情感分值",
    "级别",
    "类型",
    "监测方案",
    "回复数",
    "浏览数",
    "事件",
]
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SENTIMENT = {"negative": "负面", "neutral": "中性", "positive": "正面"}

Cell = str | float | datetime | None  # what a worksheet cell holds (an int is a float to the type checker)


def _cell(value: Cell) -> Cell:
    if value is None:
        return ""
    if isinstance(value, str):
        text = _ILLEGAL.sub("", value)
        return "'" + text if text.startswith(_FORMULA_START) else text
    return value


# Excel column widths (characters), in COLUMNS order: the text columns wide, the numbers narrow.
_WIDTHS = [24, 16, 36, 40, 60, 14, 19, 19, 16, 8, 10, 8, 8, 20, 8, 10, 22]
_TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"


def _time(value: datetime | None) -> datetime | None:
    """Beijing wall time without a zone: Excel has no time zones, and a date cell must be a date, not text."""
    return value.astimezone(BEIJING_TZ).replace(tzinfo=None) if value else None


def _csv_value(value: Cell) -> Cell:
    return value.strftime("%Y-%m-%d %H:%M:%S") if isinstance(value, datetime) else value


def _row(
    m: Mention, sources: dict[str, str], units: dict[str, str], schemes: dict[str, str], events: dict[str, str]
) -> list[Cell]:
    """One post as people read it: names from the configuration and the event's title, never ids
    (编号 is the board's own post number)."""
    a = m.analysis
    unit = a.unit if a else m.unit
    return [
        _cell(v)
        for v in (
            m.post_id,
            sources.get(m.source, "已停用的信源"),
            m.url,
            m.title,
            m.content,
            m.author,
            _time(m.published_at),
            _time(m.discovered_at),
            units.get(unit, "已删除的单位") if unit else "",
            _SENTIMENT.get(a.sentiment_label, "") if a else "",
            round(a.sentiment, 3) if a else None,
            Level(a.level).zh if a and a.level else "",
            (a.post_type or "") if a else "",
            "、".join(schemes.get(s, "已删除的方案") for s in a.schemes) if a else "",
            m.reply_count,
            m.view_count,
            events.get(a.event_id, "") if a and a.event_id else "",
        )
    ]


def _rows(state: ApiState, query: SearchQuery, limit: int) -> Iterator[list[Cell]]:
    sources = {s.id: s.name for s in state.config.sources}
    units = {u.id: u.name for u in state.config.units}
    with state.sessions() as session:
        schemes = {
            s.id: s.name for s in scheme_store.effective_schemes(state.config.schemes, scheme_store.overrides(session))
        }
    page = replace(query, size=200, sort="time", aggs=())
    sent = 0
    while sent < limit:
        result = run_search(state, replace(page, size=min(200, limit - sent)))
        events = _event_titles(state, {m.analysis.event_id for m in result.hits if m.analysis and m.analysis.event_id})
        for m in result.hits:
            yield _row(m, sources, units, schemes, events)
        sent += len(result.hits)
        if result.next_cursor is None:
            return
        page = replace(page, cursor=result.next_cursor)


def _event_titles(state: ApiState, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    with state.sessions() as session:
        return dict(session.execute(select(Event.id, Event.title).where(Event.id.in_(sorted(ids)))).tuples().all())


def _csv_chunks(rows: Iterator[list[Cell]]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    yield "\ufeff".encode() + buffer.getvalue().encode("utf-8")
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_csv_value(v) for v in row])
        yield buffer.getvalue().encode("utf-8")


def _xlsx(rows: Iterator[list[Cell]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet("舆情检索")
    for n, width in enumerate(_WIDTHS, 1):  # set before the first row: a write-only sheet writes them first
        sheet.column_dimensions[get_column_letter(n)].width = width
    sheet.freeze_panes = "A2"  # the header stays in view while scrolling
    header_font, header_fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="B71C1C")
    header = []
    for name in COLUMNS:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font, cell.fill, cell.alignment = header_font, header_fill, Alignment(horizontal="center")
        header.append(cell)
    sheet.append(header)
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
            elif isinstance(value, datetime):
                cell.number_format = _TIME_FORMAT
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _audit(state: ApiState, principal: Principal, fmt: str, query: SearchQuery) -> None:
    with state.sessions.begin() as session:
        record_audit(
            session,
            actor=principal.actor,
            action="mentions.export",
            target="mentions",
            detail={"format": fmt, "q": query.text, "units": list(query.units), "sources": list(query.sources)},
            at=state.now(),
        )


@router.get(
    "/export",
    response_class=Response,
    responses={
        200: {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                    "schema": {"type": "string", "format": "binary"}
                },
            },
            "description": "the matching mentions, newest first",
        }
    },
)
async def export(
    state: Annotated[ApiState, Depends(get_state)],
    filters: SearchFilters,
    principal: Annotated[Principal, Depends(require(Perm.EXPORT))],
    format: Literal["csv", "xlsx"] = "csv",
    max_rows: Annotated[int, Query(ge=1, le=100_000)] = 10_000,
) -> Response:
    query = filters.query
    # A bad cursor or filter fails here, as a 422, not half-way through a streamed file.
    await run_in_threadpool(run_search, state, replace(query, size=1))
    await run_in_threadpool(_audit, state, principal, format, query)
    stamp = state.now().astimezone(BEIJING_TZ).strftime("%Y%m%d-%H%M")
    filename = f"舆情检索-{stamp}.{format}"
    disposition = f"attachment; filename=\"yuqing-{stamp}.{format}\"; filename*=UTF-8''{quote(filename)}"
    if format == "xlsx":
        body = await run_in_threadpool(lambda: _xlsx(_rows(state, query, max_rows)))
        return Response(
            body,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": disposition},
        )
    return StreamingResponse(
        iterate_in_threadpool(_csv_chunks(_rows(state, query, max_rows))),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": disposition},
    )
