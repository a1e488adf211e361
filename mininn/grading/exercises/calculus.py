"""Graded exercises of the calculus chapter: derivatives, gradients, Jacobians, Taylor
polynomials, gradient descent and finite differences.

Each reference is computed here in float64 from the case's inputs, with a closed form or a
plain NumPy loop (never by the student's code). Float32 cases compare the float64 answer,
rounded to float32, with a float32 tolerance.
"""

from __future__ import annotations

import math

import numpy as np

from mininn.grading.spec import Case, Exercise, case_rng

F32, F64 = 1e-5, 1e-10  # relative-error tolerances suited to each precision


def _tol(x: np.ndarray, f64: float = F64, f32: float = F32) -> float:
    return f32 if np.asarray(x).dtype == np.float32 else f64


def _spd(rng: np.random.Generator, n: int) -> np.ndarray:
    """A random symmetric positive definite matrix with eigenvalues in [0.5, 5]."""
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    lam = rng.uniform(0.5, 5.0, n)
    a = (q * lam) @ q.T
    return (a + a.T) / 2  # exactly symmetric


# ---------------------------------------------------------------------------------------------
# 1. sigmoid'(x)
# ---------------------------------------------------------------------------------------------


def _sigmoid_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 1)

    def reference(x):
        z = np.exp(-np.abs(x.astype(np.float64)))  # in (0, 1]: never overflows
        return z / (1 + z) ** 2  # sigma'(x) = e^{-|x|} / (1 + e^{-|x|})^2, even in x

    def case(name, x, hidden=False):
        return Case(name, (x,), reference(x).astype(x.dtype), _tol(x, 1e-9), hidden)

    x = rng.standard_normal((3, 5)) * 3
    return [
        case("random inputs, shape (3, 5)", x),
        case("float32 inputs", rng.standard_normal(6).astype(np.float32)),
        case("zeros: sigma'(0) = 1/4", np.zeros((2, 3))),
        case("a single element", x[:1, :1].reshape(1)),
        case(
            "large inputs, |x| up to 1000", np.array([-1000.0, -100.0, -50.0, 50.0, 100.0, 1000.0])
        ),
        case("a 3-D array", rng.uniform(-12, 12, (2, 3, 4)), hidden=True),
        case("large inputs of one sign", np.array([-1000.0, -710.0, -300.0, -1.0]), hidden=True),
    ]


# ---------------------------------------------------------------------------------------------
# 2. tanh'(x), accurate where it is tiny
# ---------------------------------------------------------------------------------------------


def _tanh_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 2)

    def reference(x):
        z = np.exp(-2 * np.abs(x.astype(np.float64)))
        return 4 * z / (1 + z) ** 2  # 1 / cosh(x)^2 without overflow or cancellation

    def case(name, x, hidden=False):
        return Case(name, (x,), reference(x).astype(x.dtype), _tol(x), hidden)

    x = rng.standard_normal((4, 3)) * 2
    return [
        case("random inputs, shape (4, 3)", x),
        case("float32 inputs", rng.standard_normal(5).astype(np.float32)),
        case("zeros: tanh'(0) = 1", np.zeros(4)),
        case("a single element", x[:1, 0]),
        case("tiny derivatives, |x| from 8 to 20", np.array([-20.0, -15.0, -8.0, 8.0, 15.0, 20.0])),
        case("large inputs, |x| up to 1000", np.array([-1000.0, -400.0, 400.0, 1000.0])),
        case("a 3-D array with tiny derivatives", rng.uniform(-25, 25, (2, 3, 4)), hidden=True),
    ]


# ---------------------------------------------------------------------------------------------
# 3. gradient of x^T A x
# ---------------------------------------------------------------------------------------------


def _quadratic_form_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 3)

    def case(name, A, x, hidden=False):
        ref = (A.astype(np.float64) + A.T.astype(np.float64)) @ x.astype(np.float64)
        return Case(name, (A, x), ref.astype(A.dtype), _tol(A, 1e-9), hidden)

    sym = rng.standard_normal((3, 3))
    return [
        case("a non-symmetric 4x4 matrix", rng.standard_normal((4, 4)), rng.standard_normal(4)),
        case(  # positive entries: no cancellation, so float32 sums stay accurate
            "float32, 5x5",
            rng.uniform(0.5, 1.5, (5, 5)).astype(np.float32),
            rng.uniform(0.5, 1.5, 5).astype(np.float32),
        ),
        case("a 1x1 matrix", np.array([[2.5]]), np.array([-1.5])),
        case("x = 0", rng.standard_normal((3, 3)), np.zeros(3)),
        case("a symmetric matrix: gradient 2Ax", sym + sym.T, rng.standard_normal(3)),
        case("large entries", rng.standard_normal((3, 3)) * 1e6, rng.standard_normal(3) * 1e3),
        case(
            "an upper-triangular 6x6 matrix",
            np.triu(rng.standard_normal((6, 6))),
            rng.standard_normal(6),
        ),
        case(
            "a non-symmetric 10x10 matrix",
            rng.standard_normal((10, 10)),
            rng.standard_normal(10),
            hidden=True,
        ),
    ]


