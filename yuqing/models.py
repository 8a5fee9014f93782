"""Every workflow table, imported in one place so migrations and tests see the whole schema."""

from alerting.delivery.models import Delivery, DeliveryAttempt
from alerting.incidents.models import ClockStepRow, Incident, IncidentMention, IncidentTask, TimelineEntry
from analysis.events.models import Event, EventBand, EventKey, EventMember
from analysis.scheme_store import SchemeOverride
from sources.alerts import SourceAlert
from sources.health import SourceHealth
from sources.runs import CrawlRun
from store.workflow.audit import AuditEntry
from store.workflow.cursors import Cursor
from store.workflow.db import Base
from web.access.models import ApiToken, AuthSession, LoginFailure, User

metadata = Base.metadata

__all__ = [
    "ApiToken",
    "AuditEntry",
    "AuthSession",
    "ClockStepRow",
    "CrawlRun",
    "Cursor",
    "Delivery",
    "DeliveryAttempt",
    "Event",
    "EventBand",
    "EventKey",
    "EventMember",
    "Incident",
    "IncidentMention",
    "IncidentTask",
    "LoginFailure",
    "SchemeOverride",
    "SourceAlert",
    "SourceHealth",
    "TimelineEntry",
    "User",
    "metadata",
]
