"""Time off: asking (with errors beside the fields), automatic approval by rule, a manager's approval that hands
the member's shifts to colleagues in the same transaction (fairest first, no rule broken), declining, withdrawing."""

from __future__ import annotations

import re
from datetime import timedelta

from app.models import RotaRequest
from app.services.rota.rules import Rules
from tests.conftest import Browser, World
from tests.integration.requests.support import (
    assign,
    assignments,
    audit_actions,
    emails_to,
    error_of,
    events,
    make_shift,
    next_weekday,
    page_text,
    request_rows,
    set_member,
    set_rules,
    today,
)

NIGHT = {"weight": 2, "weekend_weight": 3, "holiday_weight": 4}


async def test_it_files_time_off_and_tells_the_managers(client: Browser, world: World) -> None:
    start = today() + timedelta(days=10)
    await client.login(world.member.email)

    sent = await client.post("/requests/time-off", {"start_date": start.isoformat(),
                                                     "end_date": (start + timedelta(days=2)).isoformat(),
                                                     "urgency": "advance", "note": "Daughter's recital"})

    assert sent.status_code == 303
    [req] = await request_rows(kind="time_off")
    assert (req.status, req.urgency, req.note, req.membership_id) == ("pending", "advance", "Daughter's recital",
                                                                     world.member.membership_id)
    page = await client.get(sent.headers["location"])
    text = page_text(page.text)
    assert "Your time off request is sent; a manager will answer it." in text
    assert "Waiting for a manager" in text and "3 days:" in text
    for manager in (world.owner, world.manager):
        [mail] = await emails_to(manager.email)
        assert "Time off is waiting for your approval." in mail.subject
        assert "Mel Member asks for time off" in mail.body_text and f"/requests/{req.id}" in mail.body_text
    assert await emails_to(world.member.email) == []
    assert "request.created" in await audit_actions(world.alpha_id)
    assert await events(world.alpha_id, "requests.") == ["requests.created"]


async def test_it_shows_each_time_off_error_beside_its_field(client: Browser, world: World) -> None:
    await client.login(world.member.email)

    bad = await client.post("/requests/time-off", {"start_date": "2026-02-30", "end_date": "", "urgency": "later"})

    assert bad.status_code == 422
    assert error_of(bad.text, "start_date") == "Enter a date as YYYY-MM-DD."
    assert error_of(bad.text, "end_date") == "Enter a date."
    assert error_of(bad.text, "urgency") == "Choose advance or emergency."
    start = today() + timedelta(days=5)
    backwards = await client.post("/requests/time-off", {"start_date": start.isoformat(),
                                                          "end_date": (start - timedelta(days=1)).isoformat()})
    assert backwards.status_code == 422
    assert error_of(backwards.text, "end_date") == "The last day off cannot be before the first."
    assert f'value="{start.isoformat()}"' in backwards.text  # what was typed stays
    past = await client.post("/requests/time-off", {"start_date": (today() - timedelta(days=1)).isoformat(),
                                                     "end_date": today().isoformat()})
    assert error_of(past.text, "start_date") == "Time off cannot start in the past."
    far = await client.post("/requests/time-off", {"start_date": (today() + timedelta(days=731)).isoformat(),
                                                    "end_date": ""})
    assert error_of(far.text, "start_date") == "Ask at most two years ahead."
    assert await request_rows() == []


async def test_it_refuses_time_off_overlapping_earlier_time_off(client: Browser, world: World) -> None:
    start = today() + timedelta(days=20)
    await client.login(world.member.email)
    await client.post("/requests/time-off", {"start_date": start.isoformat(), "end_date": start.isoformat()})

    again = await client.post("/requests/time-off", {"start_date": (start - timedelta(days=1)).isoformat(),
                                                      "end_date": (start + timedelta(days=1)).isoformat()})

    assert again.status_code == 422
    assert "Mel Member already has time off asked for or approved on" in error_of(again.text, "start_date")


