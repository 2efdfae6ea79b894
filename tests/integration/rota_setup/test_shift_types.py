"""Shift types in rota setup: the list, the create and edit form with its messages, archiving."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import select

from app.db import get_database
from app.models import Assignment
from tests.conftest import Browser, World
from tests.integration.rota_setup.conftest import NIGHT, error_beside, make_shift_type, shift_types, signed_in
from tests.integration.tenancy import audit_entries, page_text


async def test_it_lists_shift_types_with_times_days_headcount_and_weights(client: Browser, world: World) -> None:
    await make_shift_type(world.owner, qualification="peds")
    await make_shift_type(world.owner, code="clinic-am", name="Clinic AM", location="", start_time="08:00",
                          duration_hours="4", days_of_week=["0", "1", "2", "3", "4"], headcount="2", weight="1",
                          weekend_weight="1.5", holiday_weight="2", color="#0d6e6e")
    await signed_in(client, world.manager)

    response = await client.get("/rota/setup")

    assert response.status_code == 200
    text = page_text(response.text)
    assert "Night call night-call AMC needs PEDS" in text
    assert "19:00–07:00 · 12 h · crosses midnight · Every day · 1 person" in text
    assert "Weights: 2 normal, 3 weekend, 4 holiday" in text
    assert "08:00–12:00 · 4 h · Mon–Fri · 2 people" in text
    assert 'fill="#4338ca"' in response.text  # the colour chip
    # Clinic AM (08:00) comes before Night call (19:00): the order of the day.
    assert text.index("Clinic AM") < text.index("Night call")


async def test_it_creates_a_shift_type_from_the_form(client: Browser, world: World) -> None:
    await signed_in(client, world.owner)
    form = await client.get("/rota/setup/shift-types/new")
    assert form.status_code == 200
    for label in ("Name", "Code", "Location", "Starts at (local time)", "Duration in hours", "Days of the week",
                  "People on it", "Required qualification", "Weekday", "Weekend", "Holiday"):
        assert f">{label}<" in form.text, label

    response = await client.post("/rota/setup/shift-types", {**NIGHT, "code": "Peds-Call", "name": "Peds call",
                                                             "qualification": "peds", "start_time": "7:30"})

    assert response.status_code == 303
    assert response.headers["location"] == "/rota/setup?notice=shift-type-saved"
    [shift] = await shift_types(world.alpha_id)
    assert (shift.code, shift.name, shift.start_time, shift.duration_minutes) == ("peds-call", "Peds call",
                                                                                 time(7, 30), 720)
    assert (shift.qualification, shift.headcount, shift.days_of_week) == ("PEDS", 1, [0, 1, 2, 3, 4, 5, 6])
    assert shift.location is not None and shift.location.name == "AMC"
    assert [e.action for e in await audit_entries(world.alpha_id, "shift_type.created")] == ["shift_type.created"]
    listing = await client.get(response.headers["location"])
    assert "Shift type saved." in listing.text and "Peds call" in listing.text


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"start_time": "25:00"}, "start_time", "Enter the local start time as HH:MM, e.g. 19:00."),
        ({"start_time": "seven"}, "start_time", "Enter the local start time as HH:MM, e.g. 19:00."),
        ({"days_of_week": []}, "days_of_week", "Choose at least one day of the week."),
        ({"code": "Peds Call!"}, "code", "Use lower-case letters, digits and dashes, e.g. “peds-call”."),
        ({"name": "  "}, "name", "Name the shift, e.g. “Pediatric call”."),
        ({"duration_hours": "0"}, "duration_hours", "Enter a number from 0.25 to 48."),
        ({"duration_hours": "long"}, "duration_hours", "Enter a number."),
        ({"headcount": "0"}, "headcount", "Enter a number from 1 to 50."),
        ({"weekend_weight": "-1"}, "weekend_weight", "Enter a number from 0 to 100."),
    ],
)
async def test_it_shows_a_bad_field_beside_it_and_keeps_the_rest(client: Browser, world: World,
                                                                  changes: dict, field: str, message: str) -> None:
    await signed_in(client, world.manager)
    data = {**NIGHT, **changes}
    if not data["days_of_week"]:
        del data["days_of_week"]  # no box ticked: the browser sends nothing

    response = await client.post("/rota/setup/shift-types", data)

    assert response.status_code == 422
    assert error_beside(response.text, f"f-{field}") == message
    assert "Check the fields marked below." in response.text
    assert 'value="Night call"' in response.text or field == "name"  # what was typed stays
    assert await shift_types(world.alpha_id) == []


async def test_it_refuses_a_code_another_shift_type_uses(client: Browser, world: World) -> None:
    await make_shift_type(world.owner)
    await signed_in(client, world.owner)

    response = await client.post("/rota/setup/shift-types", {**NIGHT, "name": "Second night"})

    assert response.status_code == 422
    assert error_beside(response.text, "f-code") == "Another shift type already uses the code “night-call”."
    assert len(await shift_types(world.alpha_id)) == 1


async def test_it_edits_a_shift_type_and_bumps_its_calendar_entries(client: Browser, world: World) -> None:
    shift = await make_shift_type(world.owner)
    async with get_database().write_session() as session:
        session.add(Assignment(organization_id=world.alpha_id, shift_type_id=shift.id, date=date(2026, 3, 2),
                               membership_id=world.member.membership_id))
        await session.commit()
    await signed_in(client, world.owner)

    form = await client.get(f"/rota/setup/shift-types/{shift.id}")
    assert form.status_code == 200
    assert 'value="19:00"' in form.text and 'value="12"' in form.text

    renamed = await client.post(f"/rota/setup/shift-types/{shift.id}", {**NIGHT, "name": "Night on call"})
    assert renamed.status_code == 303
    retimed = await client.post(f"/rota/setup/shift-types/{shift.id}", {**NIGHT, "start_time": "20:00"})
    assert retimed.status_code == 303

    [saved] = await shift_types(world.alpha_id)
    assert (saved.name, saved.start_time) == ("Night call", time(20, 0))
    async with get_database().read_session() as session:
        [a] = (await session.execute(select(Assignment))).scalars().unique()
    assert a.sequence == 1  # the rename did not change the times; the new start did
    changes = await audit_entries(world.alpha_id, "shift_type.changed")
    assert [(c.before["start_time"], c.after["start_time"]) for c in changes] == [("19:00", "19:00"),
                                                                                  ("19:00", "20:00")]


async def test_it_keeps_its_own_code_when_editing(client: Browser, world: World) -> None:
    shift = await make_shift_type(world.owner)
    await make_shift_type(world.owner, code="day-call", name="Day call", start_time="07:00")
    await signed_in(client, world.owner)

    same = await client.post(f"/rota/setup/shift-types/{shift.id}", {**NIGHT, "headcount": "2"})
    taken = await client.post(f"/rota/setup/shift-types/{shift.id}", {**NIGHT, "code": "day-call"})

    assert same.status_code == 303
    assert taken.status_code == 422
    assert error_beside(taken.text, "f-code") == "Another shift type already uses the code “day-call”."


async def test_it_archives_and_reactivates_a_shift_type(client: Browser, world: World) -> None:
    shift = await make_shift_type(world.owner)
    await signed_in(client, world.manager)

    archived = await client.post(f"/rota/setup/shift-types/{shift.id}/archive")
    assert archived.status_code == 303
    listing = page_text((await client.get("/rota/setup")).text)
    assert "Archived" in listing and "Reactivate" in listing
    [row] = await shift_types(world.alpha_id)
    assert row.active is False

    await client.post(f"/rota/setup/shift-types/{shift.id}/reactivate")
    [row] = await shift_types(world.alpha_id)
    assert row.active is True
    actions = [e.action for e in await audit_entries(world.alpha_id) if e.action.startswith("shift_type.")]
    assert actions == ["shift_type.created", "shift_type.archived", "shift_type.activated"]
