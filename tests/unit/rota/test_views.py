"""The calendar's view models: chips and their labels at the edges, day/week/month grids, links, the panel."""

from __future__ import annotations

from datetime import date, time
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from app.models import Assignment, Holiday, Location, Membership, ShiftType, User
from app.services.rota.dates import occurrence
from app.services.rota.schedule import Candidate, Slot
from app.views import rota as views
from app.views.rota_panel import build_panel

BERLIN = ZoneInfo("Europe/Berlin")
NY = ZoneInfo("America/New_York")


def shift(**kw: object) -> ShiftType:
    fields: dict[str, object] = {"id": 7, "code": "night-call", "name": "Night call", "start_time": time(19, 0),
                                 "duration_minutes": 720, "headcount": 1, "days_of_week": list(range(7)),
                                 "color": "#4338ca", "active": True, "position": 0}
    fields.update(kw)
    location = fields.pop("location", "AMC")
    st = ShiftType(**fields)
    st.location = Location(id=1, name=location) if location else None
    return st


def person(membership_id: int, name: str, *, phone: str | None = None, assignment_id: int = 0) -> Assignment:
    m = Membership(id=membership_id, phone=phone, role="member", active=True, in_schedule=True, qualifications=[])
    m.user = User(name=name, email=f"{membership_id}@example.org")
    a = Assignment(id=assignment_id or membership_id * 10, membership_id=membership_id)
    a.membership = m
    return a


def slot(day: date, st: ShiftType | None = None, people: list[Assignment] | None = None,
         tz: ZoneInfo = BERLIN) -> Slot:
    st = st or shift()
    return Slot(shift=st, day=day, when=occurrence(day, st.start_time, st.duration_minutes, tz),
                assignments=people or [])


def chips(s: Slot, first: date, last: date, tz: ZoneInfo = BERLIN, **kw: object) -> list[views.Chip]:
    return views.chips_for(s, tz, first=first, last=last, can_manage=bool(kw.get("can_manage")),
                           me=kw.get("me"))  # type: ignore[arg-type]


# -- chips -----------------------------------------------------------------------------------------------


def test_it_labels_a_night_shift_on_both_days() -> None:
    s = slot(date(2026, 3, 4), people=[person(3, "Dr. Amir Patel")])

    start, end = chips(s, date(2026, 3, 2), date(2026, 3, 8))

    assert (start.shown_on, start.part, start.time_label) == (date(2026, 3, 4), "start", "19:00 → 07:00 (+1)")
    assert (end.shown_on, end.part, end.time_label) == (date(2026, 3, 5), "end", "until 07:00")
    assert end.started_label == "since Wed, Mar 4, 19:00"
    assert end.continues and not start.continues
    assert start.dom_id == "slot-7-2026-03-04" and end.dom_id == "slot-7-2026-03-04-on-2026-03-05"
    assert [p.name for p in end.people] == ["Dr. Amir Patel"]


def test_it_labels_a_night_across_a_month_and_a_year_end() -> None:
    s = slot(date(2026, 12, 31))

    [on_new_year] = chips(s, date(2027, 1, 1), date(2027, 1, 31))

    assert on_new_year.time_label == "until 07:00"
    assert on_new_year.slot_day == date(2026, 12, 31)


def test_it_keeps_a_shift_ending_at_midnight_on_one_day() -> None:
    s = slot(date(2026, 3, 4), shift(start_time=time(16, 0), duration_minutes=480))

    [only] = chips(s, date(2026, 3, 2), date(2026, 3, 8))

    assert (only.part, only.time_label) == ("whole", "16:00–24:00")


def test_it_labels_every_day_of_a_two_day_shift() -> None:
    s = slot(date(2026, 3, 7), shift(start_time=time(8, 0), duration_minutes=48 * 60))

    labels = [(c.shown_on.day, c.part, c.time_label) for c in chips(s, date(2026, 3, 2), date(2026, 3, 15))]

    assert labels == [(7, "start", "08:00 → 08:00 (+2)"), (8, "middle", "all day"), (9, "end", "until 08:00")]