async def test_it_approves_advance_time_off_automatically_by_rule_and_says_why(client: Browser, world: World) -> None:
    await set_rules(world.alpha_id, auto_approve_days=14)
    night = await make_shift(world.owner, **NIGHT)
    far = today() + timedelta(days=30)
    await assign(world.manager, night, far + timedelta(days=3), world.member.membership_id)  # outside the request
    await client.login(world.member.email)

    sent = await client.post("/requests/time-off", {"start_date": far.isoformat(), "end_date": far.isoformat()})

    [req] = await request_rows()
    assert req.status == "approved" and req.decided_by_id is None
    page = page_text((await client.get(sent.headers["location"])).text)
    assert "Approved automatically" in page
    assert ("Approved automatically: asked 30 days ahead (the practice approves advance requests made at least 14 "
            "days ahead) and no assigned shift is affected.") in page
    [mail] = await emails_to(world.member.email)
    assert "Your time off is approved." in mail.subject
    assert await emails_to(world.manager.email) == []


async def test_it_does_not_auto_approve_when_a_shift_is_affected_or_it_is_an_emergency(client: Browser,
                                                                                      world: World) -> None:
    await set_rules(world.alpha_id, auto_approve_days=14)
    night = await make_shift(world.owner, **NIGHT)
    far = today() + timedelta(days=30)
    await assign(world.manager, night, far, world.member.membership_id)
    await client.login(world.member.email)

    await client.post("/requests/time-off", {"start_date": far.isoformat(), "end_date": far.isoformat()})
    later = far + timedelta(days=10)
    await client.post("/requests/time-off", {"start_date": later.isoformat(), "end_date": later.isoformat(),
                                              "urgency": "emergency"})
    soon = today() + timedelta(days=3)
    await client.post("/requests/time-off", {"start_date": soon.isoformat(), "end_date": soon.isoformat()})

    assert [r.status for r in await request_rows()] == ["pending", "pending", "pending"]


async def test_it_leaves_to_a_manager_time_off_that_would_leave_a_qualified_shift_without_anyone(
        client: Browser, world: World) -> None:
    await set_rules(world.alpha_id, auto_approve_days=14)
    await make_shift(world.owner, code="peds-call", name="Pediatrics call", qualification="PEDS", **NIGHT)
    await set_member(world.owner.membership_id, qualifications=["PEDS"])
    await set_member(world.member.membership_id, qualifications=["PEDS"])
    christmas = today() + timedelta(days=30)
    await client.login(world.owner.email)
    await client.post("/requests/time-off", {"start_date": christmas.isoformat(), "end_date": christmas.isoformat()})
    client.client.cookies.clear()
    await client.login(world.member.email)

    await client.post("/requests/time-off", {"start_date": christmas.isoformat(), "end_date": christmas.isoformat()})

    first, second = await request_rows()
    assert (first.status, second.status) == ("approved", "pending")  # Mel was the last one qualified free
    [mail] = await emails_to(world.manager.email)
    assert "waiting for your approval" in mail.subject
    client.client.cookies.clear()
    await client.login(world.manager.email)
    page = page_text((await client.get(f"/requests/{second.id}")).text)
    assert "Approving this leaves qualified shifts short:" in page
    assert "Pediatrics call needs 1 member qualified PEDS; 0 would be free." in page


async def test_it_approves_time_off_over_a_shift_by_handing_it_to_the_chosen_colleague(client: Browser,
                                                                                       world: World) -> None:
    night = await make_shift(world.owner, **NIGHT)
    sat = next_weekday(5)
    shift_id = await assign(world.manager, night, sat, world.member.membership_id)
    await client.login(world.member.email)
    await client.post("/requests/time-off", {"start_date": sat.isoformat(), "end_date": sat.isoformat()})
    [req] = await request_rows()
    manager = client
    await manager.login(world.manager.email)

    page = await manager.get(f"/requests/{req.id}")
    assert "Choose who takes each one" in page_text(page.text)
    assert f'name="cover_{shift_id}" value="{world.owner.membership_id}"' in page.text
    missing = await manager.post(f"/requests/{req.id}/decide", {"decision": "approve"})
    assert missing.status_code == 422
    assert error_of(missing.text, f"cover_{shift_id}") == "Choose who takes this shift, or leave it open."
    # The page opens at the top: it says there, too, that nothing was decided and where to look.
    assert "Nothing was decided yet: see the messages under Your decision." in page_text(missing.text)
    assert 'href="#decide-h"' in missing.text
    assert (await request_rows())[0].status == "pending"

    done = await manager.post(f"/requests/{req.id}/decide", {"decision": "approve", "comment": "Get well",
                                                             f"cover_{shift_id}": str(world.owner.membership_id)})

    assert done.status_code == 303
    [req] = await request_rows()
    assert (req.status, req.decided_by_id, req.decision_comment) == ("approved", world.manager.user_id, "Get well")
    live = await assignments(status="active", shift_type_id=night)
    assert [(a.date, a.membership_id) for a in live] == [(sat, world.owner.membership_id)]
    [old] = await assignments(id=shift_id)
    assert old.status == "cancelled"
    actions = await audit_actions(world.alpha_id)
    assert actions[-2:] == ["assignment.reassigned", "request.approved"]
    assert (await events(world.alpha_id))[-3:] == ["rota.unassigned", "rota.assigned", "requests.approved"]
    assert "Your time off is approved." in (await emails_to(world.member.email))[-1].subject
    owner_mail = (await emails_to(world.owner.email))[-1]
    assert "You now cover Night call" in owner_mail.subject
    assert "Get well" in (await emails_to(world.member.email))[-1].body_text


