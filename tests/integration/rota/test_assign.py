"""Assigning from the calendar: the slot panel, assign / reassign / unassign, errors in the panel, and who may."""

from __future__ import annotations

import re
from datetime import date

import pytest

from app.models import AuditEntry
from tests.conftest import Browser, World
from tests.integration.rota.support import (
    add_draft_assignment,
    assign,
    assignments,
    make_shift,
    page_text,
    set_member,
)
from tests.integration.tenancy import audit_entries

HTMX = {"HX-Request": "true", "HX-Target": "slot-panel"}
DAY = date(2026, 5, 4)  # a Monday


def candidates(panel: str) -> list[tuple[str, str]]:
    """(name, status) of each member offered in the panel, in order."""
    return [(page_text(name), page_text(tag)) for name, tag in re.findall(
        r'class="candidate[^"]*".*?<span class="cand-name">(.*?)</span>\s*<span class="tag[^"]*">(.*?)</span>',
        panel, re.S)]


async def test_it_opens_the_slot_panel_with_members_free_first(client: Browser, world: World) -> None:
    night = await make_shift(world.owner)
    clinic = await make_shift(world.owner, code="clinic", name="Clinic", start_time="08:00", duration_minutes=240)
    await assign(world.manager, clinic, DAY, world.owner.membership_id)
    await client.login(world.manager.email)

    panel = await client.get(f"/rota/slots/{night}/{DAY.isoformat()}", headers=HTMX)

    assert panel.status_code == 200
    assert "<html" not in panel.text
    assert "<dialog open" in panel.text
    assert candidates(panel.text) == [("Mel Member", "Free"), ("Mona Manager", "Free"),
                                      ("Olga Owner", "Also working: Clinic")]
    assert "Night call" in page_text(panel.text)
    assert "19:00 → 07:00 (+1)" in page_text(panel.text)


async def test_it_lists_who_is_busy_unqualified_or_on_the_shift(client: Browser, world: World) -> None:
    peds = await make_shift(world.owner, code="peds", name="Pediatrics call", qualification="PEDS")
    evening = await make_shift(world.owner, code="evening", name="Evening clinic", start_time="17:00",
                               duration_minutes=240)
    await set_member(world.owner.membership_id, qualifications=["PEDS"])
    await set_member(world.manager.membership_id, qualifications=["PEDS"])
    await assign(world.manager, peds, DAY, world.owner.membership_id)
    await assign(world.manager, evening, DAY, world.manager.membership_id)
    await client.login(world.manager.email)

    panel = await client.get(f"/rota/slots/{peds}/{DAY.isoformat()}", headers=HTMX)

    text = page_text(panel.text)
    assert "On this shift 1 of 1 Olga Owner Remove" in text
    assert candidates(panel.text) == [("Mona Manager", "Busy: Evening clinic"),
                                      ("Mel Member", "Not qualified PEDS")]
    assert f'name="membership_id" value="{world.member.membership_id}"' not in panel.text  # not a button
    assert "Replace Olga Owner with:" in text


async def test_it_shows_the_panel_as_a_page_without_javascript(client: Browser, world: World) -> None:
    night = await make_shift(world.owner)
    await client.login(world.owner.email)

    page = await client.get(f"/rota/slots/{night}/{DAY.isoformat()}")

    assert page.status_code == 200
    assert "<html" in page.text
    assert "Back to the calendar" in page.text
    assert f'action="/rota/slots/{night}/{DAY.isoformat()}"' in page.text


async def test_it_assigns_from_the_panel_and_tells_the_calendar_to_refresh(client: Browser, world: World) -> None:
    night = await make_shift(world.owner)
    await client.login(world.manager.email)

    response = await client.post(f"/rota/slots/{night}/{DAY.isoformat()}",
                                 {"membership_id": str(world.member.membership_id)}, headers=dict(HTMX))

    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "rota-changed"
    assert "Mel Member is now on this shift." in page_text(response.text)
    [row] = await assignments(shift_type_id=night, status="active")
    assert (row.membership_id, row.date, row.draft_id) == (world.member.membership_id, DAY, None)
    [entry] = await audit_entries(world.alpha_id, "assignment.created")
    assert entry.actor_label == world.manager.email
    week = await client.get("/rota/week/2026-05-04")
    assert "Mel Member" in page_text(week.text)