@pytest.mark.parametrize(("day", "tz", "label", "note"), [
    (date(2026, 3, 28), BERLIN, "7 h", True),
    (date(2026, 10, 24), BERLIN, "9 h", True),
    (date(2026, 3, 7), NY, "7 h", True),
    (date(2026, 10, 31), NY, "9 h", True),
    (date(2026, 3, 21), BERLIN, "8 h", False),
])
def test_it_shows_the_real_hours_of_a_night_across_a_dst_change(day: date, tz: ZoneInfo, label: str,
                                                                 note: bool) -> None:
    s = slot(day, shift(start_time=time(23, 0), duration_minutes=480), tz=tz)

    first, *_rest = chips(s, day, day, tz)

    assert first.time_label == "23:00 → 07:00 (+1)"
    assert first.hours_label == label
    assert (first.hours_note is not None) == note
    if note:
        assert first.hours_note == f"Clocks change during this shift: {label} instead of 8 h."


def test_it_shows_half_hours() -> None:
    assert views.hours_label(4.5) == "4.5 h"
    assert views.hours_label(12.0) == "12 h"


def test_it_leaves_out_days_outside_the_range() -> None:
    s = slot(date(2026, 3, 8))  # Sunday night, into Monday

    assert [c.part for c in chips(s, date(2026, 3, 2), date(2026, 3, 8))] == ["start"]
    assert [c.part for c in chips(s, date(2026, 3, 9), date(2026, 3, 15))] == ["end"]


def test_it_gives_managers_a_panel_link_and_others_none() -> None:
    s = slot(date(2026, 3, 4))

    [managed, _next] = chips(s, date(2026, 3, 4), date(2026, 3, 5), can_manage=True)
    [read_only, _n] = chips(s, date(2026, 3, 4), date(2026, 3, 5))

    assert managed.panel_url == "/rota/slots/7/2026-03-04"
    assert _next.panel_url == "/rota/slots/7/2026-03-04"  # the second day opens the same slot
    assert read_only.panel_url is None


def test_it_says_when_a_slot_is_unfilled_or_has_open_seats() -> None:
    empty = chips(slot(date(2026, 3, 4), shift(headcount=2)), date(2026, 3, 4), date(2026, 3, 4))[0]
    half = chips(slot(date(2026, 3, 4), shift(headcount=2), [person(3, "Ann Lee")]), date(2026, 3, 4),
                 date(2026, 3, 4))[0]
    full = chips(slot(date(2026, 3, 4), shift(headcount=1), [person(3, "Ann Lee")]), date(2026, 3, 4),
                 date(2026, 3, 4))[0]

    assert empty.staffing_label == "Unfilled"
    assert half.staffing_label == "1 open seat"
    assert full.staffing_label is None
    assert empty.aria_label == "Night call, 19:00 → 07:00 (+1), AMC, nobody yet, Unfilled"


def test_it_marks_me_and_builds_tap_to_call_links() -> None:
    s = slot(date(2026, 3, 4), people=[person(3, "Dr. Amir Patel", phone="+1 (555) 0102")])

    [chip, _] = chips(s, date(2026, 3, 4), date(2026, 3, 5), me=3)

    [p] = chip.people
    assert p.is_me and chip.has_me
    assert p.tel == "tel:+15550102"
    assert p.short_name == "A. Patel"
    assert views.Person("Cher", 1, 1, None, False).short_name == "Cher"
    assert views.Person("Cher", 1, 1, None, False).tel is None


# -- grids -----------------------------------------------------------------------------------------------


def build(view: str, anchor: date, slots: list[Slot], **kw: object) -> views.CalendarView:
    defaults: dict[str, object] = {"tz": BERLIN, "today": date(2026, 3, 4), "holidays": [],
                                   "filters": views.Filters(), "shift_types": [shift()]}
    defaults.update(kw)
    return views.build_calendar(view, anchor, slots=slots, **defaults)  # type: ignore[arg-type]


