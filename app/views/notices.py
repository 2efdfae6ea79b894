"""One-line confirmations shown after a redirect (``?notice=<key>``); keys only, so nothing can be injected."""

from __future__ import annotations

from app.i18n import _

__all__ = ("notice_text",)


def notice_text(key: str | None) -> str | None:
    if not key:
        return None
    return {
        "welcome": _("Welcome to Rounds. Your practice is ready."),
        "signed-out": _("You have signed out."),
        "reset-sent": _("If an account exists for that address, we've emailed a link to reset its password. "
                        "It works for 60 minutes."),
        "password-reset": _("Your password has been changed. Sign in with the new one."),
        "email-verified": _("Thank you: your email address is verified."),
        "verify-sent": _("We've sent a new verification link to your email address."),
        "invited": _("Invitation sent."),
        "invite-revoked": _("Invitation revoked."),
        "role-changed": _("Role changed."),
        "deactivated": _("Member deactivated: their sessions have ended."),
        "reactivated": _("Member reactivated."),
        "joined": _("You have joined the organization."),
        "switched": _("Switched organization."),
        "key-revoked": _("API key revoked."),
        "suspended": _("Organization suspended."),
        "reactivated-org": _("Organization reactivated."),
        "view-as-ended": _("You are back in your own view."),
        "session-expired": _("Your session ended. Sign in again to continue."),
    }.get(key)
