"""Load arithmetic: what a shift weighs, what a swap does to each person's points, and how that reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace

from app.services.rota.load import Points, describe_delta, load_delta, points_of
from app.services.rota.request_support import ChangePreview, Side
from app.services.rota.rules import Breach, format_points


@dataclass(frozen=True)
class Weights:
    weight: float = 1.0
    weekend_weight: float = 1.5
    holiday_weight: float = 2.0


NIGHT = Weights(2.0, 3.0, 4.0)
CLINIC = Weights()


def person(name: str) -> SimpleNamespace:
    return SimpleNamespace(id=hash(name), user=SimpleNamespace(name=name))


def test_it_weighs_a_shift_by_its_day() -> None:
    assert points_of(CLINIC, date(2026, 5, 6)) == Points("weekday", 1.0)
    assert points_of(CLINIC, date(2026, 5, 9)) == Points("weekend", 1.5)  # Saturday
    assert points_of(CLINIC, date(2026, 5, 10)) == Points("weekend", 1.5)  # Sunday
    # A holiday weighs more than a weekend, also when it falls on one.
    assert points_of(NIGHT, date(2026, 12, 25), [date(2026, 12, 25)]) == Points("holiday", 4.0)
    assert points_of(NIGHT, date(2026, 5, 9), {date(2026, 5, 9)}) == Points("holiday", 4.0)


def test_it_nets_gains_and_losses_by_category() -> None:
    assert load_delta([Points("weekend", 1.5)]) == {"weekend": 1.5}
    assert load_delta([Points("weekend", 1.5)], [Points("weekday", 1.0)]) == {"weekend": 1.5, "weekday": -1.0}
    # Two shifts of the same category cancel out and disappear.
    assert load_delta([Points("weekend", 1.5)], [Points("weekend", 1.5)]) == {}
    assert load_delta([Points("weekday", 0.1), Points("weekday", 0.2)], [Points("weekday", 0.3)]) == {}


def test_it_describes_a_change_in_points() -> None:
    assert describe_delta({"weekend": 1.5}) == "+1.5 weekend points"
    assert describe_delta({"weekday": -1.0}) == "\u22121 point"
    assert describe_delta({"holiday": 1.0, "weekday": -2.0}) == "\u22122 points, +1 holiday point"
    assert describe_delta({}) == "no change in points"


def test_it_formats_points_without_trailing_zeros() -> None:
    assert [format_points(v) for v in (1.0, 1.5, 0.25, 2.125, 0.0, -0.0)] == ["1", "1.5", "0.25", "2.12", "0", "0"]


def test_it_sums_up_a_plain_swap_in_one_sentence() -> None:
    preview = ChangePreview([Side(person("Amir Patel"), [], {"weekend": -1.5}),
                             Side(person("Bea Nguyen"), [], {"weekend": 1.5})], approval_setting=False)
    assert preview.effect == "+1.5 weekend points to Bea Nguyen, \u22121.5 to Amir Patel"


def test_it_lists_each_person_when_a_swap_moves_different_kinds_of_points() -> None:
    preview = ChangePreview([Side(person("Amir Patel"), [], {"weekend": -1.5, "weekday": 1.0}),
                             Side(person("Bea Nguyen"), [], {"weekend": 1.5, "weekday": -1.0})], approval_setting=False)
    assert preview.simple_effect is None
    assert preview.effect == ("+1 point, \u22121.5 weekend points (\u22120.5 in all) to Amir Patel; "
                              "\u22121 point, +1.5 weekend points (+0.5 in all) to Bea Nguyen")
    assert [s.effect_with_net for s in preview.sides] == ["+1 point, \u22121.5 weekend points (\u22120.5 in all)",
                                                          "\u22121 point, +1.5 weekend points (+0.5 in all)"]


def test_it_says_so_when_nobody_s_points_change() -> None:
    preview = ChangePreview([Side(person("A"), [], {}), Side(person("B"), [], {})], approval_setting=False)
    assert preview.effect == "No change in anyone's points."


def test_it_sends_a_change_to_a_manager_when_a_rule_breaks_or_the_practice_says_so() -> None:
    soft = Breach("max_shifts_per_week", "too many")
    hard = Breach("overlap", "at the same time")
    assert not ChangePreview([Side(person("A"))], approval_setting=False).needs_manager
    assert ChangePreview([Side(person("A"))], approval_setting=True).needs_manager
    with_rule = ChangePreview([Side(person("A"), [soft])], approval_setting=False)
    assert with_rule.needs_manager and not with_rule.blocked
    with_conflict = ChangePreview([Side(person("A"), [soft]), Side(person("B"), [hard])], approval_setting=False)
    assert with_conflict.blocked and with_conflict.blocking == [hard]