def test_it_builds_a_week_from_monday_with_neighbouring_weeks() -> None:
    cal = build("week", date(2026, 3, 5), [slot(date(2026, 3, 4))], filters=views.Filters(shift="night-call"))

    assert [d.day.day for d in cal.days] == [2, 3, 4, 5, 6, 7, 8]
    assert cal.title.replace("\u2009", " ") == "Week of Mar 2 – 8, 2026"
    assert cal.prev.url == "/rota/week/2026-02-23?shift=night-call"
    assert cal.next.url == "/rota/week/2026-03-09?shift=night-call"
    assert cal.today.current
    assert cal.self_url == "/rota/week/2026-03-05?shift=night-call"
    assert [v.url for v in cal.views] == ["/rota/day/2026-03-05?shift=night-call",
                                          "/rota/week/2026-03-02?shift=night-call",
                                          "/rota/month/2026-03?shift=night-call"]
    assert [len(d.chips) for d in cal.days] == [0, 0, 1, 1, 0, 0, 0]


def test_it_marks_weekends_holidays_and_today_in_words() -> None:
    cal = build("week", date(2026, 12, 21), [], today=date(2026, 12, 23),
                holidays=[Holiday(date=date(2026, 12, 25), name="Christmas Day")])

    marks = {d.day.day: d.marks for d in cal.days}
    assert marks[23] == [("today", "Today")]
    assert marks[25] == [("holiday", "Holiday: Christmas Day")]
    assert marks[26] == [("weekend", "Weekend")]
    assert marks[24] == []
    assert "is-holiday" in cal.days[4].css and "is-weekend" in cal.days[5].css


@pytest.mark.parametrize(("anchor", "weeks", "prev", "next_"), [
    (date(2027, 2, 1), 4, "2027-01", "2027-03"),  # February 2027 fills exactly four weeks
    (date(2026, 2, 1), 5, "2026-01", "2026-03"),
    (date(2026, 3, 31), 6, "2026-02", "2026-04"),
    (date(2028, 2, 29), 5, "2028-01", "2028-03"),
    (date(2026, 12, 31), 5, "2026-11", "2027-01"),
    (date(2026, 1, 31), 5, "2025-12", "2026-02"),
])
def test_it_builds_a_month_of_whole_weeks(anchor: date, weeks: int, prev: str, next_: str) -> None:
    cal = build("month", anchor, [])

    assert len(cal.weeks) == weeks and all(len(w) == 7 for w in cal.weeks)
    assert cal.prev.url == f"/rota/month/{prev}"
    assert cal.next.url == f"/rota/month/{next_}"
    inside = [d.day for d in cal.days if d.in_month]
    assert inside[0] == anchor.replace(day=1) and inside[-1].month == anchor.month
    assert cal.weekday_names == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def test_it_shows_a_night_once_in_the_month_but_twice_across_its_end() -> None:
    cal = build("month", date(2026, 3, 1), [slot(date(2026, 3, 10)), slot(date(2026, 3, 31))])

    shown = [(d.day, c.part) for d in cal.days for c in d.chips]

    assert shown == [(date(2026, 3, 10), "start"), (date(2026, 3, 31), "start"), (date(2026, 4, 1), "end")]


def test_it_splits_the_day_view_into_still_running_and_starting() -> None:
    cal = build("day", date(2026, 3, 5), [slot(date(2026, 3, 4)), slot(date(2026, 3, 5))])

    [day] = cal.days
    assert [c.part for c in day.continuing] == ["end"]
    assert [c.part for c in day.starting] == ["start"]
    assert cal.prev.url == "/rota/day/2026-03-04" and cal.next.url == "/rota/day/2026-03-06"
    assert cal.title == "Thursday, March 5, 2026"


