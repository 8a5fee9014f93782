"""Monitoring schemes over the API: list, validate, create, edit (admins), and backtest against stored mentions.

Edits are kept in the workflow database as overrides of schemes.yaml (see analysis/scheme_store.py for why);
validation is the configuration loader's model, so the API refuses exactly what start-up would, naming the
field. A backtest runs the real scheme matcher over the mentions of the last N days: what the scheme would
have flagged, beside what is flagged by it now."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Depends, HTTPException, Path
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.orm import Session

from analysis import scheme_store
from analysis.scheme_eval import LabelError, evaluate, read_labels
from analysis.schemes import SchemeMatcher
from api.body_limit import capped_route
from api.routes.mentions import run_search
from api.search import scoped_units
from api.state import ApiState, get_state
from config import Scheme
from config.errors import field_path
from store.mentions import SearchQuery
from store.workflow.audit import record_audit
from web.access.deps import require, require_global
from web.access.roles import Perm
from web.access.scope import Principal
from web.params import invalid

# A scheme at its word limits (config.models) is well under this; anything bigger is refused before parsing.
MAX_BODY_BYTES = 256 * 1024
router = APIRouter(prefix="/api/v1/schemes", tags=["schemes"], route_class=capped_route(MAX_BODY_BYTES))
Reader = Annotated[Principal, Depends(require(Perm.SCHEMES_READ))]
Editor = Annotated[Principal, Depends(require_global(Perm.SCHEMES_EDIT))]  # schemes apply to every unit
SchemeId = Annotated[str, Path(min_length=1, max_length=100)]
SchemeBody = Annotated[
    dict[str, Any],
    Body(
        description="a scheme as in schemes.yaml",
        examples=[{"id": "canteen", "name": "食堂", "subject": ["食堂"], "event": ["变质"], "severity": "较大"}],
    ),
]
T = TypeVar("T")
MAX_SCAN = 20_000


class FieldError(BaseModel):
    field: str
    message: str


class ValidationOut(BaseModel):
    valid: bool
    errors: list[FieldError]


class SchemeOut(BaseModel):
    id: str
    name: str
    severity: int
    severity_name: str
    region: list[str]
    subject: list[str]
    event: list[str]
    exclude: list[str]
    query: str | None
    proximity: int | None
    scope: str
    topics: list[str] = Field(default_factory=list, description="the labelling guide's topics it is scored against")
    enabled: bool
    origin: str = Field(description="yaml: schemes.yaml; api: edited through the API (overrides the YAML)")
    revision: int | None
    updated_by: str | None
    updated_at: datetime | None


class BacktestIn(BaseModel):
    scheme_id: str | None = Field(default=None, max_length=100, description="an existing scheme")
    scheme: dict[str, Any] | None = Field(default=None, description="or a draft scheme, as in schemes.yaml")
    days: int = Field(default=7, ge=1, le=90)
    limit: int = Field(default=100, ge=1, le=1000, description="matches listed (all are counted)")


class BacktestMatch(BaseModel):
    mention_id: str
    title: str
    url: str
    source: str
    unit: str | None
    discovered_at: datetime
    words: list[str]
    flagged_now: bool


class BacktestOut(BaseModel):
    scheme_id: str
    days: int
    since: datetime
    scanned: int
    truncated: bool = Field(description="more mentions than the scan limit: the newest were scanned")
    matched: int
    flagged_now: int = Field(description="mentions the stored analysis flags with this scheme id")
    newly_flagged: int
    no_longer_flagged: int
    matches: list[BacktestMatch]


def validate(body: dict[str, Any]) -> tuple[Scheme | None, list[FieldError]]:
    try:
        return Scheme.model_validate(body), []
    except ValidationError as exc:
        return None, [
            FieldError(field=field_path(tuple(e["loc"])) or "(scheme)", message=e["msg"].removeprefix("Value error, "))
            for e in exc.errors()
        ]


def _valid(body: dict[str, Any]) -> Scheme:
    scheme, errors = validate(body)
    if scheme is None:
        raise HTTPException(
            422, [{"loc": ["body", e.field], "msg": e.message, "type": "scheme", "field": e.field} for e in errors]
        )
    return scheme


def _effective(state: ApiState, session: Session) -> tuple[list[Scheme], dict[str, scheme_store.SchemeOverride]]:
    rows = scheme_store.overrides(session)
    return scheme_store.effective_schemes(state.config.schemes, rows), {r.scheme_id: r for r in rows}


def _out(scheme: Scheme, row: scheme_store.SchemeOverride | None) -> SchemeOut:
    return SchemeOut(
        **scheme.model_dump(mode="json", exclude={"severity"}),
        severity=int(scheme.severity),
        severity_name=scheme.severity.zh,
        origin="api" if row else "yaml",
        revision=row.revision if row else None,
        updated_by=row.updated_by if row else None,
        updated_at=row.updated_at if row else None,
    )


def _read(state: ApiState, work: Callable[[Session], T]) -> T:
    with state.sessions() as session:
        return work(session)


@router.get("", response_model=list[SchemeOut])
async def list_schemes(state: Annotated[ApiState, Depends(get_state)], principal: Reader) -> list[SchemeOut]:
    def load(session: Session) -> list[SchemeOut]:
        schemes, rows = _effective(state, session)
        return [_out(s, rows.get(s.id)) for s in schemes]

    return await run_in_threadpool(_read, state, load)


@router.post("/validate", response_model=ValidationOut)
async def validate_scheme(body: SchemeBody, principal: Reader) -> ValidationOut:
    """The checks `yuqing check-config` applies to a scheme; each error names its field."""
    scheme, errors = validate(body)
    return ValidationOut(valid=scheme is not None, errors=errors)


def _save(state: ApiState, scheme: Scheme, editor: Principal, *, creating: bool) -> SchemeOut:
    with state.sessions.begin() as session:
        schemes, _ = _effective(state, session)
        exists = any(s.id == scheme.id for s in schemes)
        if creating and exists:
            raise HTTPException(409, f"scheme {scheme.id!r} exists; edit it with PUT /api/v1/schemes/{scheme.id}")
        if not creating and not exists:
            raise HTTPException(404, f"no scheme {scheme.id!r}")
        row = scheme_store.save_override(session, scheme=scheme, actor=editor.actor, now=state.now())
        record_audit(
            session,
            actor=editor.actor,
            action="scheme.create" if creating else "scheme.edit",
            target=f"scheme:{scheme.id}",
            detail=scheme.model_dump(mode="json"),
            at=state.now(),
        )
        session.flush()
        return _out(scheme, row)


@router.post("", response_model=SchemeOut, status_code=201)
async def create_scheme(body: SchemeBody, state: Annotated[ApiState, Depends(get_state)], editor: Editor) -> SchemeOut:
    scheme = _valid(body)
    return await run_in_threadpool(lambda: _save(state, scheme, editor, creating=True))


@router.put("/{scheme_id}", response_model=SchemeOut)
async def edit_scheme(
    scheme_id: SchemeId, body: SchemeBody, state: Annotated[ApiState, Depends(get_state)], editor: Editor
) -> SchemeOut:
    """Replace the scheme (send it whole); `enabled: false` retires it."""
    if body.get("id", scheme_id) != scheme_id:
        raise invalid(("body", "id"), f"must be {scheme_id!r}, the scheme being edited", field="id")
    scheme = _valid({**body, "id": scheme_id})
    return await run_in_threadpool(lambda: _save(state, scheme, editor, creating=False))


def _backtest(state: ApiState, principal: Principal, body: BacktestIn) -> BacktestOut:
    if (body.scheme is None) == (body.scheme_id is None):
        raise invalid(("body",), "give exactly one of scheme_id and scheme")
    if body.scheme is not None:
        scheme = _valid(body.scheme)
    else:
        with state.sessions() as session:
            schemes, _ = _effective(state, session)
        found = next((s for s in schemes if s.id == body.scheme_id), None)
        if found is None:
            raise HTTPException(404, f"no scheme {body.scheme_id!r}")
        scheme = found
    matcher = SchemeMatcher([scheme.model_copy(update={"enabled": True})])
    since = state.now() - timedelta(days=body.days)
    page = SearchQuery(since=since, units=scoped_units(principal, None), size=200)
    scanned = matched = flagged_now = newly = gone = 0
    matches: list[BacktestMatch] = []
    truncated = False
    while True:
        result = run_search(state, page)
        for m in result.hits:
            scanned += 1
            hit = matcher.match(title=m.title, content=m.content)
            now_flagged = m.analysis is not None and scheme.id in m.analysis.schemes
            flagged_now += now_flagged
            if hit:
                matched += 1
                newly += not now_flagged
                if len(matches) < body.limit:
                    matches.append(
                        BacktestMatch(
                            mention_id=m.id,
                            title=m.title,
                            url=m.url,
                            source=m.source,
                            unit=m.analysis.unit if m.analysis else m.unit,
                            discovered_at=m.discovered_at,
                            words=hit[0].flag.words,
                            flagged_now=now_flagged,
                        )
                    )
            elif now_flagged:
                gone += 1
        if result.next_cursor is None:
            break
        if scanned >= MAX_SCAN:
            truncated = True
            break
        page = replace(page, cursor=result.next_cursor)
    return BacktestOut(
        scheme_id=scheme.id,
        days=body.days,
        since=since,
        scanned=scanned,
        truncated=truncated,
        matched=matched,
        flagged_now=flagged_now,
        newly_flagged=newly,
        no_longer_flagged=gone,
        matches=matches,
    )


@router.post("/backtest", response_model=BacktestOut)
async def backtest(body: BacktestIn, state: Annotated[ApiState, Depends(get_state)], principal: Reader) -> BacktestOut:
    return await run_in_threadpool(_backtest, state, principal, body)


class EvaluateIn(BaseModel):
    labels: str = Field(
        max_length=50_000_000,
        description="graded posts, JSON lines in the labelling guide's format, each with its text "
        '({"id", "level": 0-4, "topics": [...], "text"})',
    )
    scheme_id: str | None = Field(default=None, max_length=100, description="only this scheme (default: all)")
    scheme: dict[str, Any] | None = Field(default=None, description="or a draft scheme, as in schemes.yaml")
    show: int = Field(default=10, ge=0, le=200, description="misses and false alarms listed per row")


class ListedPost(BaseModel):
    id: str
    line: int
    level: int
    topics: list[str]
    words: list[str] = Field(description="what the scheme matched (false alarms)")
    excerpt: str


class ScoreOut(BaseModel):
    name: str
    matched: int
    graded: int | None = Field(description="posts graded with the row's topic or level; null: not scored")
    true_positive: int
    false_positive: int
    false_negative: int
    precision: float | None
    recall: float | None
    f1: float | None
    misses: list[ListedPost]
    false_alarms: list[ListedPost]


class SchemeScoreOut(ScoreOut):
    id: str
    topics: list[str]
    severity: int


class LevelScoreOut(ScoreOut):
    level: int


class EvaluateOut(BaseModel):
    posts: int
    schemes: list[SchemeScoreOut]
    topics: list[ScoreOut]
    levels: list[LevelScoreOut] = Field(description="the schemes' level at or above each level vs the graded one")
    confusion: dict[str, dict[str, int]] = Field(description="graded level -> the schemes' level -> posts")


def _evaluate(state: ApiState, body: EvaluateIn) -> EvaluateOut:
    if body.scheme is not None and body.scheme_id is not None:
        raise invalid(("body",), "give at most one of scheme_id and scheme")
    with state.sessions() as session:
        schemes, _ = _effective(state, session)
    if body.scheme is not None:
        schemes = [_valid(body.scheme).model_copy(update={"enabled": True})]
    elif body.scheme_id is not None:
        schemes = [s.model_copy(update={"enabled": True}) for s in schemes if s.id == body.scheme_id]
        if not schemes:
            raise HTTPException(404, f"no scheme {body.scheme_id!r}")
    try:
        posts = read_labels(body.labels.splitlines())
    except LabelError as exc:
        raise invalid(("body", "labels"), str(exc), line=exc.line, field=exc.field) from None
    return EvaluateOut.model_validate(evaluate(schemes, posts, show=body.show).as_dict())


@router.post("/evaluate", response_model=EvaluateOut)
async def evaluate_schemes(
    body: EvaluateIn, state: Annotated[ApiState, Depends(get_state)], principal: Reader
) -> EvaluateOut:
    """Backtest on graded posts: precision and recall per scheme (by the guide's topics) and per level, with the
    misses and false alarms listed (what `yuqing schemes evaluate` prints). A bad line is a 422 naming the line
    and the field."""
    return await run_in_threadpool(_evaluate, state, body)
