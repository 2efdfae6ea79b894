"""Organization fields, slugs and the states of an invitation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.models import Invitation, utcnow
from app.services.organizations import _slugify, validate_org_fields


@pytest.mark.parametrize(("name", "slug"), [
    ("Alpha Clinic", "alpha-clinic"),
    ("  St. Mary's -- Paediatrics  ", "st-mary-s-paediatrics"),
    ("Clínica Müller & Söhne", "clinica-muller-sohne"),
    ("東京クリニック", "practice"),
    ("x" * 100, "x" * 60),
])
def test_it_makes_url_safe_slugs(name: str, slug: str) -> None:
    assert _slugify(name) == slug


def test_it_accepts_a_valid_organization() -> None:
    assert validate_org_fields("Alpha Clinic", "Europe/Berlin", "DE") == {}
    assert validate_org_fields("Alpha Clinic", "UTC", None) == {}


@pytest.mark.parametrize(("name", "timezone", "country", "field"), [
    ("  ", "UTC", None, "practice_name"),
    ("x" * 121, "UTC", None, "practice_name"),
    ("Alpha", "Europe/Atlantis", None, "timezone"),
    ("Alpha", "../../etc/passwd", None, "timezone"),
    ("Alpha", "UTC", "XX", "country"),
])
def test_it_names_the_bad_field(name: str, timezone: str, country: str | None, field: str) -> None:
    assert set(validate_org_fields(name, timezone, country)) == {field}


def _invitation(**changes: object) -> Invitation:
    now = utcnow()
    fields: dict[str, object] = {"organization_id": 1, "email": "a@example.org", "role": "member",
                                 "token_hash": "h", "created_at": now, "expires_at": now + timedelta(days=7)}
    fields.update(changes)
    return Invitation(**fields)


def test_it_tells_the_state_of_an_invitation() -> None:
    now = utcnow()
    assert _invitation().status == "pending"
    assert _invitation(expires_at=now - timedelta(seconds=1)).status == "expired"
    assert _invitation(revoked_at=now).status == "revoked"
    assert _invitation(accepted_at=now).status == "accepted"
    # Once accepted it stays accepted, even after the link's expiry.
    assert _invitation(accepted_at=now, expires_at=now - timedelta(days=1)).status == "accepted"