def test_it_explains_an_empty_calendar() -> None:
    assert build("week", date(2026, 3, 2), [], shift_types=[]).empty_message == "No shift types yet."
    assert build("week", date(2026, 3, 2), [], shift_types=[], can_manage=True).setup_url == "/rota/setup"
    assert build("week", date(2026, 3, 2), []).empty_message == "No shifts in this period."
    assert build("week", date(2026, 3, 2), [], filters=views.Filters(member="me")).empty_message == (
        "No shifts match these filters.")


def test_it_offers_managers_every_member_and_others_only_their_own() -> None:
    viewer = Membership(id=9, role="viewer", active=True, in_schedule=True)
    viewer.user = User(name="Vic")
    doc = person(3, "Ann Lee").membership
    managed = build("week", date(2026, 3, 2), [], members=[doc, viewer], can_manage=True, me=None)
    member = build("week", date(2026, 3, 2), [], members=[doc, viewer], me=3)

    assert managed.options.members == [("3", "Ann Lee")]
    assert not managed.options.my_shifts
    assert member.options.members == [] and member.options.my_shifts


def test_it_builds_bookmarkable_urls() -> None:
    assert views.calendar_url("week", date(2026, 3, 8)) == "/rota/week/2026-03-02"
    by_location = views.Filters(location="2")
    assert views.calendar_url("month", date(2026, 3, 8), by_location) == "/rota/month/2026-03?location=2"
    assert views.calendar_url("day", date(2028, 2, 29)) == "/rota/day/2028-02-29"


# -- the panel -------------------------------------------------------------------------------------------


def candidate(membership_id: int, name: str, status: str, note: str = "") -> Candidate:
    m = Membership(id=membership_id)
    m.user = User(name=name)
    return Candidate(m, status, note or status)


def test_it_splits_candidates_into_who_can_and_who_cannot() -> None:
    s = slot(date(2026, 3, 4), people=[person(3, "Ann Lee", assignment_id=31)])
    found = [candidate(4, "Bo", "free"), candidate(5, "Cy", "working", "also working: Clinic"),
             candidate(6, "Di", "busy", "busy: Night call"), candidate(7, "Ed", "unqualified", "not qualified PEDS"),
             candidate(3, "Ann Lee", "on_shift"), candidate(8, "Vic", "not_in_schedule")]

    panel = build_panel(s, found, BERLIN, holiday=None, me=None, next_url="/rota/week/2026-03-02")

    assert [(c.name, c.label) for c in panel.available] == [("Bo", "Free"), ("Cy", "Also working: Clinic")]
    assert [(c.name, c.label) for c in panel.unavailable] == [("Di", "Busy: Night call"),
                                                              ("Ed", "Not qualified PEDS")]
    assert panel.full and not panel.replace_choice
    assert panel.prompt == "Replace Ann Lee with:"
    assert panel.marks == []
    assert panel.post_url == "/rota/slots/7/2026-03-04"


def test_it_asks_whom_to_replace_when_a_seat_is_open_or_several_are_on() -> None:
    two = shift(headcount=2)
    open_seat = build_panel(slot(date(2026, 3, 7), two, [person(3, "Ann")]), [], BERLIN,
                                  holiday=None, me=None, next_url="/")
    full = build_panel(slot(date(2026, 3, 4), two, [person(3, "Ann"), person(4, "Bo")]), [], BERLIN,
                             holiday=Holiday(name="Easter Monday", date=date(2026, 3, 4)), me=None, next_url="/")

    assert open_seat.replace_choice and open_seat.prompt == "Choose who takes it:"
    assert open_seat.marks == [("weekend", "Weekend")]
    assert full.replace_choice and full.prompt == "Replace the chosen person with:"
    assert full.marks == [("holiday", "Holiday: Easter Monday")]


def test_it_writes_only_valid_colours_into_the_stylesheet() -> None:
    css = views.shift_colors_css([SimpleNamespace(id=1, color="#AbCdEf"),
                                  SimpleNamespace(id=2, color="red; } body { display: none")])

    assert ".shift-1 { --shift: #AbCdEf; }" in css
    assert ".shift-2 { --shift: #0d6e6e; }" in css
    assert "display: none" not in css
