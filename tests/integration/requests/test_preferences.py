"""Preferences: want or avoid a date or a shift type, with a strength; what the generator reads."""

from __future__ import annotations

import re
from datetime import timedelta

from app.db import get_database
from app.services.rota.preferences import preferences_between
from tests.conftest import Browser, World
from tests.integration.requests.support import (
    audit_actions,
    error_of,
    events,
    make_shift,
    page_text,
    set_member,
    today,
)


async def test_it_saves_preferences_and_lists_them(client: Browser, world: World) -> None:
    night = await make_shift(world.owner)
    day = today() + timedelta(days=14)
    await client.login(world.member.email)

    wanted = await client.post("/requests/preferences", {"pref_kind": "want", "pref_date": day.isoformat(),
                                                         "strength": "3", "pref_note": "Super Bowl Sunday"})
    avoided = await client.post("/requests/preferences", {"pref_kind": "avoid", "pref_shift": str(night),
                                                          "strength": "1"})

    assert wanted.status_code == avoided.status_code == 303
    # Back at the preferences, with the confirmation beside them rather than above the fold.
    assert avoided.headers["location"] == "/requests?notice=preference-added#preferences"
    back = (await client.get("/requests?notice=preference-added")).text
    assert back.index("Preference saved.") > back.index('id="prefs-h"')
    text = page_text((await client.get("/requests")).text)
    assert "Wants any shift on" in text and "(very much)" in text and "Super Bowl Sunday" in text
    assert "Would rather avoid Night call shifts (a little)" in text
    assert (await audit_actions(world.alpha_id)).count("preference.added") == 2
    assert await events(world.alpha_id, "requests.") == ["requests.preference_added"] * 2
    async with get_database().read_session() as session:
        found = await preferences_between(session, world.alpha_id, today(), today() + timedelta(days=30))
        assert {(p.kind, p.strength, p.date, p.shift_type_id) for p in found} == {
            ("want", 3, day, None), ("avoid", 1, None, night)}
        assert len(await preferences_between(session, world.alpha_id, day + timedelta(days=1),
                                             day + timedelta(days=5))) == 1  # the undated one only


async def test_it_explains_bad_preferences_beside_the_fields(client: Browser, world: World) -> None:
    await client.login(world.member.email)

    empty = await client.post("/requests/preferences", {"pref_kind": "want", "strength": "2"})
    assert empty.status_code == 422
    assert error_of(empty.text, "pref_date") == "Choose a date, a shift type, or both."
    bad = await client.post("/requests/preferences", {"pref_kind": "maybe", "pref_date": "yesterday",
                                                      "pref_shift": "999", "strength": "9"})
    assert error_of(bad.text, "pref_kind") == "Choose want or avoid."
    assert error_of(bad.text, "pref_date") == "Enter a date as YYYY-MM-DD."
    assert error_of(bad.text, "pref_shift") == "Choose a shift type of this practice."
    assert error_of(bad.text, "strength") == "Choose a strength from 1 to 3."
    past = await client.post("/requests/preferences", {"pref_kind": "want", "strength": "2",
                                                       "pref_date": (today() - timedelta(days=1)).isoformat()})
    assert error_of(past.text, "pref_date") == "Choose today or a later date."


async def test_it_refuses_a_duplicate_and_removes_a_preference(client: Browser, world: World) -> None:
    night = await make_shift(world.owner)
    await client.login(world.member.email)
    await client.post("/requests/preferences", {"pref_kind": "avoid", "pref_shift": str(night), "strength": "2"})

    twice = await client.post("/requests/preferences", {"pref_kind": "want", "pref_shift": str(night), "strength": "2"})
    assert error_of(twice.text, "pref_date") == "There is already a preference for this; remove it first to change it."

    page = (await client.get("/requests")).text
    found = re.search(r'action="/requests/preferences/(\d+)/delete#preferences"', page)
    assert found is not None
    pref_id = found.group(1)
    # Another member may not remove it (404, as if it did not exist).
    await set_member(world.viewer.membership_id, role="member")
    await client.login(world.viewer.email)
    assert (await client.post(f"/requests/preferences/{pref_id}/delete")).status_code == 404
    await client.login(world.member.email)

    removed = await client.post(f"/requests/preferences/{pref_id}/delete")

    assert removed.status_code == 303
    assert "Would rather avoid" not in page_text((await client.get("/requests")).text)
    assert "preference.removed" in await audit_actions(world.alpha_id)
