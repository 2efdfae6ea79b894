"""The managers' list of decided requests on /requests (and /requests/decided, which pages on through it): the
outcome, who decided (or the rule that did), when and the comment, newest decision first, the last 90 days; never
to members, never another organization's."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.db import get_database
from app.models import RotaRequest, utcnow
from app.services.errors import Forbidden
from app.services.rota import decided as service
from tests.conftest import Browser, World
from tests.integration.requests.support import (
    actor_of,
    assign,
    make_shift,
    next_weekday,
    page_text,
    request_rows,
    set_member,
    set_rules,
    today,
)

HTMX_MORE = {"HX-Request": "true", "HX-Target": "decided-more"}
EMPTY = "No request was decided in the last 90 days."


def decided_html(page: str) -> str | None:
    """The markup of the "Decided" section of /requests; None when the page has none."""
    at = page.find('id="requests-decided"')
    if at < 0:
        return None
    return page[page.rfind("<", 0, at):page.find("</section>", at)]


def decided_text(page: str) -> str:
    html = decided_html(page)
    assert html is not None, "no Decided section"
    return page_text(html)


async def _time_off(client: Browser, days_ahead: int, **extra: str) -> int:
    day = today() + timedelta(days=days_ahead)
    sent = await client.post("/requests/time-off", {"start_date": day.isoformat(), "end_date": day.isoformat(),
                                                     **extra})
    assert sent.status_code == 303, sent.text
    return int(sent.headers["location"].split("/")[2].split("?")[0])


async def _settled(world: World, count: int, *, days_ago: float = 0) -> list[int]:
    """``count`` time-off requests of Mel approved by Mona, ``days_ago`` days ago, a minute apart (newest first)."""
    ids = []
    async with get_database().write_session() as session:
        for i in range(count):
            at = utcnow() - timedelta(days=days_ago, minutes=i)
            day = today() + timedelta(days=200 + i)
            req = RotaRequest(organization_id=world.alpha_id, kind="time_off", status="approved",
                              membership_id=world.member.membership_id, urgency="advance", start_date=day,
                              end_date=day, decided_by_id=world.manager.user_id, decided_at=at,
                              decision_comment=f"batch {i}", created_at=at, updated_at=at)
            session.add(req)
            await session.flush()
            ids.append(req.id)
        await session.commit()
    return ids


async def test_it_shows_a_manager_each_outcome_with_who_decided_when_and_the_comment(client: Browser,
                                                                                   world: World) -> None:
    await client.login(world.member.email)
    approved = await _time_off(client, 20, urgency="emergency", note="Sister's wedding")
    declined = await _time_off(client, 30)
    withdrawn = await _time_off(client, 40)
    waiting = await _time_off(client, 50)
    assert (await client.post(f"/requests/{withdrawn}/cancel")).status_code == 303
    client.client.cookies.clear()
    await client.login(world.manager.email)
    await client.post(f"/requests/{approved}/decide", {"decision": "approve", "comment": "Enjoy the wedding"})
    await client.post(f"/requests/{declined}/decide", {"decision": "decline", "comment": "Two short that week"})

    page = (await client.get("/requests")).text

    text = decided_text(page)
    html = decided_html(page)
    assert html is not None
    assert "Approved by Mona Manager" in text and "Comment: “Enjoy the wedding”" in text
    assert "Declined by Mona Manager" in text and "Comment: “Two short that week”" in text
    assert "Withdrawn by Mel Member" in text
    assert "Mel Member asks for emergency time off" in text
    for rid in (approved, declined, withdrawn):
        assert f'href="/requests/{rid}"' in html
    assert f'href="/requests/{waiting}"' not in html  # still waiting: in the inbox, not here
    # Newest decision first: the decline came after the approval, which came after the withdrawal.
    assert html.index(f'href="/requests/{declined}"') < html.index(f'href="/requests/{approved}"') \
        < html.index(f'href="/requests/{withdrawn}"')
    assert EMPTY not in text
    assert 'href="#decided-h"' in page  # reachable from the top of the page
    detail = await client.get(f"/requests/{approved}")
    assert detail.status_code == 200 and "Enjoy the wedding" in page_text(detail.text)


async def test_it_says_when_a_rule_approved_it_and_why(client: Browser, world: World) -> None:
    await set_rules(world.alpha_id, auto_approve_days=14)
    await client.login(world.member.email)
    rid = await _time_off(client, 30)
    client.client.cookies.clear()
    await client.login(world.owner.email)

    text = decided_text((await client.get("/requests")).text)

    assert "Approved automatically" in text
    assert ("Approved automatically: asked 30 days ahead (the practice approves advance requests made at least 14 "
            "days ahead) and no assigned shift is affected.") in text
    assert "Approved automatically by" not in text and "Manager" not in text and "Owner" not in text
    assert [r.id for r in await request_rows(status="approved")] == [rid]


async def test_it_names_the_colleague_who_turned_a_swap_down(client: Browser, world: World) -> None:
    night = await make_shift(world.owner)
    mine = await assign(world.manager, night, next_weekday(5), world.member.membership_id)
    await client.login(world.member.email)
    await client.post("/requests/swap",
                      {"assignment_id": str(mine), "to_membership_id": str(world.owner.membership_id)})
    [req] = await request_rows(kind="swap")
    client.client.cookies.clear()
    await client.login(world.owner.email)
    await client.post(f"/requests/{req.id}/answer", {"answer": "decline", "comment": "Away that weekend"})

    text = decided_text((await client.get("/requests")).text)

    assert "Declined by Olga Owner, who was offered the swap" in text
    assert "Comment: “Away that weekend”" in text and "Mel Member offers Night call" in text


async def test_it_shows_the_empty_state_when_nothing_was_decided(client: Browser, world: World) -> None:
    await client.login(world.member.email)
    await _time_off(client, 20)  # waiting, not decided
    await _settled(world, 1, days_ago=91)  # decided, but before the list reaches
    client.client.cookies.clear()
    await client.login(world.manager.email)

    page = (await client.get("/requests")).text

    assert decided_text(page).endswith(EMPTY)
    assert 'href="/requests/' not in (decided_html(page) or "")
    full = await client.get("/requests/decided")
    assert full.status_code == 200 and EMPTY in page_text(full.text)


async def test_it_keeps_the_list_from_members(client: Browser, world: World) -> None:
    await set_member(world.viewer.membership_id, role="member")
    await client.login(world.viewer.email)
    theirs = await _time_off(client, 20)
    client.client.cookies.clear()
    await client.login(world.member.email)
    mine = await _time_off(client, 25)
    client.client.cookies.clear()
    await client.login(world.manager.email)
    for rid in (theirs, mine):
        await client.post(f"/requests/{rid}/decide", {"decision": "decline", "comment": "Sorry"})
    client.client.cookies.clear()
    await client.login(world.member.email)

    page = await client.get("/requests")

    assert decided_html(page.text) is None and 'id="decided-h"' not in page.text
    assert 'href="#decided-h"' not in page.text
    assert f'href="/requests/{theirs}"' not in page.text and "Vic Viewer" not in page.text
    assert f'href="/requests/{mine}"' in page.text and "Declined" in page_text(page.text)  # theirs, under "mine"
    for url in ("/requests/decided", "/requests/decided?page=2"):
        assert (await client.get(url)).status_code == 403, url
        assert (await client.get(url, headers=HTMX_MORE)).status_code == 403, url
    async with get_database().read_session() as session:
        with pytest.raises(Forbidden):
            await service.decided(session, actor_of(world.member))


async def test_it_never_shows_another_organizations_decisions(client: Browser, world: World) -> None:
    ids = await _settled(world, 30)
    await client.login(world.outsider.email)  # Beta Surgery's owner: a manager, of another practice

    page = await client.get("/requests")

    assert page.status_code == 200
    assert decided_text(page.text).endswith(EMPTY) and "Mel Member" not in page.text
    for url in ("/requests/decided", "/requests/decided?page=2"):
        for headers in ({}, HTMX_MORE):
            response = await client.get(url, headers=headers)
            assert response.status_code == 200, url
            assert "Mel Member" not in response.text and "batch" not in response.text
            assert not any(f'href="/requests/{rid}"' in response.text for rid in ids)
    async with get_database().read_session() as session:
        found = await service.decided(session, actor_of(world.outsider))
    assert found.requests == [] and not found.has_next


async def test_it_pages_on_through_older_decisions(client: Browser, world: World) -> None:
    ids = await _settled(world, 27)  # newest first
    await _settled(world, 1, days_ago=91)
    await client.login(world.manager.email)

    page = (await client.get("/requests")).text

    html = decided_html(page) or ""
    assert [rid for rid in ids if f'href="/requests/{rid}"' in html] == ids[:25]
    assert 'href="/requests/decided?page=2"' in html and "Show older decisions" in html
    # With htmx, "Show older decisions" brings just the next rows, the first one taking the focus.
    more = await client.get("/requests/decided?page=2", headers=HTMX_MORE)
    assert more.status_code == 200 and "<html" not in more.text
    assert [rid for rid in ids if f'href="/requests/{rid}"' in more.text] == ids[25:]
    assert f'href="/requests/{ids[25]}" autofocus' in more.text
    assert "Show older decisions" not in more.text and "batch 26" in more.text
    # Without it, the link opens a page of its own.
    full = await client.get("/requests/decided?page=2")
    assert full.status_code == 200 and "<html" in full.text
    assert [rid for rid in ids if f'href="/requests/{rid}"' in full.text] == ids[25:]
    assert 'href="/requests/decided?page=1"' in full.text and "Newer" in page_text(full.text)
    beyond = await client.get("/requests/decided?page=5")
    assert "No older decisions." in page_text(beyond.text) and 'href="/requests/decided?page=1"' in beyond.text


@pytest.mark.parametrize("raw", ["abc", "-3", "0", str(10**30), "1e9"])
async def test_it_reads_a_bad_page_number_as_the_first_page(client: Browser, world: World, raw: str) -> None:
    ids = await _settled(world, 2)
    await client.login(world.manager.email)

    response = await client.get(f"/requests/decided?page={raw}")

    assert response.status_code == 200
    assert all(f'href="/requests/{rid}"' in response.text for rid in ids)
