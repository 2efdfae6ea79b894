"""The audit entry hash covers every recorded field and the previous entry's hash."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.models import AuditEntry
from app.services.audit import GENESIS, PLATFORM, entry_hash


def _entry(**changes: object) -> AuditEntry:
    fields: dict[str, object] = {
        "prev_hash": GENESIS, "chain": 7, "seq": 3, "organization_id": 7, "actor_user_id": 11,
        "actor_label": "owner@alpha.example", "action": "member.role_changed", "entity_type": "membership",
        "entity_id": "42", "before": {"role": "member"}, "after": {"role": "viewer"}, "ip": "192.0.2.1",
        "user_agent": "Firefox", "created_at": datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
    }
    fields.update(changes)
    return AuditEntry(**fields)


CHANGES = {
    "prev_hash": "f" * 64,
    "chain": 8,
    "seq": 4,
    "organization_id": None,
    "actor_user_id": 12,
    "actor_label": "manager@alpha.example",
    "action": "member.deactivated",
    "entity_type": "invitation",
    "entity_id": "43",
    "before": {"role": "owner"},
    "after": {"role": "owner"},
    "ip": "192.0.2.2",
    "user_agent": "Chrome",
    "created_at": datetime(2026, 3, 29, 1, 30, tzinfo=UTC) + timedelta(microseconds=1),
}


def test_it_is_stable_for_the_same_content() -> None:
    assert entry_hash(_entry()) == entry_hash(_entry())
    assert len(entry_hash(_entry())) == 64


@pytest.mark.parametrize("field", sorted(CHANGES))
def test_it_changes_when_any_field_changes(field: str) -> None:
    assert entry_hash(_entry(**{field: CHANGES[field]})) != entry_hash(_entry())


def test_it_does_not_depend_on_key_order_in_before_and_after() -> None:
    a = _entry(after={"role": "viewer", "email": "m@alpha.example"})
    b = _entry(after={"email": "m@alpha.example", "role": "viewer"})

    assert entry_hash(a) == entry_hash(b)


def test_it_hashes_the_same_instant_the_same_in_any_timezone() -> None:
    from zoneinfo import ZoneInfo

    utc = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)

    assert entry_hash(_entry(created_at=utc)) == entry_hash(
        _entry(created_at=utc.astimezone(ZoneInfo("Europe/Berlin")).astimezone(UTC)))


def test_it_names_the_platform_chain_zero() -> None:
    assert PLATFORM == 0