async def test_it_lists_cover_candidates_who_break_no_rule_fairest_first(client: Browser, world: World) -> None:
    night = await make_shift(world.owner, **NIGHT)
    clinic = await make_shift(world.owner, code="clinic-am", name="Clinic AM", start_time="08:00",
                              duration_minutes=240, weight=1, weekend_weight=1.5)
    await set_rules(world.alpha_id, forbidden_successions=frozenset({(night, clinic)}))
    sat = next_weekday(5)
    wanted = await assign(world.manager, night, sat, world.member.membership_id)
    # The owner works clinic the morning after: taking the night would break the succession rule.
    await assign(world.manager, clinic, sat + timedelta(days=1), world.owner.membership_id)
    # Mona already has a night this month; Vic (made a half-time member) has none.
    await set_member(world.viewer.membership_id, role="member", fte=0.5)
    other = sat - timedelta(days=1) if sat.day > 1 else sat + timedelta(days=1)
    await assign(world.manager, night, other, world.manager.membership_id)
    await client.login(world.member.email)
    await client.post("/requests/time-off", {"start_date": sat.isoformat(), "end_date": sat.isoformat()})
    [req] = await request_rows()
    await client.login(world.owner.email)

    page = await client.get(f"/requests/{req.id}")

    text = page_text(page.text)
    assert f'name="cover_{wanted}" value="{world.viewer.membership_id}"' in page.text
    assert f'name="cover_{wanted}" value="{world.manager.membership_id}"' in page.text
    assert "Vic Viewer fairest 0 points this month, 0 per FTE (FTE 0.5)" in text
    # Mona works full time: her points per FTE are her points, said once.
    assert re.search(r"Mona Manager \d points this month(?!,)", text)
    assert text.index("Vic Viewer") < text.index("Mona Manager")
    assert f'name="cover_{wanted}" value="{world.owner.membership_id}"' not in page.text
    assert "1 more would break a rule" in text
    assert "Olga Owner would work Clinic AM on" in text and "Olga Owner : Olga Owner" not in text


async def test_it_leaves_a_shift_open_when_the_manager_says_so(client: Browser, world: World) -> None:
    night = await make_shift(world.owner, **NIGHT)
    sat = next_weekday(5)
    shift_id = await assign(world.manager, night, sat, world.member.membership_id)
    await client.login(world.member.email)
    await client.post("/requests/time-off", {"start_date": sat.isoformat(), "end_date": sat.isoformat()})
    [req] = await request_rows()
    await client.login(world.manager.email)

    await client.post(f"/requests/{req.id}/decide", {"decision": "approve", f"cover_{shift_id}": "open"})

    assert await assignments(status="active") == []
    opened = page_text((await client.get("/requests/open")).text)
    assert "Night call" in opened and "1 open seat" in opened


