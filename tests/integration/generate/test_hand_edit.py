"""The draft page's hand edit: it offers first who breaks no rule, fairest first, and says why of the others."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser

from tests.conftest import Browser, World
from tests.integration.generate.support import FIRST, LAST, approve_leave, draft_cells, make_shift, set_member, wait_for
from tests.integration.generate.test_generate import _generate
from tests.integration.requests.support import set_rules
from tests.integration.rota.support import assign, page_text


@dataclass
class Option:
    value: str
    text: str
    group: str  # the optgroup's label; "" outside one
    disabled: bool
    selected: bool


class _Options(HTMLParser):
    """The options of the fragment's member select, as a browser lists them."""

    def __init__(self) -> None:
        super().__init__()
        self.options: list[Option] = []
        self._group = ""
        self._open: Option | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "optgroup":
            self._group = a.get("label") or ""
        elif tag == "option":
            self._open = Option(a.get("value") or "", "", self._group, "disabled" in a, "selected" in a)

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open.text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "optgroup":
            self._group = ""
        elif tag == "option" and self._open is not None:
            self._open.text = " ".join(self._open.text.split())
            self.options.append(self._open)
            self._open = None


def options_of(fragment: str) -> list[Option]:
    parser = _Options()
    parser.feed(fragment)
    return parser.options


async def _edit(client: Browser, draft_id: int, cell_id: int) -> str:
    response = await client.get(f"/rota/drafts/{draft_id}/cells/{cell_id}/edit", headers={"HX-Request": "true"})
    assert response.status_code == 200, response.text
    return response.text


async def test_it_lists_who_breaks_no_rule_fairest_first_and_the_others_disabled_with_why(client: Browser,
                                                                                            world: World) -> None:
    night = await make_shift(world.owner)
    await set_member(world.viewer.membership_id, role="member")  # Vic takes shifts too: four people
    await approve_leave(world.alpha_id, world.member.membership_id, FIRST, LAST)  # Mel is away all week
    for day in (20, 21, 22, 23):  # Olga already works four nights later in December
        await assign(world.owner, night, FIRST.replace(day=day), world.owner.membership_id)
    await client.login(world.manager.email)
    draft_id = await _generate(client)
    assert (await wait_for(draft_id)).status == "done"
    cell = next(c for c in await draft_cells(draft_id) if c.membership_id != world.owner.membership_id)
    names = {world.manager.membership_id: "Mona Manager", world.viewer.membership_id: "Vic Viewer"}
    holder, other = names[cell.membership_id], next(n for m, n in names.items() if m != cell.membership_id)

    fragment = await _edit(client, draft_id, cell.id)
    options = options_of(fragment)
    assert options[0].text == f"{holder} (now)" and options[0].selected
    fine = [o for o in options if o.group == "Break no rule, fairest first"]
    # The other of Mona and Vic first: Olga has four more nights this month.
    assert [o.text.split(":")[0] for o in fine] == [other, "Olga Owner"]
    assert fine[0].text.endswith("(fairest)") and not any(o.disabled for o in fine)
    refused = [o for o in options if o.group == "Would break a rule"]
    assert [(o.value, o.text, o.disabled) for o in refused] == [(str(world.member.membership_id), "Mel Member", True)]
    assert "1 more would break a rule Mel Member has approved time off that day." in page_text(fragment)

    # Saving the fairest works; asking for Mel anyway is refused with the sentence the control showed.
    refused_post = await client.post(f"/rota/drafts/{draft_id}/cells/{cell.id}",
                                     {"member_id": str(world.member.membership_id)}, headers={"HX-Request": "true"})
    assert refused_post.status_code == 422
    assert "Mel Member has approved time off that day." in page_text(refused_post.text)
    saved = await client.post(f"/rota/drafts/{draft_id}/cells/{cell.id}", {"member_id": fine[0].value},
                              headers={"HX-Request": "true"})
    assert saved.status_code == 200 and other in page_text(saved.text)
    after = next(c for c in await draft_cells(draft_id) if c.id == cell.id)
    assert (str(after.membership_id), after.locked) == (fine[0].value, True)


