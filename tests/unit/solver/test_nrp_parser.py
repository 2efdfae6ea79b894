"""The Curtois & Qu parser on every shared instance, and on malformed input."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.services.rota.nrp import NrpFormatError, parse_instance

SHARED = Path(__file__).resolve().parents[4] / "shared" / "benchmarks" / "nrp"

# instance: (days, staff, shift types), as in the shared README's table
SIZES = {
    "Instance1": (14, 8, 1), "Instance2": (14, 14, 2), "Instance3": (14, 20, 3), "Instance4": (28, 10, 2),
    "Instance5": (28, 16, 2), "Instance6": (28, 18, 3), "Instance7": (28, 20, 3), "Instance8": (28, 30, 4),
    "Instance10": (28, 40, 5), "Instance14": (42, 32, 4), "Instance16": (56, 20, 3), "Instance18": (84, 22, 3),
}

pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason="shared benchmark files not present")


@pytest.mark.parametrize("name", sorted(SIZES))
def test_counts_of_each_shared_instance(name: str) -> None:
    problem = parse_instance((SHARED / f"{name}.txt").read_text(), name=name)
    days, staff, shifts = SIZES[name]
    assert (problem.num_days, len(problem.employees), len(problem.shifts)) == (days, staff, shifts)
    # one cover line per day and shift, weekends are Saturday/Sunday pairs of a Monday start
    assert len(problem.cover) == days * shifts
    assert problem.weekends[0] == (5, 6)
    assert len(problem.weekends) == days // 7
    assert all(e.max_minutes >= e.min_minutes for e in problem.employees)


def test_instance1_details() -> None:
    problem = parse_instance((SHARED / "Instance1.txt").read_text())
    a = problem.employees[0]
    assert (a.id, a.max_shifts, a.max_minutes, a.min_minutes) == ("A", {"D": 14}, 4320, 3360)
    assert (a.max_consecutive, a.min_consecutive, a.min_days_off, a.max_weekends) == (5, 2, 2, 1)
    assert a.days_off == frozenset({0})
    on = [r for r in problem.requests if r.on]
    off = [r for r in problem.requests if not r.on]
    assert (len(on), len(off)) == (21, 5)
    assert (problem.cover[0].requirement, problem.cover[0].under_weight, problem.cover[0].over_weight) == (5, 100, 1)


def test_forbidden_successors() -> None:
    problem = parse_instance((SHARED / "Instance8.txt").read_text())
    by_id = {s.id: s for s in problem.shifts}
    assert by_id["N"].forbidden_next == frozenset({"E", "D", "L"})
    assert by_id["E"].forbidden_next == frozenset()


@pytest.mark.parametrize("text", [
    "SECTION_HORIZON\n7\nSECTION_STAFF\nA,X=1,1,1,1,1,1,1\nSECTION_SHIFTS\nD,480,\n",  # unknown shift in staff
    "SECTION_HORIZON\n7\nSECTION_SHIFTS\nD,480,\nSECTION_DAYS_OFF\nZ,1\n",  # unknown employee
    "SECTION_HORIZON\nseven\n",
    "SECTION_NONSENSE\n1\n",
    "SECTION_HORIZON\n7\nSECTION_SHIFTS\nD,480,\nSECTION_COVER\n9,D,1,100,1\n",  # day outside horizon
])
def test_malformed_input_is_refused(text: str) -> None:
    with pytest.raises(NrpFormatError):
        parse_instance(text)
