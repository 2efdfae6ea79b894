"""The rota solver engine: a problem description -> a CP-SAT model -> a solution.

The same engine serves the app's schedule generator and the ``rounds solve-nrp`` benchmark command.
"""

from app.services.rota.solver.model import BuiltModel, ModelOptions, build_model
from app.services.rota.solver.problem import (
    Cover,
    Employee,
    Fairness,
    Lock,
    Problem,
    Progress,
    Request,
    ShiftType,
    Solution,
    weekends_from_monday,
)
from app.services.rota.solver.search import SolveOptions, solve

__all__ = (
    "BuiltModel",
    "Cover",
    "Employee",
    "Fairness",
    "Lock",
    "ModelOptions",
    "Problem",
    "Progress",
    "Request",
    "ShiftType",
    "Solution",
    "SolveOptions",
    "build_model",
    "solve",
    "weekends_from_monday",
)
