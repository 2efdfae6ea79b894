"""Signing up a practice, and the errors a person sees beside the fields they got wrong."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DEMO_OWNER, shoot, sign_in

pytestmark = pytest.mark.e2e


def _below(page: Any, field: Any, message: Any) -> None:
    """``message`` is right under ``field`` (beside it, not somewhere else on the page)."""
    f, m = field.bounding_box(), message.bounding_box()
    assert f and m
    assert 0 <= m["y"] - (f["y"] + f["height"]) < 24, (f, m)
    assert abs(m["x"] - f["x"]) < 4, (f, m)


def test_it_signs_up_a_practice_and_lands_on_its_home(page: Any, base_url: str) -> None:
    page.goto(base_url + "/signup")
    expect(page.get_by_role("heading", name="Set up your practice")).to_be_visible()
    timezone = page.get_by_label("Timezone")
    # Pre-filled from the browser (the context runs in Europe/Berlin).
    expect(timezone).to_have_value("Europe/Berlin")
    assert timezone.input_value().strip()
    shoot(page, "signup")

    email = f"dana.{uuid.uuid4().hex[:8]}@lakeside.example"
    page.get_by_label("Your name").fill("Dana Doctor")
    page.get_by_label("Work email").fill(email)
    page.get_by_label("Password").fill("a fine long sentence 42")
    page.get_by_label("Practice name").fill("Lakeside Pediatrics")
    page.get_by_label("Country (for public holidays)").select_option("DE")
    page.get_by_role("button", name="Create my practice").click()

    # Signed in to the new practice: it starts in its setup wizard (or at home), welcomed.
    page.wait_for_url(lambda url: "/signup" not in url)
    expect(page.get_by_role("status").filter(has_text="Your practice is ready")).to_be_visible()
    expect(page.get_by_role("banner")).to_contain_text("Lakeside Pediatrics")
    shoot(page, "signup-landing")

    page.goto(base_url + "/home")
    expect(page.get_by_role("heading", level=1)).to_have_text("Lakeside Pediatrics")
    expect(page.get_by_text("Timezone Europe/Berlin")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Members")).to_be_visible()
    shoot(page, "home")


def test_it_shows_each_signup_error_beside_its_field(page: Any, base_url: str) -> None:
    page.goto(base_url + "/signup")
    page.get_by_role("button", name="Create my practice").click()

    expected = {
        "Your name": "Enter your name.",
        "Work email": "Enter your email address.",
        "Password": "Use at least 10 characters.",
        "Practice name": "Enter the name of your practice.",
    }
    for label, message in expected.items():
        field = page.get_by_label(label, exact=True)
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(field).to_have_accessible_description(re.compile(re.escape(message)))
        error = page.get_by_text(message, exact=True)
        expect(error).to_be_visible()
        _below(page, field, error)
    # What was valid is kept; the timezone is still there.
    expect(page.get_by_label("Timezone")).not_to_have_value("")
    shoot(page, "signup-errors")

    # A correct name is kept after a second failed attempt, and only the remaining errors show.
    page.get_by_label("Your name").fill("Erin Example")
    page.get_by_label("Work email").fill("not-an-address")
    page.get_by_role("button", name="Create my practice").click()
    expect(page.get_by_label("Your name")).to_have_value("Erin Example")
    expect(page.get_by_text("Enter your name.")).to_have_count(0)
    expect(page.get_by_label("Work email")).to_have_accessible_description(
        re.compile("Enter an email address like name@example.com")
    )


def test_it_refuses_a_wrong_password_with_a_visible_message(page: Any, base_url: str) -> None:
    page.goto(base_url + "/login")
    page.get_by_label("Email").fill(DEMO_OWNER)
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_role("button", name="Sign in").click()

    alert = page.get_by_role("alert")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("That email and password don't match an account")
    expect(page.get_by_label("Email")).to_have_value(DEMO_OWNER)
    expect(page.get_by_label("Password")).to_have_value("")
    assert "/login" in page.url
    shoot(page, "login-error")


def test_it_shows_an_invitation_error_beside_the_email_field(page: Any, base_url: str) -> None:
    sign_in(page, base_url, DEMO_OWNER)
    page.goto(base_url + "/members")
    page.get_by_label("Email address").fill("amir.patel@riverside.example")
    page.get_by_role("button", name="Send invitation").click()

    field = page.get_by_label("Email address")
    expect(field).to_have_accessible_description(re.compile("is already a member"))
    error = page.get_by_text("amir.patel@riverside.example is already a member.")
    expect(error).to_be_visible()
    _below(page, field, error)
    shoot(page, "members-invite-error")
