"""Graded exercises of the chapter on vanishing and exploding gradients: the global norm of a
list of gradients, clipping by global norm with PyTorch's rule, clipping by value, and the
norm of the gradient with respect to every hidden state of a tanh RNN.

Every reference is computed here in float64 by explicit loops (a sum of squares one element
at a time, a matrix-vector product as a double loop), never by `mininn` and never by the
student's code.

Norms are sums of squares of a few thousand terms at most; summed in another order they
differ by a few units in the last place, so a relative tolerance of 1e-10 holds for them and
for the clipped gradients. The gradient norms through time come from up to 60 products by a
matrix; rounding grows at most linearly with the number of steps, and 1e-8 leaves a wide
margin, while a wrong factor (a missing ``1 - h**2`` or an untransposed ``W_hh``) changes
them by far more. Clipping follows PyTorch's ``clip_grad_norm_``: the gradients are scaled by
``max_norm / (norm + 1e-6)`` when that is below 1, so a norm exactly at ``max_norm`` is still
scaled a little; a case checks it. Clipping by value only copies or replaces values, and is
compared exactly. Edge cases: an empty list, zero gradients, 0-d gradients, a norm below the
threshold, a single time step, saturated units.
"""

from __future__ import annotations

import math

import numpy as np

from mininn.grading.spec import Case, Exercise, case_rng

NORMS = 1e-10
THROUGH_TIME = 1e-8
EXACT = 0.0


def _norm_reference(grads) -> float:
    total = 0.0
    for g in grads:
        for v in np.asarray(g, np.float64).reshape(-1):
            total += float(v) * float(v)
    return math.sqrt(total)


def _grad_list(rng, shapes, scale=1.0, dtype=np.float64):
    return [(rng.standard_normal(s) * scale).astype(dtype) for s in shapes]


_SHAPES = [(4, 3), (4, 4), (4,), (2, 4), (2,)]  # W_xh, W_hh, b, W_out, b_out of a tiny RNN


# ---------------------------------------------------------------------------------------------
# 1. Global norm
# ---------------------------------------------------------------------------------------------


def _norm_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 1)

    def case(name, grads, hidden=False):
        return Case(name, (grads,), _norm_reference(grads), NORMS, hidden)

    return [
        case("the five gradients of a tiny RNN", _grad_list(rng, _SHAPES)),
        case("one gradient: the norm of [3, 4] is 5", [np.array([3.0, 4.0])]),
        case("all gradients zero", [np.zeros((3, 3)), np.zeros(3)]),
        case("0-d gradients: [3] and [4] as scalars", [np.array(3.0), np.array(-4.0)]),
        case("an empty list: the norm is 0", []),
        case("float32 gradients", _grad_list(rng, _SHAPES, dtype=np.float32)),
        case("huge gradients (1e150): no overflow in float64", _grad_list(rng, _SHAPES, 1e150)),
        case("many shapes", _grad_list(rng, [(64, 32), (64, 64), (64,), (10, 64)]), True),
    ]


# ---------------------------------------------------------------------------------------------
# 2. Clipping by global norm (PyTorch's rule)
# ---------------------------------------------------------------------------------------------


def _clip_norm_reference(grads, max_norm):
    total = _norm_reference(grads)
    coef = max_norm / (total + 1e-6)
    scale = coef if coef < 1.0 else 1.0
    clipped = []
    for g in grads:
        out = np.array(g, dtype=np.float64, copy=True)
        flat = out.reshape(-1)
        for k in range(flat.size):
            flat[k] = flat[k] * scale
        clipped.append(out)
    return tuple(clipped), total


def _clip_norm_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 2)

    def case(name, grads, max_norm, hidden=False):
        return Case(name, (grads, max_norm), _clip_norm_reference(grads, max_norm), NORMS, hidden)

    small = _grad_list(rng, _SHAPES)
    big = _grad_list(rng, _SHAPES, 50.0)
    return [
        case("a large gradient, max_norm=1", big, 1.0),
        case("a small gradient is left alone", small, 100.0),
        case(
            "one gradient [3, 4], max_norm=1: becomes about [0.6, 0.8]", [np.array([3.0, 4.0])], 1.0
        ),
        case(
            "the norm exactly at max_norm is still scaled by 5 / (5 + 1e-6)",
            [np.array([3.0, 4.0])],
            5.0,
        ),
        case("zero gradients stay zero", [np.zeros((2, 3)), np.zeros(2)], 1.0),
        case("an empty list", [], 1.0),
        case(
            "max_norm=0.25, larger network",
            _grad_list(rng, [(16, 8), (16, 16), (16,)], 3.0),
            0.25,
            True,
        ),
        case("norm just above max_norm", [np.array([3.0, 4.0]), np.array([0.001])], 5.0, True),
    ]


