"""The setup wizard, end to end through the test client: people, shift presets, public holidays and a
fairly filled first week; every mistake beside its field with nothing written; sign-up lands on it."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import holidays as holidays_lib
from sqlalchemy import select

from app.db import get_database
from app.models import EmailMessage, Membership, User
from app.services.rota.dates import occurrence
from app.services.rota.people import PLACEHOLDER_DOMAIN
from tests.conftest import Browser, World
from tests.integration.rota_setup.conftest import (
    assignments,
    error_beside,
    holidays,
    make_shift_type,
    membership_rows,
    shift_types,
    signed_in,
)
from tests.integration.tenancy import audit_entries, count, page_text

BERLIN = ZoneInfo("Europe/Berlin")
PRESET_DEFAULTS = {
    "night-call-start_time": "19:00", "night-call-duration_hours": "12", "night-call-headcount": "1",
    "weekend-call-start_time": "08:00", "weekend-call-duration_hours": "24", "weekend-call-headcount": "1",
    "clinic-am-start_time": "08:00", "clinic-am-duration_hours": "4", "clinic-am-headcount": "2",
    "clinic-pm-start_time": "13:00", "clinic-pm-duration_hours": "4", "clinic-pm-headcount": "2",
    "hospital-rounds-start_time": "07:00", "hospital-rounds-duration_hours": "5", "hospital-rounds-headcount": "1",
    "nursing-home-start_time": "14:00", "nursing-home-duration_hours": "3", "nursing-home-headcount": "1",
}


def _monday() -> date:
    today = datetime.now(UTC).astimezone(BERLIN).date()
    return today - timedelta(days=today.weekday())


def _form(world: World, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "takes": [str(world.owner.membership_id), str(world.manager.membership_id), str(world.member.membership_id)],
        "count": "3",
        "name-0": "Dr. Amir Patel", "email-0": "",
        "name-1": "Dr. Bea Chen", "email-1": "Bea@Chen.example",
        "name-2": "", "email-2": "",
        "preset": ["night-call", "weekend-call", "clinic-am", "clinic-pm"],
        **PRESET_DEFAULTS,
        "action": "finish",
    }
    data.update(changes)
    return data


async def test_it_shows_the_wizard_with_the_practices_people_and_the_presets(client: Browser, world: World) -> None:
    await signed_in(client, world.owner)

    response = await client.get("/rota/setup/wizard")

    assert response.status_code == 200
    text = page_text(response.text)
    assert "Tell us about your practice" in text
    assert "Olga Owner (you)" in text and "Mona Manager" in text and "Mel Member" in text
    assert "Vic Viewer" not in text  # read-only staff never take shifts
    for name in ("Night call", "Weekend call", "Clinic AM", "Clinic PM", "Hospital rounding", "Nursing home visits"):
        assert name in text
    assert re.search(r'name="preset" value="night-call" checked', response.text)
    assert not re.search(r'name="preset" value="nursing-home" checked', response.text)
    assert 'id="f-night-call-start_time"' in response.text and 'value="19:00"' in response.text
    assert "imports the public holidays of Germany" in text
    assert response.text.count('class="person-row"') == 4  # four empty rows to start


async def test_it_shows_as_many_rows_as_physicians_asked_for_and_keeps_what_was_typed(client: Browser,
                                                                                    world: World) -> None:
    await signed_in(client, world.manager)

    response = await client.post("/rota/setup/wizard", {"count": "6", "name-0": "Dr. Amir Patel",
                                                         "preset": "clinic-am", "clinic-am-start_time": "07:30",
                                                         "action": "resize"})

    assert response.status_code == 200
    assert response.text.count('class="person-row"') == 6
    assert 'value="Dr. Amir Patel"' in response.text and 'value="07:30"' in response.text
    assert re.search(r'name="preset" value="clinic-am" checked', response.text)
    assert not re.search(r'name="preset" value="night-call" checked', response.text)
    assert await shift_types(world.alpha_id) == []  # nothing saved


async def test_it_sets_up_the_practice_and_fills_this_week_fairly(client: Browser, world: World) -> None:
    # One shift type exists already and needs a qualification only Mel Member holds.
    await make_shift_type(world.owner, code="peds-call", name="Peds call", start_time="08:00", duration_hours="8",
                          qualification="PEDS", location="")
    async with get_database().write_session() as session:
        m = await session.get(Membership, world.member.membership_id)
        m.qualifications = ["PEDS"]
        await session.commit()
    await signed_in(client, world.owner)

    response = await client.post("/rota/setup/wizard", _form(world, **{
        "night-call-start_time": "18:00", "clinic-am-headcount": "1"}))

    assert response.status_code == 303, page_text(response.text)
    monday = _monday()
    location = response.headers["location"]
    assert location in (f"/rota/week/{monday.isoformat()}?notice=wizard-done", "/home?notice=wizard-done-home")

    # The shift types, with what was adjusted.
    shifts = {s.code: s for s in await shift_types(world.alpha_id)}
    assert set(shifts) == {"peds-call", "night-call", "weekend-call", "clinic-am", "clinic-pm"}
    assert (shifts["night-call"].start_time, shifts["night-call"].duration_minutes) == (time(18, 0), 720)
    assert shifts["clinic-am"].headcount == 1 and shifts["clinic-pm"].headcount == 2
    assert shifts["weekend-call"].days_of_week == [5, 6]

    # Germany's public holidays for this year and next.
    this_year = datetime.now(UTC).astimezone(BERLIN).year
    expected = holidays_lib.country_holidays("DE", years=[this_year, this_year + 1])
    assert {h.date for h in await holidays(world.alpha_id)} == set(expected)

    # The people: one by name only, one with an address and a link to sign in.
    users = {m.user.name: m for m in await membership_rows(world.alpha_id)}
    amir, bea = users["Dr. Amir Patel"], users["Dr. Bea Chen"]
    assert amir.user.email.endswith("@" + PLACEHOLDER_DOMAIN) and amir.role == "member" and amir.in_schedule
    assert bea.user.email == "bea@chen.example"
    assert await count(EmailMessage, EmailMessage.to_address == "bea@chen.example") == 1
    assert await count(EmailMessage, EmailMessage.to_address.like(f"%{PLACEHOLDER_DOMAIN}")) == 0

    # The week: every seat filled, nobody on two shifts at once, qualifications and headcounts respected.
    # (The Sunday before's night and weekend calls reach into Monday morning: they show, so they are filled.)
    rows = await assignments(world.alpha_id)
    assert rows and all(monday - timedelta(days=1) <= a.date <= monday + timedelta(days=6) for a in rows)
    assert all(a.draft_id is None and a.source == "generated" for a in rows)
    per_slot: dict[tuple[int, date], int] = defaultdict(int)
    for a in rows:
        per_slot[(a.shift_type_id, a.date)] += 1
    expected_slots = {(s.id, monday + timedelta(days=d)): s.headcount
                      for s in shifts.values() for d in range(-1, 7)
                      if d % 7 in s.days_of_week and (d >= 0 or s.is_overnight)}
    assert (shifts["night-call"].id, monday - timedelta(days=1)) in expected_slots
    assert dict(per_slot) == expected_slots
    by_member: dict[int, list[Any]] = defaultdict(list)
    for a in rows:
        by_member[a.membership_id].append(occurrence(a.date, a.shift_type.start_time, a.shift_type.duration_minutes,
                                                     BERLIN))
    for spans in by_member.values():
        spans.sort(key=lambda w: w.starts_at)
        for first, second in pairwise(spans):
            assert first.ends_at <= second.starts_at
    assert {a.membership_id for a in rows if a.shift_type.code == "peds-call"} == {world.member.membership_id}
    takers = {world.owner.membership_id, world.manager.membership_id, world.member.membership_id, amir.id, bea.id}
    assert set(by_member) == takers  # everyone who takes shifts has some; the viewer none

    # All of it audited.
    assert len(await audit_entries(world.alpha_id, "assignment.created")) == len(rows)
    [done] = await audit_entries(world.alpha_id, "rota.setup_wizard_finished")
    assert done.after["assignments"] == len(rows) and done.after["unfilled"] == 0
    assert len(await audit_entries(world.alpha_id, "member.added")) >= 2

    # Afterwards the wizard shows the presets it created as set up already.
    again = await client.get("/rota/setup/wizard")
    assert again.text.count("already set up") == 4


async def test_it_leaves_out_whoever_is_unticked_and_says_when_seats_stay_open(client: Browser,
                                                                                world: World) -> None:
    await signed_in(client, world.owner)

    response = await client.post("/rota/setup/wizard", _form(
        world, takes=[str(world.member.membership_id)], count="0", preset=["clinic-am"]))

    assert response.status_code == 303
    assert response.headers["location"].endswith(("notice=wizard-gaps", "notice=wizard-gaps-home"))
    owner = next(m for m in await membership_rows(world.alpha_id) if m.id == world.owner.membership_id)
    assert owner.in_schedule is False
    rows = await assignments(world.alpha_id)
    # Clinic AM needs two a day and only Mel Member takes shifts: one seat a day, the other stays open.
    assert len(rows) == 5 and {a.membership_id for a in rows} == {world.member.membership_id}
    [done] = await audit_entries(world.alpha_id, "rota.setup_wizard_finished")
    assert done.after["unfilled"] == 5


async def test_it_shows_each_mistake_beside_its_field_and_writes_nothing(client: Browser, world: World) -> None:
    await signed_in(client, world.owner)
    users_before = await count(User)

    response = await client.post("/rota/setup/wizard", _form(world, **{
        "night-call-start_time": "25:00", "clinic-am-duration_hours": "0", "clinic-pm-headcount": "many",
        "name-0": "", "email-0": "amir@patel.example",
        "email-1": "not-an-address", "name-2": "Dr. Cy Doe", "email-2": world.member.email,
    }))

    assert response.status_code == 422
    assert error_beside(response.text, "f-night-call-start_time") == "Enter the local start time as HH:MM, e.g. 19:00."
    assert error_beside(response.text, "f-clinic-am-duration_hours") == "Enter a number from 0.25 to 48."
    assert error_beside(response.text, "f-clinic-pm-headcount") == "Enter a number."
    assert error_beside(response.text, "f-name-0") == "Enter their name."
    assert error_beside(response.text, "f-email-1") == "Enter an email address like name@example.com."
    assert error_beside(response.text, "f-email-2") == "member@alpha.example is already a member."
    assert 'value="25:00"' in response.text and 'value="Dr. Cy Doe"' in response.text
    # A summary at the top links to each field, in the order of the form.
    summary = re.search(r'class="alert alert-error error-summary".*?</ul>', response.text, re.S).group(0)
    assert re.findall(r'href="#([^"]+)"', summary) == [
        "f-name-0", "f-email-1", "f-email-2", "f-night-call-start_time", "f-clinic-am-duration_hours",
        "f-clinic-pm-headcount"]
    assert "Physician 1: Enter their name." in page_text(summary)
    assert "Night call: Enter the local start time as HH:MM, e.g. 19:00." in page_text(summary)
    assert await shift_types(world.alpha_id) == [] and await assignments(world.alpha_id) == []
    assert await holidays(world.alpha_id) == []
    assert await count(User) == users_before


async def test_it_asks_for_at_least_one_shift_and_one_person(client: Browser, world: World) -> None:
    await signed_in(client, world.owner)

    response = await client.post("/rota/setup/wizard", {"count": "2", "name-0": "", "name-1": "",
                                                         "action": "finish"})

    assert response.status_code == 422
    assert error_beside(response.text, "f-preset") == "Choose at least one kind of shift."
    assert error_beside(response.text, "f-count") == "Add at least one physician who takes shifts."


async def test_it_does_not_add_someone_with_an_account_elsewhere_without_their_consent(client: Browser,
                                                                                        world: World) -> None:
    await signed_in(client, world.owner)

    response = await client.post("/rota/setup/wizard", _form(world, **{"email-1": world.outsider.email}))

    assert response.status_code == 422
    assert error_beside(response.text, "f-email-1").startswith("owner@beta.example already has a Rounds account")
    async with get_database().read_session() as session:
        memberships = (await session.execute(select(Membership).where(
            Membership.user_id == world.outsider.user_id))).scalars().all()
    assert len(memberships) == 1


async def test_it_refuses_one_address_twice(client: Browser, world: World) -> None:
    await signed_in(client, world.owner)

    response = await client.post("/rota/setup/wizard", _form(world, **{"name-2": "Dr. B. Chen",
                                                                       "email-2": "bea@chen.example"}))

    assert response.status_code == 422
    assert error_beside(response.text, "f-email-2") == "This address is entered twice."


async def test_it_lands_a_new_practice_on_the_wizard_and_offers_it_at_home_until_done(client: Browser) -> None:
    signup = await client.post("/signup", {"name": "Sarah Chen", "email": "sarah@chen-family.example",
                                           "password": "a long quiet harbour", "practice_name": "Chen Family Medicine",
                                           "timezone": "Europe/Berlin", "country": "DE"})
    assert signup.status_code == 303
    assert signup.headers["location"] == "/rota/setup/wizard?notice=welcome"
    wizard = await client.get(signup.headers["location"])
    assert wizard.status_code == 200
    assert "Welcome to Rounds. Your practice is ready." in wizard.text
    assert "Sarah Chen (you)" in page_text(wizard.text)

    home = page_text((await client.get("/home")).text)
    assert "Finish setting up" in home

    done = await client.post("/rota/setup/wizard", {"takes": re.search(r'name="takes" value="(\d+)"',
                                                                      wizard.text).group(1),
                                                    "count": "1", "name-0": "Dr. Amir Patel",
                                                    "preset": ["night-call", "clinic-am"], **PRESET_DEFAULTS,
                                                    "action": "finish"})
    assert done.status_code == 303
    landing = await client.get(done.headers["location"])
    assert landing.status_code == 200
    assert "Finish setting up" not in page_text((await client.get("/home")).text)


async def test_it_offers_the_wizard_at_home_only_to_those_who_can_set_up_the_rota(client: Browser, make_browser,
                                                                               world: World) -> None:
    manager = await signed_in(client, world.manager)
    assert "Finish setting up" in page_text((await manager.get("/home")).text)
    member = await signed_in(await make_browser(), world.member)
    home = await member.get("/home")
    assert home.status_code == 200 and "Finish setting up" not in page_text(home.text)