async def test_it_reassigns_with_one_click_when_the_slot_is_full(client: Browser, world: World) -> None:
    night = await make_shift(world.owner)
    old = await assign(world.owner, night, DAY, world.member.membership_id)
    await client.login(world.manager.email)
    panel = await client.get(f"/rota/slots/{night}/{DAY.isoformat()}", headers=HTMX)
    assert f'<input type="hidden" name="replaces" value="{old}">' in panel.text

    response = await client.post(f"/rota/slots/{night}/{DAY.isoformat()}",
                                 {"membership_id": str(world.owner.membership_id), "replaces": str(old)},
                                 headers=dict(HTMX))

    assert response.status_code == 200
    assert "Olga Owner now covers this shift instead of Mel Member." in page_text(response.text)
    rows = await assignments(shift_type_id=night)
    assert [(r.membership_id, r.status) for r in rows] == [(world.member.membership_id, "cancelled"),
                                                          (world.owner.membership_id, "active")]
    assert len(await audit_entries(world.alpha_id, "assignment.reassigned")) == 1


async def test_it_offers_a_choice_of_whom_to_replace_when_there_are_several(client: Browser, world: World) -> None:
    clinic = await make_shift(world.owner, code="clinic", name="Clinic", start_time="08:00", duration_minutes=240,
                              headcount=2)
    first = await assign(world.owner, clinic, DAY, world.member.membership_id)
    await client.login(world.manager.email)

    panel = await client.get(f"/rota/slots/{clinic}/{DAY.isoformat()}", headers=HTMX)

    assert 'name="replaces" value="none" checked' in panel.text
    assert f'name="replaces" value="{first}"' in panel.text
    assert "1 open seat" in page_text(panel.text)


async def test_it_redirects_back_to_the_calendar_without_javascript(client: Browser, world: World) -> None:
    night = await make_shift(world.owner)
    await client.login(world.manager.email)

    response = await client.post(f"/rota/slots/{night}/{DAY.isoformat()}",
                                 {"membership_id": str(world.member.membership_id),
                                  "next": "/rota/month/2026-05?shift=night-call"})

    assert response.status_code == 303
    assert response.headers["location"] == "/rota/month/2026-05?shift=night-call&notice=rota-assigned"
    page = await client.get(response.headers["location"])
    assert "Shift assigned." in page.text


async def test_it_never_redirects_off_site(client: Browser, world: World) -> None:
    night = await make_shift(world.owner)
    await client.login(world.manager.email)

    response = await client.post(f"/rota/slots/{night}/{DAY.isoformat()}",
                                 {"membership_id": str(world.member.membership_id), "next": "//evil.example/x"})

    assert response.headers["location"].startswith("/rota/week/2026-05-04")


async def test_it_unassigns_from_the_panel(client: Browser, world: World) -> None:
    night = await make_shift(world.owner)
    assignment = await assign(world.owner, night, DAY, world.member.membership_id)
    await client.login(world.manager.email)

    response = await client.post(f"/rota/assignments/{assignment}/unassign", headers=dict(HTMX))

    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "rota-changed"
    assert "Mel Member is off this shift." in page_text(response.text)
    [row] = await assignments(shift_type_id=night)
    assert row.status == "cancelled"
    assert len(await audit_entries(world.alpha_id, "assignment.removed")) == 1


@pytest.mark.parametrize(("setup", "message"), [
    ("full", "already fully staffed"),
    ("overlap", "Mel Member is already working Evening clinic at that time."),
    ("unqualified", "Night call needs the qualification PEDS, which Mel Member lacks."),
    ("not_running", "Night call does not run on that day of the week."),
])
async def test_it_shows_why_an_assignment_is_refused_in_the_panel(client: Browser, world: World, setup: str,
                                                                  message: str) -> None:
    night = await make_shift(world.owner, qualification="PEDS" if setup == "unqualified" else "",
                             days_of_week=[0, 1, 2, 3, 4, 6] if setup == "not_running" else [0, 1, 2, 3, 4, 5, 6])
    day = date(2026, 5, 9) if setup == "not_running" else DAY  # a Saturday
    if setup == "full":
        await set_member(world.owner.membership_id, qualifications=[])
        await assign(world.manager, night, day, world.owner.membership_id)
    if setup == "overlap":
        evening = await make_shift(world.owner, code="evening", name="Evening clinic", start_time="17:00",
                                   duration_minutes=240)
        await assign(world.manager, evening, day, world.member.membership_id)
    if setup == "not_running":
        # An assignment from before the shift stopped running on Saturdays keeps the slot on the calendar.
        from app.db import get_database
        from app.models import Assignment

        async with get_database().write_session() as session:
            session.add(Assignment(organization_id=world.alpha_id, shift_type_id=night, date=day,
                                   membership_id=world.owner.membership_id))
            await session.commit()
    await client.login(world.manager.email)
    before = len(await assignments(shift_type_id=night, status="active"))

    response = await client.post(f"/rota/slots/{night}/{day.isoformat()}",
                                 {"membership_id": str(world.member.membership_id)}, headers=dict(HTMX))

    assert response.status_code == 422  # htmx swaps 422 into the panel
    assert "<dialog open" in response.text
    error = re.search(r'role="alert">(.*?)</p>', response.text, re.S)
    assert error and message in page_text(error.group(1))
    assert len(await assignments(shift_type_id=night, status="active")) == before
    assert "HX-Trigger" not in response.headers


