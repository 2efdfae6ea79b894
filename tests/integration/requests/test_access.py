"""Who may see and do what in the requests area: viewers nothing, members their own, managers all, outsiders
(another organization) a 404 on every route that takes an id."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import Browser, World
from tests.integration.requests.support import (
    assign,
    make_shift,
    next_weekday,
    request_rows,
    today,
)


async def _a_request_of_each_kind(client: Browser, world: World) -> dict[str, int]:
    night = await make_shift(world.owner)
    sat = next_weekday(5)
    first = await assign(world.manager, night, sat, world.member.membership_id)
    second = await assign(world.manager, night, sat + timedelta(days=7), world.member.membership_id)
    await client.login(world.member.email)
    start = today() + timedelta(days=30)
    await client.post("/requests/time-off", {"start_date": start.isoformat(), "end_date": start.isoformat()})
    await client.post("/requests/swap", {"assignment_id": str(first),
                                         "to_membership_id": str(world.owner.membership_id)})
    await client.post("/requests/giveaway", {"assignment_id": str(second)})
    await client.post("/requests/preferences", {"pref_kind": "avoid", "pref_shift": str(night), "strength": "3"})
    rows = {r.kind: r.id for r in await request_rows()}
    assert set(rows) == {"time_off", "swap", "giveaway"}
    return {**rows, "night": night, "first": first}


async def test_it_keeps_viewers_out_of_requests(client: Browser, world: World) -> None:
    ids = await _a_request_of_each_kind(client, world)
    await client.login(world.viewer.email)

    for url in ("/requests", "/requests/open", f"/requests/{ids['time_off']}",
                f"/requests/swap?assignment={ids['first']}",
                f"/requests/open/{ids['night']}/{next_weekday(5).isoformat()}", "/rota/rules"):
        assert (await client.get(url)).status_code == 403, url
    for url in ("/requests/time-off", "/requests/swap", "/requests/giveaway", "/requests/preferences",
                f"/requests/{ids['time_off']}/cancel", f"/requests/{ids['giveaway']}/claim", "/rota/rules"):
        assert (await client.post(url, {"start_date": "2030-01-01"})).status_code == 403, url
    assert 'href="/requests"' not in (await client.get("/rota/week/2026-05-04")).text  # not in the navigation


async def test_it_answers_404_to_outsiders_on_every_route_with_an_id(client: Browser, world: World) -> None:
    ids = await _a_request_of_each_kind(client, world)
    from app.db import get_database
    from app.models import Preference

    async with get_database().read_session() as session:
        from sqlalchemy import select

        pref_id = (await session.execute(select(Preference.id))).scalar_one()
    await client.login(world.outsider.email)

    for kind in ("time_off", "swap", "giveaway"):
        rid = ids[kind]
        assert (await client.get(f"/requests/{rid}")).status_code == 404
        for action, data in (("answer", {"answer": "accept"}), ("cancel", {}), ("claim", {}),
                             ("decide", {"decision": "approve"})):
            response = await client.post(f"/requests/{rid}/{action}", data)
            assert response.status_code == 404, (kind, action, response.status_code)
    assert (await client.get(f"/requests/swap?assignment={ids['first']}&to={world.owner.membership_id}")
            ).status_code == 404
    assert (await client.get(f"/requests/giveaway?assignment={ids['first']}")).status_code == 404
    assert (await client.post("/requests/giveaway", {"assignment_id": str(ids["first"])})).status_code == 404
    swap = await client.post("/requests/swap", {"assignment_id": str(ids["first"]),
                                                "to_membership_id": str(world.owner.membership_id)})
    assert swap.status_code == 404
    day = next_weekday(5).isoformat()
    assert (await client.get(f"/requests/open/{ids['night']}/{day}")).status_code == 404
    assert (await client.post(f"/requests/open/{ids['night']}/{day}")).status_code == 404
    assert (await client.post(f"/requests/preferences/{pref_id}/delete")).status_code == 404
    assert {r.status for r in await request_rows()} == {"pending", "open"}


async def test_it_hides_other_members_requests_from_a_member(client: Browser, world: World) -> None:
    ids = await _a_request_of_each_kind(client, world)
    from tests.integration.requests.support import set_member

    await set_member(world.viewer.membership_id, role="member")
    await client.login(world.viewer.email)

    assert (await client.get(f"/requests/{ids['time_off']}")).status_code == 404
    assert (await client.get(f"/requests/{ids['swap']}")).status_code == 404
    assert (await client.get(f"/requests/{ids['giveaway']}")).status_code == 200  # give-aways are for everyone
    assert (await client.post(f"/requests/{ids['time_off']}/cancel")).status_code == 404
    decide = await client.post(f"/requests/{ids['time_off']}/decide", {"decision": "approve"})
    assert decide.status_code == 403
    assert "Mel Member" not in (await client.get("/requests")).text


@pytest.mark.parametrize("persona", ["owner", "manager"])
async def test_it_lets_owners_and_managers_see_every_request(client: Browser, world: World, persona: str) -> None:
    ids = await _a_request_of_each_kind(client, world)
    await client.login(getattr(world, persona).email)

    for kind in ("time_off", "swap", "giveaway"):
        assert (await client.get(f"/requests/{ids[kind]}")).status_code == 200
    assert (await client.get("/rota/rules")).status_code == 200


async def test_it_sends_signed_out_visitors_to_sign_in(client: Browser, world: World) -> None:
    response = await client.get("/requests")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


HUGE = 10**30


async def test_it_answers_404_for_ids_beyond_any_integer(client: Browser, world: World) -> None:
    await client.login(world.member.email)

    assert (await client.get(f"/requests/{HUGE}")).status_code == 404
    for path in (f"/requests/{HUGE}/cancel", f"/requests/{HUGE}/claim", f"/requests/{HUGE}/answer",
                 f"/requests/preferences/{HUGE}/delete", f"/requests/open/{HUGE}/2030-01-05"):
        assert (await client.post(path, {"answer": "accept"})).status_code == 404, path
    assert (await client.get(f"/requests/swap?assignment={HUGE}")).status_code == 404
    assert (await client.get(f"/requests/giveaway?assignment={HUGE}")).status_code == 404


async def test_it_answers_the_api_without_a_server_error_for_huge_member_ids(client: Browser, world: World) -> None:
    from tests.integration.tenancy import api_key

    _key, secret = await api_key(world.alpha_id, ["requests:write"])
    response = await client.client.post("/api/v1/requests", headers={"Authorization": f"Bearer {secret}"},
                                        json={"member_id": HUGE, "kind": "time_off", "start_date": "2030-01-05"})
    assert response.status_code in {400, 404, 422}
