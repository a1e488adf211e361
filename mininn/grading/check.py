"""`check(exercise_id, function)`: instant feedback on an exercise, inside the notebook.

It runs the exercise's visible cases in the notebook's own process (fast, but not a grade:
code in the notebook could interfere with it; `mininn grade` runs the same cases, and hidden
ones, in a separate process).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from mininn.grading.exercises import EXERCISES
from mininn.grading.spec import compare

__all__ = ["check"]


def check(
    exercise_id: str, function: Callable[..., Any], seed: int = 0, verbose: bool = True
) -> bool:
    """Run the visible cases of `exercise_id` on `function`; print a line per case.

    Returns True when every case passes.

    >>> from mininn.grading import check
    >>> check("linalg.project", lambda x, y: None, verbose=False)  # a wrong answer
    False
    """
    if exercise_id not in EXERCISES:
        close = [k for k in EXERCISES if k.split(".")[-1] == exercise_id.split(".")[-1]]
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise KeyError(f"no exercise {exercise_id!r}.{hint}")
    if not callable(function):
        raise TypeError(f"check expects the function you wrote, got {type(function).__name__}")
    ex = EXERCISES[exercise_id]
    cases = [c for c in ex.cases(seed) if not c.hidden]
    lines, passed = [], 0
    for case in cases:
        try:
            value = function(*copy.deepcopy(case.args))
            message = compare(value, case.expected, case.rtol)
        except NotImplementedError:
            message = "not implemented yet"
        except Exception as e:  # noqa: BLE001 - report the student's error, do not raise it
            message = f"raised {type(e).__name__}: {e}"
        if message is None:
            passed += 1
            lines.append(f"  pass  {case.name}")
        else:
            lines.append(f"  FAIL  {case.name}: {message}")
    ok = passed == len(cases)
    if verbose:
        head = f"{ex.id} ({ex.title}, {ex.points} point{'s' if ex.points != 1 else ''})"
        print(head)
        print("\n".join(lines))
        verdict = "all visible cases pass" if ok else f"{passed} of {len(cases)} cases pass"
        print(f"  {verdict}; `mininn grade` also runs hidden cases.")
    return ok
