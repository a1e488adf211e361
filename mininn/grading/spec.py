"""What an exercise is, how its cases are made, and how an answer is compared.

This module is trusted code: it runs in the grading process (or, for `check`, in the
notebook), never inside the student's process. It uses NumPy only for arithmetic on arrays
it made itself or decoded from plain bytes.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Case", "Exercise", "case_rng", "compare", "encode", "decode", "relative_error"]


@dataclass(frozen=True)
class Case:
    """One call of the student's function: the arguments and what it must return.

    `expected` is an ndarray, a number, or a tuple of those (for functions that return
    several arrays). `rtol` bounds the relative error |x - y| / max(1e-8, |x| + |y|).

    >>> import numpy as np
    >>> from mininn.grading import Case
    >>> case = Case("2x3 ones", args=(np.ones((2, 3)),), expected=np.full(2, 3.0))
    >>> case.args[0].shape, case.expected.shape, case.rtol, case.hidden
    ((2, 3), (2,), 1e-05, False)
    """

    name: str
    args: tuple[Any, ...]
    expected: Any
    rtol: float = 1e-5
    hidden: bool = False


@dataclass(frozen=True)
class Exercise:
    """A graded exercise: one function a student writes in one chapter's notebook.

    `make_cases(seed)` builds the inputs from a seed and computes each reference answer with
    the checker's own implementation or a closed form.

    >>> from mininn.grading import EXERCISES
    >>> ex = EXERCISES["linalg.project"]
    >>> ex.function, ex.chapter, ex.points, len(ex.cases(seed=0)) > 0
    ('project', 'linear_algebra', 2, True)
    """

    id: str
    function: str
    points: int
    chapter: str
    title: str
    hint: str
    make_cases: Callable[[int], list[Case]] = field(repr=False)

    def cases(self, seed: int = 0) -> list[Case]:
        return self.make_cases(seed)


def case_rng(seed: int, *salt: int) -> np.random.Generator:
    """The random generator of one exercise's cases: the grading seed and the exercise's own
    salt, so that each exercise draws the same cases for a seed whatever the others draw."""
    return np.random.default_rng([seed, *salt])


# ---------------------------------------------------------------------------------------------
# Comparison
# ---------------------------------------------------------------------------------------------

FLOOR = 1e-8


def relative_error(actual: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """|x - y| / max(1e-8, |x| + |y|), elementwise; equal infinities count as 0."""
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(a - e) / np.maximum(FLOOR, np.abs(a) + np.abs(e))
    same = (a == e) | (np.isnan(a) & np.isnan(e))
    return np.where(same, 0.0, np.where(np.isnan(err), np.inf, err))


def _fmt(x: Any) -> str:
    if isinstance(x, float | np.floating):
        return f"{float(x):.10g}"
    return repr(x)


def _describe(value: Any) -> str:
    if isinstance(value, _Unsupported):
        return f"a {value.name}"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if value is None:
        return "None"
    return f"a {type(value).__name__}"


def compare(actual: Any, expected: Any, rtol: float, where: str = "the result") -> str | None:
    """None when `actual` matches `expected`; otherwise a message that says how it differs.

    >>> import numpy as np
    >>> from mininn.grading import compare
    >>> compare(np.ones(3), np.ones(3), rtol=1e-5) is None
    True
    >>> compare(np.ones(3), np.ones(4), rtol=1e-5)  # doctest: +ELLIPSIS
    '...shape...'
    """
    if isinstance(expected, tuple):
        if not isinstance(actual, tuple | list) or len(actual) != len(expected):
            n = len(expected)
            return f"{where} should be a tuple of {n} values, got {_describe(actual)}" + (
                f" of length {len(actual)}" if isinstance(actual, tuple | list) else ""
            )
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            msg = compare(a, e, rtol, f"returned value {i + 1} of {len(expected)}")
            if msg:
                return msg
        return None

    if isinstance(expected, bool | int | float | np.number) and not isinstance(
        expected, np.ndarray
    ):
        if isinstance(actual, np.ndarray) and actual.shape == ():
            actual = actual[()]
        if isinstance(actual, bool | np.bool_) and not isinstance(expected, bool | np.bool_):
            return f"{where} should be a number, got a bool"
        if not isinstance(actual, int | float | np.number | bool | np.bool_):
            return f"{where} should be a number, got {_describe(actual)}"
        if isinstance(expected, bool | np.bool_):
            return (
                None
                if bool(actual) == bool(expected)
                else (f"{where}: expected {expected}, got {bool(actual)}")
            )
        if not math.isfinite(float(actual)) and math.isfinite(float(expected)):
            return f"{where} is {float(actual)}, expected {_fmt(expected)}"
        err = float(relative_error(np.float64(actual), np.float64(expected)))
        if err > rtol:
            return (
                f"{where}: expected {_fmt(expected)}, got {_fmt(actual)} "
                f"(relative error {err:.2g} > {rtol:g})"
            )
        return None

    expected = np.asarray(expected)
    if isinstance(actual, np.generic | int | float) and not isinstance(actual, bool):
        actual = np.asarray(actual)  # a NumPy or Python scalar is a 0-d array here
    if not isinstance(actual, np.ndarray):
        return f"{where} should be a NumPy array of shape {expected.shape}, got {_describe(actual)}"
    if actual.shape != expected.shape:
        return f"{where} has shape {actual.shape}, expected shape {expected.shape}"
    if expected.dtype.kind == "f" and actual.dtype.kind != "f":
        return f"{where} has dtype {actual.dtype}, expected a floating dtype like {expected.dtype}"
    if expected.dtype.kind in "iub" and actual.dtype.kind not in "iub":
        return f"{where} has dtype {actual.dtype}, expected integers ({expected.dtype})"
    if actual.dtype.kind == "f" and np.isnan(actual).any() and not np.isnan(expected).any():
        idx = tuple(int(i) for i in np.argwhere(np.isnan(actual))[0])
        return f"{where} contains NaN (first at index {idx}; expected {_fmt(expected[idx])})"
    if expected.size == 0:
        return None
    err = relative_error(actual, expected)
    bad = err > rtol
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        worst = tuple(int(i) for i in np.unravel_index(int(np.argmax(err)), err.shape))
        at = f" at index {idx}" if idx else ""
        return (
            f"{where} differs{at}: expected {_fmt(expected[idx])}, got {_fmt(actual[idx])}; "
            f"{int(bad.sum())} of {bad.size} entries are off, the largest relative error is "
            f"{float(err[worst]):.2g} (tolerance {rtol:g})"
        )
    return None


# ---------------------------------------------------------------------------------------------
# Plain encoding for crossing the process boundary (JSON, never pickle)
# ---------------------------------------------------------------------------------------------


def encode(value: Any) -> Any:
    """A JSON-able description of numbers, strings, arrays, tuples, lists and None."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            return {"type": "unsupported", "name": f"ndarray of dtype {value.dtype}"}
        arr = np.asarray(value, order="C")  # (ascontiguousarray would make 0-d arrays 1-d)
        return {
            "type": "ndarray",
            "dtype": arr.dtype.str,
            "shape": list(arr.shape),
            "data": base64.b64encode(arr.tobytes()).decode("ascii"),
        }
    if isinstance(value, bool | np.bool_):
        return {"type": "bool", "value": bool(value)}
    if isinstance(value, int | np.integer):
        return {"type": "int", "value": int(value)}
    if isinstance(value, float | np.floating):
        v = float(value)
        return {"type": "float", "value": v if math.isfinite(v) else repr(v)}
    if isinstance(value, str):
        return {"type": "str", "value": value}
    if value is None:
        return {"type": "none"}
    if isinstance(value, tuple | list):
        return {"type": type(value).__name__, "items": [encode(v) for v in value]}
    return {"type": "unsupported", "name": type(value).__name__}


