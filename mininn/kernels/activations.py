"""GELU: x * Phi(x), with Phi the standard normal CDF, and its derivative.

NumPy has no `erf`, so the fast versions are Numba ufuncs built on `math.erf` (exact, as
PyTorch's default GELU). They work on float32 and float64 arrays of any shape and compile
once (cached on disk). `gelu_reference` and `gelu_grad_reference` are the plain-Python
versions they are tested against.

Contract: same shape and dtype out as in; no Python objects inside the kernels.
"""

from __future__ import annotations

import math

import numpy as np
from numba import vectorize

__all__ = ["gelu", "gelu_grad", "gelu_reference", "gelu_grad_reference"]

_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


@vectorize(["float32(float32)", "float64(float64)"], cache=True)
def gelu(x):  # pragma: no cover - compiled
    return 0.5 * x * (1.0 + math.erf(x * _INV_SQRT2))


@vectorize(["float32(float32)", "float64(float64)"], cache=True)
def gelu_grad(x):  # pragma: no cover - compiled
    """d/dx [x Phi(x)] = Phi(x) + x phi(x)."""
    cdf = 0.5 * (1.0 + math.erf(x * _INV_SQRT2))
    pdf = _INV_SQRT_2PI * math.exp(-0.5 * x * x)
    return cdf + x * pdf


def gelu_reference(x: np.ndarray) -> np.ndarray:
    flat = [
        0.5 * v * (1.0 + math.erf(v / math.sqrt(2.0))) for v in np.asarray(x, np.float64).ravel()
    ]
    return np.array(flat, dtype=np.float64).reshape(np.shape(x))


def gelu_grad_reference(x: np.ndarray) -> np.ndarray:
    out = []
    for v in np.asarray(x, np.float64).ravel():
        cdf = 0.5 * (1.0 + math.erf(v / math.sqrt(2.0)))
        out.append(cdf + v * math.exp(-0.5 * v * v) / math.sqrt(2.0 * math.pi))
    return np.array(out, dtype=np.float64).reshape(np.shape(x))
