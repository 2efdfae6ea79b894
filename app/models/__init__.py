"""ORM tables, one module per area, re-exported here."""

from app.models.base import Base, UTCDateTime, utcnow
from app.models.identity import (
    ROLES,
    ApiKey,
    Invitation,
    LoginAttempt,
    Membership,
    Organization,
    User,
    UserToken,
    WebSession,
)
from app.models.platform import AppSecret, AuditEntry, AuditHead, EmailMessage, OutboxEvent
from app.models.rota import (
    Assignment,
    CalendarFeed,
    Holiday,
    Location,
    PushNotification,
    PushSubscription,
    ScheduleDraft,
    ShiftType,
)
from app.models.requests import Preference, RotaRequest, RotaRules

__all__ = (
    "ROLES",
    "ApiKey",
    "AppSecret",
    "Assignment",
    "CalendarFeed",
    "Holiday",
    "Location",
    "PushNotification",
    "PushSubscription",
    "Preference",
    "RotaRequest",
    "RotaRules",
    "ScheduleDraft",
    "ShiftType",
    "AuditEntry",
    "AuditHead",
    "Base",
    "EmailMessage",
    "Invitation",
    "LoginAttempt",
    "Membership",
    "Organization",
    "OutboxEvent",
    "UTCDateTime",
    "User",
    "UserToken",
    "WebSession",
    "utcnow",
)