class _Unsupported:
    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


def decode(obj: Any) -> Any:
    """Inverse of `encode`; refuses anything malformed with ValueError."""
    if not isinstance(obj, dict) or "type" not in obj:
        raise ValueError("malformed value")
    kind = obj["type"]
    if kind == "ndarray":
        dtype = np.dtype(str(obj["dtype"]))
        if dtype.kind not in "biuf":
            raise ValueError(f"refused dtype {dtype}")
        shape = tuple(int(s) for s in obj["shape"])
        raw = base64.b64decode(str(obj["data"]), validate=True)
        if len(raw) != dtype.itemsize * int(np.prod(shape, dtype=np.int64)):
            raise ValueError("array data does not match its shape")
        return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    if kind == "bool":
        return bool(obj["value"])
    if kind == "int":
        return int(obj["value"])
    if kind == "float":
        v = obj["value"]
        return float(v) if isinstance(v, str) else float(v)
    if kind == "str":
        return str(obj["value"])
    if kind == "none":
        return None
    if kind in ("tuple", "list"):
        items = [decode(v) for v in obj["items"]]
        return tuple(items) if kind == "tuple" else items
    if kind == "unsupported":
        return _Unsupported(str(obj.get("name", "object")))
    raise ValueError(f"unknown value type {kind!r}")