async def test_it_shows_a_refusal_on_the_slot_page_without_javascript(client: Browser, world: World) -> None:
    night = await make_shift(world.owner)
    await assign(world.manager, night, DAY, world.owner.membership_id)
    await client.login(world.manager.email)

    response = await client.post(f"/rota/slots/{night}/{DAY.isoformat()}",
                                 {"membership_id": str(world.member.membership_id)})

    assert response.status_code == 409
    assert "<html" in response.text
    assert "already fully staffed" in page_text(response.text)


async def test_it_asks_for_a_member_when_none_was_chosen(client: Browser, world: World) -> None:
    night = await make_shift(world.owner)
    await client.login(world.manager.email)

    response = await client.post(f"/rota/slots/{night}/{DAY.isoformat()}", {"membership_id": "abc"},
                                 headers=dict(HTMX))

    assert response.status_code == 422
    assert "Choose who takes the shift." in page_text(response.text)


async def test_it_refuses_a_member_of_another_organization(client: Browser, world: World) -> None:
    night = await make_shift(world.owner)
    await client.login(world.manager.email)

    response = await client.post(f"/rota/slots/{night}/{DAY.isoformat()}",
                                 {"membership_id": str(world.outsider.membership_id)}, headers=dict(HTMX))

    assert response.status_code == 422
    assert "Choose a member of this organization." in page_text(response.text)
    assert await assignments(shift_type_id=night) == []


@pytest.mark.parametrize("day", [date(2026, 1, 31), date(2026, 2, 28), date(2026, 4, 30), date(2026, 12, 31),
                                 date(2028, 2, 29)], ids=str)
async def test_it_assigns_on_the_last_day_of_a_month_through_the_calendar(client: Browser, world: World,
                                                                          day: date) -> None:
    night = await make_shift(world.owner)
    await client.login(world.manager.email)

    response = await client.post(f"/rota/slots/{night}/{day.isoformat()}",
                                 {"membership_id": str(world.member.membership_id)}, headers=dict(HTMX))

    assert response.status_code == 200, page_text(response.text)
    month = await client.get(f"/rota/month/{day:%Y-%m}")
    cell = re.search(rf'<li class="rota-day[^"]*" aria-labelledby="d-{day.isoformat()}">(.*?)</li>\s*<li', month.text,
                     re.S)
    assert cell and "Mel Member" in page_text(cell.group(1))


# -- who may ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["member", "viewer"])
async def test_it_forbids_members_and_viewers_to_open_or_use_the_panel(client: Browser, world: World,
                                                                       role: str) -> None:
    night = await make_shift(world.owner)
    assignment = await assign(world.owner, night, DAY, world.owner.membership_id)
    await client.login(getattr(world, role).email)

    assert (await client.get(f"/rota/slots/{night}/{DAY.isoformat()}")).status_code == 403
    assert (await client.post(f"/rota/slots/{night}/{DAY.isoformat()}",
                              {"membership_id": str(world.member.membership_id)})).status_code == 403
    assert (await client.post(f"/rota/assignments/{assignment}/unassign")).status_code == 403
    [row] = await assignments(shift_type_id=night)
    assert row.status == "active" and row.membership_id == world.owner.membership_id


@pytest.mark.parametrize("role", ["member", "viewer"])
async def test_it_shows_members_and_viewers_no_write_controls(client: Browser, world: World, role: str) -> None:
    night = await make_shift(world.owner)
    await assign(world.owner, night, DAY, world.owner.membership_id)
    await client.login(getattr(world, role).email)

    for url in ("/rota/day/2026-05-04", "/rota/week/2026-05-04", "/rota/month/2026-05"):
        page = await client.get(url)
        assert "Olga Owner" in page_text(page.text)
        assert "/rota/slots/" not in page.text
        assert "<button" not in page.text.split('id="rota-grid"', 1)[1]


