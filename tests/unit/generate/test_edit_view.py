"""The hand-edit control's view model: the cell's member, who breaks no rule (fairest first), who would and why."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

from app.services.rota.drafts import EditChoices, EditOption
from app.views.generate import edit_view


def _member(mid: int, name: str, fte: float = 1.0) -> Any:
    return SimpleNamespace(id=mid, fte=fte, user=SimpleNamespace(name=name))


def _cell() -> Any:
    return SimpleNamespace(id=5, membership_id=1, membership=_member(1, "Ana"), date=date(2026, 12, 5),
                           shift_type=SimpleNamespace(name="Night call"))


def test_it_says_each_options_points_per_fte_and_marks_the_fairest() -> None:
    ben, cy = _member(2, "Ben"), _member(3, "Cy", fte=0.5)
    view = edit_view(9, EditChoices(_cell(), [EditOption(ben, 6, 6), EditOption(cy, 4, 8)],
                                    [EditOption(_member(4, "Dee"), 0, 0, "Dee has approved time off that day.")]))
    assert view["current"] == (1, "Ana (now)")
    assert view["options"] == [(2, "Ben: 6 points (fairest)"), (3, "Cy: 4 points, 8 per FTE")]
    assert view["others"] == [{"id": 4, "name": "Dee", "why": "Dee has approved time off that day."}]
    assert view["action"] == "/rota/drafts/9/cells/5"


def test_a_single_option_is_not_called_the_fairest() -> None:
    view = edit_view(9, EditChoices(_cell(), [EditOption(_member(2, "Ben"), 1, 1)], []))
    assert view["options"] == [(2, "Ben: 1 point")]