# ---------------------------------------------------------------------------------------------
# 4. gradient descent on 1/2 x^T A x - b^T x
# ---------------------------------------------------------------------------------------------


def _gd_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 4)

    def reference(A, b, x0, lr, steps):
        A, b = A.astype(np.float64), b.astype(np.float64)
        x = x0.astype(np.float64)
        for _ in range(steps):
            x = x - lr * (A @ x - b)
        return x

    def case(name, A, b, x0, lr, steps, rtol=1e-9, hidden=False):
        ref = reference(A, b, x0, lr, steps)
        dtype = np.float32 if A.dtype == np.float32 else np.float64
        return Case(name, (A, b, x0, lr, steps), ref.astype(dtype), rtol, hidden)

    A2 = np.array([[3.0, 2.0], [2.0, 6.0]])  # the chapter's bowl; lambda_max is about 7.24
    A5 = _spd(rng, 5)
    lam = np.linalg.eigvalsh(A5).max()
    A4 = _spd(rng, 4).astype(np.float32)
    return [
        case(
            "the chapter's 2x2 bowl, lr 0.25, 20 steps",
            A2,
            np.array([1.0, -1.0]),
            np.array([-4.0, 3.0]),
            0.25,
            20,
        ),
        case(
            "steps = 0 returns x0 as floats", A2, np.array([1.0, -1.0]), np.array([-4, 3]), 0.1, 0
        ),
        case("a single step", A2, np.array([0.5, 2.0]), np.array([1.0, 1.0]), 0.1, 1),
        case("integer x0", _spd(rng, 3), rng.standard_normal(3), np.array([2, -1, 0]), 0.2, 10),
        case(
            "one variable, 50 steps", np.array([[2.0]]), np.array([1.0]), np.array([5.0]), 0.1, 50
        ),
        case(
            "converging 5x5, 200 steps",
            A5,
            rng.standard_normal(5),
            rng.standard_normal(5),
            1 / lam,
            200,
        ),
        case(
            "too large a step: diverges", A2, np.array([1.0, -1.0]), np.array([-4.0, 3.0]), 0.3, 40
        ),
        case(
            "float32, 4x4, 30 steps",
            A4,
            rng.standard_normal(4).astype(np.float32),
            rng.standard_normal(4).astype(np.float32),
            0.1,
            30,
            rtol=1e-4,
        ),
        case(
            "8x8, 100 steps",
            _spd(rng, 8),
            rng.standard_normal(8),
            rng.standard_normal(8),
            0.15,
            100,
            hidden=True,
        ),
    ]


# ---------------------------------------------------------------------------------------------
# 5. Jacobian of polar coordinates
# ---------------------------------------------------------------------------------------------


def _polar_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 5)

    def case(name, r, theta, hidden=False):
        c, s = math.cos(theta), math.sin(theta)
        ref = np.array([[c, -r * s], [s, r * c]], dtype=np.float64)
        return Case(name, (r, theta), ref, F64, hidden)

    return [
        case("r = 1.5, theta = pi/5", 1.5, math.pi / 5),
        case("r = 0", 0.0, 1.0),
        case("theta = 0", 2.0, 0.0),
        case("integer radius r = 2", 2, 2.2),
        case("negative angle", 0.5, -2.5),
        case("large radius", 1e6, 0.3),
        case("theta = pi", 1.0, math.pi),
        case(
            "random r and theta", float(rng.uniform(0.1, 5)), float(rng.uniform(-7, 7)), hidden=True
        ),
    ]


# ---------------------------------------------------------------------------------------------
# 6. Jacobian of softmax
# ---------------------------------------------------------------------------------------------


def _softmax_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 6)

    def reference(z):
        z = z.astype(np.float64)
        e = np.exp(z - z.max())
        s = e / e.sum()
        return np.diag(s) - np.outer(s, s)

    def case(name, z, hidden=False):
        return Case(name, (z,), reference(z).astype(z.dtype), _tol(z), hidden)

    return [
        case("random logits, C = 4", rng.standard_normal(4)),
        case("float32 logits, C = 6", rng.standard_normal(6).astype(np.float32)),
        case("a single class, C = 1", np.array([0.7])),
        case("equal logits", np.zeros(5)),
        case("large logits", np.array([1000.0, 999.0, 998.0, 0.0])),
        case("very negative logits", np.array([-1000.0, -1001.0, -1003.0])),
        case("random logits, C = 10", rng.standard_normal(10) * 3, hidden=True),
    ]


# ---------------------------------------------------------------------------------------------
# 7. Taylor polynomial of exp
# ---------------------------------------------------------------------------------------------


