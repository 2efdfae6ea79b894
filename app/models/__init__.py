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
from app.models.platform import AuditEntry, AuditHead, EmailMessage, OutboxEvent

__all__ = (
    "ROLES",
    "ApiKey",
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
