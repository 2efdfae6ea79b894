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
        # rota setup
        "shift-type-saved": _("Shift type saved."),
        "shift-type-archived": _("Shift type archived: it is no longer scheduled."),
        "shift-type-reactivated": _("Shift type reactivated."),
        "location-added": _("Location added."),
        "holiday-saved": _("Holiday saved."),
        "holidays-imported": _("Public holidays imported."),
        "holiday-disabled": _("That day no longer counts as a holiday."),
        "holiday-enabled": _("That day counts as a holiday again."),
        "member-details-saved": _("Rota details saved."),
        "sign-in-link-sent": _("Address saved: we've emailed them a link to sign in."),
        "wizard-done": _("Your rota is set up and this week is filled. Click a shift to change who works it."),
        "wizard-gaps": _("Your rota is set up and this week is filled as far as possible: some shifts are still "
                         "open because nobody was free or qualified."),
        "wizard-done-home": _("Your rota is set up and this week is filled."),
        "wizard-gaps-home": _("Your rota is set up and this week is filled as far as possible: some shifts are "
                              "still open because nobody was free or qualified."),
        "rota-assigned": _("Shift assigned."),
        "rota-unassigned": _("Removed from the shift."),
    }.get(key)