def _taylor_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 7)

    def reference(x, n):
        x = np.asarray(x, dtype=np.float64)
        return sum(x**k / math.factorial(k) for k in range(n + 1)) + np.zeros_like(x)

    def case(name, x, n, hidden=False):
        return Case(name, (x, n), reference(x, n).astype(x.dtype), _tol(x), hidden)

    return [
        case("degree 6, x in [-2, 2]", rng.uniform(-2, 2, 5), 6),
        case("degree 0: all ones", rng.standard_normal(3), 0),
        case("degree 1: 1 + x", rng.standard_normal(4), 1),
        case("x = 0", np.zeros(3), 5),
        case("a single element: e to 15 terms", np.array([1.0]), 15),
        case("large x, degree 40", np.array([10.0, 20.0, 30.0]), 40),
        case("float32, degree 8", rng.uniform(-1, 1, 6).astype(np.float32), 8),
        case("a 2-D array, degree 12", rng.uniform(-3, 3, (2, 3)), 12, hidden=True),
    ]


# ---------------------------------------------------------------------------------------------
# 8. central difference of a polynomial
# ---------------------------------------------------------------------------------------------


def _central_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 8)

    def reference(coeffs, x, h):
        c, x = coeffs.astype(np.float64), np.asarray(x, dtype=np.float64)
        return (np.polyval(c, x + h) - np.polyval(c, x - h)) / (2 * h)

    def case(name, coeffs, x, h, hidden=False):
        return Case(name, (coeffs, x, h), reference(coeffs, x, h), 1e-8, hidden)

    cubic = rng.standard_normal(4)
    return [
        case("a cubic, h = 1e-3", cubic, rng.uniform(-2, 2, 5), 1e-3),
        case("a cubic, large step h = 0.5", cubic, rng.uniform(-2, 2, 4), 0.5),
        case(
            "a quadratic: the estimate is exact",
            np.array([2.0, -3.0, 1.0]),
            rng.uniform(-3, 3, 4),
            0.25,
        ),
        case("a constant polynomial", np.array([3.0]), rng.standard_normal(3), 1e-2),
        case("x = 0", cubic, np.zeros(3), 1e-2),
        case("a single element, h = 1e-6", cubic, np.array([0.7]), 1e-6),
        case("integer x", np.array([1.0, 0.0, -2.0, 5.0]), np.array([-2, 0, 3]), 0.1),
        case("large x", np.array([0.5, -4.0, 1.0]), np.array([1e3, -1e4]), 1e-2),
        case(
            "degree 5, a 2-D x",
            rng.standard_normal(6),
            rng.uniform(-1.5, 1.5, (3, 2)),
            1e-2,
            hidden=True,
        ),
    ]


EXERCISES = [
    Exercise(
        id="calculus.sigmoid_derivative",
        function="sigmoid_derivative",
        points=2,
        chapter="calculus",
        title="derivative of the sigmoid, without overflow",
        hint="sigma'(x) = sigma(x) (1 - sigma(x)); only ever exponentiate -|x|",
        make_cases=_sigmoid_cases,
    ),
    Exercise(
        id="calculus.tanh_derivative",
        function="tanh_derivative",
        points=2,
        chapter="calculus",
        title="derivative of tanh, accurate where it is tiny",
        hint="1 - tanh(x)**2 cancels; write tanh'(x) with z = exp(-2|x|) instead",
        make_cases=_tanh_cases,
    ),
    Exercise(
        id="calculus.quadratic_form_gradient",
        function="quadratic_form_gradient",
        points=2,
        chapter="calculus",
        title="gradient of a quadratic form",
        hint="differentiate the double sum of A[i, j] x[i] x[j] with respect to x[k]",
        make_cases=_quadratic_form_cases,
    ),
    Exercise(
        id="calculus.gradient_descent_quadratic",
        function="gradient_descent_quadratic",
        points=3,
        chapter="calculus",
        title="gradient descent on a quadratic bowl",
        hint="start from a float copy of x0; subtract lr times the gradient A x - b, steps times",
        make_cases=_gd_cases,
    ),
    Exercise(
        id="calculus.polar_jacobian",
        function="polar_jacobian",
        points=2,
        chapter="calculus",
        title="Jacobian of polar coordinates",
        hint="row i holds the derivatives of output i; column j those with respect to input j",
        make_cases=_polar_cases,
    ),
    Exercise(
        id="calculus.softmax_jacobian",
        function="softmax_jacobian",
        points=3,
        chapter="calculus",
        title="Jacobian of softmax",
        hint="compute s = softmax(z) after subtracting max(z), then diag(s) - outer(s, s)",
        make_cases=_softmax_cases,
    ),
    Exercise(
        id="calculus.taylor_exp",
        function="taylor_exp",
        points=2,
        chapter="calculus",
        title="Taylor polynomial of the exponential",
        hint="add up x**k / k! for k = 0, 1, ..., n; the result has the shape of x",
        make_cases=_taylor_cases,
    ),
    Exercise(
        id="calculus.central_difference_poly",
        function="central_difference_poly",
        points=2,
        chapter="calculus",
        title="central difference of a polynomial",
        hint="(p(x + h) - p(x - h)) / (2 h), with p evaluated by np.polyval(coeffs, ...)",
        make_cases=_central_cases,
    ),
]
