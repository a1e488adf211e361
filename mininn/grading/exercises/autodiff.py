"""Graded exercises of the automatic-differentiation chapter: backward passes by hand.

Each reference is the closed-form derivative, computed here in float64 from the case's
inputs (never by the student's code).
"""

from __future__ import annotations

import numpy as np

from mininn.grading.spec import Case, Exercise, case_rng

F32, F64 = 1e-5, 1e-10  # relative-error tolerances suited to each precision


def _mul_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 1)

    def case(name, a, b, g, hidden=False):
        ref = (g * b, g * a)
        tol = F32 if a.dtype == np.float32 else F64
        return Case(name, (g, a, b), tuple(r.astype(a.dtype) for r in ref), tol, hidden)

    a, b, g = (rng.standard_normal((3, 4)) for _ in range(3))
    big = rng.standard_normal((2, 5)) * 1e6
    return [
        case("random 3x4 matrices", a, b, g),
        case("float32 inputs", *(x.astype(np.float32) for x in (a, b, g))),
        case("a batch of one", a[:1, :1], b[:1, :1], g[:1, :1]),
        case("zeros", np.zeros(4), rng.standard_normal(4), np.ones(4)),
        case("large values", big, big[::-1], np.ones((2, 5))),
        case("a 3-D tensor", *(rng.standard_normal((2, 3, 2)) for _ in range(3)), hidden=True),
    ]


def _div_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 2)

    def case(name, a, b, g, hidden=False):
        ref = (g / b, -g * a / (b * b))
        tol = F32 if a.dtype == np.float32 else F64
        return Case(name, (g, a, b), tuple(r.astype(a.dtype) for r in ref), tol, hidden)

    def away(shape):
        return rng.uniform(0.5, 3, shape) * rng.choice([-1, 1], shape)

    a, b, g = rng.standard_normal((4, 3)), away((4, 3)), rng.standard_normal((4, 3))
    return [
        case("random 4x3 matrices", a, b, g),
        case("float32 inputs", a.astype(np.float32), b.astype(np.float32), g.astype(np.float32)),
        case("a batch of one", a[:1], b[:1], g[:1]),
        case("zero numerator", np.zeros(3), away(3), np.ones(3)),
        case("large numerator", a * 1e8, b, g),
        case("small denominator", a, b * 1e-3, g, hidden=True),
    ]


def _matmul_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 3)

    def case(name, m, k, n, dtype=np.float64, hidden=False):
        A = rng.standard_normal((m, k)).astype(dtype)
        B = rng.standard_normal((k, n)).astype(dtype)
        G = rng.standard_normal((m, n)).astype(dtype)
        ref = (G.astype(np.float64) @ B.T.astype(np.float64), A.T.astype(np.float64) @ G)
        tol = 1e-4 if dtype == np.float32 else F64
        return Case(name, (G, A, B), tuple(r.astype(dtype) for r in ref), tol, hidden)

    return [
        case("(3, 4) @ (4, 2)", 3, 4, 2),
        case("float32 (5, 3) @ (3, 6)", 5, 3, 6, np.float32),
        case("a batch of one: (1, 4) @ (4, 3)", 1, 4, 3),
        case("inner dimension 1: (3, 1) @ (1, 3)", 3, 1, 3),
        case("(16, 32) @ (32, 8)", 16, 32, 8, hidden=True),
    ]


def _sum_to_shape_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 4)

    def reference(grad, shape):
        extra = grad.ndim - len(shape)
        g = grad.sum(axis=tuple(range(extra))) if extra else grad
        axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
        return np.asarray(g.sum(axis=axes, keepdims=True) if axes else g)

    def case(name, gshape, shape, hidden=False):
        g = rng.standard_normal(gshape)
        return Case(name, (g, shape), reference(g, shape), F64, hidden)

    return [
        case("bias: (4, 3) -> (3,)", (4, 3), (3,)),
        case("column: (4, 3) -> (4, 1)", (4, 3), (4, 1)),
        case("nothing to undo: (2, 3) -> (2, 3)", (2, 3), (2, 3)),
        case("to a scalar: (2, 3) -> ()", (2, 3), ()),
        case("both kinds: (5, 2, 3) -> (2, 1)", (5, 2, 3), (2, 1)),
        case("(2, 1, 4, 3) -> (1, 4, 1)", (2, 1, 4, 3), (1, 4, 1), hidden=True),
    ]


def _sigmoid_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 5)

    def reference(grad, x):
        s = np.exp(-np.logaddexp(0, -x))  # sigmoid without overflow
        return grad * s * (1 - s)

    def case(name, x, g, hidden=False):
        tol = F32 if x.dtype == np.float32 else 1e-9
        ref = reference(g.astype(np.float64), x.astype(np.float64)).astype(x.dtype)
        return Case(name, (g, x), ref, tol, hidden)

    x = rng.standard_normal((3, 5)) * 3
    return [
        case("random inputs", x, rng.standard_normal((3, 5))),
        # float32 rounding in s (1 - s) grows with |x|: moderate inputs, a float32 tolerance
        case("float32 inputs", np.clip(x, -4, 4).astype(np.float32), np.ones((3, 5), np.float32)),
        case("zero input", np.zeros(1), np.ones(1)),
        case("large inputs, no overflow", np.array([-800.0, -50.0, 50.0, 800.0]), np.ones(4)),
        case("a batch of one", x[:1], rng.standard_normal((1, 5)), hidden=True),
    ]


EXERCISES = [
    Exercise(
        id="autodiff.mul_backward",
        function="mul_backward",
        points=2,
        chapter="autodiff",
        title="backward of elementwise multiplication",
        hint="return the pair (gradient for a, gradient for b), each of a's shape",
        make_cases=_mul_cases,
    ),
    Exercise(
        id="autodiff.div_backward",
        function="div_backward",
        points=2,
        chapter="autodiff",
        title="backward of elementwise division",
        hint="use the quotient rule: d(a/b)/da = 1/b and d(a/b)/db = -a/b**2",
        make_cases=_div_cases,
    ),
    Exercise(
        id="autodiff.matmul_backward",
        function="matmul_backward",
        points=3,
        chapter="autodiff",
        title="backward of a matrix product",
        hint="each gradient has the shape of its input; match shapes to find the products",
        make_cases=_matmul_cases,
    ),
    Exercise(
        id="autodiff.sum_to_shape",
        function="sum_to_shape",
        points=3,
        chapter="autodiff",
        title="undo broadcasting in a gradient",
        hint="sum over the leading axes broadcasting added, then over axes that were size 1",
        make_cases=_sum_to_shape_cases,
    ),
    Exercise(
        id="autodiff.sigmoid_backward",
        function="sigmoid_backward",
        points=2,
        chapter="autodiff",
        title="backward of a numerically stable sigmoid",
        hint="sigmoid'(x) = s (1 - s) with s = sigmoid(x); compute s without overflow",
        make_cases=_sigmoid_cases,
    ),
]
