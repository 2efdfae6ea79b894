"""Generating a draft through the worker, reviewing it, locking, regenerating and publishing it."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from app.db import get_database
from app.models import AuditEntry, OutboxEvent
from tests.conftest import Browser, World
from tests.integration.generate.support import FIRST, LAST, approve_leave, draft_cells, make_shift, set_member, wait_for
from tests.integration.requests.support import set_rules
from tests.integration.rota.support import assignments, page_text


async def _my_feed(persona) -> str:
    from app.services.rota import feeds
    from tests.integration.rota.support import actor_of

    async with get_database().write_session() as session:
        secret = await feeds.create_my_feed(session, actor_of(persona))
    return secret.url.replace("http://testserver.local", "")


async def _key(org_id: int, scopes: list[str]) -> str:
    from app.services import api_keys
    from app.services.actor import Actor

    async with get_database().write_session() as session:
        _k, secret = await api_keys.create_key(session, Actor.system("test", organization_id=org_id), name="test",
                                               scopes=scopes)
        return secret


async def _names_on_calendar(browser: Browser, name: str) -> int:
    """How often ``name`` shows on the week pages that hold FIRST..LAST (one or two weeks)."""
    count = 0
    for monday in sorted({day - timedelta(days=day.weekday()) for day in (FIRST, LAST)}):
        count += (await browser.get(f"/rota/week/{monday.isoformat()}")).text.count(name)
    return count


def _draft_id(response) -> int:
    assert response.status_code == 303, response.text
    match = re.match(r"^/rota/drafts/(\d+)$", response.headers["location"])
    assert match, response.headers["location"]
    return int(match.group(1))


async def _generate(browser: Browser, **extra: str) -> int:
    data = {"start_date": FIRST.isoformat(), "end_date": LAST.isoformat(), "seconds": "2", "history_months": "0",
            **extra}
    return _draft_id(await browser.post("/rota/generate", data))


async def test_it_generates_a_fair_draft_in_the_worker(client: Browser, world: World) -> None:
    await make_shift(world.owner)
    await client.login(world.manager.email)
    form = await client.get("/rota/generate")
    assert form.status_code == 200
    assert 'name="start_date"' in form.text and "Generate" in form.text
    draft_id = await _generate(client)
    page = await client.get(f"/rota/drafts/{draft_id}")
    assert page.status_code == 200
    assert 'hx-trigger="sse:generate' in page.text or "Ready to review" in page.text
    draft = await wait_for(draft_id)
    assert draft.status == "done", draft.explanation
    cells = await draft_cells(draft_id)
    assert len(cells) == 7  # one night call a day, every seat filled
    assert all(c.source == "generated" for c in cells)
    counts = {}
    for c in cells:
        counts[c.membership_id] = counts.get(c.membership_id, 0) + 1
    # owner, manager and member take shifts (the viewer does not): 7 nights split 3/2/2 or better
    assert max(counts.values()) - min(counts.values()) <= 1 and len(counts) == 3
    text = page_text((await client.get(f"/rota/drafts/{draft_id}")).text)
    assert "Ready to review" in text and "Publish" in text and "Largest deviation from fair share" in text
    # the best schedule found, and what the solver proved no schedule can beat
    assert draft.objective is not None and draft.bound is not None and 0 <= draft.bound <= draft.objective
    assert "Proven lower bound" in text and text.count("points per FTE") >= 2
    progress = await client.get(f"/rota/drafts/{draft_id}/progress?seen=running", headers={"HX-Request": "true"})
    assert progress.headers.get("hx-refresh") == "true"


async def test_it_hides_the_draft_until_it_is_published(client: Browser, make_browser, world: World) -> None:
    await make_shift(world.owner)
    await client.login(world.manager.email)
    draft_id = await _generate(client)
    assert (await wait_for(draft_id)).status == "done"
    member = await make_browser()
    await member.login(world.member.email)
    viewer = await make_browser()
    await viewer.login(world.viewer.email)
    outsider = await make_browser()
    await outsider.login(world.outsider.email)
    for who, status in ((member, 403), (viewer, 403), (outsider, 404)):
        assert (await who.get(f"/rota/drafts/{draft_id}")).status_code == status
        assert (await who.get(f"/rota/drafts/{draft_id}/progress")).status_code == status
        assert (await who.post(f"/rota/drafts/{draft_id}/publish")).status_code == status
    before = await _names_on_calendar(member, "Mel Member")  # the header names the reader
    assert await assignments(draft_id=None) == []
    key = await _key(world.alpha_id, ["schedule:read"])
    schedule = f"/api/v1/schedule?date={FIRST.isoformat()}&days=7"
    api = await client.get(schedule, headers={"Authorization": f"Bearer {key}"})
    assert api.status_code == 200 and api.json()["assignments"] == []
    feed_url = await _my_feed(world.member)
    assert (await client.get(feed_url)).text.count("BEGIN:VEVENT") == 0

    published = await client.post(f"/rota/drafts/{draft_id}/publish")
    assert published.status_code == 303
    live = [a for a in await assignments(draft_id=None) if a.status == "active"]
    assert len(live) == 7 and all(a.source == "generated" for a in live)
    assert await draft_cells(draft_id) == []
    assert await _names_on_calendar(member, "Mel Member") > before
    api = await client.get(schedule, headers={"Authorization": f"Bearer {key}"})
    assert len(api.json()["assignments"]) == 7
    mine = sum(1 for a in live if a.membership_id == world.member.membership_id)
    assert (await client.get(feed_url)).text.count("BEGIN:VEVENT") == mine > 0
    async with get_database().read_session() as session:
        kinds = [e.kind for e in (await session.execute(select(OutboxEvent))).scalars()]
        actions = [e.action for e in (await session.execute(select(AuditEntry))).scalars()]
    assert kinds.count("rota.assigned") == 7 and "rota.published" in kinds
    assert actions.count("assignment.created") == 7 and "schedule.published" in actions
    again = await client.post(f"/rota/drafts/{draft_id}/publish")
    assert again.status_code == 409 and "already published" in again.text


async def test_it_keeps_locked_cells_when_regenerating(client: Browser, world: World) -> None:
    await make_shift(world.owner)
    await client.login(world.manager.email)
    draft_id = await _generate(client)
    assert (await wait_for(draft_id)).status == "done"
    cells = await draft_cells(draft_id)
    first, second = cells[0], cells[3]
    other = next(m for m in (world.owner.membership_id, world.manager.membership_id, world.member.membership_id)
                 if m != second.membership_id)
    locked = await client.post(f"/rota/drafts/{draft_id}/cells/{first.id}/lock", {"locked": "1"},
                               headers={"HX-Request": "true"})
    assert locked.status_code == 200 and "Unlock" in locked.text
    changed = await client.post(f"/rota/drafts/{draft_id}/cells/{second.id}", {"member_id": str(other)},
                                headers={"HX-Request": "true"})
    assert changed.status_code == 200, changed.text
    regen = await client.post(f"/rota/drafts/{draft_id}/regenerate")
    assert regen.status_code == 303
    assert (await wait_for(draft_id)).status == "done"
    after = await draft_cells(draft_id)
    assert len(after) == 7
    kept = {(c.date, c.membership_id) for c in after if c.locked}
    assert kept == {(first.date, first.membership_id), (second.date, other)}


async def test_it_explains_an_impossible_month(client: Browser, world: World) -> None:
    await make_shift(world.owner, code="peds-call", name="Peds call", qualification="PEDS")
    await set_member(world.owner.membership_id, qualifications=["PEDS"])
    await set_member(world.member.membership_id, qualifications=["PEDS"])
    start = FIRST.replace(day=20)
    both_away = start + timedelta(days=5)
    await approve_leave(world.alpha_id, world.owner.membership_id, both_away, both_away)
    await approve_leave(world.alpha_id, world.member.membership_id, both_away, both_away)
    await client.login(world.manager.email)
    draft_id = _draft_id(await client.post("/rota/generate", {
        "start_date": start.isoformat(), "end_date": (start + timedelta(days=11)).isoformat(), "seconds": "2",
        "history_months": "0"}))
    draft = await wait_for(draft_id)
    assert draft.status == "infeasible"
    text = page_text((await client.get(f"/rota/drafts/{draft_id}")).text)
    assert "Why this range cannot be scheduled" in text
    assert "Peds call needs 1 member qualified PEDS; both are on approved time off (Mel Member, Olga Owner)" in text
    assert "Publish" not in text.replace("Published", "")
    assert await draft_cells(draft_id) == []


async def test_it_says_what_is_wrong_with_the_form(client: Browser, world: World) -> None:
    await client.login(world.manager.email)
    bad = await client.post("/rota/generate", {"start_date": "2026-12-10", "end_date": "2026-12-01",
                                              "seconds": "9999"})
    assert bad.status_code == 422
    text = page_text(bad.text)
    assert "The last day comes before the first." in text and "Enter a number of seconds from 1 to 120." in text


async def test_it_keeps_the_generator_from_members_and_outsiders(client: Browser, world: World) -> None:
    await client.login(world.member.email)
    assert (await client.get("/rota/generate")).status_code == 403
    assert (await client.post("/rota/generate", {"start_date": "2026-12-01", "end_date": "2026-12-02"})
            ).status_code == 403


async def test_it_gives_outsiders_404_on_every_draft_route(client: Browser, make_browser, world: World) -> None:
    await make_shift(world.owner)
    await client.login(world.manager.email)
    draft_id = await _generate(client)
    assert (await wait_for(draft_id)).status == "done"
    cell = (await draft_cells(draft_id))[0]
    outsider = await make_browser()
    await outsider.login(world.outsider.email)
    gets = [f"/rota/drafts/{draft_id}", f"/rota/drafts/{draft_id}/progress",
            f"/rota/drafts/{draft_id}/cells/{cell.id}/view", f"/rota/drafts/{draft_id}/cells/{cell.id}/edit"]
    posts = [f"/rota/drafts/{draft_id}/regenerate", f"/rota/drafts/{draft_id}/publish",
             f"/rota/drafts/{draft_id}/cells/{cell.id}/lock", f"/rota/drafts/{draft_id}/cells/{cell.id}"]
    for url in gets:
        assert (await outsider.get(url)).status_code == 404, url
    for url in posts:
        assert (await outsider.post(url, {"locked": "1", "member_id": "1"})).status_code == 404, url
    assert (await client.get("/rota/drafts/99999999999")).status_code == 404
    assert (await draft_cells(draft_id))[0].locked is False  # nothing changed


async def test_it_refuses_to_publish_over_a_schedule_that_changed(client: Browser, world: World) -> None:
    from tests.integration.rota.support import assign

    night = await make_shift(world.owner)
    await client.login(world.manager.email)
    draft_id = await _generate(client)
    assert (await wait_for(draft_id)).status == "done"
    await assign(world.owner, night, FIRST, world.owner.membership_id)
    refused = await client.post(f"/rota/drafts/{draft_id}/publish")
    assert refused.status_code == 409
    assert "The schedule changed since this draft was made" in page_text(refused.text)
    assert len(await draft_cells(draft_id)) == 7  # nothing moved
    assert len([a for a in await assignments(draft_id=None) if a.status == "active"]) == 1


async def test_it_refuses_to_publish_a_shift_during_time_off_approved_after_the_draft(client: Browser,
                                                                                      world: World) -> None:
    await make_shift(world.owner)
    await client.login(world.manager.email)
    draft_id = await _generate(client)
    assert (await wait_for(draft_id)).status == "done"
    cell = (await draft_cells(draft_id))[2]
    await approve_leave(world.alpha_id, cell.membership_id, cell.date, cell.date)

    refused = await client.post(f"/rota/drafts/{draft_id}/publish")

    assert refused.status_code == 409
    text = page_text(refused.text)
    assert f"has approved time off on {cell.date.isoformat()} but is on Night call in this draft" in text
    assert "Regenerate the draft, then publish." in text
    assert len(await draft_cells(draft_id)) == 7  # nothing moved
    assert [a for a in await assignments(draft_id=None) if a.status == "active"] == []


async def test_it_says_why_a_hand_edit_is_refused(client: Browser, world: World) -> None:
    await make_shift(world.owner, qualification="PEDS")
    await set_member(world.owner.membership_id, qualifications=["PEDS"])
    await set_member(world.member.membership_id, qualifications=["PEDS"])
    await client.login(world.manager.email)
    draft_id = await _generate(client)
    assert (await wait_for(draft_id)).status == "done"
    cell = (await draft_cells(draft_id))[0]
    edit = await client.get(f"/rota/drafts/{draft_id}/cells/{cell.id}/edit", headers={"HX-Request": "true"})
    assert edit.status_code == 200 and "Save and lock" in edit.text
    refused = await client.post(f"/rota/drafts/{draft_id}/cells/{cell.id}",
                                {"member_id": str(world.manager.membership_id)}, headers={"HX-Request": "true"})
    assert refused.status_code == 422
    assert "needs the qualification PEDS, which Mona Manager lacks" in page_text(refused.text)
    assert (await draft_cells(draft_id))[0].membership_id == cell.membership_id


async def test_it_counts_the_history_window_the_manager_chose(client: Browser, world: World) -> None:
    from tests.integration.rota.support import assign

    night = await make_shift(world.owner)
    for i in range(5):  # Mel worked five nights in the last week of the month before
        await assign(world.owner, night, FIRST - timedelta(days=1 + i), world.member.membership_id)
    await client.login(world.manager.email)

    async def mel_nights(months: str) -> int:
        draft_id = await _generate(client, history_months=months)
        assert (await wait_for(draft_id)).status == "done"
        return sum(1 for c in await draft_cells(draft_id) if c.membership_id == world.member.membership_id)

    # Counting the month before: 12 nights in all, 4 each; Mel already has 5, so this week's 7 go to the other two.
    assert await mel_nights("1") == 0
    # Counting nothing before FIRST: Mel takes her share of the week like everyone else.
    assert await mel_nights("0") >= 2


async def test_a_hand_edit_keeps_the_rules(client: Browser, world: World) -> None:
    night = await make_shift(world.owner)
    await set_rules(world.alpha_id, min_days_between_calls=2, call_shift_types=frozenset({night}))
    await client.login(world.manager.email)
    draft_id = await _generate(client)
    assert (await wait_for(draft_id)).status == "done"
    cells = await draft_cells(draft_id)
    # the night after someone's night, given to that same someone: calls one day apart
    today, tomorrow = cells[0], cells[1]
    assert today.membership_id != tomorrow.membership_id
    refused = await client.post(f"/rota/drafts/{draft_id}/cells/{tomorrow.id}",
                                {"member_id": str(today.membership_id)}, headers={"HX-Request": "true"})
    assert refused.status_code == 422
    assert "would have calls 1 day apart" in page_text(refused.text)
    assert (await draft_cells(draft_id))[1].membership_id == tomorrow.membership_id
