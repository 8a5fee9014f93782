"""The fixed short link of SMS templates: /a/CODE opens the incident's page (which asks to sign in). The path
is fixed template text under the public host; CODE is the only variable (alerting/delivery/short_text.py)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import RedirectResponse

from alerting.delivery.short_text import incident_of_code

router = APIRouter(include_in_schema=False)


@router.get("/a/{code}")
def short_link(code: str) -> RedirectResponse:
    incident_id = incident_of_code(code) if len(code) <= 8 else None
    if incident_id is None:
        raise HTTPException(404, "Not Found")
    return RedirectResponse(f"/incidents/{incident_id}", status_code=303)
