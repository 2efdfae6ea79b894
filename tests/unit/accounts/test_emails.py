"""Email addresses are compared trimmed and lower-cased, and checked for a plausible shape."""

from __future__ import annotations

import pytest

from app.services.accounts import normalize_email, validate_email


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("  Olga@Alpha.EXAMPLE ", "olga@alpha.example"),
        ("olga@alpha.example", "olga@alpha.example"),
        ("\tOLGA@ALPHA.EXAMPLE\n", "olga@alpha.example"),
        ("", ""),
    ],
)
def test_it_normalizes_an_email_to_one_spelling(raw: str, normal: str) -> None:
    assert normalize_email(raw) == normal


@pytest.mark.parametrize("email", ["olga@alpha.example", "o.o+rounds@mail.alpha.co.uk"])
def test_it_accepts_ordinary_addresses(email: str) -> None:
    assert validate_email(email) is None


@pytest.mark.parametrize(
    "email", ["olga", "olga@", "@alpha.example", "olga@alpha", "olga alpha@x.example", "olga@alpha.e",
              "o" * 250 + "@x.example"]
)
def test_it_refuses_malformed_addresses(email: str) -> None:
    assert validate_email(email) == "Enter an email address like name@example.com."


def test_it_asks_for_a_missing_address() -> None:
    assert validate_email("") == "Enter your email address."
