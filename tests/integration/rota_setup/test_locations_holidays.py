"""Locations and holidays in rota setup: lists, adding, the country's public holidays, editing, not counting."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import holidays as holidays_lib

from app.db import get_database
from app.models import Holiday
from tests.conftest import Browser, World
from tests.integration.rota_setup.conftest import error_beside, holidays, make_shift_type, signed_in
from tests.integration.tenancy import audit_entries, page_text


def _this_year() -> int:
    return datetime.now(UTC).astimezone(ZoneInfo("Europe/Berlin")).year


async def test_it_lists_locations_with_their_shift_types_and_adds_one(client: Browser, world: World) -> None:
    await make_shift_type(world.owner, location="AMC")
    await signed_in(client, world.manager)

    listing = page_text((await client.get("/rota/setup/locations")).text)
    assert "AMC Night call" in listing

    added = await client.post("/rota/setup/locations", {"name": "  Riverside Nursing Home "})
    assert added.status_code == 303
    listing = page_text((await client.get(added.headers["location"])).text)
    assert "Location added." in listing and "Riverside Nursing Home No shift types here yet." in listing
    assert len(await audit_entries(world.alpha_id, "location.created")) == 2


async def test_it_says_beside_the_name_what_is_wrong_with_a_location(client: Browser, world: World) -> None:
    await make_shift_type(world.owner, location="AMC")
    await signed_in(client, world.owner)

    empty = await client.post("/rota/setup/locations", {"name": " "})
    twice = await client.post("/rota/setup/locations", {"name": "amc"})
    long = await client.post("/rota/setup/locations", {"name": "x" * 81})

    assert (empty.status_code, twice.status_code, long.status_code) == (422, 422, 422)
    assert error_beside(empty.text, "f-name") == "Name the location, e.g. “Main clinic” or “AMC”."
    assert error_beside(twice.text, "f-name") == "There is already a location called “amc”."
    assert error_beside(long.text, "f-name") == "Use at most 80 characters."


async def test_it_imports_the_countrys_public_holidays_for_this_year_and_next(client: Browser, world: World) -> None:
    await signed_in(client, world.owner)
    year = _this_year()
    before = page_text((await client.get("/rota/setup/holidays")).text)
    assert f"Import the public holidays of Germany for {year} and {year + 1}." in before

    response = await client.post("/rota/setup/holidays/import")

    assert response.status_code == 303
    expected = holidays_lib.country_holidays("DE", years=[year, year + 1])
    rows = await holidays(world.alpha_id)
    assert {h.date for h in rows} == set(expected)
    assert all(h.source == "country" and h.weight == 2.0 and h.active for h in rows)
    after = page_text((await client.get(response.headers["location"])).text)
    assert "Public holidays imported." in after
    assert "Import public holidays" not in after
    assert "Christmas Day public holiday Weight 2" in after
    # Importing again adds nothing twice.
    await client.post("/rota/setup/holidays/import")
    assert len(await holidays(world.alpha_id)) == len(rows)


async def test_it_adds_a_day_of_the_practices_own_with_a_weight(client: Browser, world: World) -> None:
    await signed_in(client, world.manager)
    year = _this_year()

    response = await client.post("/rota/setup/holidays", {"date": f"{year}-12-24", "name": "Christmas Eve",
                                                          "weight": "1.5"})

    assert response.status_code == 303
    [h] = await holidays(world.alpha_id)
    assert (h.date, h.name, h.weight, h.source) == (date(year, 12, 24), "Christmas Eve", 1.5, "custom")
    text = page_text((await client.get("/rota/setup/holidays")).text)
    assert "Christmas Eve your own Weight 1.5" in text


async def test_it_shows_holiday_mistakes_beside_their_fields(client: Browser, world: World) -> None:
    await signed_in(client, world.manager)

    response = await client.post("/rota/setup/holidays", {"date": "2026-02-30", "name": "", "weight": "lots"})

    assert response.status_code == 422
    assert error_beside(response.text, "f-date") == "Enter a date, e.g. 2026-12-24."
    assert error_beside(response.text, "f-weight") == "Enter a number."
    assert error_beside(response.text, "f-name") == "Name the holiday."
    assert await holidays(world.alpha_id) == []
    heavy = await client.post("/rota/setup/holidays", {"date": "2026-12-31", "name": "NYE", "weight": "101"})
    assert error_beside(heavy.text, "f-weight") == "Enter a number from 0 to 100."


async def _christmas(world: World) -> Holiday:
    async with get_database().write_session() as session:
        row = Holiday(organization_id=world.alpha_id, date=date(_this_year(), 12, 25), name="Christmas Day",
                      weight=2.0, source="country")
        session.add(row)
        await session.commit()
        return row


async def test_it_renames_and_reweighs_a_holiday(client: Browser, world: World) -> None:
    holiday = await _christmas(world)
    await signed_in(client, world.owner)

    response = await client.post(f"/rota/setup/holidays/{holiday.id}", {"name": "Christmas", "weight": "3"})

    assert response.status_code == 303
    [h] = await holidays(world.alpha_id)
    assert (h.name, h.weight, h.active) == ("Christmas", 3.0, True)
    [entry] = await audit_entries(world.alpha_id, "holiday.saved")
    assert (entry.before["weight"], entry.after["weight"]) == (2.0, 3.0)


async def test_it_shows_a_bad_edit_beside_that_holidays_field(client: Browser, world: World) -> None:
    holiday = await _christmas(world)
    await signed_in(client, world.owner)

    response = await client.post(f"/rota/setup/holidays/{holiday.id}", {"name": "", "weight": "x"})

    assert response.status_code == 422
    assert error_beside(response.text, f"f-h{holiday.id}-weight") == "Enter a number."
    assert '<details class="edit" open>' in response.text
    [h] = await holidays(world.alpha_id)
    assert (h.name, h.weight) == ("Christmas Day", 2.0)


async def test_it_stops_counting_a_holiday_and_counts_it_again(client: Browser, world: World) -> None:
    holiday = await _christmas(world)
    await signed_in(client, world.owner)

    off = await client.post(f"/rota/setup/holidays/{holiday.id}/disable")
    assert off.status_code == 303
    text = page_text((await client.get(off.headers["location"])).text)
    assert "That day no longer counts as a holiday." in text
    assert "Christmas Day public holiday counts as a normal day" in text
    assert (await holidays(world.alpha_id))[0].active is False

    await client.post(f"/rota/setup/holidays/{holiday.id}/enable")
    assert (await holidays(world.alpha_id))[0].active is True