async def test_it_gives_managers_a_button_on_every_slot(client: Browser, world: World) -> None:
    night = await make_shift(world.owner)
    await client.login(world.manager.email)

    page = await client.get("/rota/week/2026-05-04")

    for day in range(4, 11):
        assert f'hx-get="/rota/slots/{night}/2026-05-{day:02d}"' in page.text
    assert re.search(r'<button type="submit" id="slot-\d+-2026-05-04" class="chip-body"', page.text)


async def test_it_hides_the_outsiders_slots_and_assignments(client: Browser, world: World) -> None:
    night = await make_shift(world.owner)
    assignment = await assign(world.owner, night, DAY, world.member.membership_id)
    own = await make_shift(world.outsider, code="beta-night")
    await client.login(world.outsider.email)

    assert (await client.get(f"/rota/slots/{night}/{DAY.isoformat()}")).status_code == 404
    assert (await client.get(f"/rota/slots/{night}/{DAY.isoformat()}", headers=HTMX)).status_code == 404
    assert (await client.post(f"/rota/slots/{night}/{DAY.isoformat()}",
                              {"membership_id": str(world.outsider.membership_id)})).status_code == 404
    assert (await client.post(f"/rota/assignments/{assignment}/unassign")).status_code == 404
    # Their own slot, replacing Alpha's assignment: still not found.
    assert (await client.post(f"/rota/slots/{own}/{DAY.isoformat()}",
                              {"membership_id": str(world.outsider.membership_id),
                               "replaces": str(assignment)})).status_code == 404
    [row] = await assignments(shift_type_id=night)
    assert row.status == "active" and row.membership_id == world.member.membership_id
    week = await client.get(f"/rota/week/{DAY.isoformat()}?member={world.member.membership_id}")
    assert "Mel Member" not in week.text
    async with __import__("app.db", fromlist=["get_database"]).get_database().read_session() as session:
        from sqlalchemy import func, select

        leaked = (await session.execute(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.organization_id == world.beta_id, AuditEntry.action.like("assignment.%")))).scalar_one()
    assert leaked == 0


async def test_it_will_not_edit_a_draft_as_if_it_were_published(client: Browser, world: World) -> None:
    night = await make_shift(world.owner)
    await add_draft_assignment(world.alpha_id, night, DAY, world.member.membership_id)
    [draft_row] = await assignments(shift_type_id=night)
    await client.login(world.manager.email)

    assert (await client.post(f"/rota/assignments/{draft_row.id}/unassign")).status_code == 404
    assert (await client.post(f"/rota/slots/{night}/{DAY.isoformat()}",
                              {"membership_id": str(world.owner.membership_id),
                               "replaces": str(draft_row.id)})).status_code == 404
    [row] = await assignments(shift_type_id=night)
    assert row.status == "active" and row.draft_id is not None


@pytest.mark.parametrize("when", ["2026-02-30", "tomorrow", "2026-5-4"])
async def test_it_answers_a_bad_slot_date_with_404(client: Browser, world: World, when: str) -> None:
    night = await make_shift(world.owner)
    await client.login(world.manager.email)

    assert (await client.get(f"/rota/slots/{night}/{when}")).status_code == 404
    assert (await client.post(f"/rota/slots/{night}/{when}", {"membership_id": "1"})).status_code == 404


async def test_it_answers_absurd_ids_with_404_not_a_crash(client: Browser, world: World) -> None:
    night = await make_shift(world.owner)
    huge = "9" * 25
    await client.login(world.manager.email)

    assert (await client.get(f"/rota/slots/{huge}/{DAY.isoformat()}")).status_code == 404
    assert (await client.post(f"/rota/assignments/{huge}/unassign")).status_code == 404
    replaced = await client.post(f"/rota/slots/{night}/{DAY.isoformat()}",
                                 {"membership_id": str(world.member.membership_id), "replaces": huge})
    assert replaced.status_code == 404
    chosen = await client.post(f"/rota/slots/{night}/{DAY.isoformat()}", {"membership_id": huge}, headers=dict(HTMX))
    assert chosen.status_code == 422
    week = await client.get(f"/rota/week/{DAY.isoformat()}?location={huge}&member={huge}")
    assert week.status_code == 200
