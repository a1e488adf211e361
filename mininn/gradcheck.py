"""Check a backward pass against finite differences.

`gradcheck(fn, *inputs)` compares the gradients that autograd computes for `fn` with
central differences, in float64. For a function with a non-scalar output it checks the
gradient of ``sum(fn(*inputs) * v)`` for a fixed random `v`: every output element then
contributes, with a different weight, so an error anywhere in the Jacobian shows up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from mininn.tensor import Function, Tensor, enable_grad

__all__ = ["gradcheck", "GradcheckError"]


class GradcheckError(AssertionError):
    """Raised when an analytic gradient disagrees with the finite-difference estimate.

    >>> import mininn
    >>> issubclass(mininn.GradcheckError, AssertionError)
    True
    """


def _relative_error(a: np.ndarray, n: np.ndarray, floor: float) -> np.ndarray:
    """|a - n| / max(floor, |a| + |n|): relative where the gradient is large, absolute near 0."""
    return np.abs(a - n) / np.maximum(floor, np.abs(a) + np.abs(n))


def gradcheck(
    fn: Callable[..., Tensor] | type[Function],
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
    raise_exception: bool = True,
) -> list[float | None]:
    """Compare autograd's gradients of `fn` with central differences.

    Parameters
    ----------
    fn : callable or Function subclass
        Called as ``fn(*tensors)``; must return a Tensor. A Function subclass is called
        through its ``apply``.
    *inputs : Tensors, arrays, floats, or anything else
        Floating Tensors, arrays, lists and Python floats are copied to float64 and
        differentiated; anything else (integer index arrays, settings) is passed unchanged.
    eps : float
        Step of the central difference ``(f(x + eps) - f(x - eps)) / (2 eps)``.
    atol, rtol : float
        An element fails when ``|analytic - numeric| > atol + rtol * |numeric|``.
    seed : int
        Seed of the random weights `v` that turn a non-scalar output into a scalar.
    raise_exception : bool
        Raise `GradcheckError` on failure (default); otherwise just return the errors.

    Returns
    -------
    list
        For each input, the largest relative error ``|a - n| / max(atol, |a| + |n|)``, or
        None for inputs that are not differentiated.

    >>> import mininn
    >>> mininn.manual_seed(0)
    >>> x = mininn.randn(3, 4, requires_grad=True, dtype="float64")
    >>> errors = mininn.gradcheck(lambda t: (t * t).sum(axis=1), x)  # (3, 4) -> (3,)
    >>> len(errors), errors[0] < 1e-6
    (1, True)
    """
    call = fn.apply if isinstance(fn, type) and issubclass(fn, Function) else fn
    tensors: list[Any] = []
    for x in inputs:
        if isinstance(x, Tensor | np.ndarray | float | list):
            arr = np.asarray(x.data if isinstance(x, Tensor) else x)
            if arr.dtype.kind == "f":
                tensors.append(Tensor(arr, requires_grad=True, dtype=np.float64))
                continue
        tensors.append(x)  # integers, index arrays, settings: passed through unchanged

    with enable_grad():
        out = call(*tensors)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    v = np.asarray(np.random.default_rng(seed).standard_normal(out.shape))

    def scalar() -> float:
        with enable_grad():
            y = call(*tensors)
        return float(np.sum(y.data.astype(np.float64) * v))

    with enable_grad():
        if not out.requires_grad:
            raise GradcheckError("gradcheck: the output does not depend on any float input")
        out.backward(v.astype(out.dtype))

    errors: list[float | None] = []
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor) or not t.requires_grad:
            errors.append(None)
            continue
        analytic = np.zeros_like(t.data) if t.grad is None else t.grad.astype(np.float64)
        numeric = np.zeros_like(t.data)
        flat, num = t.data.reshape(-1), numeric.reshape(-1)  # views into t.data and numeric
        for k in range(flat.size):
            old = flat[k]
            flat[k] = old + eps
            up = scalar()
            flat[k] = old - eps
            down = scalar()
            flat[k] = old
            num[k] = (up - down) / (2 * eps)
        rel = _relative_error(analytic, numeric, atol)
        errors.append(float(rel.max()) if rel.size else 0.0)
        bad = np.abs(analytic - numeric) > atol + rtol * np.abs(numeric)
        if raise_exception and (bad.any() or not np.all(np.isfinite(analytic))):
            worst = np.unravel_index(
                int(np.argmax(np.where(np.isfinite(rel), rel, np.inf))), rel.shape
            )
            worst = tuple(int(w) for w in worst)
            raise GradcheckError(
                f"gradcheck failed for input {i} (shape {t.shape}): at index {worst} autograd "
                f"gives {analytic[worst]:.8g} but finite differences give {numeric[worst]:.8g} "
                f"(relative error {rel[worst]:.3g}; {int(bad.sum())} of {bad.size} elements "
                f"exceed atol={atol:g} + rtol={rtol:g} * |numeric|)"
            )
    return errors
