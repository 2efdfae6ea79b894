"""The rules page (/rota/rules): owners and managers set the practice's rules; errors beside the fields."""

from __future__ import annotations

from app.db import get_database
from app.services.rota.rules import load_rules
from tests.conftest import Browser, World
from tests.integration.requests.support import audit_actions, error_of, make_shift, page_text


async def _rules(organization_id: int):
    async with get_database().read_session() as session:
        return await load_rules(session, organization_id)


async def test_it_saves_every_kind_of_rule(client: Browser, world: World) -> None:
    night = await make_shift(world.owner)
    clinic = await make_shift(world.owner, code="clinic-am", name="Clinic AM", start_time="08:00", duration_minutes=240)
    clinic_pm = await make_shift(world.owner, code="clinic-pm", name="Clinic PM", start_time="13:00",
                                 duration_minutes=240)
    await client.login(world.manager.email)
    page = await client.get("/rota/rules")
    assert page.status_code == 200
    text = page_text(page.text)
    assert "Rules" in text and "Fixed days off" in text and "Mel Member" in text
    assert 'aria-current="page">Rules' in page.text  # the setup tab

    saved = await client.post("/rota/rules", {
        "min_rest_hours": "11", "max_consecutive_days": "6", "max_shifts_per_week": "5",
        "max_weekends_per_month": "2", "min_days_between_calls": "3", "call_shift_types": [str(night)],
        "forbid_first": str(night), "forbid_next": str(clinic), "limit_same_day": "1",
        "combine_first": str(clinic), "combine_second": str(clinic_pm),
        f"days_off_{world.member.membership_id}": ["4", "5"], "auto_approve_days": "14",
        "swap_needs_approval": "1"})

    assert saved.status_code == 303
    rules = await _rules(world.alpha_id)
    assert (rules.min_rest_hours, rules.max_consecutive_days, rules.max_shifts_per_week,
            rules.max_weekends_per_month, rules.min_days_between_calls, rules.auto_approve_days) == (11, 6, 5, 2, 3, 14)
    assert rules.forbidden_successions == frozenset({(night, clinic)})
    assert rules.combinable == frozenset({frozenset({clinic, clinic_pm})}) and rules.limit_same_day
    assert rules.fixed_days_off == {world.member.membership_id: frozenset({4, 5})}
    assert rules.swap_needs_approval and not rules.claim_needs_approval
    again = await client.get(saved.headers["location"])
    text = page_text(again.text)
    assert "Rules saved." in text
    assert "Night call, then Clinic AM the next day" in text and "Clinic AM and Clinic PM on one day" in text
    assert 'name="min_rest_hours" type="text"' in again.text and 'value="11"' in again.text
    assert "rules.updated" in await audit_actions(world.alpha_id)

    # Unticking a kept pair removes it.
    await client.post("/rota/rules", {"max_consecutive_days": "6"})
    assert (await _rules(world.alpha_id)).forbidden_successions == frozenset()


async def test_it_shows_rule_errors_beside_the_fields_and_keeps_the_input(client: Browser, world: World) -> None:
    night = await make_shift(world.owner)
    await client.login(world.owner.email)

    bad = await client.post("/rota/rules", {"max_consecutive_days": "0", "min_rest_hours": "a lot",
                                            "min_days_between_calls": "2", "forbid_first": str(night),
                                            "max_shifts_per_week": "4",
                                            f"days_off_{world.member.membership_id}": [str(d) for d in range(7)]})

    assert bad.status_code == 422
    assert error_of(bad.text, "max_consecutive_days") == "Enter a number from 1 to 31."
    assert error_of(bad.text, "min_rest_hours") == "Enter a number, or leave it blank for no limit."
    assert error_of(bad.text, "min_days_between_calls") == ("Tick at least one shift type as a call below, or leave "
                                                             "this blank.")
    assert error_of(bad.text, "forbid_next") == "Choose both shift types, or neither."
    assert error_of(bad.text, f"days_off_{world.member.membership_id}") == ("A member needs at least one working day; "
                                                                            "untick a day.")
    assert 'value="4"' in bad.text  # what was typed stays
    assert (await _rules(world.alpha_id)).max_shifts_per_week is None


async def test_it_keeps_members_off_the_rules_page(client: Browser, world: World) -> None:
    await client.login(world.member.email)
    assert (await client.get("/rota/rules")).status_code == 403
    assert (await client.post("/rota/rules", {"max_consecutive_days": "3"})).status_code == 403
    assert (await _rules(world.alpha_id)).max_consecutive_days is None


async def test_it_links_the_rules_from_the_setup_pages(client: Browser, world: World) -> None:
    await client.login(world.owner.email)
    setup = await client.get("/rota/setup")
    assert 'href="/rota/rules"' in setup.text


async def test_it_names_a_half_typed_number_and_links_every_error_from_the_top(client: Browser, world: World) -> None:
    # A number box of type "number" would send "1e" as blank, saved silently as "no limit".
    await make_shift(world.owner)
    await client.login(world.manager.email)

    bad = await client.post("/rota/rules", {"min_rest_hours": "1e", "max_weekends_per_month": "9",
                                            f"days_off_{world.member.membership_id}": [str(d) for d in range(7)]})

    assert bad.status_code == 422
    assert error_of(bad.text, "min_rest_hours") == "Enter a number, or leave it blank for no limit."
    assert 'value="1e"' in bad.text
    summary = page_text(bad.text.split('class="alert alert-error error-summary" role="alert">')[1].split("</div>")[0])
    assert summary == ("Some rules need a second look: "
                       "Minimum rest between shifts (hours): Enter a number, or leave it blank for no limit. "
                       "Maximum weekends per month: Enter a number from 0 to 5. "
                       "Days off of Mel Member: A member needs at least one working day; untick a day.")
    assert 'href="#f-min_rest_hours"' in bad.text and 'id="f-min_rest_hours"' in bad.text
    assert f'href="#f-days_off_{world.member.membership_id}"' in bad.text
    assert f'id="f-days_off_{world.member.membership_id}"' in bad.text
    assert (await _rules(world.alpha_id)).min_rest_hours is None