async def test_it_refuses_a_cover_choice_that_breaks_a_rule(client: Browser, world: World) -> None:
    night = await make_shift(world.owner, **NIGHT)
    sat = next_weekday(5)
    shift_id = await assign(world.manager, night, sat, world.member.membership_id)
    await assign(world.manager, night, sat - timedelta(days=1), world.owner.membership_id)
    await set_rules(world.alpha_id, max_consecutive_days=1)
    await client.login(world.member.email)
    await client.post("/requests/time-off", {"start_date": sat.isoformat(), "end_date": sat.isoformat()})
    [req] = await request_rows()
    await client.login(world.manager.email)

    refused = await client.post(f"/requests/{req.id}/decide", {"decision": "approve",
                                                                f"cover_{shift_id}": str(world.owner.membership_id)})

    assert refused.status_code == 422
    assert "Olga Owner would work 2 days in a row" in error_of(refused.text, f"cover_{shift_id}")
    assert (await request_rows())[0].status == "pending"
    assert [a.membership_id for a in await assignments(status="active", date=sat)] == [world.member.membership_id]


async def test_it_declines_with_a_comment_the_member_reads(client: Browser, world: World) -> None:
    start = today() + timedelta(days=9)
    await client.login(world.member.email)
    await client.post("/requests/time-off", {"start_date": start.isoformat(), "end_date": start.isoformat(),
                                              "urgency": "emergency"})
    [req] = await request_rows()
    await client.login(world.owner.email)
    inbox = page_text((await client.get("/requests")).text)
    assert "Waiting for you 1" in inbox and "Emergency" in inbox

    await client.post(f"/requests/{req.id}/decide", {"decision": "decline", "comment": "We are two short that week"})

    [req] = await request_rows()
    assert req.status == "declined"
    mail = (await emails_to(world.member.email))[-1]
    assert "The request was declined." in mail.subject and "We are two short that week" in mail.body_text
    await client.login(world.member.email)
    page = page_text((await client.get(f"/requests/{req.id}")).text)
    assert "Declined" in page and "Manager's comment We are two short that week" in page
    again = await client.post(f"/requests/{req.id}/cancel")
    assert again.status_code == 409


async def test_it_lets_the_member_withdraw_a_pending_request(client: Browser, world: World) -> None:
    start = today() + timedelta(days=9)
    await client.login(world.member.email)
    await client.post("/requests/time-off", {"start_date": start.isoformat(), "end_date": start.isoformat()})
    [req] = await request_rows()

    done = await client.post(f"/requests/{req.id}/cancel")

    assert done.status_code == 303
    assert (await request_rows())[0].status == "cancelled"
    assert "request.cancelled" in await audit_actions(world.alpha_id)


async def test_it_lets_a_manager_file_time_off_for_a_member(client: Browser, world: World) -> None:
    start = today() + timedelta(days=12)
    await client.login(world.manager.email)

    await client.post("/requests/time-off", {"member_id": str(world.member.membership_id),
                                              "start_date": start.isoformat(), "end_date": start.isoformat()})

    [req] = await request_rows()
    assert req.membership_id == world.member.membership_id and req.created_by_id == world.manager.user_id
    assert "Time off was asked for on your behalf." in (await emails_to(world.member.email))[-1].subject


async def test_it_keeps_members_from_filing_for_someone_else(client: Browser, world: World) -> None:
    start = today() + timedelta(days=12)
    await client.login(world.member.email)

    refused = await client.post("/requests/time-off", {"member_id": str(world.owner.membership_id),
                                                        "start_date": start.isoformat(), "end_date": start.isoformat()})

    assert refused.status_code == 403
    assert await request_rows() == []


async def test_it_feeds_approved_time_off_to_the_generator(client: Browser, world: World) -> None:
    from app.db import get_database
    from app.services.rota.requests import approved_time_off

    await set_rules(world.alpha_id, auto_approve_days=0)
    start = today() + timedelta(days=3)
    await client.login(world.member.email)
    await client.post("/requests/time-off", {"start_date": start.isoformat(),
                                              "end_date": (start + timedelta(days=1)).isoformat()})
    async with get_database().read_session() as session:
        off = await approved_time_off(session, world.alpha_id, start + timedelta(days=1), start + timedelta(days=9))
    assert off == {world.member.membership_id: {start + timedelta(days=1)}}
    assert isinstance((await request_rows())[0], RotaRequest)
    assert Rules().auto_approve_days is None