async def test_it_keeps_a_rule_breaker_out_of_the_choices_with_the_rules_sentence(client: Browser,
                                                                                 world: World) -> None:
    night = await make_shift(world.owner)
    await set_rules(world.alpha_id, min_days_between_calls=2, call_shift_types=frozenset({night}))
    await client.login(world.manager.email)
    draft_id = await _generate(client)
    assert (await wait_for(draft_id)).status == "done"
    today, tomorrow = (await draft_cells(draft_id))[:2]
    fragment = await _edit(client, draft_id, tomorrow.id)
    options = options_of(fragment)
    offered = {o.value for o in options if not o.disabled}
    assert str(today.membership_id) not in offered
    assert str(today.membership_id) in {o.value for o in options if o.disabled}
    assert "would have calls 1 day apart" in page_text(fragment)
    # every member the control offers can be given the cell (here, the holder aside, nobody or one)
    for value in offered - {str(tomorrow.membership_id)}:
        saved = await client.post(f"/rota/drafts/{draft_id}/cells/{tomorrow.id}", {"member_id": value},
                                  headers={"HX-Request": "true"})
        assert saved.status_code == 200, page_text(saved.text)


async def test_it_says_when_nobody_else_can_take_the_cell(client: Browser, world: World) -> None:
    await make_shift(world.owner, qualification="PEDS")
    await set_member(world.owner.membership_id, qualifications=["PEDS"])
    await set_member(world.member.membership_id, qualifications=["PEDS"])
    await approve_leave(world.alpha_id, world.member.membership_id, FIRST, LAST)  # Olga alone can take them
    await client.login(world.manager.email)
    draft_id = await _generate(client)
    assert (await wait_for(draft_id)).status == "done"
    cell = (await draft_cells(draft_id))[0]
    assert cell.membership_id == world.owner.membership_id
    fragment = await _edit(client, draft_id, cell.id)
    text = page_text(fragment)
    assert [(o.text, o.disabled) for o in options_of(fragment)] == [
        ("Olga Owner (now)", False), ("Mel Member", True), ("Mona Manager", True)]
    assert "Nobody else can take it without breaking a rule." in text and "Save and lock" not in text
    assert "Mel Member has approved time off that day." in text
    assert "Night call needs the qualification PEDS, which Mona Manager lacks." in text


async def test_it_offers_a_second_shift_on_a_worked_day_unless_the_rules_forbid_the_combination(
        client: Browser, world: World) -> None:
    am = await make_shift(world.owner, code="clinic-am", name="Clinic AM", start_time="08:00", duration_minutes=240)
    pm = await make_shift(world.owner, code="clinic-pm", name="Clinic PM", start_time="13:00", duration_minutes=240)
    await client.login(world.manager.email)
    draft_id = await _generate(client)
    assert (await wait_for(draft_id)).status == "done"
    cells = await draft_cells(draft_id)
    pm_cell = next(c for c in cells if c.shift_type_id == pm)
    am_holder = next(c.membership_id for c in cells if c.shift_type_id == am and c.date == pm_cell.date)
    assert am_holder != pm_cell.membership_id  # three people for two seats a day: one shift each

    # No same-day rule: the morning's doctor may also take the afternoon, which does not overlap.
    offered = {o.value for o in options_of(await _edit(client, draft_id, pm_cell.id)) if not o.disabled}
    assert str(am_holder) in offered

    await set_rules(world.alpha_id, limit_same_day=True)
    fragment = await _edit(client, draft_id, pm_cell.id)
    refused = {o.value for o in options_of(fragment) if o.disabled}
    assert str(am_holder) in refused
    assert "allow that combination" in page_text(fragment)
