"""The generator's JSON API and the equity ledger (page and API)."""

from __future__ import annotations

from datetime import date

from app.db import get_database
from app.services import api_keys
from app.services.actor import Actor
from tests.conftest import Browser, World
from tests.integration.generate.support import make_shift, wait_for
from tests.integration.rota.support import add_holiday, assign, page_text, set_member


async def _key(org_id: int, scopes: list[str]) -> dict[str, str]:
    async with get_database().write_session() as session:
        _k, secret = await api_keys.create_key(session, Actor.system("test", organization_id=org_id), name="test",
                                               scopes=scopes)
    return {"Authorization": f"Bearer {secret}"}


async def test_it_generates_polls_and_publishes_over_the_api(client: Browser, world: World) -> None:
    await make_shift(world.owner)
    write = await _key(world.alpha_id, ["schedule:read", "schedule:write"])
    made = await client.client.post("/api/v1/schedule/generate", headers=write,
                                    json={"start_date": "2026-12-01", "end_date": "2026-12-05", "seconds": 2})
    assert made.status_code == 202, made.text
    body = made.json()
    assert body["status"] == "queued" and body["assignments"] == []
    await wait_for(body["id"])
    got = await client.client.get(f"/api/v1/schedule/drafts/{body['id']}", headers=write)
    assert got.status_code == 200
    draft = got.json()
    assert draft["status"] == "done" and len(draft["assignments"]) == 5
    assert {"id", "date", "shift", "member", "locked"} <= set(draft["assignments"][0])
    assert draft["objective"] is not None
    schedule = await client.client.get("/api/v1/schedule?date=2026-12-01&days=5", headers=write)
    assert schedule.json()["assignments"] == []  # a draft is nobody's schedule yet
    published = await client.client.post(f"/api/v1/schedule/drafts/{body['id']}/publish", headers=write)
    assert published.status_code == 200 and published.json() == {"id": body["id"], "status": "published",
                                                                  "published": 5}
    schedule = await client.client.get("/api/v1/schedule?date=2026-12-01&days=5", headers=write)
    assert len(schedule.json()["assignments"]) == 5
    again = await client.client.post(f"/api/v1/schedule/drafts/{body['id']}/publish", headers=write)
    assert again.status_code == 409 and again.json()["error"]["code"]


async def test_it_guards_the_generator_api(client: Browser, world: World) -> None:
    await make_shift(world.owner)
    write = await _key(world.alpha_id, ["schedule:write"])
    read = await _key(world.alpha_id, ["schedule:read"])
    beta = await _key(world.beta_id, ["schedule:read", "schedule:write"])
    made = await client.client.post("/api/v1/schedule/generate", headers=write,
                                    json={"start_date": "2026-12-01", "end_date": "2026-12-02", "seconds": 1})
    draft_id = made.json()["id"]
    await wait_for(draft_id)
    assert (await client.client.get(f"/api/v1/schedule/drafts/{draft_id}", headers=read)).status_code == 403
    assert (await client.client.get(f"/api/v1/schedule/drafts/{draft_id}", headers=beta)).status_code == 404
    assert (await client.client.post(f"/api/v1/schedule/drafts/{draft_id}/publish", headers=beta)).status_code == 404
    assert (await client.client.get("/api/v1/schedule/drafts/99999999999", headers=write)).status_code == 404
    bad = await client.client.post("/api/v1/schedule/generate", headers=write,
                                   json={"start_date": "2026-12-31", "end_date": "2026-12-01"})
    assert bad.status_code == 422 and "end_date" in bad.json()["error"]["message"]
    assert (await client.client.post("/api/v1/schedule/generate", headers=read,
                                     json={"start_date": "2026-12-01", "end_date": "2026-12-02"})).status_code == 403


async def _published_month(world: World) -> None:
    night = await make_shift(world.owner, weight=1, weekend_weight=1.5, holiday_weight=2)
    await set_member(world.member.membership_id, fte=0.5)
    await add_holiday(world.alpha_id, date(2026, 12, 25), "Christmas Day")
    # Thu 24 (weekday, 1), Fri 25 (holiday, 2), Sat 26 (weekend, 1.5): Mel; Sun 27 (1.5): Olga
    for day in (24, 25, 26):
        await assign(world.owner, night, date(2026, 12, day), world.member.membership_id)
    await assign(world.owner, night, date(2026, 12, 27), world.owner.membership_id)


