"""POST /api/v1/requests: time off and swaps on a member's behalf, with the key's scope and the documented errors."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import Browser, World
from tests.integration.requests.support import (
    assign,
    emails_to,
    make_shift,
    next_weekday,
    request_rows,
    set_rules,
    today,
)
from tests.integration.tenancy import api_key


def _auth(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


async def test_it_creates_time_off_with_201_and_a_manager_is_asked(client: Browser, world: World) -> None:
    _key, secret = await api_key(world.alpha_id, ["requests:write"])
    start = today() + timedelta(days=20)

    created = await client.client.post("/api/v1/requests", headers=_auth(secret), json={
        "member_id": world.member.membership_id, "kind": "time_off", "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=4)).isoformat(), "note": "Marked unavailable in HR"})

    assert created.status_code == 201, created.text
    body = created.json()
    assert body["kind"] == "time_off" and body["status"] == "pending"
    assert body["member_id"] == world.member.membership_id
    assert (body["start_date"], body["end_date"]) == (start.isoformat(), (start + timedelta(days=4)).isoformat())
    assert body["note"] == "Marked unavailable in HR" and body["auto_reason"] is None
    [req] = await request_rows()
    assert req.id == body["id"] and req.created_by_id is None
    assert "Time off is waiting for your approval." in (await emails_to(world.manager.email))[-1].subject


async def test_it_reports_automatic_approval_through_the_api(client: Browser, world: World) -> None:
    await set_rules(world.alpha_id, auto_approve_days=7)
    _key, secret = await api_key(world.alpha_id, ["requests:write"])
    start = today() + timedelta(days=20)

    created = await client.client.post("/api/v1/requests", headers=_auth(secret), json={
        "member_id": world.member.membership_id, "kind": "time_off", "start_date": start.isoformat()})

    assert created.status_code == 201
    body = created.json()
    assert body["status"] == "approved" and body["end_date"] == start.isoformat()
    assert body["auto_reason"].startswith("Approved automatically: asked 20 days ahead")


async def test_it_offers_a_swap_through_the_api(client: Browser, world: World) -> None:
    night = await make_shift(world.owner)
    sat = next_weekday(5)
    await assign(world.manager, night, sat, world.member.membership_id)
    await assign(world.manager, night, sat + timedelta(days=1), world.owner.membership_id)
    _key, secret = await api_key(world.alpha_id, ["requests:write"])

    created = await client.client.post("/api/v1/requests", headers=_auth(secret), json={
        "member_id": world.member.membership_id, "kind": "swap", "shift": "night-call", "date": sat.isoformat(),
        "to_member_id": world.owner.membership_id, "take_shift": "night-call",
        "take_date": (sat + timedelta(days=1)).isoformat()})

    assert created.status_code == 201, created.text
    body = created.json()
    assert body["kind"] == "swap" and body["status"] == "pending" and body["to_member_id"] == world.owner.membership_id
    assert body["shift"]["code"] == "night-call" and body["shift"]["date"] == sat.isoformat()
    assert body["take_shift"]["date"] == (sat + timedelta(days=1)).isoformat()
    assert "Mel Member asks you to swap a shift" in (await emails_to(world.owner.email))[-1].subject


async def test_it_answers_422_with_the_field_on_bad_input(client: Browser, world: World) -> None:
    _key, secret = await api_key(world.alpha_id, ["requests:write"])

    async def post(**body: object) -> tuple[int, str]:
        response = await client.client.post("/api/v1/requests", headers=_auth(secret), json=body)
        return response.status_code, response.json()["error"]["message"]

    assert await post(member_id=world.member.membership_id, kind="time_off", start_date="31/12/2030") == (
        422, "start_date: Enter a date as YYYY-MM-DD.; end_date: Enter a date as YYYY-MM-DD.")
    status, message = await post(member_id=world.outsider.membership_id, kind="time_off",
                                 start_date=(today() + timedelta(days=3)).isoformat())
    assert (status, message) == (422, "member_id: Choose a member of this practice.")
    status, message = await post(member_id=world.member.membership_id, kind="holiday", start_date="2030-01-01")
    assert (status, message) == (422, "kind: use 'time_off' or 'swap'")
    status, message = await post(member_id=world.member.membership_id, kind="swap", shift="night-call",
                                 date="2030-01-05", to_member_id=world.owner.membership_id)
    assert status == 422 and message == "shift: That member has no 'night-call' shift on 2030-01-05."
    status, _message = await post(member_id=world.member.membership_id, kind="swap", shift="x", date="2030-01-05")
    assert status == 422
    missing = await client.client.post("/api/v1/requests", headers=_auth(secret), json={"kind": "time_off"})
    assert missing.status_code == 400 and "error" in missing.json()
    assert await request_rows() == []


async def test_it_needs_the_requests_write_scope_and_a_key(client: Browser, world: World) -> None:
    _key, secret = await api_key(world.alpha_id, ["schedule:read", "schedule:write"])
    body = {"member_id": world.member.membership_id, "kind": "time_off",
            "start_date": (today() + timedelta(days=3)).isoformat()}

    forbidden = await client.client.post("/api/v1/requests", headers=_auth(secret), json=body)
    assert forbidden.status_code == 403
    assert forbidden.json()["error"] == {"code": "forbidden",
                                         "message": "This API key lacks the 'requests:write' scope."}
    anonymous = await client.client.post("/api/v1/requests", json=body)
    assert anonymous.status_code == 401
    assert await request_rows() == []


async def test_it_documents_the_endpoint_in_openapi(client: Browser, world: World) -> None:
    schema = (await client.client.get("/api/docs/openapi.json")).json()
    assert "post" in schema["paths"]["/api/v1/requests"]


async def test_it_names_the_api_fields_in_swap_errors(client: Browser, world: World) -> None:
    night = await make_shift(world.owner)
    sat = next_weekday(5)
    await assign(world.manager, night, sat, world.member.membership_id)
    _key, secret = await api_key(world.alpha_id, ["requests:write"])

    async def post(**body: object) -> tuple[int, str]:
        response = await client.client.post("/api/v1/requests", headers=_auth(secret),
                                            json={"member_id": world.member.membership_id, "kind": "swap", **body})
        return response.status_code, response.json()["error"]["message"]

    # This endpoint takes "to_member_id", "shift", "date": its errors say so, not the web form's names.
    assert await post(shift="night-call", date=sat.isoformat(), to_member_id=world.member.membership_id) == (
        422, "to_member_id: Choose a colleague, not yourself.")
    assert await post(to_member_id=world.owner.membership_id) == (
        422, "shift: Give the shift type's code, e.g. 'night-call'.; date: Enter a date as YYYY-MM-DD.")
    assert await post(shift="night-call", date="05/12/2030", to_member_id=world.owner.membership_id) == (
        422, "date: Enter a date as YYYY-MM-DD.")
    assert await post(shift="night-call", date=sat.isoformat(), to_member_id=world.owner.membership_id,
                      take_shift="night-call") == (422, "take_date: Enter a date as YYYY-MM-DD.")
    assert await request_rows() == []


async def test_it_keeps_time_off_within_two_years_and_drops_nul_characters(client: Browser, world: World) -> None:
    _key, secret = await api_key(world.alpha_id, ["requests:write"])
    start = today() + timedelta(days=20)

    far = await client.client.post("/api/v1/requests", headers=_auth(secret), json={
        "member_id": world.member.membership_id, "kind": "time_off", "start_date": "9999-12-31"})
    assert far.status_code == 422
    assert far.json()["error"]["message"] == "start_date: Ask at most two years ahead."
    # PostgreSQL refuses NUL in text: a note with one must not turn into a server error.
    created = await client.client.post("/api/v1/requests", headers=_auth(secret), json={
        "member_id": world.member.membership_id, "kind": "time_off", "start_date": start.isoformat(),
        "note": "on\u0000call"})
    assert created.status_code == 201, created.text
    assert created.json()["note"] == "oncall"
    [req] = await request_rows()
    assert req.note == "oncall"
