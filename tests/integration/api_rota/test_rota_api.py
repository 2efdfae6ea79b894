"""The rota's JSON API: shift types, schedule, on call now, assignments, members — with keys, scopes and isolation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from app.db import get_database
from app.models import Assignment, ScheduleDraft
from app.services import api_keys
from app.services.actor import Actor
from app.services.rota import setup
from tests.conftest import Browser, World

ALL_SCOPES = ["schedule:read", "schedule:write", "members:read", "members:write"]
MONDAY = date(2026, 3, 2)


async def _key(org_id: int, scopes: list[str]) -> str:
    async with get_database().write_session() as session:
        _k, secret = await api_keys.create_key(session, Actor.system("test", organization_id=org_id),
                                               name="test", scopes=scopes)
        return secret


async def _shift(org_id: int, **fields: Any) -> int:
    base = {"code": "night-call", "name": "Night call", "start_time": "19:00", "duration_minutes": 720,
            "days_of_week": [0, 1, 2, 3, 4, 5, 6], "headcount": 1, "weight": 2, "location": "AMC"}
    base.update(fields)
    async with get_database().write_session() as session:
        shift = await setup.save_shift_type(session, Actor.system("test", organization_id=org_id),
                                            setup.parse_shift_type(base))
        return shift.id


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
async def alpha_key(world: World) -> str:
    await _shift(world.alpha_id)
    return await _key(world.alpha_id, ALL_SCOPES)


async def test_it_assigns_and_serves_the_published_schedule(client: Browser, world: World, alpha_key: str) -> None:
    created = await client.client.post(
        "/api/v1/assignments", json={"shift": "night-call", "date": "2026-03-02", "member_id": world.member.membership_id},
        headers=_auth(alpha_key))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["member"]["name"] == world.member.name
    assert body["starts_at"] == "2026-03-02T18:00:00+00:00"  # 19:00 in Berlin
    assert body["shift"] == {"code": "night-call", "name": "Night call", "location": "AMC"}

    schedule = await client.client.get("/api/v1/schedule?date=2026-03-02&days=7", headers=_auth(alpha_key))
    assert schedule.status_code == 200
    assert [a["member"]["id"] for a in schedule.json()["assignments"]] == [world.member.membership_id]

    at_3am = await client.client.get("/api/v1/oncall/now", params={"at": "2026-03-03T03:00:00+01:00"},
                                     headers=_auth(alpha_key))
    assert [a["member"]["name"] for a in at_3am.json()["assignments"]] == [world.member.name]
    at_noon = await client.client.get("/api/v1/oncall/now", params={"at": "2026-03-03T12:00:00+01:00"},
                                      headers=_auth(alpha_key))
    assert at_noon.json()["assignments"] == []

    removed = await client.client.delete(f"/api/v1/assignments/{body['id']}", headers=_auth(alpha_key))
    assert removed.status_code == 204
    again = await client.client.get("/api/v1/schedule?date=2026-03-02&days=7", headers=_auth(alpha_key))
    assert again.json()["assignments"] == []


async def test_it_never_serves_drafts(client: Browser, world: World, alpha_key: str) -> None:
    async with get_database().write_session() as session:
        draft = ScheduleDraft(organization_id=world.alpha_id, start_date=MONDAY, end_date=MONDAY, status="done")
        session.add(draft)
        await session.flush()
        from sqlalchemy import select

        from app.models import ShiftType

        shift_id = (await session.execute(select(ShiftType.id).where(ShiftType.organization_id == world.alpha_id))).scalar_one()
        session.add(Assignment(organization_id=world.alpha_id, shift_type_id=shift_id, date=MONDAY,
                               membership_id=world.member.membership_id, draft_id=draft.id, source="generated"))
        await session.commit()
    schedule = await client.client.get("/api/v1/schedule?date=2026-03-02", headers=_auth(alpha_key))
    assert schedule.json()["assignments"] == []


async def test_it_refuses_bad_input_with_the_error_shape(client: Browser, world: World, alpha_key: str) -> None:
    bad_time = await client.client.post("/api/v1/shift-types", headers=_auth(alpha_key), json={
        "code": "clinic", "name": "Clinic", "start_time": "25:00", "duration_minutes": 240, "days_of_week": [0]})
    assert bad_time.status_code == 422
    assert bad_time.json()["error"]["code"] == "validation_failed"
    assert "start_time" in bad_time.json()["error"]["message"]

    duplicate = await client.client.post("/api/v1/shift-types", headers=_auth(alpha_key), json={
        "code": "night-call", "name": "Again", "start_time": "19:00", "duration_minutes": 60, "days_of_week": [0]})
    assert duplicate.status_code == 422

    bad_date = await client.client.get("/api/v1/schedule?date=2026-02-30", headers=_auth(alpha_key))
    assert bad_date.status_code == 400
    assert set(bad_date.json()["error"]) == {"code", "message"}

    no_body = await client.client.post("/api/v1/assignments", headers=_auth(alpha_key), content=b"{not json")
    assert no_body.status_code == 400

    wrong_day = await client.client.post("/api/v1/assignments", headers=_auth(alpha_key), json={
        "shift": "nope", "date": "2026-03-02", "member_id": world.member.membership_id})
    assert wrong_day.status_code == 422


async def test_it_creates_shift_types_and_members(client: Browser, world: World, alpha_key: str) -> None:
    created = await client.client.post("/api/v1/shift-types", headers=_auth(alpha_key), json={
        "code": "peds-call", "name": "Pediatric call", "location": "AMC", "start_time": "18:00",
        "duration_minutes": 840, "days_of_week": [0, 1, 2, 3, 4], "headcount": 1, "weight": 2,
        "weekend_weight": 3, "holiday_weight": 4, "qualification": "peds"})
    assert created.status_code == 201, created.text
    assert created.json()["qualification"] == "PEDS"
    listed = await client.client.get("/api/v1/shift-types", headers=_auth(alpha_key))
    assert {s["code"] for s in listed.json()["shift_types"]} == {"night-call", "peds-call"}

    member = await client.client.post("/api/v1/members", headers=_auth(alpha_key), json={
        "email": " New.Doc@Alpha.example ", "name": "Dr New", "phone": "+49 30 1234", "fte": 0.5,
        "qualifications": ["peds"]})
    assert member.status_code == 201, member.text
    assert member.json()["email"] == "new.doc@alpha.example"
    again = await client.client.post("/api/v1/members", headers=_auth(alpha_key), json={
        "email": "new.doc@alpha.example", "name": "Dr New"})
    assert again.status_code == 409
    owner = await client.client.post("/api/v1/members", headers=_auth(alpha_key), json={
        "email": "boss@alpha.example", "name": "Boss", "role": "owner"})
    assert owner.status_code == 403


async def test_it_checks_keys_and_scopes(client: Browser, world: World, alpha_key: str) -> None:
    assert (await client.client.get("/api/v1/schedule")).status_code == 401
    read_only = await _key(world.alpha_id, ["schedule:read"])
    refused = await client.client.post("/api/v1/assignments", headers=_auth(read_only), json={
        "shift": "night-call", "date": "2026-03-02", "member_id": world.member.membership_id})
    assert refused.status_code == 403
    assert "schedule:write" in refused.json()["error"]["message"]


async def test_it_keeps_organizations_apart(client: Browser, world: World, alpha_key: str) -> None:
    created = await client.client.post("/api/v1/assignments", headers=_auth(alpha_key), json={
        "shift": "night-call", "date": "2026-03-02", "member_id": world.member.membership_id})
    assignment_id = created.json()["id"]
    beta_key = await _key(world.beta_id, ALL_SCOPES)
    await _shift(world.beta_id)

    gone = await client.client.delete(f"/api/v1/assignments/{assignment_id}", headers=_auth(beta_key))
    assert gone.status_code == 404
    beta_view = await client.client.get("/api/v1/schedule?date=2026-03-02&days=3", headers=_auth(beta_key))
    assert beta_view.json()["assignments"] == []
    foreign_member = await client.client.post("/api/v1/assignments", headers=_auth(beta_key), json={
        "shift": "night-call", "date": "2026-03-02", "member_id": world.member.membership_id})
    assert foreign_member.status_code == 422
    still = await client.client.get("/api/v1/schedule?date=2026-03-02", headers=_auth(alpha_key))
    assert [a["id"] for a in still.json()["assignments"]] == [assignment_id]


async def test_it_refuses_to_overstaff_or_double_book(client: Browser, world: World, alpha_key: str) -> None:
    first = await client.client.post("/api/v1/assignments", headers=_auth(alpha_key), json={
        "shift": "night-call", "date": "2026-03-02", "member_id": world.member.membership_id})
    assert first.status_code == 201
    full = await client.client.post("/api/v1/assignments", headers=_auth(alpha_key), json={
        "shift": "night-call", "date": "2026-03-02", "member_id": world.manager.membership_id})
    assert full.status_code == 409
    assert "fully staffed" in full.json()["error"]["message"]


def test_it_reads_iso_instants_with_offsets() -> None:
    from zoneinfo import ZoneInfo

    from app.services.rota.dates import parse_when

    now = datetime(2026, 3, 2, tzinfo=UTC)
    assert parse_when("2026-03-03T03:00:00+01:00", ZoneInfo("Europe/Berlin"), now) == datetime(
        2026, 3, 3, 2, 0, tzinfo=UTC)
    assert parse_when("2026-03-03T03:00:00+01:00", ZoneInfo("UTC"), now) - now == timedelta(hours=26)