# ---------------------------------------------------------------------------------------------
# 3. Clipping by value
# ---------------------------------------------------------------------------------------------


def _clip_value_reference(grads, clip_value):
    out = []
    for g in grads:
        c = np.array(g, copy=True)
        flat = c.reshape(-1)
        for k in range(flat.size):
            if flat[k] > clip_value:
                flat[k] = clip_value
            elif flat[k] < -clip_value:
                flat[k] = -clip_value
        out.append(c)
    return tuple(out)


def _clip_value_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 3)

    def case(name, grads, clip_value, hidden=False):
        return Case(
            name, (grads, clip_value), _clip_value_reference(grads, clip_value), EXACT, hidden
        )

    return [
        case("the gradients of a tiny RNN, clip_value=0.5", _grad_list(rng, _SHAPES), 0.5),
        case("nothing to clip", _grad_list(rng, _SHAPES, 0.01), 1.0),
        case("values exactly at +-clip_value stay", [np.array([-1.0, 1.0, 2.0, -3.0])], 1.0),
        case("clip_value=0: everything becomes 0", [np.array([[1.5, -2.0], [0.0, 3.0]])], 0.0),
        case("float32 gradients keep their dtype", _grad_list(rng, _SHAPES, 2.0, np.float32), 1.0),
        case("an empty list", [], 1.0),
        case("a larger network", _grad_list(rng, [(32, 16), (32, 32), (32,)], 3.0), 2.0, True),
    ]


# ---------------------------------------------------------------------------------------------
# 4. The gradient norm at every time step of a tanh RNN
# ---------------------------------------------------------------------------------------------


def _through_time_reference(W_hh, hs, g):
    T, H = hs.shape
    norms = np.zeros(T)
    grad = np.array(g, dtype=np.float64)
    for t in range(T - 1, -1, -1):
        norms[t] = math.sqrt(sum(float(v) * float(v) for v in grad))
        da = [grad[i] * (1.0 - hs[t, i] * hs[t, i]) for i in range(H)]
        grad = np.array([sum(W_hh[i, j] * da[i] for i in range(H)) for j in range(H)])
    return norms


def _run(rng, T, H, scale):
    W_hh = rng.standard_normal((H, H)) * scale / math.sqrt(H)
    W_xh = rng.standard_normal((H, 1))
    h = np.zeros(H)
    hs = np.zeros((T, H))
    for t in range(T):
        h = np.tanh(W_hh @ h + W_xh[:, 0] * rng.standard_normal())
        hs[t] = h
    return W_hh, hs


def _through_time_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 4)

    def case(name, T, H, scale, hidden=False, g=None):
        W_hh, hs = _run(rng, T, H, scale)
        g = rng.standard_normal(H) if g is None else g
        ref = _through_time_reference(W_hh, hs, g)
        return Case(name, (W_hh, hs, g), ref, THROUGH_TIME, hidden)

    return [
        case("T=10, H=4, weight scale 1", 10, 4, 1.0),
        case("small weights (scale 0.5): the norm vanishes", 20, 6, 0.5),
        case("large weights (scale 3): saturated units", 20, 6, 3.0),
        case("a single time step: just the norm of g", 1, 5, 1.0),
        case("one hidden unit", 15, 1, 1.5),
        case("a zero gradient at the last step", 5, 3, 1.0, g=np.zeros(3)),
        case("T=60, H=16, scale 2", 60, 16, 2.0, hidden=True),
        case("T=40, H=8, scale 0.8", 40, 8, 0.8, hidden=True),
    ]


EXERCISES = [
    Exercise(
        id="gradients.global_norm",
        function="global_norm",
        points=1,
        chapter="gradients",
        title="the global norm of a list of gradients",
        hint="square root of the sum over all gradients of the sum of their squared entries",
        make_cases=_norm_cases,
    ),
    Exercise(
        id="gradients.clip_by_global_norm",
        function="clip_by_global_norm",
        points=3,
        chapter="gradients",
        title="clipping by global norm (PyTorch's rule)",
        hint="coef = max_norm / (norm + 1e-6); multiply every gradient by coef only if coef < 1",
        make_cases=_clip_norm_cases,
    ),
    Exercise(
        id="gradients.clip_by_value",
        function="clip_by_value",
        points=1,
        chapter="gradients",
        title="clipping by value",
        hint="np.clip clamps one array; return a new list, one clipped array per gradient",
        make_cases=_clip_value_cases,
    ),
    Exercise(
        id="gradients.grad_norms_through_time",
        function="grad_norms_through_time",
        points=3,
        chapter="gradients",
        title="the gradient norm at every time step of a tanh RNN",
        hint="from t = T-1 down: record the norm, then g = W_hh.T @ (g * (1 - hs[t]**2))",
        make_cases=_through_time_cases,
    ),
]