async def test_it_shows_the_equity_ledger_with_its_arithmetic(client: Browser, make_browser, world: World) -> None:
    await _published_month(world)
    await client.login(world.member.email)
    page = await client.get("/rota/equity?from=2026-12-01&to=2026-12-31")
    assert page.status_code == 200
    text = page_text(page.text)
    assert "<svg" in page.text and "<rect" in page.text
    # Mel: 1 + 2 + 1.5 = 4.5 points at FTE 0.5 = 9 per FTE
    assert "Total 4.5 ÷ FTE 0.5 = 9 points per FTE." in text
    assert "1 × Night call on holidays (Dec 25 Christmas Day) × 2 = 2 points" in text
    assert "1 × Night call on weekdays × 1 = 1 point" in text
    viewer = await make_browser()
    await viewer.login(world.viewer.email)
    assert (await viewer.get("/rota/equity")).status_code == 403
    bad = await client.get("/rota/equity?from=2026-12-31&to=2026-12-01")
    assert bad.status_code == 422 and "The last day comes before the first." in page_text(bad.text)


async def test_it_serves_the_same_figures_over_the_api(client: Browser, world: World) -> None:
    await _published_month(world)
    read = await _key(world.alpha_id, ["schedule:read"])
    response = await client.client.get("/api/v1/equity?from=2026-12-01&to=2026-12-31", headers=read)
    assert response.status_code == 200, response.text
    body = response.json()
    mel = next(m for m in body["members"] if m["id"] == world.member.membership_id)
    assert mel["points"] == 4.5 and mel["points_per_fte"] == 9.0 and mel["holidays"] == 1
    assert mel["weekends"] == 1 and mel["nights"] == 3 and mel["fte"] == 0.5
    # 6 points in all over FTE 2.5 (owner 1, manager 1, member 0.5): Mel's fair share is 1.2
    assert body["total_points"] == 6.0 and mel["fair_share"] == 1.2
    assert abs(mel["deviation_per_fte"] - (4.5 - 1.2) / 0.5) < 1e-6
    bad = await client.client.get("/api/v1/equity?from=nonsense", headers=read)
    assert bad.status_code == 422
    assert (await client.client.get("/api/v1/equity")).status_code == 401


async def test_a_member_finds_the_ledger_and_their_own_explanation(client: Browser, make_browser,
                                                                   world: World) -> None:
    import re

    await _published_month(world)
    mel = world.member.membership_id
    await client.login(world.member.email)
    mine = await client.get("/rota/mine")
    assert f'href="/rota/equity#why-{mel}"' in mine.text  # from their shifts, straight to their row
    calendar = await client.get("/rota/month/2026-12")
    assert 'href="/rota/equity"' in calendar.text and 'href="/rota/generate"' not in calendar.text
    page = await client.get("/rota/equity?from=2026-12-01&to=2026-12-31")
    # their explanation is open and marked; the others' stay folded
    opened = re.findall(r'<details class="card( is-me)?" id="why-(\d+)"( open)?>', page.text)
    assert (" is-me", str(mel), " open") in opened
    assert all(not is_open for _me, mid, is_open in opened if mid != str(mel))
    text = page_text(page.text)
    assert "You: 4.5 points, 9 per FTE, +6.6 from fair share." in text and "How your points arose" in text
    assert f'href="#why-{mel}"' in page.text

    viewer = await make_browser()
    await viewer.login(world.viewer.email)
    assert "/rota/equity" not in (await viewer.get("/rota/mine")).text
    assert "/rota/equity" not in (await viewer.get("/rota/month/2026-12")).text
    manager = await make_browser()
    await manager.login(world.manager.email)
    ledger = page_text((await manager.get("/rota/equity?from=2026-12-01&to=2026-12-31")).text)
    assert "You: 0 points" in ledger  # a manager who takes shifts has a row too
