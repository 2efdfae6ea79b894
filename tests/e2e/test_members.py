"""Inviting a colleague: the mail, accepting in another browser, the live member list, the audit log."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import shoot, sign_up, wait_until

pytestmark = pytest.mark.e2e

# Records when the page's event stream is open, so the test knows live updates can reach it.
SSE_OPEN_PROBE = """
document.addEventListener("htmx:sseOpen", () => { window.__roundsSseOpen = true; });
"""


def test_it_invites_a_member_who_joins_and_appears_live(new_context: Callable[..., Any], base_url: str) -> None:
    suffix = uuid.uuid4().hex[:8]
    practice = f"Hillside Clinic {suffix}"
    owner_ctx = new_context()
    owner_ctx.add_init_script(SSE_OPEN_PROBE)
    owner = owner_ctx.new_page()
    sign_up(
        owner,
        base_url,
        name="Hana Host",
        email=f"hana.{suffix}@hillside.example",
        password="a fine long sentence 42",
        practice=practice,
        country="GB",
    )

    # Invite from the members page.
    owner.get_by_role("navigation", name="Main").get_by_role("link", name="Members").click()
    owner.wait_for_url("**/members")
    invitee = f"ivan.{suffix}@hillside.example"
    owner.get_by_label("Email address").fill(invitee)
    owner.get_by_label("Role").select_option("member")
    owner.get_by_role("button", name="Send invitation").click()
    expect(owner.get_by_role("status").filter(has_text="Invitation sent.")).to_be_visible()
    pending = owner.get_by_role("heading", name="Pending invitations")
    expect(pending).to_be_visible()
    expect(owner.get_by_text(invitee)).to_be_visible()

    # The invitation email, as the demo outbox shows it.
    mail_page = owner_ctx.new_page()
    mail_page.goto(base_url + "/outbox")
    mail = mail_page.get_by_role("listitem").filter(has_text=f"To {invitee}")
    expect(mail).to_have_count(1)
    link = mail.get_by_role("link", name=re.compile("invite"))
    invite_url = link.get_attribute("href")
    assert invite_url and invite_url.startswith(base_url + "/invite/"), invite_url
    shoot(mail_page, "outbox", sizes=("phone",))
    mail_page.close()

    # The owner keeps the members page open; its event stream is live.
    owner.goto(base_url + "/members")
    wait_until(owner, "window.__roundsSseOpen === true", message="the event stream did not open")
    expect(owner.get_by_text("Ivan Invitee")).to_have_count(0)

    # The invitee, in a browser of their own.
    guest = new_context().new_page()
    guest.goto(invite_url)
    expect(guest.get_by_role("heading", name=f"Join {practice}")).to_be_visible()
    guest.get_by_label("Your name").fill("Ivan Invitee")
    guest.get_by_label("Choose a password").fill("another long sentence 7")
    shoot(guest, "invitation-accept", sizes=("phone",))
    guest.get_by_role("button", name="Create my account and join").click()
    guest.wait_for_url(re.compile(r"/home(\?|$)"))
    expect(guest.get_by_role("heading", level=1)).to_have_text(practice)
    expect(guest.get_by_role("status").filter(has_text="You have joined")).to_be_visible()

    # Without a reload, the owner's member list shows the newcomer and the invitation is no longer pending.
    members = owner.locator("#member-list")
    expect(members.get_by_text("Ivan Invitee", exact=True)).to_be_visible(timeout=3_000)
    expect(members.get_by_text(invitee, exact=True)).to_be_visible()
    expect(owner.get_by_role("heading", name="Pending invitations")).to_have_count(0)
    assert owner.evaluate("window.__roundsSseOpen") is True, "the page was reloaded"
    shoot(owner, "members")

    # The audit log has both sides of it.
    owner.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log").click()
    owner.wait_for_url("**/audit**")
    expect(owner.get_by_role("heading", name="Audit log")).to_be_visible()
    entries = owner.get_by_role("listitem")
    expect(entries.filter(has_text="member.invited")).to_have_count(1)
    expect(entries.filter(has_text="member.joined")).to_have_count(1)
    shoot(owner, "audit")

    # Filtering by action narrows the list.
    owner.get_by_label("Action").select_option("member.joined")
    expect(entries.filter(has_text="member.invited")).to_have_count(0)
    expect(entries.filter(has_text="member.joined")).to_have_count(1)
    assert "action=member.joined" in owner.url
